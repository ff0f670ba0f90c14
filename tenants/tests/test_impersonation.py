"""Staff impersonation ("mask", seed 004) from the admin: time-limited, read-only unless the staff user holds
`tenants.impersonate_write`, audit-logged on both sides, visible in the token and on /me, ended by a click, and never
able to change the member's password, TOTP or API keys."""

from __future__ import annotations

import re
from datetime import timedelta

import jwt
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy
from core.errors import PermissionDenied
from core.models import AuditLogEntry
from social.models import Channel
from tenants.models import ApiKey, AuthSession, User
from tenants.roles import Role
from tenants.services.impersonation import start_impersonation

PASSWORD = "the-members-own-pass-1"


@pytest.fixture
def member(tenant, make_member):
    membership = make_member(tenant, Role.OWNER)
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


def staff(email: str, *perms: str) -> User:
    user = User.objects.create_user(email, "staff-pass-123", is_staff=True)
    # Every console user may look at members and sessions; impersonating is what `perms` grant.
    codenames = {"view_membership", "view_authsession", *perms}
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames, content_type__app_label="tenants"))
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


def impersonate_from_admin(client, staff_user: User, member) -> tuple[APIClient, str]:
    """Click the admin action; returns an API client with the access token the page shows, and the page."""
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:tenants_membership_changelist"),
        {"action": "impersonate", "_selected_action": [str(member.pk)]},
    )
    assert response.status_code == 200, response.content.decode()[:500]
    page = response.content.decode()
    access = re.search(r'id="access-token">([^<]+)<', page).group(1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api, page


def test_staff_with_write_access_impersonate_visibly_and_audited(client, tenant, member, settings):
    root = staff("root@hubbub.local", "impersonate", "impersonate_write")
    api, page = impersonate_from_admin(client, root, member)
    assert "With write access" in page
    assert 'value="impersonate"' in client.get(reverse("admin:tenants_membership_changelist")).content.decode()

    claims = jwt.decode(api._credentials["HTTP_AUTHORIZATION"][7:], options={"verify_signature": False})
    assert claims["imp"] == str(root.pk) and claims["imp_ro"] is False
    with tenancy.platform_access():  # sessions of every tenant (row-level security on PostgreSQL)
        session = AuthSession.all_tenants.get(impersonator=root)
    assert claims["exp"] <= int(session.expires_at.timestamp())
    assert session.expires_at <= timezone.now() + timedelta(minutes=settings.IMPERSONATION_MINUTES)

    me = api.get("/api/v1/me").json()
    assert me["user"]["email"] == member.user.email
    assert me["impersonation"]["impersonatorEmail"] == "root@hubbub.local" and me["impersonation"]["readOnly"] is False

    created = api.post("/api/v1/channels/", {"network": "sandbox", "name": "Made by staff"}, format="json")
    assert created.status_code == 201, created.json()
    with tenancy.tenant_context(tenant):
        started = AuditLogEntry.objects.get(action="impersonation.started")
        change = AuditLogEntry.objects.get(action="channel.created")
    assert started.actor_user == root and started.changes["user"] == member.user.email
    assert change.actor_user == member.user and change.caller_name == "impersonated by root@hubbub.local"
    # ...and on the staff side: the admin history of the staff user
    assert LogEntry.objects.filter(user=root, change_message__startswith="Impersonated").exists()


def test_own_sessions_show_no_impersonation(member, api_client_for):
    assert api_client_for(member).get("/api/v1/me").json()["impersonation"] is None


def test_without_the_write_permission_the_session_is_read_only(client, tenant, member):
    support = staff("support@hubbub.local", "impersonate")
    api, page = impersonate_from_admin(client, support, member)
    assert "Read-only" in page
    assert api.get("/api/v1/channels/").status_code == 200
    assert api.get("/api/v1/me").json()["impersonation"]["readOnly"] is True

    refused = api.post("/api/v1/channels/", {"network": "sandbox", "name": "Nope"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "IMPERSONATION_READ_ONLY"
    with tenancy.tenant_context(tenant):
        assert not Channel.objects.exists()


def test_an_impersonation_cannot_touch_password_totp_or_api_keys(client, tenant, member, api_key_client_for):
    api_key_client_for(tenant)  # an existing key of the tenant
    root = staff("root@hubbub.local", "impersonate", "impersonate_write")
    api, _ = impersonate_from_admin(client, root, member)
    with tenancy.tenant_context(tenant):
        key = ApiKey.objects.get()

    attempts = [
        api.post(
            "/api/v1/auth/password/change",
            {"currentPassword": PASSWORD, "newPassword": "taken-over-pass-99"},
            format="json",
        ),
        api.post("/api/v1/auth/totp/setup"),
        api.post("/api/v1/api-keys/", {"name": "backdoor", "scopes": ["admin"]}, format="json"),
        api.post(f"/api/v1/api-keys/{key.pk}/rotate"),
        api.delete(f"/api/v1/api-keys/{key.pk}/"),
    ]
    for response in attempts:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "IMPERSONATION_RESTRICTED"
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD) and not member.user.totp_secret
    with tenancy.tenant_context(tenant):
        assert list(ApiKey.objects.values_list("pk", "prefix", "revoked_at")) == [(key.pk, key.prefix, None)]


def test_ending_it_with_a_click_stops_the_tokens_at_once(client, tenant, member):
    root = staff("root@hubbub.local", "impersonate", "impersonate_write")
    api, page = impersonate_from_admin(client, root, member)
    end_url = re.search(r'action="([^"]+end-impersonation/)"', page).group(1)
    assert client.post(end_url).status_code == 302
    response = api.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "SESSION_REVOKED"
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="impersonation.ended", actor_user=root).count() == 1
    assert client.post(end_url).status_code == 302  # ending twice is harmless
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="impersonation.ended").count() == 1


def test_the_session_expires_by_itself(client, member, time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    root = staff("root@hubbub.local", "impersonate")
    api, _ = impersonate_from_admin(client, root, member)
    assert api.get("/api/v1/me").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(minutes=settings.IMPERSONATION_MINUTES, seconds=1), tick=False)
    assert api.get("/api/v1/me").status_code == 401


def test_only_staff_with_the_permission_may_impersonate(client, member):
    plain_staff = staff("ops@hubbub.local")
    with pytest.raises(PermissionDenied):
        start_impersonation(member, staff_user=plain_staff)
    assert _sessions_started_by(plain_staff) == 0
    client.force_login(plain_staff)
    changelist = reverse("admin:tenants_membership_changelist")
    assert 'value="impersonate"' not in client.get(changelist).content.decode()  # the action is not offered
    response = client.post(changelist, {"action": "impersonate", "_selected_action": [str(member.pk)]})
    assert 'id="access-token"' not in response.content.decode()
    assert _sessions_started_by(plain_staff) == 0


def _sessions_started_by(user: User) -> int:
    with tenancy.platform_access():
        return AuthSession.all_tenants.filter(impersonator=user).count()


def test_a_superuser_cannot_be_impersonated(tenant, make_member):
    target = make_member(tenant, Role.OWNER)
    target.user.is_superuser = True
    target.user.save()
    root = staff("root@hubbub.local", "impersonate", "impersonate_write")
    with pytest.raises(PermissionDenied):
        start_impersonation(target, staff_user=root)
