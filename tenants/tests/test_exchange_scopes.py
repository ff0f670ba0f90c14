"""Token exchange never mints a broader credential than the API key that asked (issue 8, item 1).

The session's permissions are the member's role permissions intersected with the key's scopes, the session dies
with the key, and provisioning is capped at the tenant's `provision_max_role` (default EDITOR).
"""

import pytest
from rest_framework.test import APIClient

from core import tenancy
from tenants.models import Membership, Tenant
from tenants.roles import Role

EXCHANGE = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
SWITCH = "/api/v1/auth/switch-tenant"
TAGS = "/api/v1/cp/tags/"
KEYS = "/api/v1/api-keys/"


def _bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


def _member_with_external_id(tenant, make_member, role, external_id):
    membership = make_member(tenant, role)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=membership.pk).update(external_user_id=external_id)
    return membership


def _tag_count(tenant) -> int:
    from contentplanner.models import Tag

    with tenancy.tenant_context(tenant):
        return Tag.objects.count()


def test_read_key_exchanging_a_manager_gets_a_read_only_session(api_key_client_for, tenant, make_member):
    _member_with_external_id(tenant, make_member, Role.MANAGER, "mgr-1")
    key_client = api_key_client_for(tenant, scopes=["read"])
    response = key_client.post(EXCHANGE, {"externalUserId": "mgr-1"}, format="json")
    assert response.status_code == 200, response.json()
    session = _bearer(response.json()["accessToken"])

    assert session.get(TAGS).status_code == 200  # reading: within both the role and the key
    denied = session.post(TAGS, {"name": "Escalated"}, format="json")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "FORBIDDEN"
    assert _tag_count(tenant) == 0

    # A refreshed token is the same capped session.
    refreshed = APIClient().post(REFRESH, {"refreshToken": response.json()["refreshToken"]}, format="json")
    assert refreshed.status_code == 200
    assert _bearer(refreshed.json()["accessToken"]).post(TAGS, {"name": "X"}, format="json").status_code == 403
    assert _tag_count(tenant) == 0


def test_write_key_session_writes_but_never_beyond_the_members_role(api_key_client_for, tenant, make_member):
    _member_with_external_id(tenant, make_member, Role.VIEWER, "viewer-1")
    _member_with_external_id(tenant, make_member, Role.MANAGER, "mgr-2")
    key_client = api_key_client_for(tenant, scopes=["read", "write"])

    viewer = _bearer(key_client.post(EXCHANGE, {"externalUserId": "viewer-1"}, format="json").json()["accessToken"])
    assert viewer.post(TAGS, {"name": "Nope"}, format="json").status_code == 403  # the key may, the role may not
    manager = _bearer(key_client.post(EXCHANGE, {"externalUserId": "mgr-2"}, format="json").json()["accessToken"])
    assert manager.post(TAGS, {"name": "Yes"}, format="json").status_code == 201  # both may
    assert manager.get(KEYS).status_code == 403
    assert _tag_count(tenant) == 1


def test_the_session_dies_with_the_key(api_key_client_for, tenant, make_member):
    _member_with_external_id(tenant, make_member, Role.EDITOR, "ed-1")
    key_client = api_key_client_for(tenant, scopes=["read"])
    tokens = key_client.post(EXCHANGE, {"externalUserId": "ed-1"}, format="json").json()
    session = _bearer(tokens["accessToken"])
    assert session.get(TAGS).status_code == 200

    with tenancy.tenant_context(tenant):
        from django.utils import timezone

        from tenants.models import ApiKey

        ApiKey.objects.filter(pk=key_client.api_key.pk).update(revoked_at=timezone.now())
    response = session.get(TAGS)
    assert response.status_code == 401 and response.json()["error"]["code"] == "API_KEY_REVOKED"
    refreshed = APIClient().post(REFRESH, {"refreshToken": tokens["refreshToken"]}, format="json")
    assert refreshed.status_code == 401 and refreshed.json()["error"]["code"] == "API_KEY_REVOKED"


def test_an_exchanged_session_cannot_switch_to_an_uncapped_tenant(
    api_key_client_for, tenant, other_tenant, make_member
):
    membership = _member_with_external_id(tenant, make_member, Role.EDITOR, "multi")
    with tenancy.tenant_context(other_tenant):
        Membership.objects.create(user=membership.user, role=Role.OWNER)
    tokens = api_key_client_for(tenant, scopes=["read"]).post(EXCHANGE, {"externalUserId": "multi"}, format="json")
    response = _bearer(tokens.json()["accessToken"]).post(SWITCH, {"tenantId": str(other_tenant.pk)}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "EXCHANGE_SESSION_BOUND"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.APPROVER, Role.AGENT])
def test_provisioning_beyond_the_default_cap_is_refused(api_key_client_for, tenant, role):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(EXCHANGE, {"externalUserId": f"new-{role}", "role": role}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "EXCHANGE_ROLE_FORBIDDEN"
    with tenancy.tenant_context(tenant):
        assert not Membership.objects.filter(external_user_id=f"new-{role}").exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_provisioning_within_the_default_cap_works(api_key_client_for, tenant, role):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(EXCHANGE, {"externalUserId": f"new-{role}", "role": role}, format="json")
    assert response.status_code == 201, response.json()


def test_the_tenant_configures_the_provisioning_cap(api_key_client_for, owner_client, tenant):
    assert (
        owner_client.patch("/api/v1/tenant", {"settings": {"provisionMaxRole": "OWNER"}}, format="json").status_code
        == 400
    )
    response = owner_client.patch("/api/v1/tenant", {"settings": {"provisionMaxRole": "MANAGER"}}, format="json")
    assert response.status_code == 200, response.json()
    client = api_key_client_for(tenant, scopes=["users:provision"])
    assert client.post(EXCHANGE, {"externalUserId": "m", "role": "MANAGER"}, format="json").status_code == 201
    Tenant.objects.filter(pk=tenant.pk).update(settings={"provision_max_role": "VIEWER"})
    response = client.post(EXCHANGE, {"externalUserId": "e", "role": "EDITOR"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "EXCHANGE_ROLE_FORBIDDEN"
