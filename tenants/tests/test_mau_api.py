"""Monthly active users (seed 000): recorded once per user and month (not per request), read per month and as a
history, backfilled from stored sign-ins and audit entries."""

from __future__ import annotations

import datetime
import io

from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core import audit, tenancy
from core.models import AuditLogEntry
from tenants import authentication
from tenants.models import AuthSession, MonthlyActiveUser, RefreshToken, User
from tenants.roles import Role
from tenants.tests.signup import register_tenant
from tenants.tokens import start_session

MAU = "/api/v1/tenant/mau"
HISTORY = "/api/v1/tenant/mau/history"


def _month(offset: int = 0) -> datetime.date:
    today = timezone.now().date().replace(day=1)
    index = today.year * 12 + today.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def _label(month: datetime.date) -> str:
    return month.strftime("%Y-%m")


def _mau_inserts(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/teams/").status_code == 200
    return sum("tenants_monthlyactiveuser" in q["sql"] and "INSERT" in q["sql"] for q in queries.captured_queries)


def test_a_new_tenant_counts_its_active_users_once_per_month(db, api_key_client_for, make_member):
    client, registered = register_tenant()
    tenant = tenancy.get_tenant_model().objects.get(pk=registered["tenant"]["id"])
    body = client.get(MAU).json()
    assert body == {"month": _label(_month()), "activeUsers": 1, "limit": None}
    authentication._MAU_SEEN.clear()  # another process: the cache still knows, so no write
    assert _mau_inserts(client) == 0
    cache.clear()  # a day later (the cache entry expired): one more harmless INSERT ... ON CONFLICT
    authentication._MAU_SEEN.clear()
    assert _mau_inserts(client) == 1
    api_key_client_for(tenant).get("/api/v1/teams/")  # a key is not a person: not counted
    colleague = make_member(tenant, Role.VIEWER)
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=f"Bearer {start_session(colleague).access_token}")
    assert viewer.get(MAU).json()["activeUsers"] == 2  # readable by every role
    assert client.get(MAU, {"month": _label(_month(-1))}).json()["activeUsers"] == 0


def test_bad_months_are_400_in_the_error_shape(owner_client):
    for bad in ("2026-13", "2026-1-1", "january", "2026/01", "0000-01"):
        response = owner_client.get(MAU, {"month": bad})
        assert response.status_code == 400, bad
        assert "month" in response.json()["error"]["details"], bad
    for bad in ("0", "37", "x"):
        response = owner_client.get(HISTORY, {"months": bad})
        assert response.status_code == 400 and "months" in response.json()["error"]["details"], bad
    assert APIClient().get(MAU).status_code == 401 and APIClient().get(HISTORY).status_code == 401


def test_history_counts_each_month_with_zeros_and_only_this_tenant(tenant, other_tenant, owner, make_member):
    people = [owner.user] + [make_member(tenant).user for _ in range(2)]
    with tenancy.tenant_context(tenant):
        for user in people:
            MonthlyActiveUser.objects.create(user=user, month=_month(-2))
        MonthlyActiveUser.objects.create(user=people[0], month=_month())
        MonthlyActiveUser.objects.create(user=people[0], month=_month(-12))  # outside the window
    stranger = make_member(other_tenant).user
    with tenancy.tenant_context(other_tenant):
        MonthlyActiveUser.objects.create(user=stranger, month=_month(-1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {start_session(owner).access_token}")
    body = client.get(HISTORY, {"months": 3}).json()
    assert body == {
        "months": [
            {"month": _label(_month(-2)), "activeUsers": 3},
            {"month": _label(_month(-1)), "activeUsers": 0},
            {"month": _label(_month()), "activeUsers": 1},
        ],
        "limit": None,
    }
    assert len(client.get(HISTORY).json()["months"]) == 12


def test_backfill_reads_sign_ins_and_members_audit_entries_but_not_impersonation(tenant, owner, make_member):
    editor = make_member(tenant, Role.EDITOR).user
    staff = User.objects.create_user("staff@hubbub.local", is_staff=True)
    long_ago = timezone.now() - datetime.timedelta(days=70)
    with tenancy.tenant_context(tenant):
        start_session(owner)
        RefreshToken.objects.update(created_at=long_ago)  # the owner signed in 70 days ago
        impersonated = AuthSession.objects.create(membership=owner, user=owner.user, impersonator=staff)
        RefreshToken.objects.create(session=impersonated, token_hash="x" * 64, expires_at=timezone.now())
        editor_entry = audit.record("post.created", None, actor=None, actor_user=editor)
        staff_entry = audit.record("tenant.updated", None, actor=None, actor_user=staff)  # not a member
        AuditLogEntry.objects.filter(pk__in=[editor_entry.pk, staff_entry.pk]).update(created_at=long_ago)
        MonthlyActiveUser.objects.all().delete()
    out = io.StringIO()
    call_command("backfill_mau", stdout=out)
    assert out.getvalue().startswith("2 monthly active user row(s) added")
    then = long_ago.date().replace(day=1)
    with tenancy.tenant_context(tenant):
        rows = set(MonthlyActiveUser.objects.values_list("user_id", "month"))
    assert rows == {(owner.user_id, then), (editor.pk, then)}
    call_command("backfill_mau", stdout=io.StringIO())  # idempotent
    with tenancy.tenant_context(tenant):
        assert MonthlyActiveUser.objects.count() == 2
