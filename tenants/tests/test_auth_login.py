"""Registration and password login: lockout, second factor, tenant choice, no user enumeration."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy
from core.api.throttling import AuthRateThrottle
from core.models import AuditLogEntry
from tenants.models import AuthSession, Membership, Team, TeamMember, Tenant, TenantStatus, User
from tenants.roles import Role
from tenants.services import auth as auth_services

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/api-keys/"  # any bearer-protected endpoint an OWNER may read
PASSWORD = "correct horse battery"


@pytest.fixture
def client():
    return APIClient()


def _login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra}, format="json")


def _audit(tenant, action):
    with tenancy.tenant_context(tenant):
        return list(AuditLogEntry.objects.filter(action=action))


# --- register --------------------------------------------------------------------------------------------------------


def test_register_creates_tenant_owner_default_team_and_signs_in(client, db):
    response = client.post(
        REGISTER,
        {
            "tenantName": "Initech",
            "email": "Peter@Initech.example",
            "password": "tps-reports-2026!",
            "firstName": "Peter",
            "lastName": "Gibbons",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 3600
    assert body["tenant"]["name"] == "Initech" and body["tenant"]["slug"] == "initech"
    assert body["user"]["email"] == "peter@initech.example" and body["user"]["hasTotp"] is False
    tenant = Tenant.objects.get(pk=body["tenant"]["id"])
    user = User.objects.get(email="peter@initech.example")
    assert user.check_password("tps-reports-2026!") and (user.first_name, user.last_name) == ("Peter", "Gibbons")
    with tenancy.tenant_context(tenant):
        membership = Membership.objects.get()
        assert (membership.user, membership.role) == (user, Role.OWNER)
        team = Team.objects.get()
        assert team.is_default and TeamMember.objects.filter(team=team, user=user).exists()
    authed = APIClient()
    authed.credentials(HTTP_AUTHORIZATION=f"Bearer {body['accessToken']}")
    assert authed.get(ME).status_code == 200


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "1234567890123"}, "password"),  # numeric only and common
        ({"tenantName": ""}, "tenantName"),
        ({"firstName": None}, "firstName"),
    ],
)
def test_register_bad_input_is_400_with_field_details_and_writes_nothing(client, db, change, field):
    payload = {
        "tenantName": "Initech",
        "email": "peter@initech.example",
        "password": "tps-reports-2026!",
        "firstName": "Peter",
        "lastName": "Gibbons",
        **change,
    }
    response = client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR" and field in body["error"]["details"]
    assert body["statusCode"] == 400 and body["path"] == REGISTER
    assert not Tenant.objects.exists() and not User.objects.exists()


def test_register_with_a_taken_email_is_409_and_writes_nothing(client, owner):
    payload = {
        "tenantName": "Second",
        "email": owner.user.email.upper(),
        "password": "tps-reports-2026!",
        "firstName": "A",
        "lastName": "B",
    }
    response = client.post(REGISTER, payload, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "EMAIL_TAKEN"
    assert Tenant.objects.count() == 1 and User.objects.count() == 1


# --- login -----------------------------------------------------------------------------------------------------------


def test_login_is_case_insensitive_and_records_the_login(client, owner, tenant):
    response = _login(client, owner.user.email.upper())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tenant"] == {"id": str(tenant.pk), "name": tenant.name, "slug": tenant.slug}
    assert set(body) >= {"accessToken", "refreshToken", "tokenType", "expiresIn", "tenant"}
    with tenancy.tenant_context(tenant):
        session = AuthSession.objects.get()
    assert session.user_id == owner.user_id
    [entry] = _audit(tenant, "auth.login")
    assert entry.actor_user_id == owner.user_id and entry.object_id == str(owner.user_id)
    owner.user.refresh_from_db()
    assert owner.user.last_login is not None


def test_wrong_password_and_unknown_email_give_the_same_401(client, owner):
    wrong = _login(client, owner.user.email, "not the password").json()
    unknown = _login(client, "nobody@example.com", "not the password").json()
    assert wrong["error"] == unknown["error"]
    assert wrong["error"]["code"] == "INVALID_CREDENTIALS" and wrong["statusCode"] == 401


def test_lockout_after_max_failures_then_lifted_after_the_window(client, owner, tenant, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT = timedelta(minutes=15)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(2):
            assert _login(client, owner.user.email, "wrong").status_code == 401
        locked = _login(client, owner.user.email, "wrong")
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "ACCOUNT_LOCKED"
        assert locked["Retry-After"] == str(15 * 60)
        # Locked means locked: the right password is refused too.
        clock.shift(timedelta(minutes=10))
        right = _login(client, owner.user.email)
        assert right.status_code == 429 and right.json()["error"]["code"] == "ACCOUNT_LOCKED"
        assert int(right["Retry-After"]) == 5 * 60
        clock.shift(timedelta(minutes=5, seconds=1))
        assert _login(client, owner.user.email).status_code == 200
    assert len(_audit(tenant, "auth.login_failed")) == 2
    assert len(_audit(tenant, "auth.account_locked")) == 1


def test_success_resets_the_failure_count(client, owner, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        assert _login(client, owner.user.email, "wrong").status_code == 401
    assert _login(client, owner.user.email).status_code == 200
    owner.user.refresh_from_db()
    assert owner.user.failed_login_count == 0
    for _ in range(2):
        assert _login(client, owner.user.email, "wrong").status_code == 401
    assert _login(client, owner.user.email).status_code == 200


def test_unknown_emails_lock_out_like_real_ones(client, db, settings):
    settings.LOGIN_MAX_FAILURES = 2
    assert _login(client, "ghost@example.com", "x").json()["error"]["code"] == "INVALID_CREDENTIALS"
    locked = _login(client, "ghost@example.com", "x")
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "ACCOUNT_LOCKED"
    assert locked["Retry-After"]


def test_missing_fields_are_400(client, db):
    response = client.post(LOGIN, {"email": "a@example.com"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]


def test_suspended_tenant_and_inactive_membership_cannot_sign_in(client, owner, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)
    response = _login(client, owner.user.email)
    assert response.status_code == 403 and response.json()["error"]["code"] == "TENANT_INACTIVE"
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.ACTIVE)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=owner.pk).update(is_active=False)
    response = _login(client, owner.user.email)
    assert response.status_code == 403 and response.json()["error"]["code"] == "MEMBERSHIP_INACTIVE"
    with tenancy.tenant_context(tenant):
        assert not AuthSession.objects.exists()


def test_several_memberships_pick_last_used_tenant_else_oldest_or_the_named_one(
    client, owner, tenant, other_tenant, make_member
):
    with tenancy.tenant_context(other_tenant):
        Membership.objects.create(user=owner.user, role=Role.VIEWER)
    assert _login(client, owner.user.email).json()["tenant"]["id"] == str(tenant.pk)  # oldest membership
    named = _login(client, owner.user.email, tenantId=str(other_tenant.pk)).json()
    assert named["tenant"]["id"] == str(other_tenant.pk)
    # The session just opened in other_tenant is now the most recently used one.
    assert _login(client, owner.user.email).json()["tenant"]["id"] == str(other_tenant.pk)
    stranger_tenant = Tenant.objects.create(name="Stranger", slug="stranger")
    response = _login(client, owner.user.email, tenantId=str(stranger_tenant.pk))
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


# --- second factor ---------------------------------------------------------------------------------------------------


@pytest.fixture
def totp_user(owner, tenant):
    """The owner with TOTP enabled; returns (membership, secret, recovery codes)."""
    with tenancy.tenant_context(tenant):
        secret, _uri = auth_services.setup_totp(owner.user)
        codes = auth_services.enable_totp(owner.user, otp=pyotp.TOTP(secret).now())
    cache.clear()  # forget the enrolment code, so a login in the same 30 s step may use it
    return owner, secret, codes


def test_totp_user_needs_a_valid_code(client, totp_user):
    membership, secret, _codes = totp_user
    email = membership.user.email
    missing = _login(client, email)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "OTP_REQUIRED"
    wrong = _login(client, email, otp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "INVALID_OTP"
    right = _login(client, email, otp=pyotp.TOTP(secret).now())
    assert right.status_code == 200, right.json()
    # The same code cannot be replayed within its validity window.
    replay = _login(client, email, otp=pyotp.TOTP(secret).now())
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "INVALID_OTP"


def test_otp_required_does_not_count_as_a_failure_but_wrong_codes_do(client, totp_user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    membership, _secret, _codes = totp_user
    for _ in range(3):
        assert _login(client, membership.user.email).json()["error"]["code"] == "OTP_REQUIRED"
    assert _login(client, membership.user.email, otp="abcde-12345").json()["error"]["code"] == "INVALID_OTP"
    assert _login(client, membership.user.email, otp="abcde-12345").json()["error"]["code"] == "ACCOUNT_LOCKED"


def test_recovery_code_works_once(client, totp_user, tenant):
    membership, _secret, codes = totp_user
    first = _login(client, membership.user.email, otp=codes[0].upper())
    assert first.status_code == 200, first.json()
    again = _login(client, membership.user.email, otp=codes[0])
    assert again.status_code == 401 and again.json()["error"]["code"] == "INVALID_OTP"
    membership.user.refresh_from_db()
    assert len(membership.user.totp_recovery_code_hashes) == 9
    assert codes[0] not in str(membership.user.totp_recovery_code_hashes)
    assert _login(client, membership.user.email, otp=codes[1]).status_code == 200
    assert len(_audit(tenant, "auth.recovery_code_used")) == 2


def test_credential_endpoints_are_rate_limited_per_client(client, db, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "rate", "3/min", raising=False)
    for _ in range(3):
        assert _login(client, "someone@example.com", "x").status_code == 401
    limited = _login(client, "someone@example.com", "x")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited["Retry-After"]) > 0
    assert client.post("/api/v1/auth/password/reset", {"email": "a@example.com"}, format="json").status_code == 429
