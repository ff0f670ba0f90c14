"""Sign-in and credentials: registration, password login (lockout, TOTP, recovery codes), token exchange for
embedding apps (seed 002), tenant switch, TOTP enrolment, password reset and change.

Sessions and token pairs themselves live in tenants/tokens.py. Rules that clients see (documented in the OpenAPI
descriptions of tenants/api/auth_views.py):

- Login never reveals whether an email exists: an unknown email and a wrong password give the same 401
  `INVALID_CREDENTIALS` after the same password-hashing work, and unknown emails are locked out the same way.
- `settings.LOGIN_MAX_FAILURES` consecutive failures (wrong password or wrong second factor) lock the account for
  `settings.LOGIN_LOCKOUT`: 429 `ACCOUNT_LOCKED` with `Retry-After`, even with the right password. A successful
  login resets the counter; so does a password reset.
- A tenant whose SSO has `enforce` on refuses password login (and switching into it) to its members with 403
  `SSO_REQUIRED`, owners excepted (break-glass); a session begun by SSO cannot switch tenants (tenants/services/sso.py).
- Without `tenantId`, login picks the tenant of the user's most recently used session among the usable ones,
  else the oldest active membership.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import uuid
from typing import NoReturn
from urllib.parse import urlencode

import pyotp
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from core import audit, tenancy
from core.auth import Principal
from core.errors import (
    NotFound,
    ValidationFailed,
)
from core.notify import notify
from tenants import tokens
from tenants.errors import (
    AccountDisabled,
    AccountLocked,
    EmailTaken,
    ExchangeRoleForbidden,
    ExchangeSessionBound,
    ExternalUserNotFound,
    ImpersonationRestricted,
    InvalidCredentials,
    InvalidOtp,
    InvalidPassword,
    InvalidResetToken,
    MembershipInactive,
    NoActiveMembership,
    OtpRequired,
    SsoRequired,
    SsoSessionBound,
    TenantInactive,
    TotpAlreadyEnabled,
    TotpNotEnabled,
    TotpNotSetUp,
    UserLimitReached,
    WrongOtpInput,
)
from tenants.models import (
    AuthSession,
    Membership,
    Team,
    TeamMember,
    TeamRole,
    Tenant,
    TenantSso,
    User,
    hash_secret,
)
from tenants.roles import ADMIN_ROLES, Role, role_within
from tenants.services import impersonation, verification
from tenants.services.workspaces import create_tenant

logger = logging.getLogger(__name__)

TOTP_ISSUER = "Hubbub"
RECOVERY_CODE_COUNT = 10
# A TOTP code is valid for its 30 s step plus one step either side (clock drift); remember used codes that long.
TOTP_REPLAY_WINDOW_SECONDS = 90
PROVISIONED_EMAIL_DOMAIN = "external.hubbub.invalid"
PRIVILEGED_ROLES = ADMIN_ROLES  # exchanged tokens for these need the admin scope
SSO_METHOD = "sso"


# --- registration ------------------------------------------------------------------------------------------------


def register(
    *, tenant_name: str, email: str, password: str, first_name: str, last_name: str, user_agent: str = ""
) -> tokens.TokenPair:
    """Create a tenant (with its default team) and its OWNER user in one transaction; return the first tokens."""
    email = normalize_email(email)
    validate_new_password(password, User(email=email, first_name=first_name, last_name=last_name), field="password")
    if User.objects.filter(email=email).exists():
        raise EmailTaken(details={"email": ["An account with this email already exists."]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, first_name=first_name, last_name=last_name, password_changed_at=timezone.now()
            )
            tenant = create_tenant(actor=None, name=tenant_name, owner=user)
            with tenancy.tenant_context(tenant):
                membership = Membership.objects.select_related("tenant", "user").get(user=user)
                pair = tokens.start_session(membership, user_agent=user_agent)
                audit.record(
                    "auth.registered", user, actor=None, tenant=tenant, actor_user=user, changes={"email": email}
                )
            verification.send_verification(user)
    except IntegrityError:
        # A concurrent registration with the same email won the race; anything else is a real error.
        if User.objects.filter(email=email).exists():
            raise EmailTaken(details={"email": ["An account with this email already exists."]}) from None
        raise
    return pair


# --- login ---------------------------------------------------------------------------------------------------------


def login(
    *, email: str, password: str, otp: str = "", tenant_id: uuid.UUID | None = None, user_agent: str = ""
) -> tokens.TokenPair:
    """Password (+ second factor) login. See the module docstring for lockout and tenant choice."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        _fail_unknown_email(email, password)
    if user.is_locked():
        raise _locked(user.locked_until)
    if not user.check_password(password):
        _fail_login(user, reason="password")
    method = "password"
    if user.has_totp:
        if not otp:
            raise OtpRequired()
        method = _verify_second_factor(user, otp)
        if method is None:
            _fail_login(user, reason="otp")
    if not user.is_active:
        raise AccountDisabled()
    membership = _membership_for_login(user, tenant_id)
    _refuse_password_where_sso_enforced(membership)
    return sign_in_member(membership, method=method, user_agent=user_agent)


