"""bit.ly v4 API: shorten one URL with the tenant's own access token (shortener mode OWN)."""

from __future__ import annotations

import httpx
from django.conf import settings

API_URL = "https://api-ssl.bitly.com/v4/shorten"


class BitlyError(Exception):
    """bit.ly refused or could not be reached; `status_code` is None for network failures."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def shorten(long_url: str, *, access_token: str, group_guid: str = "") -> str:
    """Return the bit.ly link for `long_url` (bit.ly answers 200 for an existing link, 201 for a new one)."""
    body = {"long_url": long_url}
    if group_guid:
        body["group_guid"] = group_guid
    try:
        response = httpx.post(
            API_URL,
            json=body,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.NETWORK_HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise BitlyError(f"bit.ly could not be reached: {exc}") from exc
    if response.status_code not in (200, 201):
        try:
            description = response.json().get("description") or response.json().get("message", "")
        except ValueError:
            description = response.text[:200]
        raise BitlyError(f"bit.ly refused the link: {description}", status_code=response.status_code)
    link = response.json().get("link")
    if not link:
        raise BitlyError("bit.ly answered without a link.", status_code=response.status_code)
    return link
