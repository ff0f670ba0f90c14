from __future__ import annotations

import pytest

from ads import demo
from ads.models import AdAccount, AdConnection, Campaign
from core import tenancy
from core.models import AuditLogEntry
from tenants.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser(email="staff@hubbub.local", password="pw-staff-2026")
    client.force_login(user)
    return client


def test_demo_seed_is_idempotent(tenant, owner):
    first = demo.seed_demo(tenant=tenant, owner=owner.user)
    second = demo.seed_demo(tenant=tenant, owner=owner.user)
    assert {a.pk for a in first} == {a.pk for a in second}
    with tenancy.tenant_context(tenant):
        assert AdAccount.objects.count() == 2
        assert Campaign.objects.count() == 6


def test_admin_lists_accounts_and_revokes_a_connection(staff_client, tenant, usd_account):
    assert staff_client.get("/admin/ads/adaccount/").status_code == 200
    assert staff_client.get(f"/admin/ads/adaccount/{usd_account.pk}/change/").status_code == 200
    assert staff_client.get("/admin/ads/campaign/").status_code == 200
    with tenancy.tenant_context(tenant):
        token = AdConnection.objects.get(pk=usd_account.connection_id).access_token
    page = staff_client.get(f"/admin/ads/adconnection/{usd_account.connection_id}/change/")
    assert page.status_code == 200 and "set (hidden)" in page.content.decode()
    assert token not in page.content.decode()  # never rendered
    response = staff_client.post(
        "/admin/ads/adaccount/", {"action": "revoke_connection", "_selected_action": [str(usd_account.pk)]}
    )
    assert response.status_code == 302
    with tenancy.tenant_context(tenant):
        usd_account.refresh_from_db()
        assert usd_account.status == "needsReconnect"
        assert AdConnection.objects.get(pk=usd_account.connection_id).access_token == ""
        assert AuditLogEntry.objects.filter(action="admin.adaccount.connection_revoked").count() == 1


def test_admin_sync_now(staff_client, tenant, usd_account):
    response = staff_client.post(
        "/admin/ads/adaccount/", {"action": "sync_now", "_selected_action": [str(usd_account.pk)]}
    )
    assert response.status_code == 302
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="admin.adaccount.synced").count() == 1
