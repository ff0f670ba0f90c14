"""A generic signed, expiring token for browser round trips (OAuth `state`): tamper-proof and short-lived.

Single use is the caller's part: `issue()` returns a random nonce inside the signed payload; the caller stores that
nonce in its own (tenant-scoped) table and consumes it with a conditional UPDATE, so a state works once. `core`
knows no app, so it holds no nonce table itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse


class StateInvalid(Exception):
    """Missing, malformed or tampered with: the payload (and its redirect target) cannot be trusted."""


class StateExpired(Exception):
    """Authentic but older than its max age."""


@dataclass(frozen=True)
class SignedState:
    token: str
    nonce: str


@dataclass(frozen=True)
class ConnectStart:
    """Where to send the browser to consent (`auth_url`, carrying `state`) and until when the state is good."""

    auth_url: str
    state: str
    expires_at: datetime


def callback_url(route_name: str, **kwargs: str) -> str:
    """The absolute URL of our public callback `route_name`: the redirect URI registered with the provider."""
    return f"{settings.PUBLIC_BASE_URL}{reverse(route_name, kwargs=kwargs)}"


def issue(payload: dict[str, Any], *, salt: str) -> SignedState:
    """Sign `payload` plus a fresh nonce (under key `x`)."""
    nonce = secrets.token_urlsafe(24)
    return SignedState(token=signing.dumps({**payload, "x": nonce}, salt=salt, compress=True), nonce=nonce)


def read(token: str, *, salt: str) -> dict[str, Any]:
    """The payload of an authentic token, expired or not (to know where to send the browser back)."""
    if not token:
        raise StateInvalid("The state parameter is missing.")
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature:
        raise StateInvalid("The state is not valid.") from None
    if not isinstance(data, dict) or not data.get("x"):
        raise StateInvalid("The state is not valid.")
    return data


def verify(token: str, *, salt: str, max_age: timedelta) -> dict[str, Any]:
    """The payload of an authentic token younger than `max_age`."""
    data = read(token, salt=salt)
    try:
        signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise StateExpired("The state has expired.") from None
    return data