def sign_in_member(
    membership: Membership, *, method: str, user_agent: str = "", changes: dict | None = None
) -> tokens.TokenPair:
    """The end of every sign-in (password, SSO): reset the failure count, open a session, audit `auth.login`.
    `method` is recorded on the session (an SSO session may not switch tenants) and in the audit log."""
    user = membership.user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=timezone.now())
        with tenancy.tenant_context(membership.tenant):
            pair = tokens.start_session(membership, user_agent=user_agent, sign_in_method=method)
            audit.record(
                "auth.login",
                user,
                actor=None,
                tenant=membership.tenant,
                actor_user=user,
                changes={"method": method, **(changes or {})},
            )
    return pair


def _refuse_password_where_sso_enforced(membership: Membership) -> None:
    """With the tenant's SSO `enforce` on, its members sign in there; owners keep the password (break-glass)."""
    if membership.role == Role.OWNER:
        return
    with tenancy.tenant_context(membership.tenant):
        if TenantSso.objects.filter(enforce=True).exists():
            raise SsoRequired(details={"tenant": membership.tenant.slug})


def _locked(until) -> AccountLocked:
    return AccountLocked(retry_after=max(1, math.ceil((until - timezone.now()).total_seconds())))


def _fail_login(user: User, *, reason: str) -> NoReturn:
    """Count a failure (persisted, whatever happens to the request) and raise 401, or 429 when it locks."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_login_count += 1
        lock = locked.failed_login_count >= settings.LOGIN_MAX_FAILURES
        if lock:
            # The counter restarts so that after the lockout window the user gets a full set of attempts again.
            locked.locked_until = timezone.now() + settings.LOGIN_LOCKOUT
            locked.failed_login_count = 0
        locked.save(update_fields=["failed_login_count", "locked_until", "updated_at"])
        action = "auth.account_locked" if lock else "auth.login_failed"
        _record_for_user_tenants(locked, action, changes={"reason": reason})
    if lock:
        raise _locked(locked.locked_until)
    raise InvalidOtp() if reason == "otp" else InvalidCredentials()


def _fail_unknown_email(email: str, password: str) -> NoReturn:
    """Same work, same answers, same lockout as for a real account, so responses do not reveal which emails exist."""
    key = f"login-failures:{hash_secret(email)}"
    state = cache.get(key) or {"count": 0, "locked_until": None}
    now = timezone.now()
    if state["locked_until"] is not None and state["locked_until"] > now:
        raise _locked(state["locked_until"])
    make_password(password)  # as long as checking a real account's password
    state["count"] += 1
    if state["count"] >= settings.LOGIN_MAX_FAILURES:
        state = {"count": 0, "locked_until": now + settings.LOGIN_LOCKOUT}
        cache.set(key, state, timeout=int(settings.LOGIN_LOCKOUT.total_seconds()))
        raise _locked(state["locked_until"])
    cache.set(key, state, timeout=24 * 3600)
    raise InvalidCredentials()


def _verify_second_factor(user: User, otp: str) -> str | None:
    """The kind of second factor `otp` is ("totp", or "recovery_code", which is then consumed); None if invalid."""
    code = otp.strip().replace(" ", "")
    if code.isdigit() and len(code) == 6:
        valid = pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)
        # cache.add is atomic: a code is accepted once, so a code seen over someone's shoulder cannot be replayed.
        if valid and cache.add(f"totp-used:{user.pk}:{code}", True, timeout=TOTP_REPLAY_WINDOW_SECONDS):
            return "totp"
        return None
    return "recovery_code" if _consume_recovery_code(user, code) else None


def _consume_recovery_code(user: User, code: str) -> bool:
    digest = _recovery_code_hash(code)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        remaining = [h for h in locked.totp_recovery_code_hashes if not hmac.compare_digest(h, digest)]
        if len(remaining) == len(locked.totp_recovery_code_hashes):
            return False
        locked.totp_recovery_code_hashes = remaining
        locked.save(update_fields=["totp_recovery_code_hashes", "updated_at"])
        _record_for_user_tenants(locked, "auth.recovery_code_used", changes={"remaining": len(remaining)})
    return True


def _membership_for_login(user: User, tenant_id: uuid.UUID | None) -> Membership:
    with tenancy.platform_access():
        memberships = list(
            Membership.all_tenants.filter(user=user).select_related("tenant", "user").order_by("created_at", "id")
        )
        if tenant_id is not None:
            membership = next((m for m in memberships if m.tenant_id == tenant_id), None)
            if membership is None:
                raise NotFound("You are not a member of this tenant.")
            _ensure_usable(membership)
            return membership
        usable = [m for m in memberships if m.is_active and m.tenant.is_usable]
        if not usable:
            if memberships:
                _ensure_usable(memberships[0])
            raise NoActiveMembership()
        last_used = (
            AuthSession.all_tenants.filter(user=user, membership__in=usable)
            .order_by(Coalesce("last_used_at", "created_at").desc(), F("id").desc())
            .values_list("membership_id", flat=True)
            .first()
        )
    return next((m for m in usable if m.pk == last_used), usable[0])


def _ensure_usable(membership: Membership) -> None:
    if not membership.tenant.is_usable:
        raise TenantInactive()
    if not membership.is_active:
        raise MembershipInactive()


# --- token exchange (seed 002) and tenant switch -------------------------------------------------------------------


def exchange_token(
    *,
    actor: Principal,
    external_user_id: str,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.EDITOR,
    user_agent: str = "",
) -> tuple[tokens.TokenPair, bool]:
    """Tokens for the member of the key's tenant with this `externalUserId`; (pair, created).

    An unknown id is provisioned (new user without a password + membership with `role`, never OWNER) only when the
    key grants `tenants.user.provision`, and only with a role within the tenant's `provision_max_role` setting
    (default EDITOR). Tokens for OWNER/ADMIN members need the admin scope (`tenants.user.manage`). A credential
    never mints a broader one: the session is bound to the key, and acts with the member's role permissions
    intersected with the key's scopes (tenants/authentication.py).
    """
    membership = Membership.objects.select_related("tenant", "user").filter(external_user_id=external_user_id).first()
    created = False
    if membership is None:
        if not actor.has("tenants.user.provision"):
            raise ExternalUserNotFound()
        _ensure_may_act_as(actor, role)
        max_role = actor.tenant.settings.get("provision_max_role") or Role.EDITOR
        if not role_within(role, max_role):
            raise ExchangeRoleForbidden(
                f"This tenant lets token exchange provision roles up to {max_role} (setting provision_max_role).",
                details={"role": [f"At most {max_role}."]},
            )
        membership, created = _provision_member(
            actor=actor,
            external_user_id=external_user_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            role=role,
        )
    _ensure_may_act_as(actor, membership.role)
    if not membership.is_active or not membership.user.is_active:
        raise MembershipInactive()
    return tokens.start_session(membership, user_agent=user_agent, api_key=actor.api_key), created


def _session_minted_by_key(principal: Principal) -> bool:
    return AuthSession.all_tenants.filter(pk=principal.session_id, api_key__isnull=False).exists()


def _ensure_may_act_as(actor: Principal, role: str) -> None:
    if role in PRIVILEGED_ROLES and not actor.has("tenants.user.manage"):
        raise ExchangeRoleForbidden()


def _provision_member(
    *, actor: Principal, external_user_id: str, email: str | None, first_name: str, last_name: str, role: str
) -> tuple[Membership, bool]:
    if role == Role.OWNER:
        raise ValidationFailed(details={"role": ["Token exchange never creates owners."]})
    tenant = tenancy.require_current_tenant()
    email = normalize_email(email) if email else ""
    try:
        with transaction.atomic():
            Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # serialises the user-limit check
            limit = tenant.limits.get("users")
            if limit is not None and Membership.objects.filter(is_active=True).count() >= limit:
                raise UserLimitReached(details={"limit": limit})
            if email and User.objects.filter(email=email).exists():
                raise EmailTaken(details={"email": ["An account with this email already exists."]})
            user = User.objects.create_user(
                email or f"{uuid.uuid4().hex}@{PROVISIONED_EMAIL_DOMAIN}",
                None,  # no password: this user signs in only through token exchange
                first_name=first_name,
                last_name=last_name,
            )
            membership = Membership.objects.create(user=user, role=role, external_user_id=external_user_id)
            default_team = Team.objects.filter(is_default=True).first()
            if default_team is not None:
                TeamMember.objects.create(team=default_team, user=user, role=TeamRole.MEMBER)
            audit.record(
                "auth.user_provisioned",
                membership,
                actor=actor,
                changes={"external_user_id": external_user_id, "email": user.email, "role": role},
            )
    except IntegrityError:
        # A concurrent exchange provisioned the same externalUserId first: use theirs.
        membership = (
            Membership.objects.select_related("tenant", "user").filter(external_user_id=external_user_id).first()
        )
        if membership is None:
            raise EmailTaken(details={"email": ["An account with this email already exists."]}) from None
        return membership, False
    membership.tenant = tenant
    return membership, True


def switch_tenant(*, actor: Principal, tenant_id: uuid.UUID, user_agent: str = "") -> tokens.TokenPair:
    """Tokens for another tenant the signed-in user actively belongs to; 404 for any other tenant id."""
    if actor.claims.get("imp"):
        raise ImpersonationRestricted()
    if _session_minted_by_key(actor):
        raise ExchangeSessionBound()
    if AuthSession.all_tenants.filter(pk=actor.session_id, sign_in_method=SSO_METHOD).exists():
        raise SsoSessionBound()
    with tenancy.platform_access():
        membership = (
            Membership.all_tenants.select_related("tenant", "user")
            .filter(user=actor.user, tenant_id=tenant_id, is_active=True)
            .first()
        )
    if membership is None or not membership.tenant.is_usable:
        raise NotFound("No such tenant.")
    _refuse_password_where_sso_enforced(membership)
    with tenancy.tenant_context(membership.tenant):
        return tokens.start_session(membership, user_agent=user_agent)


# --- TOTP ------------------------------------------------------------------------------------------------------------


def setup_totp(user: User) -> tuple[str, str]:
    """Store a new (not yet enabled) secret; return (secret, otpauth URI) for the authenticator app."""
    if user.has_totp:
        raise TotpAlreadyEnabled()
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.save(update_fields=["totp_secret", "updated_at"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return secret, uri


@transaction.atomic
def enable_totp(user: User, *, otp: str) -> list[str]:
    """Confirm the pending secret with a current code; return the recovery codes (shown once, stored hashed)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_totp:
        raise TotpAlreadyEnabled()
    if not user.totp_secret:
        raise TotpNotSetUp()
    if not pyotp.TOTP(user.totp_secret).verify(otp.strip(), valid_window=1):
        raise WrongOtpInput(details={"otp": ["The code is wrong or expired."]})
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    user.totp_confirmed_at = timezone.now()
    user.totp_recovery_code_hashes = [_recovery_code_hash(code) for code in codes]
    user.save(update_fields=["totp_confirmed_at", "totp_recovery_code_hashes", "updated_at"])
    audit.record("auth.totp_enabled", user, actor=None, actor_user=user)
    return codes


