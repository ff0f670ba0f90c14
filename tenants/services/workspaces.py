"""Writes for tenants (workspaces): creation, settings, theme, external ids, sub-tenants and their status."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core import audit, extensions, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from tenants import plans
from tenants.errors import (
    ExternalIdTaken,
    FeatureNotAvailable,
    PlanReadOnly,
    SlugTaken,
    StaffOnly,
    TenantNotArchived,
    TenantNotEnableable,
)
from tenants.models import Membership, Team, Tenant, TenantExternalId, TenantStatus, User
from tenants.roles import Role

AUDITED_FIELDS = ("name", "slug", "status", "timezone", "locale", "plan", "settings", "expires_at", "parent_id")


def unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "workspace"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def require_feature(tenant: Tenant, feature: str) -> None:
    """403 `FEATURE_NOT_AVAILABLE` unless the tenant's plan (or its overrides) enables `feature`."""
    if not tenant.features.get(feature, False):
        raise FeatureNotAvailable(f"Your plan does not include the feature {feature!r}.", details={"feature": feature})


def snapshot(tenant: Tenant) -> dict[str, Any]:
    return {name: getattr(tenant, name) for name in AUDITED_FIELDS}


def require_plan(code: str) -> None:
    """400 naming `plan` unless a Plan with this code exists."""
    if plans.get_plan(code) is None:
        raise ValidationFailed(details={"plan": [f"Unknown plan {code!r}."]})


@transaction.atomic
def create_tenant(
    *,
    actor: Principal | None,
    name: str,
    owner: User | None = None,
    slug: str | None = None,
    plan: str | None = None,
    parent: Tenant | None = None,
    timezone: str = "UTC",
    **fields,
) -> Tenant:
    """Create a tenant with its default team, and the owner's membership when one is given. Without `plan`, the
    installation's default plan (settings.DEFAULT_PLAN; empty: the top plan)."""
    plan = plan or plans.default_plan_code()
    require_plan(plan)
    if slug and Tenant.objects.filter(slug=slug).exists():
        raise SlugTaken(details={"slug": ["This alias is already used by another tenant."]})
    tenant = Tenant.objects.create(
        name=name, slug=slug or unique_slug(name), plan=plan, parent=parent, timezone=timezone, **fields
    )
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Everyone", is_default=True)
        if owner is not None:
            Membership.objects.create(user=owner, role=Role.OWNER)
            team.members.create(user=owner, tenant=tenant, role="ADMIN")
        audit.record("tenant.created", tenant, actor=actor, changes={"name": name, "plan": plan})
    extensions.tenant_created(tenant)  # what other apps set up in every tenant (default notification workflows)
    return tenant


def _save_checking_slug(tenant: Tenant) -> None:
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError as exc:
        # Another tenant took the alias between our check and the write.
        raise SlugTaken(details={"slug": ["This alias is already used by another tenant."]}) from exc


