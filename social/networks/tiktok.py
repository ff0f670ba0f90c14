"""TikTok: Login Kit v2 with PKCE (S256) and the Content Posting API (direct post).

Publishing: creator_info/query first (the privacy level must be one the creator offers, and TikTok requires the
user to choose it: `options["privacyLevel"]`, no default), then video/init (FILE_UPLOAD with chunked PUTs when the
file is in our storage, PULL_FROM_URL otherwise, which needs the URL's domain verified in the TikTok app) or
content/init for photo posts (PULL_FROM_URL only), then status/fetch polling until PUBLISH_COMPLETE.
The remote id is the public post id when TikTok reports one, else `publish:<publish_id>` (private accounts).

TikTok's API offers no comments, likes, hiding or deletion: those raise NotSupported.
Reconciliation: /v2/video/list/ (video.list scope) since the attempt started, matching the caption prefix.
Reliable for public videos; posts still processing or private may not be listed yet (call again later).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from social.networks import rules
from social.networks.base import (
    AuthExpired,
    ChannelCredentials,
    ConnectedAccount,
    InvalidContent,
    MediaItem,
    Metrics,
    NetworkError,
    NotFound,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    TemporaryNetworkError,
)
from social.networks.http import error_for_status, now_utc, parse_time, safe_json
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import OAuth2Adapter, token_set_from

API = "https://open.tiktokapis.com/v2"
AUTH_CODES = {"access_token_invalid", "token_not_authorized_for_specified_purpose"}
PERMISSION_CODES = {"scope_not_authorized", "scope_permission_missed", "spam_risk_user_banned_from_posting"}
RATE_CODES = {
    "rate_limit_exceeded",
    "spam_risk_too_many_posts",
    "spam_risk_too_many_pending_share",
    "reached_active_user_cap",
}
INVALID_CODES = {
    "invalid_params",
    "unaudited_client_can_only_post_to_private_accounts",
    "privacy_level_option_mismatch",
    "url_ownership_unverified",
    "invalid_file_upload",
    "file_format_check_failed",
    "duration_check_failed",
    "frame_rate_check_failed",
    "picture_size_check_failed",
    "spam_risk_text",
}
MIN_CHUNK = 5 * 1024 * 1024


def chunk_plan(size: int, chunk_size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) as TikTok computes them: files under the chunk size go in one chunk, and
    the last chunk absorbs the remainder."""
    if size <= max(chunk_size, MIN_CHUNK):
        return size, 1
    return chunk_size, size // chunk_size


