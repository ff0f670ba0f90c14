"""Member tokens: `hbm_` + a JWT naming the tenant, the member and the member's token version (1 h).

The prefix tells them apart from staff access tokens in the same `Authorization: Bearer` header. Banning or
erasing a member bumps `token_version`, which ends every token issued before.
"""

from __future__ import annotations

from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone

from community.models import Member

TOKEN_PREFIX = "hbm_"
ISSUER = "hubbub-community"
ALGORITHM = "HS256"
LIFETIME = timedelta(hours=1)


class InvalidMemberToken(Exception):
    pass


def issue_member_token(member: Member) -> tuple[str, int]:
    """(token, lifetime in seconds)."""
    now = timezone.now()
    claims = {
        "iss": ISSUER,
        "tid": str(member.tenant_id),
        "mid": str(member.pk),
        "tv": member.token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
    }
    return TOKEN_PREFIX + jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM), int(
        LIFETIME.total_seconds()
    )


def is_member_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def decode_member_token(raw: str) -> dict:
    try:
        return jwt.decode(
            raw[len(TOKEN_PREFIX) :],
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "tid", "mid", "tv"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidMemberToken("The member token has expired.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidMemberToken("The member token is invalid.") from exc
