"""Facebook pages through the Graph API (v21.0). `GraphAdapter` holds what Instagram shares: Facebook Login, the
Graph error payload mapping and the call helpers.

Tokens: the login exchanges the code for a short-lived user token, then for a long-lived one (fb_exchange_token);
/me/accounts returns page tokens derived from it, which do not expire. One grant reaches many pages and Instagram
accounts, so revoking it for one channel would disconnect all of them: `revoke` is not offered.

Reconciliation (find_published): Graph posts carry no metadata of ours, so a post is recognised by its text (first
characters, links ignored) among the page's posts published since the attempt started. Reliable unless the same
text is posted twice within that window; a photo without caption cannot be recognised.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from social.networks import rules
from social.networks.base import (
    AuthExpired,
    AuthorizeRequest,
    ChannelCredentials,
    ConnectedAccount,
    FetchPage,
    InvalidContent,
    LookupResult,
    Metrics,
    NetworkError,
    NotFound,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    RemoteItem,
    TemporaryNetworkError,
    TokenSet,
)
from social.networks.http import (
    CAPABILITIES,
    HttpAdapter,
    day_bounds,
    error_for_status,
    fetch_kind_capability,
    now_utc,
    parse_time,
    safe_json,
)
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import appsecret_proof, token_set_from

GRAPH_VERSION = "v21.0"
GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}"
GRAPH_VIDEO = f"https://graph-video.facebook.com/{GRAPH_VERSION}"
DIALOG = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"

AUTH_CODES = {102, 190}
PERMISSION_CODES = {10} | set(range(200, 300))
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
TEMPORARY_CODES = {1, 2}


def graph_retry_after(response: httpx.Response) -> int | None:
    """Seconds until access is regained, from X-Business-Use-Case-Usage / X-App-Usage (minutes in the header)."""
    minutes: list[float] = []
    for header in ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(data, dict) and "estimated_time_to_regain_access" in data:
            entries.append(data)
        elif isinstance(data, dict):
            for value in data.values():
                entries.extend(value if isinstance(value, list) else [value])
        for entry in entries:
            if isinstance(entry, dict) and entry.get("estimated_time_to_regain_access") is not None:
                minutes.append(float(entry["estimated_time_to_regain_access"]))
    return int(max(minutes) * 60) if minutes else None


class GraphAdapter(HttpAdapter):
    """Facebook Login + Graph API calls shared by Facebook pages and Instagram business accounts."""

    app_name: ClassVar[str] = "facebook"
    scopes: ClassVar[tuple[str, ...]] = ()

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return error_for_status(response)
        code = int(error.get("code") or 0)
        subcode = error.get("error_subcode")
        message = error.get("error_user_msg") or error.get("message") or f"Graph error {code}"
        kwargs = {"status_code": response.status_code, "response_body": body}
        if code in AUTH_CODES:
            return AuthExpired(message, **kwargs)
        if code in PERMISSION_CODES:
            return PermissionMissing(message, **kwargs)
        if code in RATE_CODES:
            return RateLimited(message, retry_after=graph_retry_after(response), **kwargs)
        if code == 100 and subcode == 33:
            return NotFound(message, **kwargs)
        if code in TEMPORARY_CODES or error.get("is_transient") or response.status_code >= 500:
            return TemporaryNetworkError(message, **kwargs)
        if code in (100, 506) or code >= 300 or response.status_code in (400, 422):
            return InvalidContent(message, details={"network": [message]}, **kwargs)
        return error_for_status(response, message=message)

    media_hosts = ("fbcdn.net", "cdninstagram.com")

    # --- helpers ---
    def auth(self, token: str) -> dict[str, str]:
        params = {"access_token": token}
        if self.app["client_secret"]:
            params["appsecret_proof"] = appsecret_proof(token, self.app["client_secret"])
        return params

    def get(self, path: str, token: str, **params: Any) -> dict:
        return self.call_json("GET", f"{GRAPH}/{path}", params={**params, **self.auth(token)})

    def post(self, path: str, token: str, data: dict | None = None, *, base: str = GRAPH) -> dict:
        return self.call_json("POST", f"{base}/{path}", params=self.auth(token), json=data or {})

    # --- OAuth (Facebook Login) ---
    def authorize_url(self, request: AuthorizeRequest) -> str:
        params = {
            "client_id": self.app["client_id"],
            "redirect_uri": request.redirect_uri,
            "state": request.state,
            "response_type": "code",
            "scope": ",".join(self.scopes),
        }
        return f"{DIALOG}?{urlencode(params)}"

    def _user_token(self, *, code: str, redirect_uri: str) -> TokenSet:
        app = self.app
        short = self.call_json(
            "GET",
            f"{GRAPH}/oauth/access_token",
            params={
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        long = self.call_json(
            "GET",
            f"{GRAPH}/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "fb_exchange_token": short["access_token"],
            },
        )
        me = self.get("me", long["access_token"], fields="id,name")
        return token_set_from(long, owner_id=str(me["id"]))

    def _pages(self, user: TokenSet) -> list[dict]:
        fields = (
            "id,name,username,link,access_token,tasks,picture{url},"
            "instagram_business_account{id,username,name,profile_picture_url}"
        )
        pages: list[dict] = []
        data = self.get("me/accounts", user.access_token, fields=fields, limit=100)
        while True:
            pages.extend(data.get("data", []))
            next_url = data.get("paging", {}).get("next")
            if not next_url or len(pages) >= 1000:
                return pages
            data = self.call_json("GET", next_url)

    def _accounts(self, user: TokenSet) -> list[ConnectedAccount]:
        accounts: list[ConnectedAccount] = []
        for page in self._pages(user):
            page_tokens = TokenSet(
                access_token=page["access_token"], scopes=user.scopes, token_owner_id=user.token_owner_id
            )
            accounts.append(
                ConnectedAccount(
                    network="facebook",
                    external_id=str(page["id"]),
                    name=page.get("name", ""),
                    username=page.get("username", ""),
                    image_url=(page.get("picture") or {}).get("data", {}).get("url", ""),
                    network_url=page.get("link") or f"https://www.facebook.com/{page['id']}",
                    tokens=page_tokens,
                    extra={"page_id": str(page["id"]), "tasks": page.get("tasks", [])},
                )
            )
            ig = page.get("instagram_business_account")
            if ig:
                accounts.append(
                    ConnectedAccount(
                        network="instagram",
                        external_id=str(ig["id"]),
                        name=ig.get("name") or ig.get("username", ""),
                        username=ig.get("username", ""),
                        image_url=ig.get("profile_picture_url", ""),
                        network_url=f"https://www.instagram.com/{ig['username']}/" if ig.get("username") else "",
                        tokens=page_tokens,
                        extra={"page_id": str(page["id"]), "ig_user_id": str(ig["id"])},
                    )
                )
        return accounts

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        """Pages the user manages (page tokens), plus the Instagram business accounts linked to them."""
        return self._accounts(self._user_token(code=code, redirect_uri=redirect_uri))

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        """Page tokens from a long-lived user token do not expire: check the token still works and keep it.
        A revoked or expired token raises AuthExpired (the channel needs reconnecting)."""
        self.get("me", credentials.access_token, fields="id")
        return TokenSet(access_token=credentials.access_token, expires_at=credentials.expires_at)

    @staticmethod
    def _next_cursor(data: dict) -> str:
        paging = data.get("paging") or {}
        return paging.get("cursors", {}).get("after", "") if paging.get("next") else ""

    # --- comments and messages shared by pages and Instagram ---
    def _comment(self, token: str, path: str, text: str, *, image_url: str = "") -> PublishResult:
        """A comment (or comment reply); `image_url` attaches one image the network fetches (`attachment_url`)."""
        body = {"message": text} if text or not image_url else {}
        if image_url:
            body["attachment_url"] = image_url
        data = self.post(path, token, body)
        return PublishResult(remote_id=str(data["id"]), raw=data)

    @staticmethod
    def _message(text: str, image_url: str) -> dict:
        """A Send API `message`: text, or one image attachment fetched from `image_url` (never both: the Send API
        takes one or the other per message)."""
        if image_url:
            return {"attachment": {"type": "image", "payload": {"url": image_url, "is_reusable": False}}}
        return {"text": text}

    def _graph_metrics(self, data: dict, names: dict[str, str]) -> dict[str, int]:
        values: dict[str, int] = {}
        for entry in data.get("data", []):
            key = names.get(entry.get("name"))
            if not key:
                continue
            points = entry.get("values") or [{"value": entry.get("total_value", {}).get("value", 0)}]
            value = points[-1].get("value", 0)
            values[key] = int(sum(value.values()) if isinstance(value, dict) else value or 0)
        return values


class FacebookAdapter(GraphAdapter):
    network = "facebook"
    rules = rules.FACEBOOK
    scopes = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "pages_manage_engagement",
        "pages_read_user_content",
        "pages_messaging",
        "read_insights",
        "business_management",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_insights",
    )
    capabilities = CAPABILITIES - {"revoke"}
    # Images an inbox reply may carry, per reply method: a comment reply takes one (`attachment_url`), a Messenger
    # reply sends each as its own message after the text. The network fetches them from their public URLs.
    reply_media: ClassVar[dict[str, int]] = {"reply": 1, "send_message": 4}
    reply_image_types: ClassVar[frozenset[str]] = frozenset({"image/jpeg", "image/png", "image/gif"})
    lookups = frozenset({"locations", "mentions"})
    reconcile_reliability = "text prefix within the time window (no metadata on Graph posts)"

    def _page(self, credentials: ChannelCredentials) -> str:
        return str(credentials.extra.get("page_id") or credentials.external_id)

    def fresh_media_url(self, credentials: ChannelCredentials, media_id: str) -> str:
        """GET /{photo-or-video-id}: a video's `source`, else the largest of a photo's `images`."""
        data = self.get(media_id, credentials.access_token, fields="source,images")
        images = sorted(data.get("images") or [], key=lambda image: image.get("width") or 0, reverse=True)
        return str(data.get("source") or (images[0].get("source") if images else "") or "")

    # --- composer pickers ---
    def lookup_locations(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """The page's location pages (GET /{page-id}/locations: the stores of a brand), those matching `query`."""
        data = self.get(
            f"{self._page(credentials)}/locations",
            credentials.access_token,
            fields="id,name,location{street,city,zip,country}",
            limit=100,
        )
        return [
            LookupResult(id=str(page["id"]), name=page.get("name", ""), extra={"location": page.get("location", {})})
            for page in data.get("data", [])
            if query.casefold() in (page.get("name") or "").casefold()
        ]

    def lookup_mentions(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """Pages to @mention (GET /pages/search; Meta grants it with "Page Public Metadata Access", else the call is
        refused and the picker says PERMISSION_MISSING). People cannot be searched through the Graph API."""
        if len(query.strip()) < 2:
            return []
        data = self.get(
            "pages/search", credentials.access_token, q=query.strip(), fields="id,name,link,verification_status"
        )
        return [
            LookupResult(
                id=str(page["id"]),
                name=page.get("name", ""),
                extra={"url": page.get("link", ""), "verified": page.get("verification_status") == "blue_verified"},
            )
            for page in data.get("data", [])[:25]
        ]

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        token, page = credentials.access_token, self._page(credentials)
        images = [m for m in request.media if m.kind in ("image", "animation")]
        videos = [m for m in request.media if m.kind == "video"]
        if videos:
            body = {"file_url": videos[0].url, "description": request.text}
            if request.title:
                body["title"] = request.title
            data = self.post(f"{page}/videos", token, body, base=GRAPH_VIDEO)
            remote_id = str(data["id"])
        elif len(images) == 1:
            body = {"url": images[0].url, "caption": request.text, "published": True}
            if images[0].alt_text:
                body["alt_text_custom"] = images[0].alt_text
            data = self.post(f"{page}/photos", token, body)
            remote_id = str(data.get("post_id") or data["id"])
        elif images:
            # Multi-photo post: upload each photo unpublished, then one feed post attaching them all.
            media_ids = []
            for image in images:
                body = {"url": image.url, "published": False}
                if image.alt_text:
                    body["alt_text_custom"] = image.alt_text
                media_ids.append(str(self.post(f"{page}/photos", token, body)["id"]))
            body = {"message": request.text, "attached_media": [{"media_fbid": mid} for mid in media_ids]}
            data = self.post(f"{page}/feed", token, body)
            remote_id = str(data["id"])
        else:
            body = {"message": request.text}
            if request.link:
                body["link"] = request.link
            data = self.post(f"{page}/feed", token, body)
            remote_id = str(data["id"])
        return PublishResult(remote_id=remote_id, url=f"https://www.facebook.com/{remote_id}", raw=data)

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self._comment(credentials.access_token, f"{remote_id}/comments", text)

    def reply(
        self, credentials: ChannelCredentials, *, remote_id: str, text: str, image_url: str = ""
    ) -> PublishResult:
        return self._comment(credentials.access_token, f"{remote_id}/comments", text, image_url=image_url)

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.call("DELETE", f"{GRAPH}/{remote_id}", params=self.auth(credentials.access_token))

    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.post(f"{remote_id}/likes", credentials.access_token)

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        self.post(remote_id, credentials.access_token, {"is_hidden": hidden})

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        """`text` is the post's text: Graph posts carry no metadata of ours, so it is what we match on."""
        require_text(self.network, text)
        data = self.get(
            f"{self._page(credentials)}/published_posts",
            credentials.access_token,
            fields="id,message,created_time,permalink_url",
            since=int(since.timestamp()),
            limit=100,
        )
        for post in data.get("data", []):
            created = parse_time(post.get("created_time"))
            if created and created >= since and same_text(text, post.get("message", "")):
                return PublishResult(
                    remote_id=str(post["id"]),
                    url=post.get("permalink_url") or f"https://www.facebook.com/{post['id']}",
                    raw=post,
                )
        return None

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        self.require(fetch_kind_capability(kind))
        token, page = credentials.access_token, self._page(credentials)
        params: dict[str, Any] = {"limit": 25}
        if cursor:
            params["after"] = cursor
        items: list[RemoteItem] = []
        if kind == "comment":
            params["fields"] = (
                "id,comments.order(reverse_chronological).limit(50){id,message,from{id,name},created_time,parent{id}}"
            )
            data = self.get(f"{page}/feed", token, **params)
            for post in data.get("data", []):
                for c in post.get("comments", {}).get("data", []):
                    items.append(self._item(c, "comment", (c.get("parent") or {}).get("id") or post["id"]))
        elif kind == "mention":
            params["fields"] = "id,message,from{id,name},created_time"
            data = self.get(f"{page}/tagged", token, **params)
            items = [self._item(p, "mention", "") for p in data.get("data", [])]
        else:
            params["fields"] = "id,messages.limit(20){id,message,from{id,name},created_time}"
            params["platform"] = "messenger"
            data = self.get(f"{page}/conversations", token, **params)
            for conv in data.get("data", []):
                for m in conv.get("messages", {}).get("data", []):
                    if str((m.get("from") or {}).get("id")) != page:
                        items.append(self._item(m, "message", conv["id"]))
        paging = data.get("paging", {})
        return FetchPage(
            tuple(items), next_cursor=paging.get("cursors", {}).get("after", "") if "next" in paging else ""
        )

    @staticmethod
    def _item(entry: dict, kind: str, parent: str) -> RemoteItem:
        author = entry.get("from") or {}
        return RemoteItem(
            remote_id=str(entry["id"]),
            kind=kind,
            text=entry.get("message", ""),
            author_id=str(author.get("id", "")),
            author_name=author.get("name", ""),
            created_at=parse_time(entry.get("created_time")) or now_utc(),
            parent_remote_id=parent,
            raw=entry,
        )

    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        token = credentials.access_token
        insights = self.get(
            f"{remote_id}/insights",
            token,
            metric="post_impressions,post_impressions_unique,post_clicks,post_reactions_by_type_total",
        )
        values = self._graph_metrics(
            insights,
            {
                "post_impressions": "impressions",
                "post_impressions_unique": "reach",
                "post_clicks": "clicks",
                "post_reactions_by_type_total": "likes",
            },
        )
        counts = self.get(remote_id, token, fields="shares,comments.summary(true).limit(0)")
        values["comments"] = int(counts.get("comments", {}).get("summary", {}).get("total_count", 0))
        values["shares"] = int(counts.get("shares", {}).get("count", 0))
        values["engagements"] = values.get("likes", 0) + values["comments"] + values["shares"] + values.get("clicks", 0)
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        token, page = credentials.access_token, self._page(credentials)
        start, end = day_bounds(day)
        insights = self.get(
            f"{page}/insights",
            token,
            metric="page_impressions,page_impressions_unique,page_post_engagements",
            period="day",
            since=int(start.timestamp()),
            until=int(end.timestamp()),
        )
        values = self._graph_metrics(
            insights,
            {
                "page_impressions": "impressions",
                "page_impressions_unique": "reach",
                "page_post_engagements": "engagements",
            },
        )
        values["followers"] = int(self.get(page, token, fields="followers_count").get("followers_count", 0))
        return Metrics(values=values, collected_at=now_utc())

    # --- inbox: messages, unlike, blocking ---
    def send_message(
        self,
        credentials: ChannelCredentials,
        *,
        recipient_id: str,
        text: str = "",
        image_url: str = "",
        conversation_id: str = "",
        private_reply_to: str = "",
    ) -> PublishResult:
        """Send API: a Messenger message (text, or one image from `image_url`) to a page-scoped user id, or a
        private reply to a comment (`recipient.comment_id`). `messaging_type=RESPONSE`: an answer inside the 24 h
        window."""
        recipient = {"comment_id": private_reply_to} if private_reply_to else {"id": recipient_id}
        body = {"recipient": recipient, "message": self._message(text, image_url), "messaging_type": "RESPONSE"}
        data = self.post(f"{self._page(credentials)}/messages", credentials.access_token, body)
        return PublishResult(remote_id=str(data.get("message_id") or data["recipient_id"]), raw=data)

    def unlike(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.call("DELETE", f"{GRAPH}/{remote_id}/likes", params=self.auth(credentials.access_token))

    def block_user(self, credentials: ChannelCredentials, *, user_id: str) -> None:
        """Block a person from the page (Graph `POST /{page-id}/blocked`, a page-scoped user id)."""
        self.call_json(
            "POST",
            f"{GRAPH}/{self._page(credentials)}/blocked",
            params={**self.auth(credentials.access_token), "user": user_id},
        )

    def unblock_user(self, credentials: ChannelCredentials, *, user_id: str) -> None:
        self.call(
            "DELETE",
            f"{GRAPH}/{self._page(credentials)}/blocked",
            params={**self.auth(credentials.access_token), "user": user_id},
        )
