"""The `state` of an OAuth connect: signed, expiring in 10 minutes, single-use.

The signed value binds tenant, user, team, redirect URI, network, the channel being reconnected and a nonce. The
nonce names an `OAuthState` row (tenant-scoped) that holds the PKCE code verifier (never put in the URL) and is
consumed atomically by the callback, so a state works once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

from social.errors import OAuthNetworkMismatch, OAuthStateExpired, OAuthStateInvalid, OAuthStateReplayed
from social.models import OAuthState

STATE_MAX_AGE = timedelta(minutes=10)
SALT = "social.oauth.state"


@dataclass(frozen=True)
class StatePayload:
    tenant_id: str
    user_id: str | None
    team_id: str | None
    channel_id: str | None
    network: str
    redirect_uri: str
    nonce: str
    choose: bool = False  # the user picks which of the grant's accounts become channels


@dataclass(frozen=True)
class IssuedState:
    state: str
    expires_at: datetime
    code_challenge: str  # "" when the network has no PKCE


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def issue_state(
    *,
    tenant_id,
    user_id,
    network: str,
    redirect_uri: str,
    team_id=None,
    channel_id=None,
    pkce: bool = False,
    choose: bool = False,
) -> IssuedState:
    """Create the single-use nonce row (in the current tenant) and the signed state that names it."""
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48) if pkce else ""
    expires_at = timezone.now() + STATE_MAX_AGE
    OAuthState.objects.create(
        nonce=nonce,
        network=network,
        user_id=user_id,
        channel_id=channel_id,
        code_verifier=verifier,
        expires_at=expires_at,
    )
    state = signing.dumps(
        {
            "t": str(tenant_id),
            "u": str(user_id) if user_id else None,
            "tm": str(team_id) if team_id else None,
            "c": str(channel_id) if channel_id else None,
            "n": network,
            "r": redirect_uri,
            "x": nonce,
            "ch": choose,
        },
        salt=SALT,
        compress=True,
    )
    return IssuedState(state=state, expires_at=expires_at, code_challenge=pkce_challenge(verifier) if pkce else "")


def _payload(data: dict) -> StatePayload:
    try:
        return StatePayload(
            tenant_id=data["t"],
            user_id=data.get("u"),
            team_id=data.get("tm"),
            channel_id=data.get("c"),
            network=data["n"],
            redirect_uri=data["r"],
            nonce=data["x"],
            choose=bool(data.get("ch")),
        )
    except (KeyError, TypeError):
        raise OAuthStateInvalid() from None


def read_signed(state: str) -> StatePayload:
    """The payload of a state with a valid signature, expired or not (to know where to send the browser).
    Raises OAuthStateInvalid when it is missing or tampered with."""
    if not state:
        raise OAuthStateInvalid("The state parameter is missing.")
    try:
        return _payload(signing.loads(state, salt=SALT))
    except signing.BadSignature:
        raise OAuthStateInvalid() from None


def verify_state(state: str, *, network: str) -> StatePayload:
    """A state that is authentic, younger than 10 minutes and made for `network`; raises a specific error."""
    payload = read_signed(state)
    try:
        signing.loads(state, salt=SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise OAuthStateExpired() from None
    if payload.network != network:
        raise OAuthNetworkMismatch()
    return payload


def consume_state(payload: StatePayload) -> OAuthState:
    """Mark the state's nonce used, once (a conditional UPDATE: two callbacks racing cannot both win). Must run in
    the state's tenant context. Returns the row (with the PKCE verifier)."""
    now = timezone.now()
    taken = OAuthState.objects.filter(
        nonce=payload.nonce, network=payload.network, consumed_at__isnull=True, expires_at__gt=now
    ).update(consumed_at=now, updated_at=now)
    if not taken:
        row = OAuthState.objects.filter(nonce=payload.nonce).first()
        if row is None:  # not this tenant's (or purged): never say more
            raise OAuthStateInvalid()
        if row.consumed_at is None:
            raise OAuthStateExpired()
        raise OAuthStateReplayed()
    return OAuthState.objects.get(nonce=payload.nonce)
