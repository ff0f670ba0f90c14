"""Passwords (reset by mail, change) and TOTP enrolment through the API."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import AuthSession, User
from tenants.tasks import send_password_reset

LOGIN = "/api/v1/auth/login"
RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
CHANGE = "/api/v1/auth/password/change"
TOTP_SETUP = "/api/v1/auth/totp/setup"
TOTP_VERIFY = "/api/v1/auth/totp/verify"
TOTP = "/api/v1/auth/totp"
TOTP_DISABLE = "/api/v1/auth/totp/disable"
PROTECTED = "/api/v1/api-keys/"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better passphrase"


def _code(response) -> str:
    return response.json()["error"]["code"]


def _actions(tenant) -> list[str]:
    with tenancy.tenant_context(tenant):
        return list(AuditLogEntry.objects.order_by("created_at").values_list("action", flat=True))


def _request_reset(client: APIClient, email: str):
    """POST the reset and run what it queued after commit (the task, then the notice it hands to `notify`)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(RESET, {"email": email}, format="json")


def _mailed_link(message) -> tuple[str, str]:
    match = re.search(r"reset-password\?uid=([\w-]+)&token=([\w-]+)", message.body)
    assert match, message.body
    return match.group(1), match.group(2)


# --- password reset --------------------------------------------------------------------------------------------------


def test_password_reset_end_to_end_through_the_mailed_link(owner, owner_client, tenant, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client = APIClient()
    for _ in range(2):
        client.post(LOGIN, {"email": owner.user.email, "password": "wrong"}, format="json")
    owner.user.refresh_from_db()
    assert owner.user.is_locked()

    assert _request_reset(client, owner.user.email.upper()).status_code == 202
    [message] = mail.outbox
    assert message.to == [owner.user.email] and "reset" in message.subject.lower()
    uid, token = _mailed_link(message)

    response = client.post(CONFIRM, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 204, response.json()
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD) and not owner.user.is_locked()
    # Every session ended, the lockout is lifted, and the new password works.
    assert _code(owner_client.get(PROTECTED)) == "SESSION_REVOKED"
    assert client.post(LOGIN, {"email": owner.user.email, "password": NEW_PASSWORD}, format="json").status_code == 200
    assert "auth.password_reset" in _actions(tenant)

    # Single use: the same link cannot set a password again.
    again = client.post(CONFIRM, {"uid": uid, "token": token, "newPassword": "yet another passphrase"}, format="json")
    assert again.status_code == 400 and _code(again) == "INVALID_RESET_TOKEN"
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD)


