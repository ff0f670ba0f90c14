"""Access tokens (JWT, 1 h) and rotating refresh tokens (opaque, 1 day) bound to one tenant.

The access token names its session (`sid`); revoking the session (logout, password change, refresh-token reuse,
membership removal) invalidates every access token of it at once.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import tenancy
from core.errors import Unauthorized
from core.request_context import get_request_info
from tenants.models import ApiKey, AuthSession, Membership, RefreshToken, hash_secret

ALGORITHM = "HS256"
ISSUER = "hubbub"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session: AuthSession

    def as_response(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def encode_access_token(session: AuthSession, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claims = {
        "iss": ISSUER,
        "sub": str(session.user_id),
        "tid": str(session.tenant_id),
        "sid": str(session.pk),
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ACCESS_TOKEN_LIFETIME).timestamp()),
    }
    if session.impersonator_id:
        claims["imp"] = str(session.impersonator_id)
        claims["imp_ro"] = session.impersonation_read_only
        if session.expires_at is not None:  # no access token outlives its impersonation session
            claims["exp"] = min(claims["exp"], int(session.expires_at.timestamp()))
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict:
    try:
        return jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "tid", "sid"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="TOKEN_EXPIRED") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("The access token is invalid.") from exc


def _new_refresh_token(session: AuthSession) -> str:
    raw = f"hbr_{secrets.token_urlsafe(40)}"
    RefreshToken.all_tenants.create(
        tenant_id=session.tenant_id,
        session=session,
        token_hash=hash_secret(raw),
        expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME,
    )
    return raw


def _pair(session: AuthSession, refresh_token: str) -> TokenPair:
    return TokenPair(
        access_token=encode_access_token(session),
        refresh_token=refresh_token,
        expires_in=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        session=session,
    )


@transaction.atomic
def start_session(
    membership: Membership,
    *,
    user_agent: str = "",
    impersonator=None,
    expires_at=None,
    read_only: bool = False,
    api_key=None,
    sign_in_method: str = "",
) -> TokenPair:
    """Open a session for a membership and return its first token pair.

    `api_key`: the key that minted it (token exchange); the session's permissions are capped at the key's scopes.
    """
    info = get_request_info()
    with tenancy.platform_access():
        session = AuthSession.all_tenants.create(
            tenant_id=membership.tenant_id,
            membership=membership,
            user_id=membership.user_id,
            user_agent=user_agent[:255],
            ip_address=info.ip_address if info else None,
            impersonator=impersonator,
            impersonation_read_only=read_only,
            expires_at=expires_at,
            api_key=api_key,
            sign_in_method=sign_in_method,
        )
        return _pair(session, _new_refresh_token(session))


def rotate_refresh_token(raw: str) -> TokenPair:
    """Exchange a refresh token for a new pair. A token used before revokes its whole session (theft signal)."""
    with tenancy.platform_access(), transaction.atomic():
        token = (
            RefreshToken.all_tenants.select_for_update()
            .select_related("session__membership__tenant", "session__user")
            .filter(token_hash=hash_secret(raw or ""))
            .first()
        )
        if token is None:
            raise Unauthorized("The refresh token is invalid.")
        session = token.session
        if token.used_at is not None:
            revoke_session(session, reason="refresh_token_reuse")
            reuse_detected = True
        else:
            reuse_detected = False
    if reuse_detected:
        raise Unauthorized("This refresh token was already used; the session has been revoked.", code="TOKEN_REUSED")
    with tenancy.platform_access(), transaction.atomic():
        if not session.is_active or token.expires_at <= timezone.now():
            raise Unauthorized("The refresh token has expired or was revoked.")
        membership = session.membership
        if not membership.is_active or not session.user.is_active or not membership.tenant.is_usable:
            raise Unauthorized("This account can no longer sign in to this tenant.")
        if session.api_key_id is not None:
            # Not joined above: PostgreSQL cannot lock the nullable side of the outer join that would need.
            api_key = ApiKey.all_tenants.filter(pk=session.api_key_id).first()
            if api_key is None or not api_key.is_usable:
                raise Unauthorized("The API key that issued this session was revoked.", code="API_KEY_REVOKED")
        now = timezone.now()
        RefreshToken.all_tenants.filter(pk=token.pk).update(used_at=now)
        AuthSession.all_tenants.filter(pk=session.pk).update(last_used_at=now)
        return _pair(session, _new_refresh_token(session))


def revoke_session(session: AuthSession, *, reason: str) -> None:
    with tenancy.platform_access():
        AuthSession.all_tenants.filter(pk=session.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        )


def revoke_refresh_token(raw: str) -> bool:
    """Logout: revoke the session the refresh token belongs to. Unknown tokens are ignored (idempotent)."""
    with tenancy.platform_access():
        token = RefreshToken.all_tenants.select_related("session").filter(token_hash=hash_secret(raw or "")).first()
        if token is None:
            return False
        revoke_session(token.session, reason="logout")
        return True


def revoke_user_sessions(user, *, reason: str, keep_session_id: uuid.UUID | None = None) -> int:
    with tenancy.platform_access():
        sessions = AuthSession.all_tenants.filter(user=user, revoked_at__isnull=True)
        if keep_session_id is not None:
            sessions = sessions.exclude(pk=keep_session_id)
        return sessions.update(revoked_at=timezone.now(), revoke_reason=reason)
