"""The operator console renders for every tenants/core model, hides secrets and audit-logs its actions."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from core import tenancy
from core.models import AuditLogEntry, IdempotencyRecord
from tenants.models import (
    ApiKey,
    AuthSession,
    Membership,
    MonthlyActiveUser,
    RefreshToken,
    Team,
    TeamMember,
    Tenant,
    TenantExternalId,
    User,
)
from tenants.roles import Role
from tenants.services.workspaces import set_external_ids

TOTP_SECRET = "JBSWY3DPEHPK3PXPSECRETVALUE"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@hubbub.local", "admin-pass-123")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    client.staff_user = superuser
    return client


@pytest.fixture
def world(tenant, owner, api_key_client_for, api_client_for):
    """One row of every model, with secrets whose values must never appear in the console."""
    owner.user.totp_secret = TOTP_SECRET
    owner.user.totp_confirmed_at = timezone.now()
    owner.user.save()
    set_external_ids(tenant, {"crm": "C-1"})
    key_client = api_key_client_for(tenant)
    user_client = api_client_for(owner)
    with tenancy.tenant_context(tenant):
        MonthlyActiveUser.objects.create(user=owner.user, month=timezone.now().date().replace(day=1))
        IdempotencyRecord.objects.create(owner="user:x", key="k1", fingerprint="f" * 64, status_code=201)
    return {"raw_key": key_client.raw_key, "refresh": user_client.token_pair.refresh_token, "owner": owner}


def objects_by_model(tenant):
    with tenancy.platform_access():
        return {
            Tenant: tenant,
            User: User.objects.filter(memberships__tenant=tenant).first(),
            Membership: Membership.all_tenants.filter(tenant=tenant).first(),
            Team: Team.all_tenants.filter(tenant=tenant).first(),
            ApiKey: ApiKey.all_tenants.filter(tenant=tenant).first(),
            AuthSession: AuthSession.all_tenants.filter(tenant=tenant).first(),
            RefreshToken: RefreshToken.all_tenants.filter(tenant=tenant).first(),
            MonthlyActiveUser: MonthlyActiveUser.all_tenants.filter(tenant=tenant).first(),
            AuditLogEntry: AuditLogEntry.all_tenants.filter(tenant=tenant).first(),
            IdempotencyRecord: IdempotencyRecord.all_tenants.filter(tenant=tenant).first(),
        }


def test_every_tenants_and_core_model_is_registered(tenant):
    for model in objects_by_model(tenant):
        assert model in admin.site._registry, model
    # edited inline: external ids on the tenant, team members on the team
    assert TenantExternalId in {inline.model for inline in admin.site._registry[Tenant].inlines}
    assert TeamMember in {inline.model for inline in admin.site._registry[Team].inlines}


def test_changelists_and_change_pages_render_without_secrets(staff_client, tenant, world):
    owner_user = world["owner"].user
    with tenancy.platform_access():
        secrets = [
            TOTP_SECRET,
            owner_user.password,
            world["raw_key"],
            ApiKey.all_tenants.get(tenant=tenant).key_hash,
            world["refresh"],
            RefreshToken.all_tenants.filter(tenant=tenant).first().token_hash,
        ]
    for model, obj in objects_by_model(tenant).items():
        assert obj is not None, model
        opts = model._meta
        changelist = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, model
        change = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, model
        for response in (changelist, change):
            html = response.content.decode()
            for secret in secrets:
                assert secret not in html, (model, secret[:6])


def test_logs_are_read_only(staff_client, tenant, world):
    entry = objects_by_model(tenant)[AuditLogEntry]
    assert staff_client.get(reverse("admin:core_auditlogentry_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:core_auditlogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    with tenancy.platform_access():
        assert AuditLogEntry.all_tenants.filter(pk=entry.pk).exists()


def test_tenant_actions_change_status_and_are_audited(staff_client, superuser, tenant, world):
    url = reverse("admin:tenants_tenant_changelist")
    response = staff_client.post(url, {"action": "suspend", "_selected_action": [str(tenant.pk)]})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == "suspended"
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="admin.tenant.status_changed")
    assert entry.actor_user_id == superuser.pk and entry.changes == {"status": ["active", "suspended"]}
    staff_client.post(url, {"action": "activate", "_selected_action": [str(tenant.pk)]})
    tenant.refresh_from_db()
    assert tenant.status == "active"


def test_tenant_change_form_save_is_audited(staff_client, superuser, tenant, world):
    url = reverse("admin:tenants_tenant_change", args=[tenant.pk])
    data = {
        "name": "Acme Renamed",
        "slug": tenant.slug,
        "status": "active",
        "plan": "business",
        "limit_overrides": "{}",
        "feature_overrides": "{}",
        "timezone": "UTC",
        "locale": "en",
        "settings": "{}",
        "theme": "{}",
        "external_ids-TOTAL_FORMS": "0",
        "external_ids-INITIAL_FORMS": "0",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant.refresh_from_db()
    assert tenant.name == "Acme Renamed"
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="admin.tenant.updated")
    assert entry.changes["name"] == ["Acme", "Acme Renamed"] and entry.actor_user_id == superuser.pk


def test_force_logout_revokes_sessions_and_lock_deactivates(staff_client, tenant, world):
    owner = world["owner"]
    url = reverse("admin:tenants_user_changelist")
    staff_client.post(url, {"action": "force_logout", "_selected_action": [str(owner.user_id)]})
    with tenancy.tenant_context(tenant):
        assert not AuthSession.objects.filter(user=owner.user, revoked_at__isnull=True).exists()
        assert AuditLogEntry.objects.filter(action="admin.user.force_logout").exists()
    staff_client.post(url, {"action": "lock", "_selected_action": [str(owner.user_id)]})
    owner.user.refresh_from_db()
    assert owner.user.is_active is False
    staff_client.post(url, {"action": "unlock", "_selected_action": [str(owner.user_id)]})
    owner.user.refresh_from_db()
    assert owner.user.is_active is True


def test_api_key_revoke_action(staff_client, tenant, world, client):
    key = objects_by_model(tenant)[ApiKey]
    staff_client.post(
        reverse("admin:tenants_apikey_changelist"), {"action": "revoke", "_selected_action": [str(key.pk)]}
    )
    with tenancy.tenant_context(tenant):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
        (entry,) = AuditLogEntry.objects.filter(action__endswith="revoked", object_id=str(key.pk))
    assert (entry.action, entry.actor_label) == ("api_key.revoked", staff_client.staff_user.email)


def test_session_revoke_action(staff_client, tenant, world):
    session = objects_by_model(tenant)[AuthSession]
    url = reverse("admin:tenants_authsession_changelist")
    staff_client.post(url, {"action": "revoke", "_selected_action": [str(session.pk)]})
    with tenancy.tenant_context(tenant):
        assert AuthSession.objects.get(pk=session.pk).revoked_at is not None


def test_default_team_cannot_be_deleted_in_admin(staff_client, tenant, world):
    with tenancy.tenant_context(tenant):
        default = Team.objects.get(is_default=True)
    response = staff_client.post(reverse("admin:tenants_team_delete", args=[default.pk]), {"post": "yes"})
    assert response.status_code == 403
    with tenancy.tenant_context(tenant):
        assert Team.objects.filter(pk=default.pk).exists()


def test_non_staff_cannot_open_the_console(client, tenant, make_member):
    member = make_member(tenant, Role.OWNER)
    client.force_login(member.user)
    response = client.get(reverse("admin:tenants_tenant_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_membership_read_only_channels_cannot_be_edited_until_enforced(rf):
    """Issue 15: a setting nothing enforces is shown, never accepted."""
    from django.contrib.admin.sites import site

    from tenants.models import Membership

    model_admin = site._registry[Membership]
    assert "read_only_channel_ids" in model_admin.get_readonly_fields(rf.get("/"))