@transaction.atomic
def disable_totp(user: User, *, password: str = "", otp: str = "") -> None:
    """Turn the second factor off; proven by the password or a current code (or a recovery code)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.has_totp:
        raise TotpNotEnabled()
    if password:
        if not user.check_password(password):
            raise InvalidPassword(details={"password": ["The password is incorrect."]})
    elif _verify_second_factor(user, otp) is None:
        raise WrongOtpInput(details={"otp": ["The code is wrong or expired."]})
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_recovery_code_hashes = []
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_recovery_code_hashes", "updated_at"])
    audit.record(
        "auth.totp_disabled", user, actor=None, actor_user=user, changes={"proof": "password" if password else "otp"}
    )


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits each; useful only together with the password, and login locks out
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_code_hash(code: str) -> str:
    return hash_secret(code.strip().lower().replace("-", "").replace(" ", ""))


# --- passwords ---------------------------------------------------------------------------------------------------


def validate_new_password(password: str, user: User, *, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(details={field: list(exc.messages)}) from exc


@transaction.atomic
def change_password(*, actor: Principal, current_password: str, new_password: str) -> None:
    """Change the signed-in user's password; every other session of theirs ends, the current one stays."""
    impersonation.refuse_if_impersonating(actor, "The password")
    user = User.objects.select_for_update().get(pk=actor.user.pk)
    if not user.check_password(current_password):
        raise InvalidPassword(details={"current_password": ["The current password is incorrect."]})
    if current_password == new_password:
        raise ValidationFailed(details={"new_password": ["Choose a password different from the current one."]})
    validate_new_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at", "updated_at"])
    revoked = tokens.revoke_user_sessions(user, reason="password_change", keep_session_id=actor.session_id)
    audit.record("auth.password_changed", user, actor=actor, changes={"sessions_revoked": revoked})


