"""Token lifecycle: refresh rotation and reuse, logout, access token checks, switch-tenant, token exchange."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import AuthSession, Membership, TeamMember, Tenant, TenantStatus, User
from tenants.roles import Role

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
SWITCH = "/api/v1/auth/switch-tenant"
EXCHANGE = "/api/v1/auth/token"
PROTECTED = "/api/v1/api-keys/"  # needs tenants.apikey.manage: OWNER/ADMIN and admin-scoped keys


def _bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


def _code(response) -> str:
    return response.json()["error"]["code"]


# --- refresh and logout ----------------------------------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_whole_session(owner_client, tenant):
    first = owner_client.token_pair
    rotated = APIClient().post(REFRESH, {"refreshToken": first.refresh_token}, format="json")
    assert rotated.status_code == 200, rotated.json()
    body = rotated.json()
    assert body["refreshToken"] != first.refresh_token
    assert body["tenant"]["id"] == str(tenant.pk)
    assert _bearer(body["accessToken"]).get(PROTECTED).status_code == 200

    reused = APIClient().post(REFRESH, {"refreshToken": first.refresh_token}, format="json")
    assert reused.status_code == 401 and _code(reused) == "TOKEN_REUSED"
    with tenancy.tenant_context(tenant):
        session = AuthSession.objects.get()
    assert session.revoked_at is not None and session.revoke_reason == "refresh_token_reuse"
    # Every token of the session is dead now: the new access token and the new refresh token.
    after = _bearer(body["accessToken"]).get(PROTECTED)
    assert after.status_code == 401 and _code(after) == "SESSION_REVOKED"
    newest = APIClient().post(REFRESH, {"refreshToken": body["refreshToken"]}, format="json")
    assert newest.status_code == 401 and _code(newest) == "UNAUTHORIZED"


def test_unknown_refresh_token_is_401(db):
    response = APIClient().post(REFRESH, {"refreshToken": "hbr_nope"}, format="json")
    assert response.status_code == 401 and _code(response) == "UNAUTHORIZED"


def test_logout_ends_the_session_and_is_idempotent(owner_client):
    pair = owner_client.token_pair
    for _ in range(2):
        response = APIClient().post(LOGOUT, {"refreshToken": pair.refresh_token}, format="json")
        assert response.status_code == 204
    assert APIClient().post(REFRESH, {"refreshToken": pair.refresh_token}, format="json").status_code == 401
    assert _code(owner_client.get(PROTECTED)) == "SESSION_REVOKED"
    assert APIClient().post(LOGOUT, {"refreshToken": "hbr_unknown"}, format="json").status_code == 204


# --- access token checks ---------------------------------------------------------------------------------------------


def test_expired_access_token_is_401_token_expired(owner_client):
    assert owner_client.get(PROTECTED).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=5)):
        response = owner_client.get(PROTECTED)
    assert response.status_code == 401 and _code(response) == "TOKEN_EXPIRED"
    assert response["WWW-Authenticate"]


def test_tampered_access_token_is_401(owner_client):
    header, payload, signature = owner_client.token_pair.access_token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = _bearer(forged).get(PROTECTED)
    assert response.status_code == 401 and _code(response) == "UNAUTHORIZED"
    assert _bearer("not-a-jwt").get(PROTECTED).status_code == 401


def test_token_stops_working_when_the_membership_is_removed(tenant, make_member, api_client_for):
    membership = make_member(tenant, Role.ADMIN)
    client = api_client_for(membership)
    assert client.get(PROTECTED).status_code == 200
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=membership.pk).delete()
    response = client.get(PROTECTED)
    assert response.status_code == 401 and response.json()["statusCode"] == 401


def test_token_stops_working_when_the_tenant_is_suspended(owner_client, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)
    response = owner_client.get(PROTECTED)
    assert response.status_code == 401 and _code(response) == "TENANT_INACTIVE"
    refresh = APIClient().post(REFRESH, {"refreshToken": owner_client.token_pair.refresh_token}, format="json")
    assert refresh.status_code == 401


# --- switch-tenant ---------------------------------------------------------------------------------------------------


def test_switch_tenant_gives_tokens_for_another_membership(owner_client, owner, other_tenant):
    with tenancy.tenant_context(other_tenant):
        Membership.objects.create(user=owner.user, role=Role.ADMIN)
    response = owner_client.post(SWITCH, {"tenantId": str(other_tenant.pk)}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tenant"]["id"] == str(other_tenant.pk)
    switched = _bearer(body["accessToken"])
    assert switched.get(PROTECTED).status_code == 200
    with tenancy.tenant_context(other_tenant):
        assert AuthSession.objects.filter(user=owner.user).count() == 1
    assert owner_client.get(PROTECTED).status_code == 200  # the original session stays valid


def test_switch_to_a_tenant_the_user_is_not_in_is_404(owner_client, other_tenant, make_member):
    make_member(other_tenant, Role.OWNER)
    response = owner_client.post(SWITCH, {"tenantId": str(other_tenant.pk)}, format="json")
    assert response.status_code == 404 and _code(response) == "NOT_FOUND"
    with tenancy.tenant_context(other_tenant):
        assert not AuthSession.objects.exists()


def test_switch_to_an_inactive_membership_is_404(owner_client, owner, other_tenant):
    with tenancy.tenant_context(other_tenant):
        Membership.objects.create(user=owner.user, role=Role.ADMIN, is_active=False)
    response = owner_client.post(SWITCH, {"tenantId": str(other_tenant.pk)}, format="json")
    assert response.status_code == 404


def test_switch_tenant_refuses_api_keys(api_key_client_for, tenant, other_tenant):
    client = api_key_client_for(tenant, scopes=["admin"])
    response = client.post(SWITCH, {"tenantId": str(other_tenant.pk)}, format="json")
    assert response.status_code == 401


# --- token exchange (seed 002) ---------------------------------------------------------------------------------------


def test_exchange_provisions_an_unknown_user_with_the_scope(api_key_client_for, tenant):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(
        EXCHANGE, {"externalUserId": "ext-1", "email": "Ext@Example.com", "firstName": "Ext"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tenant"]["id"] == str(tenant.pk) and body["user"]["email"] == "ext@example.com"
    with tenancy.tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(external_user_id="ext-1")
        assert membership.role == Role.EDITOR and not membership.user.has_usable_password()
        assert TeamMember.objects.filter(user=membership.user, team__is_default=True).exists()
        [entry] = AuditLogEntry.objects.filter(action="auth.user_provisioned")
    assert entry.actor_api_key_id == client.api_key.pk and entry.object_id == str(membership.pk)
    # The tokens act as that user, an EDITOR: managing API keys is refused.
    assert _bearer(body["accessToken"]).get(PROTECTED).status_code == 403

    again = client.post(EXCHANGE, {"externalUserId": "ext-1"}, format="json")
    assert again.status_code == 200 and again.json()["user"]["id"] == body["user"]["id"]
    with tenancy.tenant_context(tenant):
        assert Membership.objects.filter(external_user_id="ext-1").count() == 1
        assert AuthSession.objects.filter(membership=membership).count() == 2


def test_exchange_without_the_scope_finds_existing_members_only(api_key_client_for, tenant, make_member):
    client = api_key_client_for(tenant, scopes=["read"])
    response = client.post(EXCHANGE, {"externalUserId": "nobody"}, format="json")
    assert response.status_code == 404 and _code(response) == "EXTERNAL_USER_NOT_FOUND"
    users_before = User.objects.count()
    existing = make_member(tenant, Role.EDITOR)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=existing.pk).update(external_user_id="known")
    assert User.objects.count() == users_before + 1
    response = client.post(EXCHANGE, {"externalUserId": "known"}, format="json")
    assert response.status_code == 200 and response.json()["user"]["id"] == str(existing.user_id)


def test_same_external_user_id_in_two_tenants_are_different_users(api_key_client_for, tenant, other_tenant):
    ours = api_key_client_for(tenant, scopes=["users:provision"]).post(
        EXCHANGE, {"externalUserId": "42"}, format="json"
    )
    theirs = api_key_client_for(other_tenant, scopes=["users:provision"]).post(
        EXCHANGE, {"externalUserId": "42"}, format="json"
    )
    assert ours.status_code == theirs.status_code == 201
    assert ours.json()["user"]["id"] != theirs.json()["user"]["id"]
    assert ours.json()["tenant"]["id"] == str(tenant.pk) and theirs.json()["tenant"]["id"] == str(other_tenant.pk)
    # A key of one tenant never reaches the other tenant's member with the same external id.
    read_only = api_key_client_for(other_tenant, scopes=["read"])
    with tenancy.tenant_context(other_tenant):
        Membership.objects.filter(external_user_id="42").delete()
    response = read_only.post(EXCHANGE, {"externalUserId": "42"}, format="json")
    assert response.status_code == 404


def test_exchange_never_creates_owners_and_guards_privileged_roles(api_key_client_for, tenant, owner):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(EXCHANGE, {"externalUserId": "boss", "role": "OWNER"}, format="json")
    assert response.status_code == 400 and "role" in response.json()["error"]["details"]
    response = client.post(EXCHANGE, {"externalUserId": "boss", "role": "ADMIN"}, format="json")
    assert response.status_code == 403 and _code(response) == "EXCHANGE_ROLE_FORBIDDEN"
    with tenancy.tenant_context(tenant):
        assert not Membership.objects.filter(external_user_id="boss").exists()
        Membership.objects.filter(pk=owner.pk).update(external_user_id="owner-ext")
    response = client.post(EXCHANGE, {"externalUserId": "owner-ext"}, format="json")
    assert response.status_code == 403 and _code(response) == "EXCHANGE_ROLE_FORBIDDEN"
    admin_key = api_key_client_for(tenant, scopes=["admin", "users:provision"])
    assert admin_key.post(EXCHANGE, {"externalUserId": "owner-ext"}, format="json").status_code == 200


def test_exchange_with_a_taken_email_is_409_and_writes_nothing(api_key_client_for, tenant, owner):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(EXCHANGE, {"externalUserId": "x", "email": owner.user.email}, format="json")
    assert response.status_code == 409 and _code(response) == "EMAIL_TAKEN"
    with tenancy.tenant_context(tenant):
        assert Membership.objects.count() == 1


def test_exchange_respects_the_plan_user_limit(api_key_client_for, tenant, owner):
    Tenant.objects.filter(pk=tenant.pk).update(limit_overrides={"users": 1})
    client = api_key_client_for(tenant, scopes=["users:provision"])
    response = client.post(EXCHANGE, {"externalUserId": "one-too-many"}, format="json")
    assert response.status_code == 403 and _code(response) == "LIMIT_REACHED"


def test_exchange_needs_an_api_key(owner_client):
    response = owner_client.post(EXCHANGE, {"externalUserId": "x"}, format="json")
    assert response.status_code == 401
    assert APIClient().post(EXCHANGE, {"externalUserId": "x"}, format="json").status_code == 401


@pytest.mark.parametrize("payload", [{}, {"externalUserId": ""}, {"externalUserId": "x", "email": "nope"}])
def test_exchange_bad_input_is_400(api_key_client_for, tenant, payload):
    response = api_key_client_for(tenant, scopes=["users:provision"]).post(EXCHANGE, payload, format="json")
    assert response.status_code == 400 and _code(response) == "VALIDATION_ERROR"
    with tenancy.tenant_context(tenant):
        assert not Membership.objects.exists()


def test_expired_refresh_token_is_401_and_issues_nothing(owner_client, tenant):
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=5)):
        response = APIClient().post(REFRESH, {"refreshToken": owner_client.token_pair.refresh_token}, format="json")
    assert response.status_code == 401 and _code(response) == "UNAUTHORIZED"
    with tenancy.tenant_context(tenant):
        assert AuthSession.objects.get().refresh_tokens.count() == 1
