"""LinkedIn: OAuth 2 (3-legged), the versioned REST Posts API (api.linkedin.com/rest, LinkedIn-Version YYYYMM,
X-Restli-Protocol-Version 2.0.0), Images and Videos API uploads, socialActions comments, organization ACLs.

A grant reaches the member (urn:li:person) and the organizations they administer (urn:li:organization); one token
serves them all, so revoking it for one channel would disconnect the others: `revoke` is not offered.

Reconciliation: posts carry no metadata of ours; find_published lists the author's posts (q=author) and matches
the commentary prefix among those created since the attempt started. Reliable unless the same text is posted twice
in the window. Post metrics exist for organization posts only (organizationalEntityShareStatistics).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from social.networks import rules
from social.networks.base import (
    ChannelCredentials,
    ConnectedAccount,
    FetchPage,
    InvalidContent,
    LookupResult,
    MediaItem,
    Metrics,
    NetworkError,
    NotSupported,
    PublishRequest,
    PublishResult,
    RemoteItem,
)
from social.networks.http import error_for_status, fetch_kind_capability, now_utc, parse_time, safe_json
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import OAuth2Adapter, token_set_from

REST = "https://api.linkedin.com/rest"
LINKEDIN_VERSION = "202410"
# Reserved characters of LinkedIn's "little" text format: escaped so the commentary shows as typed.
_LITTLE_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_commentary(text: str) -> str:
    return _LITTLE_RESERVED.sub(r"\\\1", text)


def unescape_commentary(text: str) -> str:
    return re.sub(r"\\([\\|{}@\[\]()<>#*_~])", r"\1", text)


def urn_path(urn: str) -> str:
    return quote(urn, safe="")


class LinkedInAdapter(OAuth2Adapter):
    network = "linkedin"
    rules = rules.LINKEDIN
    authorize_endpoint = "https://www.linkedin.com/oauth/v2/authorization"
    token_endpoint = "https://www.linkedin.com/oauth/v2/accessToken"
    scopes = (
        "openid",
        "profile",
        "w_member_social",
        "r_organization_admin",
        "w_organization_social",
        "r_organization_social",
        "rw_organization_admin",
    )
    media_hosts = ("licdn.com",)
    capabilities = frozenset(
        {
            "oauth",
            "refresh",
            "publish",
            "first_comment",
            "delete",
            "find_published",
            "fetch_comments",
            "reply",
            "like",
            "post_metrics",
            "channel_metrics",
        }
    )
    lookups = frozenset({"mentions"})
    reconcile_reliability = "commentary prefix within the time window (no metadata on posts)"
    headers: ClassVar[dict[str, str]] = {"LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0"}

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        body = body if isinstance(body, dict) else {}
        message = body.get("message") or body.get("error_description") or ""
        details = None
        if body.get("errorDetails"):
            details = {"network": [str(e.get("message", e)) for e in body["errorDetails"].get("inputErrors", [])]}
        return error_for_status(response, message=message, details=details)

    def api(self, method: str, path: str, credentials: ChannelCredentials | str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **self.bearer(credentials), **kwargs.pop("headers", {})}
        return self.call(method, f"{REST}/{path}", headers=headers, **kwargs)

    def api_json(self, method: str, path: str, credentials: ChannelCredentials | str, **kwargs: Any) -> dict:
        response = self.api(method, path, credentials, **kwargs)
        return safe_json(response) if response.content else {}

    # --- composer pickers ---
    def lookup_mentions(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """The organization with this vanity name (GET /rest/organizations?q=vanityName): mention it in commentary as
        `@[Name](urn:li:organization:ID)`. LinkedIn offers apps no people search, so people cannot be suggested."""
        vanity = query.strip().lstrip("@").lower()
        if not vanity:
            return []
        data = self.api_json("GET", "organizations", credentials, params={"q": "vanityName", "vanityName": vanity})
        return [
            LookupResult(
                id=f"urn:li:organization:{org['id']}",
                name=org.get("localizedName", ""),
                extra={"vanityName": org.get("vanityName", vanity)},
            )
            for org in data.get("elements", [])
        ]

    @staticmethod
    def author(credentials: ChannelCredentials) -> str:
        if credentials.extra.get("author_urn"):
            return credentials.extra["author_urn"]
        return f"urn:li:person:{credentials.external_id}"

    # --- OAuth ---
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        payload = self.code_tokens(code=code, redirect_uri=redirect_uri)
        token = payload["access_token"]
        me = self.call_json("GET", "https://api.linkedin.com/v2/userinfo", headers=self.bearer(token))
        tokens = token_set_from(payload, owner_id=str(me["sub"]))
        person_urn = f"urn:li:person:{me['sub']}"
        accounts = [
            ConnectedAccount(
                network="linkedin",
                external_id=str(me["sub"]),
                name=me.get("name", ""),
                image_url=me.get("picture", ""),
                tokens=tokens,
                extra={"author_urn": person_urn, "kind": "person"},
            )
        ]
        acls = self.api_json(
            "GET",
            "organizationAcls",
            token,
            params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED", "count": 100},
        )
        for acl in acls.get("elements", []):
            org_urn = acl["organization"]
            org_id = org_urn.rsplit(":", 1)[-1]
            org = self.api_json("GET", f"organizations/{org_id}", token)
            vanity = org.get("vanityName", "")
            accounts.append(
                ConnectedAccount(
                    network="linkedin",
                    external_id=org_id,
                    name=org.get("localizedName", vanity or org_id),
                    username=vanity,
                    network_url=f"https://www.linkedin.com/company/{vanity or org_id}/",
                    tokens=tokens,
                    extra={"author_urn": org_urn, "kind": "organization"},
                )
            )
        return accounts

    # --- publishing ---
    def upload_image(self, credentials: ChannelCredentials, item: MediaItem) -> str:
        init = self.api_json(
            "POST",
            "images",
            credentials,
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": self.author(credentials)}},
        )["value"]
        with self.media_file(item) as media:
            self.call(
                "PUT",
                init["uploadUrl"],
                content=media.read(),
                headers={**self.bearer(credentials), "Content-Type": item.mime_type},
            )
        return init["image"]

    def post_body(self, credentials: ChannelCredentials, request: PublishRequest, image_urns: list[str]) -> dict:
        body: dict[str, Any] = {
            "author": self.author(credentials),
            "commentary": escape_commentary(request.text),
            "visibility": request.options.get("visibility", "PUBLIC"),
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [m for m in request.media if m.kind in ("image", "animation")]
        if len(image_urns) == 1:
            body["content"] = {"media": {"id": image_urns[0], "altText": images[0].alt_text}}
        elif image_urns:
            body["content"] = {
                "multiImage": {
                    "images": [
                        {"id": urn, "altText": item.alt_text} for urn, item in zip(image_urns, images, strict=True)
                    ]
                }
            }
        elif request.link:
            article: dict[str, Any] = {"source": request.link}
            if request.link_title:
                article["title"] = request.link_title
            if request.link_description:
                article["description"] = request.link_description
            body["content"] = {"article": article}
        return body

    def upload_video(self, credentials: ChannelCredentials, item: MediaItem) -> str:
        """Videos API: initializeUpload gives byte ranges to PUT; each part's ETag goes to finalizeUpload; the video
        is then polled until AVAILABLE (posting a video still processing fails)."""
        with self.media_file(item) as media:
            init = self.api_json(
                "POST",
                "videos",
                credentials,
                params={"action": "initializeUpload"},
                json={
                    "initializeUploadRequest": {
                        "owner": self.author(credentials),
                        "fileSizeBytes": media.size,
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
            )["value"]
            etags = []
            for part in init["uploadInstructions"]:
                first, last = int(part["firstByte"]), int(part["lastByte"])
                response = self.call(
                    "PUT",
                    part["uploadUrl"],
                    content=media.read(first, last - first + 1),
                    headers={"Content-Type": "application/octet-stream"},
                )
                etags.append(response.headers.get("etag", ""))
        video = init["video"]
        self.api(
            "POST",
            "videos",
            credentials,
            params={"action": "finalizeUpload"},
            json={
                "finalizeUploadRequest": {
                    "video": video,
                    "uploadToken": init.get("uploadToken", ""),
                    "uploadedPartIds": etags,
                }
            },
        )

        def done(data: dict) -> bool:
            if data.get("status") == "PROCESSING_FAILED":
                raise InvalidContent("LinkedIn could not process the video.", details={"media": ["PROCESSING_FAILED"]})
            return data.get("status") == "AVAILABLE"

        self.poll(lambda: self.api_json("GET", f"videos/{urn_path(video)}", credentials), done, what=f"video {video}")
        return video

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        urns = [self.upload_image(credentials, m) for m in request.media if m.kind in ("image", "animation")]
        body = self.post_body(credentials, request, urns)
        video = next((m for m in request.media if m.kind == "video"), None)
        if video is not None:
            body["content"] = {"media": {"id": self.upload_video(credentials, video), "title": request.title}}
        response = self.api("POST", "posts", credentials, json=body)
        post_urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id", "")
        if not post_urn:
            raise InvalidContent("LinkedIn accepted the post but returned no id.", response_body=safe_json(response))
        return PublishResult(
            remote_id=post_urn,
            url=f"https://www.linkedin.com/feed/update/{post_urn}/",
            request_id=response.headers.get("x-li-uuid", ""),
        )

    def _comment(self, credentials: ChannelCredentials, target: str, text: str, parent: str = "") -> PublishResult:
        body: dict[str, Any] = {"actor": self.author(credentials), "object": target, "message": {"text": text}}
        if parent:
            body["parentComment"] = parent
        path = f"socialActions/{urn_path(parent or target)}/comments"
        response = self.api("POST", path, credentials, json=body)
        data = safe_json(response) if response.content else {}
        remote_id = response.headers.get("x-restli-id") or data.get("$URN") or str(data.get("id", ""))
        return PublishResult(remote_id=remote_id, raw=data if isinstance(data, dict) else {})

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self._comment(credentials, remote_id, text)

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        """`remote_id` is a comment URN (urn:li:comment:(urn:li:activity:1,2)); the reply nests under it."""
        match = re.match(r"urn:li:comment:\((.+),\d+\)$", remote_id)
        if not match:
            raise InvalidContent("Not a LinkedIn comment URN.", details={"remoteId": [remote_id]})
        return self._comment(credentials, match.group(1), text, parent=remote_id)

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api("DELETE", f"posts/{urn_path(remote_id)}", credentials, headers={"X-RestLi-Method": "DELETE"})

    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api(
            "POST",
            "reactions",
            credentials,
            params={"actor": self.author(credentials)},
            json={"root": remote_id, "reactionType": "LIKE"},
        )

    def _recent_posts(self, credentials: ChannelCredentials, *, start: int = 0, count: int = 20) -> dict:
        return self.api_json(
            "GET",
            "posts",
            credentials,
            params={"q": "author", "author": self.author(credentials), "count": count, "start": start},
            headers={"X-RestLi-Method": "FINDER"},
        )

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, text)
        for post in self._recent_posts(credentials).get("elements", []):
            created = parse_time((post.get("createdAt") or 0) / 1000)
            if created and created >= since and same_text(text, unescape_commentary(post.get("commentary", ""))):
                return PublishResult(
                    remote_id=post["id"], url=f"https://www.linkedin.com/feed/update/{post['id']}/", raw=post
                )
        return None

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        """Comments on the author's 10 most recent posts from `cursor` (a post offset)."""
        self.require(fetch_kind_capability(kind))
        start = int(cursor or 0)
        posts = self._recent_posts(credentials, start=start, count=10).get("elements", [])
        items: list[RemoteItem] = []
        for post in posts:
            data = self.api_json("GET", f"socialActions/{urn_path(post['id'])}/comments", credentials)
            for c in data.get("elements", []):
                items.append(
                    RemoteItem(
                        remote_id=c.get("$URN") or str(c.get("id")),
                        kind="comment",
                        text=c.get("message", {}).get("text", ""),
                        author_id=c.get("actor", ""),
                        author_name="",
                        created_at=parse_time(c.get("created", {}).get("time", 0) / 1000) or now_utc(),
                        parent_remote_id=post["id"],
                        raw=c,
                    )
                )
        return FetchPage(tuple(items), next_cursor=str(start + len(posts)) if len(posts) == 10 else "")

    def _organization(self, credentials: ChannelCredentials) -> str:
        author = self.author(credentials)
        if not author.startswith("urn:li:organization:"):
            raise NotSupported("LinkedIn offers statistics for organization pages only.")
        return author

    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        org = self._organization(credentials)
        key = "ugcPosts" if remote_id.startswith("urn:li:ugcPost:") else "shares"
        data = self.api_json(
            "GET",
            "organizationalEntityShareStatistics",
            credentials,
            params={"q": "organizationalEntity", "organizationalEntity": org, f"{key}[0]": remote_id},
        )
        elements = data.get("elements") or [{}]
        stats = elements[0].get("totalShareStatistics", {})
        values = {
            "impressions": int(stats.get("impressionCount", 0)),
            "reach": int(stats.get("uniqueImpressionsCount", 0)),
            "clicks": int(stats.get("clickCount", 0)),
            "likes": int(stats.get("likeCount", 0)),
            "comments": int(stats.get("commentCount", 0)),
            "shares": int(stats.get("shareCount", 0)),
        }
        values["engagements"] = values["clicks"] + values["likes"] + values["comments"] + values["shares"]
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        """Current follower count of the organization (LinkedIn gives no per-day size)."""
        org = self._organization(credentials)
        data = self.api_json(
            "GET", f"networkSizes/{urn_path(org)}", credentials, params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
        )
        return Metrics(values={"followers": int(data.get("firstDegreeSize", 0))}, collected_at=now_utc())