class TikTokAdapter(OAuth2Adapter):
    network = "tiktok"
    rules = rules.TIKTOK
    uses_pkce = True
    client_id_param = "client_key"
    scope_separator = ","
    authorize_endpoint = "https://www.tiktok.com/v2/auth/authorize/"
    token_endpoint = f"{API}/oauth/token/"
    revoke_endpoint = f"{API}/oauth/revoke/"
    scopes = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish", "video.upload", "video.list")
    media_hosts = ("tiktokcdn.com", "tiktokcdn-us.com")
    capabilities = frozenset(
        {"oauth", "refresh", "revoke", "publish", "find_published", "post_metrics", "channel_metrics"}
    )
    reconcile_reliability = "caption prefix in /v2/video/list/ within the time window (public videos)"
    chunk_size = 10 * 1024 * 1024

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):  # OAuth endpoints: {"error": "invalid_grant", "error_description": ...}
            return error_for_status(response, message=(body or {}).get("error_description", ""))
        return self._api_error(error.get("code", ""), error.get("message", ""), response.status_code, body) or (
            error_for_status(response, message=error.get("message", ""))
        )

    @staticmethod
    def _api_error(code: str, message: str, status: int | None, body: Any) -> NetworkError | None:
        message = message or code
        kwargs: dict[str, Any] = {"status_code": status, "response_body": body}
        if code in AUTH_CODES:
            return AuthExpired(message, **kwargs)
        if code in PERMISSION_CODES:
            return PermissionMissing(message, **kwargs)
        if code in RATE_CODES:
            return RateLimited(message, **kwargs)
        if code in INVALID_CODES:
            return InvalidContent(message, details={"network": [code]}, **kwargs)
        if code == "internal_error":
            return TemporaryNetworkError(message, **kwargs)
        return None

    def api(self, method: str, path: str, credentials: ChannelCredentials | str, **kwargs: Any) -> dict:
        """TikTok answers {"data": ..., "error": {"code": "ok"}}: a non-ok code is an error even with HTTP 200."""
        body = self.call_json(method, f"{API}/{path}", headers=self.bearer(credentials), **kwargs)
        error = body.get("error") or {}
        if error.get("code", "ok") != "ok":
            raise self._api_error(error["code"], error.get("message", ""), 200, body) or InvalidContent(
                error.get("message") or error["code"], response_body=body
            )
        return body.get("data") or {}

    # --- OAuth ---
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        payload = self.code_tokens(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        user = self.api(
            "GET",
            "user/info/",
            payload["access_token"],
            params={"fields": "open_id,union_id,avatar_url,display_name,username,profile_deep_link"},
        )["user"]
        username = user.get("username", "")
        return [
            ConnectedAccount(
                network="tiktok",
                external_id=str(user.get("open_id") or payload["open_id"]),
                name=user.get("display_name", ""),
                username=username,
                image_url=user.get("avatar_url", ""),
                network_url=user.get("profile_deep_link")
                or (f"https://www.tiktok.com/@{username}" if username else ""),
                tokens=token_set_from(payload, owner_id=str(payload.get("open_id", ""))),
            )
        ]

    # --- publishing ---
    def post_info(self, request: PublishRequest, creator: dict, *, photo: bool) -> dict:
        options = request.options
        privacy = options.get("privacyLevel")
        offered = creator.get("privacy_level_options", [])
        if privacy not in offered:
            raise InvalidContent(
                "Choose a TikTok privacy level this account offers.", details={"privacyLevel": list(offered)}
            )
        info: dict[str, Any] = {
            "privacy_level": privacy,
            "disable_comment": not options.get("allowComments", True) or bool(creator.get("comment_disabled")),
            "brand_content_toggle": bool(options.get("isBrandedContent", False)),
            "brand_organic_toggle": bool(options.get("isBrandOrganic", False)),
        }
        if photo:
            info.update({"title": request.title, "description": request.text, "auto_add_music": True})
        else:
            info.update(
                {
                    "title": request.text,
                    "disable_duet": not options.get("allowDuet", True) or bool(creator.get("duet_disabled")),
                    "disable_stitch": not options.get("allowStitch", True) or bool(creator.get("stitch_disabled")),
                }
            )
        return info

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        creator = self.api("POST", "post/publish/creator_info/query/", credentials, json={})
        video = next((m for m in request.media if m.kind == "video"), None)
        if video is not None:
            limit = creator.get("max_video_post_duration_sec")
            if limit and video.duration_seconds and video.duration_seconds > limit:
                raise InvalidContent(
                    f"This account can post videos up to {limit} s.", details={"media": ["videoTooLong"]}
                )
            publish_id = self._video(credentials, request, video, creator)
        else:
            images = [m.url for m in request.media if m.kind == "image"]
            if not images:
                raise InvalidContent("TikTok posts need a video or photos.", details={"media": ["mediaRequired"]})
            body = {
                "post_info": self.post_info(request, creator, photo=True),
                "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": images},
                "post_mode": "DIRECT_POST",
                "media_type": "PHOTO",
            }
            publish_id = self.api("POST", "post/publish/content/init/", credentials, json=body)["publish_id"]
        status = self.poll(
            lambda: self.api("POST", "post/publish/status/fetch/", credentials, json={"publish_id": publish_id}),
            self._finished,
            what=f"TikTok publish {publish_id}",
        )
        public_ids = status.get("publicaly_available_post_id") or []  # (sic) TikTok's field name
        username = creator.get("creator_username", "")
        if public_ids:
            remote_id = str(public_ids[0])
            url = f"https://www.tiktok.com/@{username}/{'photo' if video is None else 'video'}/{remote_id}"
        else:
            remote_id, url = f"publish:{publish_id}", ""
        return PublishResult(remote_id=remote_id, url=url, request_id=publish_id, raw=status)

    def _video(self, credentials: ChannelCredentials, request: PublishRequest, video: MediaItem, creator: dict) -> str:
        post_info = self.post_info(request, creator, photo=False)
        if not video.local_path:
            body = {"post_info": post_info, "source_info": {"source": "PULL_FROM_URL", "video_url": video.url}}
            return self.api("POST", "post/publish/video/init/", credentials, json=body)["publish_id"]
        with self.media_file(video) as media:
            chunk_size, count = chunk_plan(media.size, self.chunk_size)
            source = {
                "source": "FILE_UPLOAD",
                "video_size": media.size,
                "chunk_size": chunk_size,
                "total_chunk_count": count,
            }
            data = self.api(
                "POST", "post/publish/video/init/", credentials, json={"post_info": post_info, "source_info": source}
            )
            for index in range(count):
                start = index * chunk_size
                length = media.size - start if index == count - 1 else chunk_size
                self.call(
                    "PUT",
                    data["upload_url"],
                    content=media.read(start, length),
                    headers={
                        "Content-Type": video.mime_type,
                        "Content-Range": f"bytes {start}-{start + length - 1}/{media.size}",
                    },
                )
        return data["publish_id"]

    @staticmethod
    def _finished(status: dict) -> bool:
        if status.get("status") == "FAILED":
            reason = status.get("fail_reason", "failed")
            raise InvalidContent(
                f"TikTok could not publish: {reason}.", details={"media": [reason]}, response_body=status
            )
        return status.get("status") == "PUBLISH_COMPLETE"

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, text or title)
        data = self.api(
            "POST",
            "video/list/",
            credentials,
            params={"fields": "id,title,video_description,create_time,share_url"},
            json={"max_count": 20},
        )
        for video in data.get("videos", []):
            created = parse_time(video.get("create_time"))
            caption = video.get("video_description") or video.get("title", "")
            if created and created >= since and same_text(text or title, caption):
                return PublishResult(remote_id=str(video["id"]), url=video.get("share_url", ""), raw=video)
        return None

    # --- analytics ---
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        if remote_id.startswith("publish:"):
            raise NotFound("This TikTok post has no public id (private account); it has no metrics.")
        data = self.api(
            "POST",
            "video/query/",
            credentials,
            params={"fields": "id,like_count,comment_count,share_count,view_count"},
            json={"filters": {"video_ids": [remote_id]}},
        )
        videos = data.get("videos") or []
        if not videos:
            raise NotFound(f"TikTok video {remote_id} not found.")
        v = videos[0]
        values = {
            "videoViews": int(v.get("view_count", 0)),
            "likes": int(v.get("like_count", 0)),
            "comments": int(v.get("comment_count", 0)),
            "shares": int(v.get("share_count", 0)),
        }
        values["engagements"] = values["likes"] + values["comments"] + values["shares"]
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        """TikTok reports only current counters, whatever the day asked for."""
        user = self.api("GET", "user/info/", credentials, params={"fields": "follower_count,likes_count,video_count"})
        user = user.get("user", {})
        return Metrics(
            values={"followers": int(user.get("follower_count", 0)), "likes": int(user.get("likes_count", 0))},
            collected_at=now_utc(),
        )
