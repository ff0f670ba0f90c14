from __future__ import annotations

import pytest

from analytics import demo
from analytics.models import Dashboard, EmailReport, SharedLink
from analytics.tests.factories import ChannelFactory
from contentplanner.models import ChannelMetrics
from core import tenancy
from core.models import AuditLogEntry
from tenants.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser(email="staff@hubbub.local", password="pw-staff-2026")
    client.force_login(user)
    return client


def test_demo_seed_is_idempotent_and_its_dashboard_renders(tenant, owner, owner_client):
    ChannelFactory(tenant=tenant)
    first = demo.seed_demo(tenant=tenant, owner=owner.user)
    second = demo.seed_demo(tenant=tenant, owner=owner.user)
    assert first.pk == second.pk and len(first.widgets) == 8
    with tenancy.tenant_context(tenant):
        assert (Dashboard.objects.count(), SharedLink.objects.count(), EmailReport.objects.count()) == (1, 1, 1)
        assert ChannelMetrics.objects.count() == demo.COLLECTED_DAYS
    rendered = owner_client.get(f"/api/v1/analytics/dashboards/{first.pk}/data/", {"compare": "false"})
    assert rendered.status_code == 200 and len(rendered.json()["widgets"]) == 8


def test_admin_lists_and_revokes_a_link(staff_client, tenant, owner):
    dashboard = demo.seed_demo(tenant=tenant, owner=owner.user)
    for page in ("dashboard", "sharedlink", "emailreport"):
        assert staff_client.get(f"/admin/analytics/{page}/").status_code == 200
    assert staff_client.get(f"/admin/analytics/dashboard/{dashboard.pk}/change/").status_code == 200
    with tenancy.tenant_context(tenant):
        link = SharedLink.objects.get()
        report = EmailReport.objects.get()
    response = staff_client.post(
        "/admin/analytics/sharedlink/", {"action": "revoke", "_selected_action": [str(link.pk)]}
    )
    assert response.status_code == 302
    response = staff_client.post(
        "/admin/analytics/emailreport/", {"action": "pause", "_selected_action": [str(report.pk)]}
    )
    assert response.status_code == 302
    with tenancy.tenant_context(tenant):
        link.refresh_from_db()
        report.refresh_from_db()
        assert link.revoked_at is not None and report.is_active is False
        assert AuditLogEntry.objects.filter(action="analytics.shared_link.revoke").count() == 1
        assert AuditLogEntry.objects.filter(action="admin.emailreport.pause").count() == 1
