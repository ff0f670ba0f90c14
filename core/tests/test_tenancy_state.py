"""One tenancy state: every context manager restores exactly what it found, and a request resets what it entered."""

import threading

import pytest
from rest_framework.test import APIClient

from core import tenancy
from core.auth import Principal
from tenants.roles import Role, member_principal


def principal_of(tenant, **kwargs) -> Principal:
    return Principal(tenant=tenant, permissions=frozenset(), kind="user", **kwargs)


def test_acting_as_sets_tenant_and_principal_and_restores_the_outer_ones(tenant, other_tenant):
    outer, inner = principal_of(tenant), principal_of(other_tenant)
    with tenancy.acting_as(outer):
        with tenancy.acting_as(inner):
            assert (tenancy.get_current_tenant(), tenancy.get_current_principal()) == (other_tenant, inner)
        assert (tenancy.get_current_tenant(), tenancy.get_current_principal()) == (tenant, outer)
    assert tenancy.current_state() == tenancy.TenancyState()


def test_platform_access_inside_a_tenant_is_dropped_by_a_nested_tenant_context_and_restored(tenant):
    with tenancy.platform_access():
        assert tenancy.is_platform_access()
        with tenancy.tenant_context(tenant):
            assert not tenancy.is_platform_access()
        assert tenancy.is_platform_access()
    assert not tenancy.is_platform_access()


def test_owner_mode_is_part_of_the_state_and_nests(tenant):
    with tenancy.owner_mode():
        with tenancy.owner_mode(), tenancy.tenant_context(tenant):
            assert tenancy.owner_mode_active()
        assert tenancy.owner_mode_active()
    assert not tenancy.owner_mode_active()


def test_fresh_state_inherits_nothing_and_restores_everything(tenant):
    principal = principal_of(tenant)
    with tenancy.acting_as(principal), tenancy.platform_access():
        with tenancy.fresh_state():
            assert tenancy.current_state() == tenancy.TenancyState()
        assert tenancy.get_current_principal() is principal and tenancy.is_platform_access()


def test_a_state_never_crosses_into_another_thread(tenant):
    seen = []
    with tenancy.acting_as(principal_of(tenant)), tenancy.owner_mode():
        thread = threading.Thread(target=lambda: seen.append(tenancy.current_state()))
        thread.start()
        thread.join()
    assert seen == [tenancy.TenancyState()]


def test_authentication_outside_a_request_scope_is_refused(tenant):
    with pytest.raises(RuntimeError, match="TenantContextMiddleware"):
        tenancy.enter_for_request(object(), principal_of(tenant))


def test_an_authenticated_request_leaves_no_state_behind(owner, api_client_for):
    response = api_client_for(owner).get("/api/v1/me")
    assert response.status_code == 200
    assert tenancy.current_state() == tenancy.TenancyState()


def test_the_role_policy_is_applied_by_tenants_when_the_principal_is_built(tenant, make_member):
    admin, editor = make_member(tenant, Role.ADMIN), make_member(tenant, Role.EDITOR)
    assert (member_principal(admin).is_tenant_admin, member_principal(admin).sees_all_channels) == (True, True)
    assert (member_principal(editor).is_tenant_admin, member_principal(editor).sees_all_channels) == (False, False)


def test_api_key_principals_see_every_channel_and_are_not_tenant_admins(tenant, api_key_client_for):
    client: APIClient = api_key_client_for(tenant, scopes=["admin"])
    from tenants.authentication import principal_for_api_key

    principal = principal_for_api_key(client.raw_key)
    assert (principal.is_tenant_admin, principal.sees_all_channels) == (False, True)


def test_a_principal_built_anywhere_gets_the_installed_role_policy(tenant, make_member):
    owner = make_member(tenant, Role.OWNER)
    built_directly = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user, role=Role.OWNER)
    assert (built_directly.is_tenant_admin, built_directly.sees_all_channels) == (True, True)
    explicit = Principal(tenant=tenant, permissions=frozenset(), kind="staff", user=owner.user, is_tenant_admin=False)
    assert explicit.is_tenant_admin is False
