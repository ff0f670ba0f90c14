"""Pinterest API v5: OAuth (token endpoint with HTTP Basic client auth), pins, boards, analytics.

Pins are created on `options["boardId"]` (optional `boardSectionId`): one image (image_url), up to 5 images
(multiple_image_urls) or a video (registered with POST /v5/media, uploaded to the returned upload_url, polled until
`succeeded`, then video_id with a cover image). Pinterest has no API for comments, replies, likes or hiding.

Reconciliation is exact: the pin's private `note` (visible to the owner only) carries our correlation id, and
find_published lists the board's pins looking for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from social.networks import rules
from social.networks.base import (
    ChannelCredentials,
    ConnectedAccount,
    InvalidContent,
    LookupResult,
    MediaItem,
    Metrics,
    NetworkError,
    PublishRequest,
    PublishResult,
)
from social.networks.http import day_bounds, error_for_status, now_utc, safe_json
from social.networks.oauth2 import OAuth2Adapter, token_set_from

API = "https://api.pinterest.com/v5"
NOTE_PREFIX = "hubbub:"


class PinterestAdapter(OAuth2Adapter):
    network = "pinterest"
    rules = rules.PINTEREST
    authorize_endpoint = "https://www.pinterest.com/oauth/"
    token_endpoint = f"{API}/oauth/token"
    token_client_auth = "basic"
    client_id_in_form = False
    scope_separator = ","
    scopes = ("boards:read", "pins:read", "pins:write", "user_accounts:read")
    media_hosts = ("pinimg.com",)
    capabilities = frozenset(
        {"oauth", "refresh", "publish", "delete", "find_published", "post_metrics", "channel_metrics"}
    )
    lookups = frozenset({"boards", "board-sections"})
    reconcile_reliability = "exact: correlation id in the pin's private note"

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        message = (body.get("message") or body.get("error_description") or "") if isinstance(body, dict) else ""
        return error_for_status(response, message=message, details={"network": [message]} if message else None)

    def api(self, method: str, path: str, credentials: ChannelCredentials | str, **kwargs: Any) -> dict:
        return self.call_json(method, f"{API}/{path}", headers=self.bearer(credentials), **kwargs)

    # --- OAuth ---
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        payload = self.code_tokens(code=code, redirect_uri=redirect_uri)
        user = self.api("GET", "user_account", payload["access_token"])
        username = user.get("username", "")
        external_id = str(user.get("id") or username)
        return [
            ConnectedAccount(
                network="pinterest",
                external_id=external_id,
                name=user.get("business_name") or username,
                username=username,
                image_url=user.get("profile_image", ""),
                network_url=f"https://www.pinterest.com/{username}/" if username else "",
                tokens=token_set_from(payload, owner_id=external_id),
            )
        ]

    # --- composer pickers ---
    def _paged(self, path: str, credentials: ChannelCredentials, *, limit: int = 1000) -> list[dict]:
        """Every item of a v5 list (`items` + `bookmark` paging), at most `limit`."""
        items: list[dict] = []
        params: dict[str, Any] = {"page_size": 100}
        while True:
            data = self.api("GET", path, credentials, params=params)
            items.extend(data.get("items", []))
            if not data.get("bookmark") or len(items) >= limit:
                return items[:limit]
            params["bookmark"] = data["bookmark"]

    def lookup_boards(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """The account's boards (GET /v5/boards), those whose name contains `query`."""
        return [
            LookupResult(id=str(board["id"]), name=board.get("name", ""), extra={"privacy": board.get("privacy", "")})
            for board in self._paged("boards", credentials)
            if query.casefold() in (board.get("name") or "").casefold()
        ]

    def lookup_board_sections(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """The sections of board `parent` (GET /v5/boards/{board_id}/sections)."""
        if not parent:
            raise InvalidContent("A board id is required.", details={"parent": ["The board whose sections to list."]})
        return [
            LookupResult(id=str(section["id"]), name=section.get("name", ""))
            for section in self._paged(f"boards/{parent}/sections", credentials)
            if query.casefold() in (section.get("name") or "").casefold()
        ]

    # --- publishing ---
    def upload_video(self, credentials: ChannelCredentials, item: MediaItem) -> str:
        registered = self.api("POST", "media", credentials, json={"media_type": "video"})
        with self.media_file(item) as media:
            self.call(
                "POST",
                registered["upload_url"],
                data=registered.get("upload_parameters", {}),
                files={"file": ("video", media.read(), item.mime_type)},
            )
        media_id = str(registered["media_id"])

        def done(data: dict) -> bool:
            if data.get("status") == "failed":
                raise InvalidContent("Pinterest could not process the video.", details={"media": ["failed"]})
            return data.get("status") == "succeeded"

        self.poll(lambda: self.api("GET", f"media/{media_id}", credentials), done, what=f"video {media_id}")
        return media_id

    def media_source(self, credentials: ChannelCredentials, request: PublishRequest) -> dict:
        video = next((m for m in request.media if m.kind == "video"), None)
        images = [m for m in request.media if m.kind == "image"]
        if video is not None:
            cover = request.options.get("coverImageUrl") or (images[0].url if images else "")
            if not cover:
                raise InvalidContent("A video pin needs a cover image.", details={"media": ["coverImageRequired"]})
            return {
                "source_type": "video_id",
                "media_id": self.upload_video(credentials, video),
                "cover_image_url": cover,
            }
        if len(images) == 1:
            return {"source_type": "image_url", "url": images[0].url}
        if images:
            return {"source_type": "multiple_image_urls", "items": [{"url": m.url} for m in images]}
        raise InvalidContent("A pin needs an image or a video.", details={"media": ["mediaRequired"]})

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        board = request.options.get("boardId")
        if not board:
            raise InvalidContent("Choose a Pinterest board.", details={"boardId": ["required"]})
        body: dict[str, Any] = {
            "board_id": str(board),
            "title": request.title,
            "description": request.text,
            "note": f"{NOTE_PREFIX}{request.correlation_id}",
            "media_source": self.media_source(credentials, request),
        }
        if request.options.get("boardSectionId"):
            body["board_section_id"] = str(request.options["boardSectionId"])
        if request.link:
            body["link"] = request.link
        alt = next((m.alt_text for m in request.media if m.alt_text), "")
        if alt:
            body["alt_text"] = alt[:500]
        data = self.api("POST", "pins", credentials, json=body)
        return PublishResult(remote_id=str(data["id"]), url=f"https://www.pinterest.com/pin/{data['id']}/", raw=data)

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api("DELETE", f"pins/{remote_id}", credentials)

    def find_published(
        self,
        credentials: ChannelCredentials,
        *,
        correlation_id: str,
        since: datetime,
        text: str = "",
        title: str = "",
        board_id: str = "",
    ) -> PublishResult | None:
        """Pins are listed per board when `board_id` is given (the post's board), else across the account."""
        path = f"boards/{board_id}/pins" if board_id else "pins"
        data = self.api("GET", path, credentials, params={"page_size": 50})
        for pin in data.get("items", []):
            if pin.get("note") == f"{NOTE_PREFIX}{correlation_id}":
                return PublishResult(
                    remote_id=str(pin["id"]), url=f"https://www.pinterest.com/pin/{pin['id']}/", raw=pin
                )
        return None

    # --- analytics ---
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        today = now_utc().date()
        data = self.api(
            "GET",
            f"pins/{remote_id}/analytics",
            credentials,
            params={
                "start_date": (today - timedelta(days=89)).isoformat(),  # the API looks back 90 days at most
                "end_date": today.isoformat(),
                "metric_types": "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK",
            },
        )
        summary = data.get("all", {}).get("summary_metrics", {})
        values = {
            "impressions": int(summary.get("IMPRESSION", 0)),
            "shares": int(summary.get("SAVE", 0)),
            "clicks": int(summary.get("PIN_CLICK", 0)) + int(summary.get("OUTBOUND_CLICK", 0)),
        }
        values["engagements"] = values["shares"] + values["clicks"]
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        start, _ = day_bounds(day)
        data = self.api(
            "GET",
            "user_account/analytics",
            credentials,
            params={
                "start_date": start.date().isoformat(),
                "end_date": start.date().isoformat(),
                "metric_types": "IMPRESSION,ENGAGEMENT,SAVE,PIN_CLICK,OUTBOUND_CLICK",
            },
        )
        summary = data.get("all", {}).get("summary_metrics", {})
        values = {
            "impressions": int(summary.get("IMPRESSION", 0)),
            "engagements": int(summary.get("ENGAGEMENT", 0)),
            "shares": int(summary.get("SAVE", 0)),
            "clicks": int(summary.get("PIN_CLICK", 0)) + int(summary.get("OUTBOUND_CLICK", 0)),
        }
        return Metrics(values=values, collected_at=now_utc())
