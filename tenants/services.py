"""Writes for tenants, users, memberships, teams and API keys."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.text import slugify

from core import audit, tenancy
from tenants.models import API_KEY_PREFIX, ApiKey, Membership, Team, Tenant, User, hash_secret
from tenants.roles import Role


def unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "workspace"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_tenant(
    *,
    name: str,
    owner: User | None = None,
    slug: str | None = None,
    plan: str = "free",
    parent: Tenant | None = None,
    timezone: str = "UTC",
    **fields,
) -> Tenant:
    """Create a tenant with its default team, and the owner's membership when one is given."""
    tenant = Tenant.objects.create(
        name=name, slug=slug or unique_slug(name), plan=plan, parent=parent, timezone=timezone, **fields
    )
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Everyone", is_default=True)
        if owner is not None:
            Membership.objects.create(user=owner, role=Role.OWNER)
            team.members.create(user=owner, tenant=tenant, role="ADMIN")
        audit.record("tenant.created", tenant, changes={"name": name, "plan": plan})
    return tenant


def generate_api_key_secret() -> tuple[str, str]:
    """(prefix, full key): the full key is shown once; only the prefix and its hash are stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def create_api_key(
    *, name: str, scopes: list[str], created_by: User | None = None, expires_at=None
) -> tuple[ApiKey, str]:
    """Create a key in the current tenant; returns the key and its secret (shown once)."""
    prefix, raw = generate_api_key_secret()
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_secret(raw), scopes=scopes, created_by=created_by, expires_at=expires_at
    )
    audit.record("api_key.created", key, changes={"name": name, "scopes": scopes})
    return key, raw
