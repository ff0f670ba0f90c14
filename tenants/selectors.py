"""Reads for tenants, users, teams and API keys (querysets already scoped to the current tenant)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery

from core import extensions, tenancy
from core.auth import Principal
from core.models import AuditLogEntry
from tenants import plans
from tenants.models import (
    ApiKey,
    AuthSession,
    Membership,
    MonthlyActiveUser,
    Plan,
    Team,
    TeamMember,
    Tenant,
    TenantSso,
    User,
)


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


def audit_log_entries() -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.order_by("-created_at", "-id")


def _active_memberships_of(user: User) -> QuerySet[Membership]:
    """Platform-wide by design: evaluate it under `tenancy.platform_access()`."""
    return (
        Membership.all_tenants.filter(user=user, is_active=True)
        .select_related("tenant")
        .order_by("tenant__name", "tenant_id")
    )


def memberships_of(user: User) -> list[Membership]:
    """Every active membership of a user across tenants (for `/me`): one query."""
    with tenancy.platform_access():
        return list(_active_memberships_of(user))


def linked_accounts(user: User, *, current_tenant_id: Any) -> QuerySet[Membership]:
    """The tenants the user belongs to (seed 000 linked accounts), as memberships with the tenant, its external ids
    and `is_current`. Across tenants: evaluate it under `tenancy.platform_access()` (two queries per page)."""
    return (
        _active_memberships_of(user)
        .prefetch_related("tenant__external_ids")
        .annotate(is_current=ExpressionWrapper(Q(tenant_id=current_tenant_id), output_field=BooleanField()))
    )


def members() -> QuerySet[Membership]:
    """Members of the current tenant with their user and their team ids here (two queries per page)."""
    return (
        Membership.objects.select_related("user")
        .prefetch_related(
            Prefetch(
                "user__team_memberships",
                queryset=TeamMember.objects.only("id", "team_id", "user_id").order_by("team_id"),
                to_attr="tenant_team_memberships",
            )
        )
        .order_by("created_at", "id")
    )


def teams() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("members")).order_by("name", "id")


def team_members(team: Team) -> QuerySet[TeamMember]:
    external_id = Membership.objects.filter(user_id=OuterRef("user_id")).values("external_user_id")[:1]
    return (
        TeamMember.objects.filter(team=team)
        .select_related("user")
        .annotate(external_user_id=Subquery(external_id))
        .order_by("created_at", "id")
    )


def subtenants(principal: Principal) -> QuerySet[Tenant]:
    """Tenants the caller manages: children of its tenant; platform staff see every tenant."""
    queryset = Tenant.objects.prefetch_related("external_ids").order_by("name", "id")
    if principal.user is not None and principal.user.is_staff:
        return queryset
    return queryset.filter(parent=principal.tenant)


def tenant_usage(tenant: Tenant, month: datetime.date) -> dict[str, Any]:
    """Usage against the plan's limits; `month` is the first day of the month for monthly active users. Channels
    and storage are counted by the app that owns them (core.extensions usage counters)."""
    limits = tenant.limits
    return {
        "month": month.strftime("%Y-%m"),
        "channels": {"used": extensions.usage("channels"), "limit": limits.get("channels")},
        "users": {"used": Membership.objects.filter(is_active=True).count(), "limit": limits.get("users")},
        "storage_bytes": {"used": extensions.usage("storageBytes"), "limit": limits.get("storageBytes")},
        "monitoring_results": {"used": extensions.usage("monitoringResults"), "limit": limits.get("monitoringResults")},
        "monthly_active_users": {
            "used": monthly_active_users(month),
            "limit": limits.get("monthlyActiveUsers"),
        },
    }


def monthly_active_users(month: datetime.date) -> int:
    """Users of the current tenant active in `month` (its first day)."""
    return MonthlyActiveUser.objects.filter(month=month).count()


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def monthly_active_users_history(last_month: datetime.date, months: int) -> list[dict[str, Any]]:
    """Active users of the current tenant for the `months` months ending with `last_month`, oldest first, zeros
    included: one grouped query."""
    first = _add_months(last_month, -(months - 1))
    counts = dict(
        MonthlyActiveUser.objects.filter(month__gte=first, month__lte=last_month)
        .order_by()
        .values("month")
        .annotate(count=Count("id"))
        .values_list("month", "count")
    )
    return [
        {"month": month.strftime("%Y-%m"), "active_users": counts.get(month, 0)}
        for month in (_add_months(first, n) for n in range(months))
    ]


# --- reads other apps use: a tenant from a signed id (public callbacks), the tenant-wide write lock ----------------
def tenant_by_id(tenant_id: Any) -> Tenant | None:
    """The tenant with this id, from anywhere (a public callback knows only the id it signed); None when gone."""
    with tenancy.platform_access():
        return Tenant.objects.filter(pk=tenant_id).first()


def lock_tenant(tenant: Tenant) -> None:
    """Lock the tenant's row until the current transaction ends: one writer at a time for tenant-wide limits."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()


# --- Reads other apps use (their public way to members, teams and tenants) -----------------------------------------
def active_members() -> QuerySet[Membership]:
    """Active members of the current tenant with their user, oldest first."""
    return Membership.objects.filter(is_active=True).select_related("user").order_by("created_at", "id")


def tenants_by_ids(ids: set | list) -> dict:
    """Tenants by id, across the platform: for background jobs that work for several tenants in one run."""
    with tenancy.platform_access():
        return {tenant.pk: tenant for tenant in Tenant.objects.filter(pk__in=list(ids))}


def plans_for(tenant: Tenant) -> list[dict[str, Any]]:
    """The public plans and the tenant's own (even when not public), with their limits and features."""
    rows = Plan.objects.filter(Q(is_public=True) | Q(code=tenant.plan))
    return [
        {
            "code": plan.code,
            "name": plan.name,
            "price_label": plan.price_label,
            "is_public": plan.is_public,
            "current": plan.code == tenant.plan,
            "limits": plans.plan_limits(plan),
            "features": plans.plan_features(plan),
        }
        for plan in rows
    ]


def impersonation_of(principal: Principal) -> dict[str, Any] | None:
    """Who is behind an impersonation session (for /me); None for the member's own sessions."""
    if not principal.claims.get("imp") or principal.session_id is None:
        return None
    session = AuthSession.objects.select_related("impersonator").filter(pk=principal.session_id).first()
    if session is None or session.impersonator_id is None:
        return None
    return {
        "impersonator_email": session.impersonator.email if session.impersonator else None,
        "read_only": session.impersonation_read_only,
        "expires_at": session.expires_at,
    }


def sso_config() -> TenantSso | None:
    """The current tenant's single sign-on configuration, if any."""
    return TenantSso.objects.first()
