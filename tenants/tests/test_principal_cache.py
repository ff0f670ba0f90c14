"""The principal cache (tenants/principal_cache.py): repeated requests read no authentication rows, every change that
affects a principal applies to the very next request made with the old credential, and the cache holds no secret."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core import tenancy
from tenants import principal_cache
from tenants.models import AuthSession, Membership, Team, User
from tenants.roles import Role

TEAMS = "/api/v1/teams/"
API_KEYS = "/api/v1/api-keys/"  # tenants.apikey.manage: OWNER/ADMIN and admin-scoped keys
USERS = "/api/v1/users/"


def _tables_read(client: APIClient, path: str = TEAMS) -> str:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return " ".join(query["sql"] for query in queries.captured_queries)


def _code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def admin_member(tenant, make_member):
    return make_member(tenant, Role.ADMIN)


@pytest.fixture
def warm(api_client_for):
    """warm(membership) -> a bearer client whose principal is cached (one request made)."""

    def make(membership) -> APIClient:
        client = api_client_for(membership)
        assert client.get(TEAMS).status_code == 200
        return client

    return make


# --- hits ------------------------------------------------------------------------------------------------------------


def test_a_cached_bearer_principal_reads_no_session_rows(owner, api_client_for):
    client = api_client_for(owner)
    assert "tenants_authsession" in _tables_read(client)
    assert "tenants_authsession" not in _tables_read(client)


def test_a_cached_api_key_principal_reads_no_key_rows(tenant, api_key_client_for):
    client = api_key_client_for(tenant)
    assert "tenants_apikey" in _tables_read(client)  # learns the key's tenant
    assert "tenants_apikey" in _tables_read(client)  # stores the entry under the tenant's stamp
    assert "tenants_apikey" not in _tables_read(client)


def test_an_evicted_stamp_rereads_the_rows(owner, warm, tenant):
    client = warm(owner)
    cache.delete(principal_cache.tenant_stamp_key(tenant.pk))
    assert "tenants_authsession" in _tables_read(client)


def test_cache_off_reads_every_time(owner, api_client_for, settings):
    settings.PRINCIPAL_CACHE_SECONDS = 0
    client = api_client_for(owner)
    _tables_read(client)
    assert "tenants_authsession" in _tables_read(client)


def test_the_cache_holds_no_secret(tenant, owner, api_client_for, api_key_client_for, settings):
    # LocMemCache keeps pickles, exactly the bytes a shared cache (Redis) would hold, and can be read back whole.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "secrets"}}
    user = owner.user
    user.set_password("correct horse battery staple")
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    user.totp_recovery_code_hashes = ["recovery-hash-value"]
    user.save()
    bearer, keyed = api_client_for(owner), api_key_client_for(tenant, scopes=["admin"])
    for _ in range(3):
        assert bearer.get(API_KEYS).status_code == 200 and keyed.get(API_KEYS).status_code == 200
    with tenancy.platform_access():
        key_hash = keyed.api_key.__class__.all_tenants.get(pk=keyed.api_key.pk).key_hash
    # LocMemCache keeps pickles: exactly the bytes a shared cache (Redis) would hold.
    stored = b"".join(value for key, value in list(cache._cache.items()) if principal_cache.PREFIX in key)
    assert user.email.encode() in stored and keyed.api_key.prefix.encode() in stored  # both entries are there
    for secret in (
        bearer.token_pair.access_token,
        bearer.token_pair.refresh_token,
        keyed.raw_key,
        key_hash,
        user.password,
        "JBSWY3DPEHPK3PXP",
        "recovery-hash-value",
    ):
        assert secret.encode() not in stored
    # The principal's user has the secret fields deferred: reading one loads the stored value.
    me = bearer.get("/api/v1/me")
    assert me.status_code == 200


# --- every change applies to the next request made with the old credential -------------------------------------------


def test_logout_refuses_the_old_access_token(owner, warm):
    client = warm(owner)
    assert APIClient().post("/api/v1/auth/logout", {"refreshToken": client.token_pair.refresh_token}).status_code in (
        200,
        204,
    )
    response = client.get(TEAMS)
    assert response.status_code == 401 and _code(response) == "SESSION_REVOKED"


def test_password_change_refuses_the_other_sessions(owner, warm):
    owner.user.set_password("old-password-1234")
    owner.user.save()
    here, elsewhere = warm(owner), warm(owner)
    response = here.post(
        "/api/v1/auth/password/change",
        {"currentPassword": "old-password-1234", "newPassword": "a-new-Password-5678"},
        format="json",
    )
    assert response.status_code in (200, 204), response.content
    assert here.get(TEAMS).status_code == 200
    refused = elsewhere.get(TEAMS)
    assert refused.status_code == 401 and _code(refused) == "SESSION_REVOKED"


def test_role_change_applies_to_the_next_request(owner, admin_member, warm):
    owner_client, admin_client = warm(owner), warm(admin_member)
    assert admin_client.get(API_KEYS).status_code == 200
    changed = owner_client.patch(f"{USERS}{admin_member.user_id}", {"role": Role.EDITOR}, format="json")
    assert changed.status_code == 200, changed.content
    assert admin_client.get(API_KEYS).status_code == 403
    assert admin_client.get(TEAMS).status_code == 200  # still a member, with the new role's permissions


def test_custom_permission_change_applies_to_the_next_request(owner, admin_member, warm):
    owner_client, admin_client = warm(owner), warm(admin_member)
    changed = owner_client.patch(
        f"{USERS}{admin_member.user_id}", {"customPermissions": {"remove": ["tenants.team.read"]}}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert admin_client.get(TEAMS).status_code == 403
    owner_client.patch(f"{USERS}{admin_member.user_id}", {"customPermissions": {}}, format="json")
    assert admin_client.get(TEAMS).status_code == 200


def test_membership_removal_refuses_the_removed_member(owner, admin_member, warm):
    owner_client, admin_client = warm(owner), warm(admin_member)
    assert owner_client.delete(f"{USERS}{admin_member.user_id}").status_code == 204
    assert admin_client.get(TEAMS).status_code == 401
    assert owner_client.get(TEAMS).status_code == 200


def test_api_key_revoke_and_rotate_refuse_the_old_key(tenant, owner, warm, api_key_client_for):
    owner_client = warm(owner)
    revoked, rotated = api_key_client_for(tenant), api_key_client_for(tenant)
    for client in (revoked, rotated, revoked, rotated, revoked, rotated):
        assert client.get(TEAMS).status_code == 200  # the third round is served from the cache
    assert owner_client.delete(f"{API_KEYS}{revoked.api_key.pk}/").status_code in (200, 204)
    refused = revoked.get(TEAMS)
    assert refused.status_code == 401 and _code(refused) == "API_KEY_REVOKED"

    response = owner_client.post(f"{API_KEYS}{rotated.api_key.pk}/rotate/")
    assert response.status_code in (200, 201), response.content
    assert rotated.get(TEAMS).status_code == 401
    renewed = APIClient()
    renewed.credentials(HTTP_X_API_KEY=response.json()["key"])
    assert renewed.get(TEAMS).status_code == 200


def test_revoking_a_key_refuses_the_sessions_it_minted(tenant, owner, make_member, warm, api_key_client_for):
    editor = make_member(tenant, Role.EDITOR)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=editor.pk).update(external_user_id="ed-1")
    owner_client, keyed = warm(owner), api_key_client_for(tenant, scopes=["read"])
    exchanged = keyed.post("/api/v1/auth/token", {"externalUserId": "ed-1"}, format="json")
    assert exchanged.status_code == 200, exchanged.content
    minted = APIClient()
    minted.credentials(HTTP_AUTHORIZATION=f"Bearer {exchanged.json()['accessToken']}")
    assert minted.get(TEAMS).status_code == 200 and minted.get(TEAMS).status_code == 200
    assert owner_client.delete(f"{API_KEYS}{keyed.api_key.pk}/").status_code in (200, 204)
    refused = minted.get(TEAMS)
    assert refused.status_code == 401 and _code(refused) == "API_KEY_REVOKED"


def test_tenant_suspension_and_user_lock_in_the_console_apply_at_once(
    tenant, owner, admin_member, warm, api_key_client_for, client, django_user_model
):
    staff = django_user_model.objects.create_superuser(email="ops@example.com", password="pw")
    client.force_login(staff)
    owner_client, admin_client, keyed = warm(owner), warm(admin_member), api_key_client_for(tenant)
    for _ in range(3):
        assert keyed.get(TEAMS).status_code == 200
    lock = {"action": "lock", "_selected_action": [admin_member.user_id]}
    client.post(reverse("admin:tenants_user_changelist"), lock)
    assert admin_client.get(TEAMS).status_code == 401
    assert owner_client.get(TEAMS).status_code == 200

    client.post(reverse("admin:tenants_tenant_changelist"), {"action": "suspend", "_selected_action": [tenant.pk]})
    for refused in (owner_client.get(TEAMS), keyed.get(TEAMS)):
        assert refused.status_code == 401 and _code(refused) == "TENANT_INACTIVE"
    client.post(reverse("admin:tenants_tenant_changelist"), {"action": "activate", "_selected_action": [tenant.pk]})
    assert owner_client.get(TEAMS).status_code == 200 and keyed.get(TEAMS).status_code == 200


def test_changes_made_with_queryset_updates_apply_at_once(tenant, owner, admin_member, warm):
    owner_client, admin_client = warm(owner), warm(admin_member)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=admin_member.pk).update(role=Role.VIEWER)
    assert admin_client.get(API_KEYS).status_code == 403
    User.objects.filter(pk=owner.user_id).update(is_active=False)
    assert owner_client.get(TEAMS).status_code == 401


def test_a_change_racing_a_miss_is_not_cached_over(owner, api_client_for, tenant):
    """A request that read the rows before a change committed stored them under stamps the change replaced."""
    client = api_client_for(owner)
    lookup = principal_cache.Lookup(
        principal_cache.session_entry_key(client.token_pair.session.pk),
        [principal_cache.tenant_stamp_key(tenant.pk), principal_cache.user_stamp_key(owner.user_id)],
    )
    with tenancy.tenant_context(tenant):
        AuthSession.objects.filter(pk=client.token_pair.session.pk).update(revoked_at=owner.created_at)
    lookup.store({"stale": True})  # what the racing request read: it must never be served
    response = client.get(TEAMS)
    assert response.status_code == 401 and _code(response) == "SESSION_REVOKED"


# --- tenancy still holds ---------------------------------------------------------------------------------------------


def test_a_cached_principal_reaches_no_other_tenant(owner, warm, other_tenant, make_member, api_client_for):
    client = warm(owner)
    with tenancy.tenant_context(other_tenant):
        foreign = Team.objects.create(name="Theirs")
    other_owner_client = warm(make_member(other_tenant, Role.OWNER))
    assert client.get(f"{TEAMS}{foreign.pk}/").status_code == 404
    assert str(foreign.pk) not in client.get(TEAMS, {"pageSize": 100}).content.decode()
    assert other_owner_client.get(f"{TEAMS}{foreign.pk}/").status_code == 200
    # The other tenant's changes do not reach this tenant's principals, nor this tenant's changes theirs.
    with tenancy.tenant_context(other_tenant):
        Membership.objects.filter(user_id=owner.user_id).update(role=Role.VIEWER)  # not a member there: no row
    assert client.get(API_KEYS).status_code == 200
