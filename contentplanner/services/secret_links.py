"""Secret links (client approval, calendar feeds): a random secret, signed so forged tokens are refused without a
database read, stored only as its SHA-256 digest (a leaked database holds no usable link)."""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing


def issue(salt: str) -> tuple[str, str]:
    """A new (token for the URL, digest to store)."""
    secret = secrets.token_urlsafe(32)
    return signing.Signer(salt=salt).sign(secret), digest(secret)


def digest_of_token(token: str, salt: str) -> str | None:
    """The stored digest a token refers to, or None when its signature does not hold (forged or mangled)."""
    try:
        secret = signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        return None
    return digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
