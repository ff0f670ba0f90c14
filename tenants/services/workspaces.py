"""Writes for tenants (workspaces): creation, settings, sub-tenants."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from core import audit, tenancy
from tenants.models import Membership, Team, Tenant, User
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