def request_password_reset(*, email: str) -> None:
    """Queue the reset for any email, known or not: the request does the same work (one enqueue, no query) either
    way, so neither its answer nor its timing tells whether an account exists. The task decides."""
    from tenants.tasks import send_password_reset  # the service -> task edge; the task calls back into this module

    normalized, reset_id = normalize_email(email), str(uuid.uuid4())
    transaction.on_commit(lambda: send_password_reset.delay(email=normalized, reset_id=reset_id))


def send_password_reset_mail(*, email: str, reset_id: str) -> None:
    """Mail a single-use, expiring reset link to an active account with a password; silently nothing otherwise.
    `reset_id` makes a redelivered task's mail go out once."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.PUBLIC_BASE_URL}/reset-password?{urlencode({'uid': uid, 'token': token})}"
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Someone asked to reset the password of your Hubbub account {user.email}.\n\n"
        f"Open this link within {minutes} minutes to choose a new password:\n{link}\n\n"
        f"Or send uid={uid} and token={token} to POST /api/v1/auth/password/reset/confirm.\n\n"
        "If it was not you, ignore this message; your password stays as it is."
    )
    notify(
        "tenants.password_reset_requested",
        to=[user.email],
        subject="Reset your Hubbub password",
        body=body,
        data={"userId": str(user.pk)},
        notice_id=reset_id,
    )


def confirm_password_reset(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a mailed link; the link then stops working, all sessions end, lockout is lifted."""
    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError):
        raise InvalidResetToken() from None
    with transaction.atomic():
        # Locked and re-checked inside the lock: of two concurrent confirms, the second sees the new password hash,
        # which invalidates the token.
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or not default_token_generator.check_token(user, token):
            raise InvalidResetToken()
        validate_new_password(new_password, user, field="new_password")
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.failed_login_count = 0
        user.locked_until = None
        user.email_verified_at = user.email_verified_at or timezone.now()  # the mailed link proves the address
        user.save(
            update_fields=[
                "password",
                "password_changed_at",
                "failed_login_count",
                "locked_until",
                "email_verified_at",
                "updated_at",
            ]
        )
        revoked = tokens.revoke_user_sessions(user, reason="password_reset")
        _record_for_user_tenants(user, "auth.password_reset", changes={"sessions_revoked": revoked}, actor_user=user)
    return user


# --- helpers -------------------------------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _record_for_user_tenants(user: User, action: str, *, changes: dict, actor_user: User | None = None) -> None:
    """Audit an event of a user that happened outside any tenant (sign-in) in each tenant they belong to."""
    with tenancy.platform_access():
        memberships = list(Membership.all_tenants.filter(user=user, is_active=True).select_related("tenant"))
    for membership in memberships:
        with tenancy.tenant_context(membership.tenant):
            audit.record(
                action,
                user,
                actor=None,
                tenant=membership.tenant,
                changes=changes,
                actor_user=actor_user,
                actor_label="" if actor_user else "anonymous",
            )
