"""Writes for tenant API keys: create (secret shown once), revoke, rotate."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from core import audit
from core.auth import Principal
from core.errors import InvalidState
from tenants.models import API_KEY_PREFIX, ApiKey, User, hash_secret
from tenants.services.impersonation import refuse_if_impersonating


def generate_api_key_secret() -> tuple[str, str]:
    """(prefix, full key): the full key is shown once; only the prefix and its hash are stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def create_api_key(
    *,
    actor: Principal | None,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key in the current tenant; returns the key and its secret (shown once). `created_by` defaults to
    the acting user."""
    refuse_if_impersonating(actor, "API keys")
    if created_by is None and actor is not None:
        created_by = actor.user
    prefix, raw = generate_api_key_secret()
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_secret(raw), scopes=scopes, created_by=created_by, expires_at=expires_at
    )
    audit.record("api_key.created", key, actor=actor, changes={"name": name, "scopes": scopes})
    return key, raw


@transaction.atomic
def revoke_api_key(key: ApiKey, *, actor: Principal | None) -> ApiKey:
    """Revoke at once: the next request with this key gets 401. Revoking twice is a no-op."""
    refuse_if_impersonating(actor, "API keys")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit.record("api_key.revoked", key, actor=actor, changes={"name": key.name})
    return key


@transaction.atomic
def rotate_api_key(key: ApiKey, *, actor: Principal | None) -> tuple[ApiKey, str]:
    """Replace the secret (new prefix too); the old secret stops working at once."""
    refuse_if_impersonating(actor, "API keys")
    if not key.is_usable:
        raise InvalidState("A revoked or expired key cannot be rotated.")
    key.prefix, raw = generate_api_key_secret()
    key.key_hash = hash_secret(raw)
    key.save(update_fields=["prefix", "key_hash", "updated_at"])
    audit.record("api_key.rotated", key, actor=actor, changes={"name": key.name})
    return key, raw
