"""Linked accounts (seed 000): the tenants the signed-in user belongs to, with their role, switchable from there."""

from __future__ import annotations

from rest_framework.test import APIClient

from core import tenancy
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tenants.tests.signup import register_tenant

LINKED = "/api/v1/accounts/linked/"
SWITCH = "/api/v1/auth/switch-tenant"


def test_a_new_user_sees_their_workspace_and_one_they_were_added_to_then_switches(db, other_tenant):
    client, registered = register_tenant()
    newco_id = registered["tenant"]["id"]
    with tenancy.tenant_context(other_tenant):  # added to Globex as a viewer
        Membership.objects.create(user_id=registered["user"]["id"], role=Role.VIEWER, external_user_id="crm-7")
    response = client.get(LINKED)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 2 and body["hasMore"] is False
    by_name = {row["name"]: row for row in body["results"]}
    assert [row["name"] for row in body["results"]] == ["Globex", "NewCo"]  # by tenant name
    assert by_name["NewCo"]["role"] == Role.OWNER and by_name["NewCo"]["isCurrent"] is True
    assert by_name["Globex"] == {
        **by_name["Globex"],
        "id": str(other_tenant.pk),
        "slug": other_tenant.slug,
        "role": Role.VIEWER,
        "externalUserId": "crm-7",
        "isCurrent": False,
        "isUsable": True,
        "parentId": None,
    }
    assert by_name["NewCo"]["id"] == newco_id

    switched = client.post(SWITCH, {"tenantId": by_name["Globex"]["id"]}, format="json")
    assert switched.status_code == 200, switched.json()
    there = APIClient()
    there.credentials(HTTP_AUTHORIZATION=f"Bearer {switched.json()['accessToken']}")
    rows = there.get(LINKED).json()["results"]
    assert {row["name"]: row["isCurrent"] for row in rows} == {"Globex": True, "NewCo": False}


def test_pages_role_filter_inactive_memberships_and_archived_tenants(db, owner, api_client_for, make_member):
    user = owner.user
    for name, role in (("Beta", Role.EDITOR), ("Gamma", Role.ADMIN), ("Delta", Role.EDITOR)):
        other = Tenant.objects.create(name=name, slug=name.lower())
        with tenancy.tenant_context(other):
            Membership.objects.create(user=user, role=role)
    gone = Tenant.objects.create(name="Gone", slug="gone")
    with tenancy.tenant_context(gone):
        Membership.objects.create(user=user, role=Role.ADMIN, is_active=False)  # left: not linked
    Tenant.objects.filter(slug="delta").update(status="archived")
    client = api_client_for(owner)

    first = client.get(LINKED, {"pageSize": 2}).json()
    assert first["count"] == 4 and first["hasMore"] is True
    assert [row["name"] for row in first["results"]] == ["Acme", "Beta"]
    last = client.get(LINKED, {"pageSize": 2, "page": 2}).json()
    assert [(row["name"], row["isUsable"]) for row in last["results"]] == [("Delta", False), ("Gamma", True)]
    editors = client.get(LINKED, {"role": Role.EDITOR}).json()["results"]
    assert [row["name"] for row in editors] == ["Beta", "Delta"]
    assert client.get(LINKED, {"role": "KING"}).status_code == 400
    assert client.get(LINKED, {"page": "x"}).status_code == 400


def test_linked_accounts_need_a_person(
    db, tenant, owner, api_key_client_for, api_client_for, django_assert_max_num_queries
):
    assert APIClient().get(LINKED).status_code == 401
    response = api_key_client_for(tenant).get(LINKED)
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    client = api_client_for(owner)
    client.get(LINKED)  # the principal is cached from here on
    with django_assert_max_num_queries(6):
        assert client.get(LINKED).status_code == 200
