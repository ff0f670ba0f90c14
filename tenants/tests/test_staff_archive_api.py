"""Platform staff archive and reactivate a tenant through the API: its credentials, cached as principals, are
refused from the very next request and work again after reactivation; audit-logged in the tenant's own log."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import Tenant, User
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory, TenantFactory
from tenants.tests.signup import register_tenant


def _staff_client(api_client_for) -> APIClient:
    home = TenantFactory(name="Hubbub staff", plan="enterprise")
    membership = MembershipFactory(tenant=home, role=Role.OWNER)
    User.objects.filter(pk=membership.user_id).update(is_staff=True)
    membership.user.refresh_from_db()
    return api_client_for(membership)


def _reads_sessions(client: APIClient) -> bool:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me").status_code == 200
    return any("tenants_authsession" in q["sql"] for q in queries.captured_queries)


def test_staff_archive_refuses_cached_credentials_at_once_and_reactivate_restores_them(
    db, api_client_for, api_key_client_for
):
    customer, registered = register_tenant()
    tenant = Tenant.objects.get(pk=registered["tenant"]["id"])
    key_client = api_key_client_for(tenant)
    assert key_client.get("/api/v1/teams/").status_code == 200
    assert customer.get("/api/v1/teams/").status_code == 200
    assert _reads_sessions(customer) is False  # its principal is served from the cache
    staff = _staff_client(api_client_for)

    archived = staff.post(f"/api/v1/tenants/{tenant.pk}/archive")
    assert archived.status_code == 200, archived.json()
    assert archived.json()["status"] == "archived"
    for client in (customer, key_client):
        refused = client.get("/api/v1/teams/")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "TENANT_INACTIVE"
    assert staff.post(f"/api/v1/tenants/{tenant.pk}/archive").status_code == 200  # idempotent: one entry

    reactivated = staff.post(f"/api/v1/tenants/{tenant.pk}/reactivate")
    assert reactivated.status_code == 200 and reactivated.json()["status"] == "active"
    assert customer.get("/api/v1/teams/").status_code == 200
    assert key_client.get("/api/v1/teams/").status_code == 200
    again = staff.post(f"/api/v1/tenants/{tenant.pk}/reactivate")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_STATE"

    with tenancy.tenant_context(tenant):
        entries = list(
            AuditLogEntry.objects.filter(action__in=["tenant.archived", "tenant.reactivated"]).order_by("created_at")
        )
    assert [(e.action, e.changes["status"]) for e in entries] == [
        ("tenant.archived", ["active", "archived"]),
        ("tenant.reactivated", ["archived", "active"]),
    ]
    assert all(e.actor_user is not None and e.actor_user.is_staff for e in entries)
    # The customer sees who did it in their own audit log.
    log = customer.get("/api/v1/audit-log/", {"action": "tenant.archived"}).json()["results"]
    assert [row["actor"] for row in log] == [staff.get("/api/v1/me").json()["user"]["email"]]


def test_only_staff_in_person_may_archive(db, api_client_for, make_member):
    agency = TenantFactory(name="Agency", plan="enterprise")
    owner = make_member(agency, Role.OWNER)
    client = api_client_for(owner)
    created = client.post("/api/v1/tenants/", {"name": "Client"}, format="json")
    assert created.status_code == 201, created.json()
    child_id = created.json()["id"]
    for action in ("archive", "reactivate"):
        response = client.post(f"/api/v1/tenants/{child_id}/{action}")
        assert response.status_code == 403 and response.json()["error"]["code"] == "STAFF_ONLY", action
    assert Tenant.objects.get(pk=child_id).status == "active"
    with tenancy.tenant_context(Tenant.objects.get(pk=child_id)):
        assert not AuditLogEntry.objects.filter(action="tenant.archived").exists()
    staff = _staff_client(api_client_for)
    assert staff.post(f"/api/v1/tenants/{child_id}/archive").status_code == 200
