"""Monthly active users (seed 000 MAU): recorded by bearer authentication (tenants.authentication), and backfilled
here from what was stored before the recording existed."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef
from django.db.models.functions import TruncMonth

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import Membership, MonthlyActiveUser, RefreshToken

IMPERSONATED_PREFIX = "impersonated by "  # the caller name of an impersonation session's audit entries


def _first_day(moment: datetime.datetime | datetime.date) -> datetime.date:
    day = moment.date() if isinstance(moment, datetime.datetime) else moment
    return day.replace(day=1)


def backfill_monthly_active_users() -> int:
    """Record a month of activity for every (tenant, user, month) the stored rows prove: a refresh token is issued
    at each sign-in and each refresh of a session, an audit entry names the member who acted. Impersonation
    sessions and staff who are not members are not the tenant's activity. Idempotent; returns the rows added."""
    is_member = Exists(
        Membership.all_tenants.filter(tenant_id=OuterRef("tenant_id"), user_id=OuterRef("actor_user_id"))
    )
    with tenancy.platform_access():
        from_sign_ins = (
            RefreshToken.all_tenants.filter(session__impersonator__isnull=True)
            .annotate(month=TruncMonth("created_at"))
            .values_list("tenant_id", "session__user_id", "month")
            .order_by()
            .distinct()
        )
        from_actions = (
            AuditLogEntry.all_tenants.filter(is_member)
            .exclude(caller_name__startswith=IMPERSONATED_PREFIX)
            .annotate(month=TruncMonth("created_at"))
            .values_list("tenant_id", "actor_user_id", "month")
            .order_by()
            .distinct()
        )
        found = {(tenant_id, user_id, _first_day(month)) for tenant_id, user_id, month in from_sign_ins}
        found |= {(tenant_id, user_id, _first_day(month)) for tenant_id, user_id, month in from_actions}
        before = MonthlyActiveUser.all_tenants.count()
        MonthlyActiveUser.all_tenants.bulk_create(
            [MonthlyActiveUser(tenant_id=t, user_id=u, month=m) for t, u, m in found],
            ignore_conflicts=True,  # months already recorded stay as they are
            batch_size=1000,
        )
        return MonthlyActiveUser.all_tenants.count() - before
