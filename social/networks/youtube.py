"""YouTube Data API v3 with Google OAuth (offline access, refresh tokens, revocation).

Uploads use the resumable protocol: POST .../upload/youtube/v3/videos?uploadType=resumable returns the session URI
(Location), the bytes go in chunks with Content-Range; 308 Resume Incomplete carries `Range: bytes=0-N` (the next
chunk starts at N+1); the final 200/201 returns the video. A chunk that times out or fails with 5xx is resumed by
asking the session for its state (`Content-Range: bytes */total`), at most `max_resumes` times; after that the
outcome is unknown (the last chunk may have completed the upload).

Reconciliation: find_published reads the channel's uploads playlist (1 quota unit, private videos included for the
owner) and matches the title exactly, or the description prefix, among videos added since the attempt started.
Reliable unless the same title is uploaded twice within that window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from social.networks import rules
from social.networks.base import (
    AuthExpired,
    ChannelCredentials,
    ConnectedAccount,
    FetchPage,
    InvalidContent,
    Metrics,
    NetworkError,
    NotFound,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    RemoteItem,
    TemporaryNetworkError,
    UnknownOutcome,
)
from social.networks.http import (
    MediaFile,
    day_bounds,
    error_for_status,
    fetch_kind_capability,
    now_utc,
    parse_time,
    safe_json,
)
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import OAuth2Adapter, token_set_from

API = "https://www.googleapis.com/youtube/v3"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
ANALYTICS = "https://youtubeanalytics.googleapis.com/v2/reports"

RATE_REASONS = {"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"}
AUTH_REASONS = {"authError", "unauthorized", "expired"}
PERMISSION_REASONS = {
    "forbidden",
    "insufficientPermissions",
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    "youtubeSignupRequired",
}
TEMPORARY_REASONS = {"backendError", "internalError", "serviceUnavailable"}


def seconds_until_quota_reset(now: datetime | None = None) -> int:
    """YouTube quotas reset at midnight Pacific time."""
    pacific = (now or now_utc()).astimezone(ZoneInfo("America/Los_Angeles"))
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((midnight - pacific).total_seconds())


class YouTubeAdapter(OAuth2Adapter):
    network = "youtube"
    rules = rules.YOUTUBE
    authorize_endpoint = "https://accounts.google.com/o/oauth2/v2/auth"
    token_endpoint = "https://oauth2.googleapis.com/token"
    revoke_endpoint = "https://oauth2.googleapis.com/revoke"
    authorize_extra = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    scopes = (
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    )
    media_hosts = ("ytimg.com", "ggpht.com", "googleusercontent.com")
    capabilities = frozenset(
        {
            "oauth",
            "refresh",
            "revoke",
            "publish",
            "first_comment",
            "delete",
            "find_published",
            "fetch_comments",
            "reply",
            "hide",
            "post_metrics",
            "channel_metrics",
        }
    )
    reconcile_reliability = "exact title (or description prefix) in the uploads playlist within the time window"
    chunk_size = 8 * 1024 * 1024  # a multiple of 256 KiB, as the resumable protocol requires
    max_resumes = 3

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):  # token endpoint errors ({"error": "invalid_grant"}) or no JSON
            return error_for_status(response, message=(body or {}).get("error_description", ""))
        reasons = {e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)}
        reasons.add(error.get("status", ""))
        message = error.get("message") or f"HTTP {response.status_code}"
        kwargs: dict[str, Any] = {"status_code": response.status_code, "response_body": body}
        if reasons & RATE_REASONS:
            retry = seconds_until_quota_reset() if "quotaExceeded" in reasons else None
            return RateLimited(message, retry_after=retry, **kwargs)
        if reasons & AUTH_REASONS or response.status_code == 401:
            return AuthExpired(message, **kwargs)
        if reasons & PERMISSION_REASONS:
            return PermissionMissing(message, **kwargs)
        if reasons & TEMPORARY_REASONS or response.status_code >= 500:
            return TemporaryNetworkError(message, **kwargs)
        if any(r.endswith("NotFound") for r in reasons) or response.status_code == 404:
            return NotFound(message, **kwargs)
        if any(r.startswith("invalid") for r in reasons) or response.status_code == 400:
            return InvalidContent(message, details={"network": sorted(r for r in reasons if r)}, **kwargs)
        return error_for_status(response, message=message)

    def api(self, method: str, path: str, credentials: ChannelCredentials | str, **kwargs: Any) -> dict:
        return self.call_json(method, f"{API}/{path}", headers=self.bearer(credentials), **kwargs)

    # --- OAuth ---
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        payload = self.code_tokens(code=code, redirect_uri=redirect_uri)
        data = self.api(
            "GET", "channels", payload["access_token"], params={"part": "snippet,contentDetails", "mine": "true"}
        )
        accounts = []
        for channel in data.get("items", []):
            snippet = channel.get("snippet", {})
            custom = snippet.get("customUrl", "")
            accounts.append(
                ConnectedAccount(
                    network="youtube",
                    external_id=channel["id"],
                    name=snippet.get("title", ""),
                    username=custom,
                    image_url=snippet.get("thumbnails", {}).get("default", {}).get("url", ""),
                    network_url=f"https://www.youtube.com/{custom}"
                    if custom
                    else f"https://www.youtube.com/channel/{channel['id']}",
                    tokens=token_set_from(payload, owner_id=channel["id"]),
                    extra={
                        "uploads_playlist": channel.get("contentDetails", {})
                        .get("relatedPlaylists", {})
                        .get("uploads", "")
                    },
                )
            )
        return accounts

    # --- publishing ---
    def video_resource(self, request: PublishRequest) -> dict:
        options = request.options
        snippet: dict[str, Any] = {
            "title": request.title,
            "description": request.text,
            "categoryId": str(options.get("categoryId", "22")),
        }
        if options.get("tags"):
            snippet["tags"] = list(options["tags"])
        return {
            "snippet": snippet,
            "status": {
                "privacyStatus": options.get("privacy", "public"),
                "selfDeclaredMadeForKids": bool(options.get("madeForKids", False)),
            },
        }

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        video = next((m for m in request.media if m.kind == "video"), None)
        if video is None:
            raise InvalidContent("YouTube posts need a video.", details={"media": ["videoRequired"]})
        with self.media_file(video) as media:
            try:
                response = self.call(
                    "POST",
                    UPLOAD,
                    params={"uploadType": "resumable", "part": "snippet,status"},
                    json=self.video_resource(request),
                    headers={
                        **self.bearer(credentials),
                        "X-Upload-Content-Length": str(media.size),
                        "X-Upload-Content-Type": video.mime_type,
                    },
                )
            except UnknownOutcome:  # a session without bytes creates no video: starting again is safe
                raise TemporaryNetworkError("YouTube did not answer when starting the upload.")
            session = response.headers.get("Location")
            if not session:
                raise TemporaryNetworkError("YouTube returned no upload session.", status_code=response.status_code)
            data = self.upload(credentials, session, media, video.mime_type)
        return PublishResult(remote_id=data["id"], url=f"https://www.youtube.com/watch?v={data['id']}", raw=data)

    def upload(self, credentials: ChannelCredentials, session: str, media: MediaFile, mime_type: str) -> dict:
        """Send the bytes to a resumable session; returns the created video resource."""
        offset, resumes = 0, 0
        headers = {**self.bearer(credentials), "Content-Type": mime_type}
        while True:
            if offset >= media.size:  # everything arrived but the session did not finish: ask once more
                response = self._session_state(credentials, session, media.size)
                if response.status_code in (200, 201):
                    return safe_json(response)
                raise UnknownOutcome("YouTube received every byte but did not confirm the video.")
            chunk = media.read(offset, self.chunk_size)
            content_range = f"bytes {offset}-{offset + len(chunk) - 1}/{media.size}"
            try:
                response = self.call("PUT", session, content=chunk, headers={**headers, "Content-Range": content_range})
            except (UnknownOutcome, TemporaryNetworkError):
                resumes += 1
                if resumes > self.max_resumes:
                    raise UnknownOutcome("YouTube upload interrupted; the video may exist.")
                response = self._session_state(credentials, session, media.size)
            if response.status_code in (200, 201):
                return safe_json(response)
            offset = self._next_offset(response)

    def _session_state(self, credentials: ChannelCredentials, session: str, size: int) -> httpx.Response:
        try:
            return self.call(
                "PUT", session, content=b"", headers={**self.bearer(credentials), "Content-Range": f"bytes */{size}"}
            )
        except (UnknownOutcome, TemporaryNetworkError):
            raise UnknownOutcome("YouTube upload interrupted and its state is unknown; the video may exist.")

    @staticmethod
    def _next_offset(response: httpx.Response) -> int:
        if response.status_code != 308:
            raise TemporaryNetworkError(f"Unexpected upload status {response.status_code}.")
        received = response.headers.get("Range", "")  # "bytes=0-524287"; absent: nothing received yet
        return int(received.rsplit("-", 1)[1]) + 1 if received else 0

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        body = {
            "snippet": {
                "channelId": credentials.external_id,
                "videoId": remote_id,
                "topLevelComment": {"snippet": {"textOriginal": text}},
            }
        }
        data = self.api("POST", "commentThreads", credentials, params={"part": "snippet"}, json=body)
        return PublishResult(remote_id=data["id"], raw=data)

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        body = {"snippet": {"parentId": remote_id, "textOriginal": text}}
        data = self.api("POST", "comments", credentials, params={"part": "snippet"}, json=body)
        return PublishResult(remote_id=data["id"], raw=data)

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        status = "heldForReview" if hidden else "published"
        self.api(
            "POST", "comments/setModerationStatus", credentials, params={"id": remote_id, "moderationStatus": status}
        )

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api("DELETE", "videos", credentials, params={"id": remote_id})

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, title or text)
        playlist = credentials.extra.get("uploads_playlist") or "UU" + credentials.external_id[2:]
        data = self.api(
            "GET",
            "playlistItems",
            credentials,
            params={"part": "snippet,contentDetails", "playlistId": playlist, "maxResults": 25},
        )
        for item in data.get("items", []):
            snippet = item.get("snippet", {})
            added = parse_time(snippet.get("publishedAt"))
            if not added or added < since:
                continue
            if (title and snippet.get("title") == title) or (text and same_text(text, snippet.get("description", ""))):
                video_id = item.get("contentDetails", {}).get("videoId") or snippet["resourceId"]["videoId"]
                return PublishResult(remote_id=video_id, url=f"https://www.youtube.com/watch?v={video_id}", raw=item)
        return None

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        self.require(fetch_kind_capability(kind))
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": credentials.external_id,
            "maxResults": 100,
            "order": "time",
            "textFormat": "plainText",
        }
        if cursor:
            params["pageToken"] = cursor
        data = self.api("GET", "commentThreads", credentials, params=params)
        items: list[RemoteItem] = []
        for thread in data.get("items", []):
            top = thread["snippet"]["topLevelComment"]
            video = thread["snippet"].get("videoId", "")
            items.append(self._item(top, video))
            items.extend(self._item(r, top["id"]) for r in thread.get("replies", {}).get("comments", []))
        return FetchPage(tuple(items), next_cursor=data.get("nextPageToken", ""))

    @staticmethod
    def _item(comment: dict, parent: str) -> RemoteItem:
        s = comment.get("snippet", {})
        return RemoteItem(
            remote_id=comment["id"],
            kind="comment",
            text=s.get("textOriginal") or s.get("textDisplay", ""),
            author_id=s.get("authorChannelId", {}).get("value", ""),
            author_name=s.get("authorDisplayName", ""),
            created_at=parse_time(s.get("publishedAt")) or now_utc(),
            parent_remote_id=parent,
            raw=comment,
        )

    # --- analytics ---
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        data = self.api("GET", "videos", credentials, params={"part": "statistics", "id": remote_id})
        if not data.get("items"):
            raise NotFound(f"Video {remote_id} not found.")
        stats = data["items"][0].get("statistics", {})
        values = {
            "videoViews": int(stats.get("viewCount", 0)),
            "likes": int(stats.get("likeCount", 0)),
            "comments": int(stats.get("commentCount", 0)),
        }
        values["engagements"] = values["likes"] + values["comments"]
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        start, _ = day_bounds(day)
        report = self.call_json(
            "GET",
            ANALYTICS,
            headers=self.bearer(credentials),
            params={
                "ids": "channel==MINE",
                "startDate": start.date().isoformat(),
                "endDate": start.date().isoformat(),
                "metrics": "views,likes,comments,shares,subscribersGained",
            },
        )
        names = [h["name"] for h in report.get("columnHeaders", [])]
        row = (report.get("rows") or [[0] * len(names)])[0]
        daily = dict(zip(names, row, strict=False))
        values = {
            "videoViews": int(daily.get("views", 0)),
            "likes": int(daily.get("likes", 0)),
            "comments": int(daily.get("comments", 0)),
            "shares": int(daily.get("shares", 0)),
        }
        values["engagements"] = values["likes"] + values["comments"] + values["shares"]
        stats = self.api("GET", "channels", credentials, params={"part": "statistics", "id": credentials.external_id})
        items = stats.get("items") or [{}]
        values["followers"] = int(items[0].get("statistics", {}).get("subscriberCount", 0))
        return Metrics(values=values, collected_at=now_utc())
