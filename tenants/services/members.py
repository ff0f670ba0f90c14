"""Writes for the members of a tenant: invite, change role or permissions, remove."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from core import audit, tenancy
from core.auth import Principal
from core.notify import notify
from tenants.errors import (
    AlreadyMember,
    ExternalUserIdTaken,
    LastOwner,
    OwnerRequired,
    PermissionEscalation,
    UserLimitReached,
)
from tenants.models import AuthSession, Membership, Team, TeamMember, User
from tenants.roles import Role
from tenants.services.verification import require_verified_email
from tenants.services.workspaces import require_feature

logger = logging.getLogger(__name__)

INVITE_PATH = "/accept-invite"


def _member_snapshot(membership: Membership) -> dict[str, Any]:
    return {
        "role": membership.role,
        "custom_permissions": membership.custom_permissions,
        "external_user_id": membership.external_user_id,
    }


def _require_owner_for_owner_role(actor: Principal, *roles: str | None) -> None:
    if Role.OWNER in roles and actor.role != Role.OWNER:
        raise OwnerRequired()


def _check_custom_permissions(actor: Principal, custom: dict[str, list[str]]) -> None:
    if custom.get("add") or custom.get("remove"):
        require_feature(actor.tenant, "customPermissions")
    escalated = sorted(set(custom.get("add", [])) - actor.permissions)
    if escalated:
        raise PermissionEscalation(details={"customPermissions": {"add": escalated}})


def _check_user_limit(tenant) -> None:
    limit = tenant.limits.get("users")
    if limit is not None and Membership.objects.filter(is_active=True).count() >= limit:
        raise UserLimitReached(details={"limit": limit})


def invite_credentials(user: User) -> tuple[str, str]:
    """(uid, token) from Django's token generator: single use (it dies once the password is set), expiring after
    PASSWORD_RESET_TIMEOUT; accepted by `POST /api/v1/auth/password/reset/confirm`."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def _notify_invited(user: User, *, tenant_id, tenant_name: str, inviter: str, is_new_user: bool) -> None:
    if is_new_user:
        uid, token = invite_credentials(user)
        link = f"{settings.PUBLIC_BASE_URL}{INVITE_PATH}?{urlencode({'uid': uid, 'token': token})}"
        body = (
            f"{inviter} invited you to {tenant_name} on Hubbub.\n\n"
            f"Set your password to get started: {link}\n\n"
            f"Or send uid={uid}, token={token} and your new password to POST /api/v1/auth/password/reset/confirm.\n"
        )
    else:
        body = f"{inviter} added you to {tenant_name} on Hubbub. Sign in with your existing account.\n"
    notify(
        "tenants.member_invited",
        to=[user.email],
        subject=f"You have been invited to {tenant_name}",
        body=body,
        tenant_id=tenant_id,
        data={"userId": str(user.pk), "newUser": is_new_user},
    )


@transaction.atomic
def invite_member(
    *,
    actor: Principal,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    locale: str | None = None,
    external_user_id: str | None = None,
) -> Membership:
    """Add a person to the current tenant by email (creating the user if new, with an emailed set-password
    link) and put them in the default team. Enforces the plan's user limit and the owner-only OWNER role."""
    tenant = tenancy.require_current_tenant()
    require_verified_email(actor, "invite")
    _require_owner_for_owner_role(actor, role)
    _check_user_limit(tenant)
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    is_new_user = user is None
    if user is None:
        fields = {"first_name": first_name, "last_name": last_name}
        if locale:
            fields["locale"] = locale
        user = User.objects.create_user(email, password=None, **fields)
    elif Membership.objects.filter(user=user).exists():
        raise AlreadyMember(details={"email": ["Already a member of this tenant."]})
    if external_user_id and Membership.objects.filter(external_user_id=external_user_id).exists():
        raise ExternalUserIdTaken(details={"externalUserId": ["Already used by another member."]})
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, role=role, external_user_id=external_user_id or None, invited_by=actor.user
            )
    except IntegrityError as exc:
        raise AlreadyMember(details={"email": ["Already a member of this tenant."]}) from exc
    default_team = Team.objects.filter(is_default=True).first()
    if default_team is not None:
        TeamMember.objects.get_or_create(team=default_team, user=user)
    audit.record(
        "member.invited",
        membership,
        actor=actor,
        changes={"email": user.email, "role": role, "new_user": is_new_user, "external_user_id": external_user_id},
    )
    _notify_invited(user, tenant_id=tenant.pk, tenant_name=tenant.name, inviter=actor.label, is_new_user=is_new_user)
    return membership


def _lock_owners() -> list[Membership]:
    return list(Membership.objects.select_for_update().filter(role=Role.OWNER, is_active=True).order_by("id"))


def _ensure_other_owner_remains(membership: Membership) -> None:
    owners = _lock_owners()
    if all(owner.pk == membership.pk for owner in owners):
        raise LastOwner()


@transaction.atomic
def update_member(
    membership: Membership,
    *,
    actor: Principal,
    role: str | None = None,
    custom_permissions: dict[str, list[str]] | None = None,
    external_user_id: str | None = None,
    set_external_user_id: bool = False,
) -> Membership:
    """Change a member's role, custom permissions (`{add, remove}`) or external user id.

    Only an owner grants OWNER or changes an owner; the last owner cannot be demoted (409 `LAST_OWNER`);
    nobody grants permissions they do not hold."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    before = _member_snapshot(membership)
    if role is not None and role != membership.role:
        _require_owner_for_owner_role(actor, role, membership.role)
        if membership.role == Role.OWNER:
            _ensure_other_owner_remains(membership)
        membership.role = role
    if custom_permissions is not None:
        if membership.role == Role.OWNER:
            _require_owner_for_owner_role(actor, Role.OWNER)
        _check_custom_permissions(actor, custom_permissions)
        membership.custom_permissions = {k: sorted(set(v)) for k, v in custom_permissions.items() if v}
    if set_external_user_id and external_user_id != membership.external_user_id:
        taken = Membership.objects.filter(external_user_id=external_user_id).exclude(pk=membership.pk)
        if external_user_id and taken.exists():
            raise ExternalUserIdTaken(details={"externalUserId": ["Already used by another member."]})
        membership.external_user_id = external_user_id or None
    changes = audit.diff(before, _member_snapshot(membership))
    if changes:
        membership.save()
        audit.record("member.updated", membership, actor=actor, changes={"user_id": str(membership.user_id), **changes})
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, actor: Principal) -> None:
    """Remove a member from the current tenant: the membership, their team memberships and their sessions here.
    The user row stays (they may belong to other tenants)."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == Role.OWNER:
        _require_owner_for_owner_role(actor, Role.OWNER)
        _ensure_other_owner_remains(membership)
    user = membership.user
    revoked = AuthSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason="membership_removed"
    )
    teams_left = TeamMember.objects.filter(user=user).delete()[0]
    audit.record(
        "member.removed",
        membership,
        actor=actor,
        changes={"email": user.email, "role": membership.role, "teams_left": teams_left, "sessions_revoked": revoked},
    )
    # Sessions cascade with the membership; they were revoked first so no token of them is honoured meanwhile.
    membership.delete()


@transaction.atomic
def update_profile(user: User, *, actor: Principal | None, **fields: Any) -> User:
    """A user edits their own profile (names, locale, timezone, avatar); audit-logged in the current tenant."""
    before = {name: getattr(user, name) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    changes = audit.diff(before, fields)
    if changes:
        user.save(update_fields=[*changes, "updated_at"])
        audit.record("user.profile_updated", user, actor=actor, changes=changes)
    return user