@transaction.atomic
def update_tenant(
    tenant: Tenant,
    *,
    actor: Principal | None,
    settings: dict[str, Any] | None = None,
    external_ids: dict[str, str] | None = None,
    **fields: Any,
) -> Tenant:
    """Change a tenant's fields. `settings` is merged key by key (a `None` value removes the key);
    `external_ids` replaces the whole platform -> id map. The plan is never changed here: it lifts every limit, so
    it belongs to platform staff (the admin) or billing, not to the tenant's own API."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if "plan" in fields and fields["plan"] != locked.plan:
        raise PlanReadOnly()
    fields.pop("plan", None)
    slug = fields.get("slug")
    if slug and slug != locked.slug and Tenant.objects.filter(slug=slug).exclude(pk=locked.pk).exists():
        raise SlugTaken(details={"slug": ["This alias is already used by another tenant."]})
    before = snapshot(locked)
    before_external = _external_ids_of(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    if settings is not None:
        merged = dict(locked.settings)
        for key, value in settings.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        locked.settings = merged
    _save_checking_slug(locked)
    if external_ids is not None:
        set_external_ids(locked, external_ids)
    changes = audit.diff(before, snapshot(locked))
    after_external = _external_ids_of(locked)
    if after_external != before_external:
        changes["external_ids"] = [before_external, after_external]
    if changes:
        audit.record("tenant.updated", locked, actor=actor, changes=changes)
    return locked


def _sibling_ids(parent_id, platform: str, external_id: str):
    return TenantExternalId.objects.filter(tenant__parent_id=parent_id, platform=platform, external_id=external_id)


def _external_ids_of(tenant: Tenant) -> dict[str, str]:
    return dict(TenantExternalId.objects.filter(tenant=tenant).values_list("platform", "external_id"))


def set_external_ids(tenant: Tenant, mapping: dict[str, str]) -> None:
    """Replace the tenant's platform -> external id map.

    External ids identify client tenants among the siblings under one parent (the lookup `by-external-id` reads
    the parent's clients), so they are unique there: a 409 names only an id another client of the same parent
    holds, never another customer's. A tenant without a parent has no siblings to clash with.
    """
    if tenant.parent_id is not None:
        Tenant.objects.select_for_update().filter(pk=tenant.parent_id).first()  # serialises the siblings' checks
        for platform, external_id in mapping.items():
            if _sibling_ids(tenant.parent_id, platform, external_id).exclude(tenant=tenant).exists():
                raise ExternalIdTaken(details={"externalIds": {platform: ["Already assigned to another client."]}})
    TenantExternalId.objects.filter(tenant=tenant).exclude(platform__in=list(mapping)).delete()
    for platform, external_id in mapping.items():
        TenantExternalId.objects.update_or_create(
            tenant=tenant, platform=platform, defaults={"external_id": external_id}
        )


@transaction.atomic
def set_theme(tenant: Tenant, *, actor: Principal | None, theme: dict[str, Any]) -> Tenant:
    """Replace the tenant's theme (PUT semantics: keys not given are removed)."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = dict(locked.theme)
    locked.theme = theme
    locked.save(update_fields=["theme", "updated_at"])
    if before != theme:
        audit.record("tenant.theme_updated", locked, actor=actor, changes={"theme": [before, theme]})
    return locked


@transaction.atomic
def create_subtenant(
    parent: Tenant,
    *,
    actor: Principal,
    name: str,
    plan: str | None = None,
    external_ids: dict[str, str] | None = None,
    **fields: Any,
) -> Tenant:
    """Create a client tenant under `parent`. The acting user becomes its OWNER; the plan is the parent's (another
    plan is platform staff's or billing's to set)."""
    require_feature(parent, "subTenants")
    if plan is not None and plan != parent.plan:
        raise PlanReadOnly()
    if external_ids:
        Tenant.objects.select_for_update().filter(pk=parent.pk).first()  # serialises the siblings' id checks
        for platform, external_id in external_ids.items():
            if _sibling_ids(parent.pk, platform, external_id).exists():
                raise ExternalIdTaken(details={"externalIds": {platform: ["Already assigned to another client."]}})
    child = create_tenant(actor=actor, name=name, owner=actor.user, plan=plan or parent.plan, parent=parent, **fields)
    if external_ids:
        set_external_ids(child, external_ids)
    audit.record(
        "subtenant.created",
        child,
        actor=actor,
        changes={"name": name, "slug": child.slug, "status": child.status, "external_ids": external_ids or {}},
    )
    return child


@transaction.atomic
def enable_tenant(tenant: Tenant, *, actor: Principal | None) -> Tenant:
    """pending/suspended -> active (seed 000 "enable entity"); anything else is 409 `INVALID_STATE`."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.status not in {TenantStatus.PENDING, TenantStatus.SUSPENDED}:
        raise TenantNotEnableable(details={"status": locked.status})
    before = locked.status
    locked.status = TenantStatus.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    audit.record("tenant.enabled", locked, actor=actor, changes={"status": [before, locked.status]})
    return locked


@transaction.atomic
def archive_tenant(tenant: Tenant, *, actor: Principal | None) -> Tenant:
    """Archive (never hard-delete): its credentials stop working at once, because the tenant is no longer usable
    and saving its row outdates every cached principal of the tenant (tenants.principal_cache)."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.status != TenantStatus.ARCHIVED:
        before = locked.status
        locked.status = TenantStatus.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
        audit.record("tenant.archived", locked, actor=actor, changes={"status": [before, locked.status]})
    return locked


@transaction.atomic
def reactivate_tenant(tenant: Tenant, *, actor: Principal | None) -> Tenant:
    """archived -> active: its members' tokens and API keys work again; anything else is 409 `INVALID_STATE`."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.status != TenantStatus.ARCHIVED:
        raise TenantNotArchived(details={"status": locked.status})
    locked.status = TenantStatus.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    audit.record("tenant.reactivated", locked, actor=actor, changes={"status": [TenantStatus.ARCHIVED, locked.status]})
    return locked


def require_platform_staff(actor: Principal) -> None:
    """403 `STAFF_ONLY` unless an active staff user acts in person (an impersonation session is the member's, an
    API key has no person)."""
    user = actor.user
    if user is None or not (user.is_active and user.is_staff) or actor.claims.get("imp"):
        raise StaffOnly()


def set_archived_by_staff(tenant: Tenant, *, actor: Principal, archived: bool) -> Tenant:
    """Platform staff archive or reactivate any tenant through the API; the audit entry lands in that tenant's log,
    naming the staff user."""
    require_platform_staff(actor)
    with tenancy.tenant_context(tenant):
        return archive_tenant(tenant, actor=actor) if archived else reactivate_tenant(tenant, actor=actor)