def test_reset_link_expires(owner, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    _request_reset(APIClient(), owner.user.email)
    uid, token = _mailed_link(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        response = APIClient().post(CONFIRM, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and _code(response) == "INVALID_RESET_TOKEN"
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)


def test_reset_for_unknown_email_is_202_and_sends_nothing(db):
    response = _request_reset(APIClient(), "nobody@example.com")
    assert response.status_code == 202
    assert mail.outbox == []


def test_reset_request_does_the_same_work_for_known_and_unknown_emails(owner, monkeypatch):
    """No lookup, no token, no mail in the request: the answer and the timing cannot tell an account exists."""
    queued = []
    monkeypatch.setattr(send_password_reset, "delay", lambda **kwargs: queued.append(kwargs))
    observed = []
    for email in (owner.user.email, "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries, TestCase.captureOnCommitCallbacks(execute=True):
            response = APIClient().post(RESET, {"email": email}, format="json")
        observed.append((response.status_code, response.content, len(queries), len(mail.outbox)))
    assert observed[0] == observed[1] == (202, b"", observed[0][2], 0)
    assert [kwargs["email"] for kwargs in queued] == [owner.user.email, "nobody@example.com"]


def test_a_redelivered_reset_task_mails_once(owner):
    with TestCase.captureOnCommitCallbacks(execute=True):
        for _ in range(2):
            send_password_reset.apply(kwargs={"email": owner.user.email, "reset_id": "r-1"})
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "uid, token, code",
    [
        ("garbage", "garbage", "INVALID_RESET_TOKEN"),
        ("MTIz", "1-2", "INVALID_RESET_TOKEN"),
        ("", "x", "VALIDATION_ERROR"),
    ],
    ids=["garbage", "not-a-user", "empty-uid"],
)
def test_reset_confirm_with_a_bad_link_is_400(db, uid, token, code):
    response = APIClient().post(CONFIRM, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and _code(response) == code


def test_reset_token_of_another_user_does_not_work(owner, tenant, make_member):
    other = make_member(tenant)
    _request_reset(APIClient(), owner.user.email)
    _uid, token = _mailed_link(mail.outbox[0])
    other_uid = urlsafe_base64_encode(force_bytes(other.user_id))
    response = APIClient().post(CONFIRM, {"uid": other_uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and _code(response) == "INVALID_RESET_TOKEN"
    other.user.refresh_from_db()
    assert other.user.check_password(PASSWORD)


def test_reset_confirm_checks_the_password_rules_and_keeps_the_link_usable(owner):
    _request_reset(APIClient(), owner.user.email)
    uid, token = _mailed_link(mail.outbox[0])
    weak = APIClient().post(CONFIRM, {"uid": uid, "token": token, "newPassword": "12345"}, format="json")
    assert weak.status_code == 400 and "newPassword" in weak.json()["error"]["details"]
    ok = APIClient().post(CONFIRM, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert ok.status_code == 204


# --- password change -------------------------------------------------------------------------------------------------


def test_password_change_revokes_other_sessions_but_not_the_current_one(owner, api_client_for, tenant):
    current, other = api_client_for(owner), api_client_for(owner)
    response = current.post(CHANGE, {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 204, response.json()
    assert current.get(PROTECTED).status_code == 200
    assert _code(other.get(PROTECTED)) == "SESSION_REVOKED"
    with tenancy.tenant_context(tenant):
        revoked = AuthSession.objects.get(pk=other.token_pair.session.pk)
    assert revoked.revoke_reason == "password_change"
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD) and owner.user.password_changed_at is not None
    assert "auth.password_changed" in _actions(tenant)


def test_password_change_needs_the_current_password_and_a_valid_new_one(owner_client, owner):
    wrong = owner_client.post(CHANGE, {"currentPassword": "nope", "newPassword": NEW_PASSWORD}, format="json")
    assert wrong.status_code == 400 and _code(wrong) == "INVALID_PASSWORD"
    assert "currentPassword" in wrong.json()["error"]["details"]
    weak = owner_client.post(CHANGE, {"currentPassword": PASSWORD, "newPassword": "password"}, format="json")
    assert weak.status_code == 400 and "newPassword" in weak.json()["error"]["details"]
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)


def test_password_change_needs_a_bearer_token(db):
    response = APIClient().post(CHANGE, {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}, format="json")
    assert response.status_code == 401 and _code(response) == "UNAUTHORIZED"


# --- TOTP enrolment --------------------------------------------------------------------------------------------------


def _enrol(client) -> tuple[str, list[str]]:
    setup = client.post(TOTP_SETUP)
    assert setup.status_code == 200, setup.json()
    secret = setup.json()["secret"]
    assert setup.json()["otpauthUri"].startswith("otpauth://totp/")
    verify = client.post(TOTP_VERIFY, {"otp": pyotp.TOTP(secret).now()}, format="json")
    assert verify.status_code == 200, verify.json()
    cache.clear()  # the enrolment code may be reused for a login in the same step
    return secret, verify.json()["recoveryCodes"]


def test_totp_setup_is_not_enforced_until_verified(owner_client, owner):
    setup = owner_client.post(TOTP_SETUP).json()
    owner.user.refresh_from_db()
    assert owner.user.totp_secret == setup["secret"] and not owner.user.has_totp
    login = APIClient().post(LOGIN, {"email": owner.user.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200
    wrong = owner_client.post(TOTP_VERIFY, {"otp": "12345x"}, format="json")
    assert wrong.status_code == 400 and _code(wrong) == "INVALID_OTP"


def test_totp_verify_enables_it_and_returns_ten_hashed_recovery_codes(owner_client, owner, tenant):
    _secret, codes = _enrol(owner_client)
    assert len(codes) == 10 and len(set(codes)) == 10
    owner.user.refresh_from_db()
    assert owner.user.has_totp and len(owner.user.totp_recovery_code_hashes) == 10
    assert not set(codes) & set(owner.user.totp_recovery_code_hashes)
    login = APIClient().post(LOGIN, {"email": owner.user.email, "password": PASSWORD}, format="json")
    assert _code(login) == "OTP_REQUIRED"
    again = owner_client.post(TOTP_SETUP)
    assert again.status_code == 409 and _code(again) == "TOTP_ALREADY_ENABLED"
    assert "auth.totp_enabled" in _actions(tenant)


def test_verify_without_setup_is_409(owner_client):
    response = owner_client.post(TOTP_VERIFY, {"otp": "123456"}, format="json")
    assert response.status_code == 409 and _code(response) == "TOTP_NOT_SET_UP"


def test_totp_disable_needs_the_password_or_a_code(owner_client, owner, tenant):
    _enrol(owner_client)
    missing = owner_client.delete(TOTP, {}, format="json")
    assert missing.status_code == 400 and _code(missing) == "VALIDATION_ERROR"
    wrong = owner_client.delete(TOTP, {"password": "nope"}, format="json")
    assert wrong.status_code == 400 and _code(wrong) == "INVALID_PASSWORD"
    owner.user.refresh_from_db()
    assert owner.user.has_totp
    assert owner_client.delete(TOTP, {"password": PASSWORD}, format="json").status_code == 204
    owner.user.refresh_from_db()
    assert not owner.user.has_totp and owner.user.totp_secret == "" and owner.user.totp_recovery_code_hashes == []
    assert "auth.totp_disabled" in _actions(tenant)
    assert _code(owner_client.delete(TOTP, {"password": PASSWORD}, format="json")) == "TOTP_NOT_ENABLED"
    login = APIClient().post(LOGIN, {"email": owner.user.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200


def test_totp_disable_with_a_code_through_the_post_form(owner_client, owner):
    secret, _codes = _enrol(owner_client)
    response = owner_client.post(TOTP_DISABLE, {"otp": pyotp.TOTP(secret).now()}, format="json")
    assert response.status_code == 204, response.json()
    assert not User.objects.get(pk=owner.user_id).has_totp
