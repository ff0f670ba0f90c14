"""Email verification of self sign-ups and invite acceptance (seed 004 `users/activate`).

A self-registered user proves their address with a mailed, signed, expiring link before they may invite others or
connect channels (sandbox and placeholder channels, which reach no one, stay open for evaluation). An invited user
proves it by accepting the invite, which sets their password and signs them in."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from core import audit, tenancy
from core.auth import Principal
from core.notify import notify
from tenants import tokens
from tenants.errors import EmailNotVerified, InvalidResetToken, InvalidVerificationToken
from tenants.models import Membership, User

SALT = "hubbub.email-verification"
VERIFY_PATH = "/verify-email"


def require_verified_email(actor: Principal | None, what: str) -> None:
    """403 EMAIL_NOT_VERIFIED when a user actor has not verified their email (API keys act for the tenant)."""
    user = actor.user if actor is not None else None
    if user is not None and user.email_verified_at is None:
        raise EmailNotVerified(details={"action": what})


def send_verification(user: User) -> None:
    """Mail a signed link (EMAIL_VERIFICATION_SECONDS) after the current transaction commits."""
    token = signing.dumps({"u": str(user.pk), "e": user.email}, salt=SALT)
    link = f"{settings.PUBLIC_BASE_URL}{VERIFY_PATH}?{urlencode({'token': token})}"
    notify(
        "tenants.email_verification",
        to=[user.email],
        subject="Confirm your email address for Hubbub",
        body=(
            f"Confirm your email address: {link}\n\n"
            f"Or send the token to POST /api/v1/auth/email/verify: {token}\n\n"
            "Until then you can try everything with sandbox channels; inviting others and connecting real "
            "networks wait for the confirmation."
        ),
        data={"userId": str(user.pk)},
    )


@transaction.atomic
def verify_email(token: str) -> User:
    from tenants.services.auth import _record_for_user_tenants  # auth imports this module

    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_SECONDS)
        user_id = uuid.UUID(str(payload["u"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidVerificationToken() from None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or user.email != payload.get("e"):  # the address changed since the mail went out
        raise InvalidVerificationToken()
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
        _record_for_user_tenants(user, "auth.email_verified", changes={}, actor_user=user)
    return user


@transaction.atomic
def accept_invite(*, uid: str, token: str, password: str, user_agent: str = "") -> tokens.TokenPair:
    """Set the invited user's password from the invite link, verify their email and sign them in to the tenant
    that invited them last. The link works once (it dies with the new password hash)."""
    from tenants.services.auth import validate_new_password  # auth imports this module's guard

    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError):
        raise InvalidResetToken() from None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise InvalidResetToken()
    with tenancy.platform_access():
        membership = (
            Membership.all_tenants.select_related("tenant", "user")
            .filter(user=user, is_active=True)
            .order_by("-created_at")
            .first()
        )
    if membership is None or not membership.tenant.is_usable:
        raise InvalidResetToken()
    validate_new_password(password, user, field="password")
    user.set_password(password)
    now = timezone.now()
    user.password_changed_at = now
    user.email_verified_at = user.email_verified_at or now
    user.save(update_fields=["password", "password_changed_at", "email_verified_at", "updated_at"])
    with tenancy.tenant_context(membership.tenant):
        audit.record("member.invite_accepted", membership, actor=None, actor_user=user, changes={"email": user.email})
        return tokens.start_session(membership, user_agent=user_agent)
