"""Plans as data: seeded plans, the default plan of sign-ups, admin edits that apply at once, usage vs limits."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import Plan, Tenant, User
from tenants.tests.factories import TenantFactory
from tenants.tests.signup import register_tenant


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("root@hubbub.local", "admin-pass-123"))
    return client


def test_the_four_plans_are_seeded_with_todays_limits(db):
    plans = {plan.code: plan for plan in Plan.objects.all()}
    assert list(plans) == ["free", "team", "business", "enterprise"]  # by sort order
    assert plans["free"].limits == {"channels": 3, "users": 2, "monitoringResults": 1000, "storageBytes": 1024**3}
    assert plans["enterprise"].limits == {} and "customDashboards" in plans["enterprise"].features
    assert "customDashboards" not in plans["business"].features


def test_self_hosted_sign_ups_get_the_top_plan(db, settings):
    settings.DEFAULT_PLAN = ""
    client, _ = register_tenant()
    tenant = client.get("/api/v1/tenant").json()
    assert tenant["plan"] == "enterprise" and tenant["limits"]["channels"] is None


def test_default_plan_setting_chooses_the_plan_of_sign_ups(db, settings):
    settings.DEFAULT_PLAN = "free"
    client, _ = register_tenant()
    tenant = client.get("/api/v1/tenant").json()
    assert tenant["plan"] == "free" and tenant["limits"]["channels"] == 3


def test_an_operator_defined_default_plan(db, settings):
    Plan.objects.create(code="trial", name="Trial", is_public=False, limits={"channels": 1}, features=["teams"])
    settings.DEFAULT_PLAN = "trial"
    client, _ = register_tenant()
    assert client.get("/api/v1/tenant").json()["plan"] == "trial"
    assert client.post("/api/v1/channels/", {"network": "sandbox", "name": "one"}, format="json").status_code == 201
    second = client.post("/api/v1/channels/", {"network": "sandbox", "name": "two"}, format="json")
    assert second.status_code == 403 and second.json()["error"]["code"] == "LIMIT_REACHED"


def test_a_plan_edit_in_the_admin_changes_what_the_api_allows_at_once(db, settings, staff_client):
    settings.DEFAULT_PLAN = "free"
    client, _ = register_tenant()
    assert client.post("/api/v1/channels/", {"network": "sandbox", "name": "one"}, format="json").status_code == 201
    free = Plan.objects.get(code="free")
    assert client.get("/api/v1/tenant").json()["limits"]["channels"] == 3  # read (and cached) before the edit

    response = staff_client.post(
        reverse("admin:tenants_plan_change", args=[free.pk]),
        {
            "code": "free",
            "name": "Free",
            "price_label": "Free",
            "is_public": "on",
            "sort_order": 10,
            "limits": '{"channels": 1, "users": 2, "storageBytes": 1073741824}',
            "features": '["linkShortener"]',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert client.get("/api/v1/tenant").json()["limits"]["channels"] == 1
    refused = client.post("/api/v1/channels/", {"network": "sandbox", "name": "two"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "LIMIT_REACHED"


def test_the_admin_refuses_unknown_limits_and_features(db, staff_client):
    free = Plan.objects.get(code="free")
    response = staff_client.post(
        reverse("admin:tenants_plan_change", args=[free.pk]),
        {"code": "free", "name": "Free", "sort_order": 10, "limits": '{"chanels": 1}', "features": '["telepathy"]'},
    )
    assert response.status_code == 200  # the form again, with errors
    assert b"Unknown limit" in response.content and b"Unknown feature" in response.content
    free.refresh_from_db()
    assert free.limits["channels"] == 3


def test_a_plan_change_of_a_tenant_in_the_admin_applies_at_once_and_is_audit_logged(db, settings, staff_client):
    settings.DEFAULT_PLAN = "free"
    client, body = register_tenant()
    tenant = Tenant.objects.get(pk=body["tenant"]["id"])
    change = reverse("admin:tenants_tenant_change", args=[tenant.pk])
    form = staff_client.get(change)
    assert b'<option value="business"' in form.content  # the plan is chosen from the Plan table
    response = staff_client.post(
        change,
        {
            "name": tenant.name,
            "slug": tenant.slug,
            "status": tenant.status,
            "plan": "business",
            "limit_overrides": "{}",
            "feature_overrides": "{}",
            "timezone": "UTC",
            "locale": "en",
            "settings": "{}",
            "theme": "{}",
            "external_ids-TOTAL_FORMS": "0",
            "external_ids-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get("/api/v1/tenant").json()["limits"]["channels"] == 50
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="admin.tenant.updated")
    assert entry.changes["plan"] == ["free", "business"]


def test_a_plan_in_use_cannot_be_deleted(db, staff_client):
    TenantFactory(plan="team")
    team = Plan.objects.get(code="team")
    response = staff_client.post(reverse("admin:tenants_plan_delete", args=[team.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Plan.objects.filter(code="team").exists()


def test_usage_reports_every_limit_and_counts_like_the_limit(db, settings):
    settings.DEFAULT_PLAN = "free"
    client, _ = register_tenant()
    first = client.post("/api/v1/channels/", {"network": "sandbox", "name": "one"}, format="json").json()
    client.post("/api/v1/channels/", {"network": "sandbox", "name": "two"}, format="json")
    assert client.delete(f"/api/v1/channels/{first['id']}/").status_code == 204  # disconnected: free again
    usage = client.get("/api/v1/tenant/usage").json()
    assert usage["channels"] == {"used": 1, "limit": 3}
    assert usage["users"] == {"used": 1, "limit": 2}
    assert usage["storageBytes"] == {"used": 0, "limit": 1024**3}
    assert usage["monitoringResults"] == {"used": 0, "limit": 1000}
    assert usage["monthlyActiveUsers"]["limit"] is None


def test_plans_lists_the_public_plans_and_the_tenants_own(db, settings):
    Plan.objects.create(code="partner", name="Partner", is_public=False, limits={}, features=[])
    Plan.objects.create(code="secret", name="Secret", is_public=False, limits={}, features=[])
    settings.DEFAULT_PLAN = "partner"
    client, _ = register_tenant()
    rows = client.get("/api/v1/plans").json()
    assert {row["code"] for row in rows} == {"partner", "free", "team", "business", "enterprise"}
    [current] = [row for row in rows if row["current"]]
    assert current["code"] == "partner" and current["isPublic"] is False
    assert next(row for row in rows if row["code"] == "free")["limits"]["channels"] == 3


def test_plans_needs_a_credential(db):
    assert APIClient().get("/api/v1/plans").status_code == 401
