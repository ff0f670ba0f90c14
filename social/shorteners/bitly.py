"""bit.ly: OAuth 2 connect of the tenant's own account, and the v4 API to shorten one URL with its token (shortener
mode OWN). bit.ly tokens do not expire and have no refresh token."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from django.conf import settings

API_URL = "https://api-ssl.bitly.com/v4/shorten"
AUTHORIZE_URL = "https://bitly.com/oauth/authorize"
TOKEN_URL = "https://api-ssl.bitly.com/oauth/access_token"
USER_URL = "https://api-ssl.bitly.com/v4/user"


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


def authorize_url(*, redirect_uri: str, state: str) -> str:
    query = urlencode({"client_id": settings.BITLY_APP["client_id"], "redirect_uri": redirect_uri, "state": state})
    return f"{AUTHORIZE_URL}?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> tuple[str, str]:
    """The account's access token and default group for an authorization `code` (POST /oauth/access_token, asked
    for JSON: bit.ly answers form-encoded otherwise, and with 200 plus an error body for a bad code)."""
    form = {**settings.BITLY_APP, "code": code, "redirect_uri": redirect_uri}
    try:
        response = httpx.post(
            TOKEN_URL, data=form, headers={"Accept": "application/json"}, timeout=settings.NETWORK_HTTP_TIMEOUT
        )
        token = _json(response).get("access_token", "") if response.status_code == 200 else ""
        if not token:
            raise BitlyError("bit.ly did not grant a token.", status_code=response.status_code)
        user = httpx.get(USER_URL, headers={"Authorization": f"Bearer {token}"}, timeout=settings.NETWORK_HTTP_TIMEOUT)
    except httpx.HTTPError as exc:
        raise BitlyError(f"bit.ly could not be reached: {exc}") from exc
    return token, str(_json(user).get("default_group_guid") or "") if user.status_code == 200 else ""


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
