"""WordPress sites through the core REST API (/wp-json/wp/v2) with Application Passwords (HTTP Basic
username:app_password; no OAuth). Connect with `WordPressAdapter.connect_with_application_password(...)`.

The site URL is user-supplied, so every call re-checks it: https only (http in DEBUG) and no private, loopback or
link-local address (http.ensure_public_url). Posts are created published with the first image as featured media;
further images are appended to the content. Comments: list, reply, hold/approve (hide); WordPress has no likes and
core has no statistics API. Revoking deletes the application password (its uuid is read at connect time).

Reconciliation: core posts keep no metadata of ours without a registered meta key, so find_published lists the
user's posts dated since the attempt started (context=edit, drafts and scheduled included) and matches the exact
title, or the content's text prefix. Reliable unless the same title is published twice in the window.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from social.networks import rules
from social.networks.base import (
    AuthExpired,
    ChannelCredentials,
    ConnectedAccount,
    FetchPage,
    MediaItem,
    NetworkError,
    NotFound,
    NotSupported,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RemoteItem,
    TokenSet,
)
from social.networks.http import (
    HttpAdapter,
    ensure_public_url,
    error_for_status,
    fetch_kind_capability,
    now_utc,
    parse_time,
    pinned_client,
    safe_json,
)
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import basic_auth

AUTH_CODES = {
    "rest_not_logged_in",
    "incorrect_password",
    "invalid_username",
    "invalid_email",
    "application_passwords_disabled",
}
_TAGS = re.compile(r"<[^>]+>")


def normalize_site(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{path}"


def plain_text(markup: str) -> str:
    return html.unescape(_TAGS.sub(" ", markup))


def text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br />')}</p>" for p in paragraphs)


class WordPressAdapter(HttpAdapter):
    network = "wordpress"
    rules = rules.WORDPRESS
    capabilities = frozenset(
        {"refresh", "revoke", "publish", "first_comment", "delete", "find_published", "fetch_comments", "reply", "hide"}
    )
    reconcile_reliability = "exact title or content prefix among the user's posts dated since the attempt"

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        body = body if isinstance(body, dict) else {}
        code, message = body.get("code", ""), body.get("message", "")
        kwargs: dict[str, Any] = {"status_code": response.status_code, "response_body": body}
        if code in AUTH_CODES:
            return AuthExpired(message, **kwargs)
        if code.startswith("rest_cannot") or code == "rest_forbidden":
            return PermissionMissing(message, **kwargs)
        params = (body.get("data") or {}).get("params") if isinstance(body.get("data"), dict) else None
        details = {k: [v] for k, v in params.items()} if isinstance(params, dict) else None
        return error_for_status(response, message=message, details=details)

    # --- plumbing ---
    def api(self, method: str, credentials: ChannelCredentials, path: str, **kwargs: Any) -> httpx.Response:
        """Every call re-checks the user-supplied site and connects only to the address that was checked."""
        site = credentials.extra["site_url"]
        checked = ensure_public_url(f"{site}/wp-json/", allow_http=settings.DEBUG)
        auth = basic_auth(credentials.extra["username"], credentials.access_token)
        headers = {"Authorization": auth, **kwargs.pop("headers", {})}
        with pinned_client(checked) as client:
            return self.call(method, f"{site}/wp-json/wp/v2/{path}", client=client, headers=headers, **kwargs)

    def api_json(self, method: str, credentials: ChannelCredentials, path: str, **kwargs: Any) -> Any:
        response = self.api(method, credentials, path, **kwargs)
        return safe_json(response) if response.content else {}

    # --- connect ---
    @classmethod
    def connect_with_application_password(
        cls, site_url: str, username: str, password: str, **adapter_kwargs: Any
    ) -> ConnectedAccount:
        """Verify the application password against the site and describe the channel it gives."""
        adapter = cls(**adapter_kwargs)
        site = normalize_site(site_url)
        credentials = ChannelCredentials(
            external_id=site, access_token=password.replace(" ", ""), extra={"site_url": site, "username": username}
        )
        me = adapter.api_json("GET", credentials, "users/me", params={"context": "edit"})
        if not (me.get("capabilities") or {}).get("publish_posts"):
            raise PermissionMissing("This WordPress user cannot publish posts.")
        try:
            uuid = adapter.api_json("GET", credentials, "users/me/application-passwords/introspect").get("uuid", "")
        except NotFound:  # WordPress before 5.7: the password works but cannot be revoked from here
            uuid = ""
        try:
            with pinned_client(ensure_public_url(f"{site}/wp-json/", allow_http=settings.DEBUG)) as client:
                info = safe_json(adapter.call("GET", f"{site}/wp-json/", client=client))
        except NetworkError:
            info = {}
        avatars = me.get("avatar_urls") or {}
        return ConnectedAccount(
            network="wordpress",
            external_id=site,
            name=info.get("name") or urlsplit(site).netloc,
            username=username,
            image_url=avatars.get("96") or next(iter(avatars.values()), ""),
            network_url=info.get("home") or site,
            tokens=TokenSet(access_token=credentials.access_token, token_owner_id=str(me["id"])),
            extra={"site_url": site, "username": username, "user_id": me["id"], "app_password_uuid": uuid},
        )

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        """Application passwords do not expire: check it still works and keep it."""
        self.api_json("GET", credentials, "users/me", params={"context": "edit"})
        return TokenSet(access_token=credentials.access_token)

    def revoke(self, credentials: ChannelCredentials) -> None:
        uuid = credentials.extra.get("app_password_uuid")
        if not uuid:
            raise NotSupported("This application password cannot be revoked from here; remove it in WordPress.")
        self.api("DELETE", credentials, f"users/me/application-passwords/{uuid}")

    # --- publishing ---
    def upload_media(self, credentials: ChannelCredentials, item: MediaItem) -> dict:
        filename = urlsplit(item.url).path.rsplit("/", 1)[-1] or "upload"
        with self.media_file(item) as media:
            data = self.api_json(
                "POST",
                credentials,
                "media",
                content=media.read(),
                headers={"Content-Type": item.mime_type, "Content-Disposition": f'attachment; filename="{filename}"'},
            )
        if item.alt_text:
            self.api_json("POST", credentials, f"media/{data['id']}", json={"alt_text": item.alt_text})
        return data

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        uploads = [self.upload_media(credentials, m) for m in request.media if m.kind in ("image", "animation")]
        content = request.text if request.options.get("contentFormat") == "html" else text_to_html(request.text)
        if request.link:
            label = html.escape(request.link_title or request.link)
            content += f'\n<p><a href="{html.escape(request.link, quote=True)}">{label}</a></p>'
        for upload in uploads[1:]:
            src = html.escape(upload["source_url"], quote=True)
            content += f'\n<figure class="wp-block-image"><img src="{src}" alt="" /></figure>'
        body: dict[str, Any] = {"title": request.title, "content": content, "status": "publish"}
        if uploads:
            body["featured_media"] = uploads[0]["id"]
        for key in ("categories", "tags"):
            if request.options.get(key):
                body[key] = list(request.options[key])
        data = self.api_json("POST", credentials, "posts", json=body)
        return PublishResult(remote_id=str(data["id"]), url=data.get("link", ""), raw={"id": data["id"]})

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        data = self.api_json("POST", credentials, "comments", json={"post": int(remote_id), "content": text})
        return PublishResult(remote_id=str(data["id"]), url=data.get("link", ""))

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        parent = self.api_json("GET", credentials, f"comments/{remote_id}")
        body = {"post": parent["post"], "parent": int(remote_id), "content": text}
        data = self.api_json("POST", credentials, "comments", json=body)
        return PublishResult(remote_id=str(data["id"]), url=data.get("link", ""))

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        self.api_json("POST", credentials, f"comments/{remote_id}", json={"status": "hold" if hidden else "approved"})

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        """Moves the post to the trash (recoverable in WordPress for 30 days)."""
        self.api("DELETE", credentials, f"posts/{remote_id}")

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, title or text)
        params: dict[str, Any] = {
            "after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "context": "edit",
            "status": "publish,future,draft,pending,private",
            "per_page": 20,
            "orderby": "date",
        }
        if credentials.extra.get("user_id"):
            params["author"] = credentials.extra["user_id"]
        for post in self.api_json("GET", credentials, "posts", params=params):
            post_title = (post.get("title") or {}).get("raw", "")
            post_text = plain_text((post.get("content") or {}).get("raw", ""))
            if (title and post_title == title) or (text and same_text(text, post_text)):
                return PublishResult(remote_id=str(post["id"]), url=post.get("link", ""), raw={"id": post["id"]})
        return None

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        self.require(fetch_kind_capability(kind))
        page = int(cursor or 1)
        response = self.api(
            "GET", credentials, "comments", params={"per_page": 50, "page": page, "orderby": "date", "order": "desc"}
        )
        items = tuple(
            RemoteItem(
                remote_id=str(c["id"]),
                kind="comment",
                text=plain_text((c.get("content") or {}).get("rendered", "")).strip(),
                author_id=str(c.get("author") or ""),
                author_name=c.get("author_name", ""),
                created_at=parse_time(c.get("date_gmt") and c["date_gmt"] + "Z") or now_utc(),
                parent_remote_id=str(c.get("parent") or c.get("post") or ""),
                raw=c,
            )
            for c in safe_json(response)
        )
        total_pages = int(response.headers.get("X-WP-TotalPages", 1) or 1)
        return FetchPage(items, next_cursor=str(page + 1) if page < total_pages else "")
