"""Members: create (API or SSO on first use), profile updates, role changes, ban/unban, waitlist approval, GDPR
erasure (content stays, shown as "deleted member"), member tokens."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from community import access, errors, events
from community.html import sanitise
from community.models import (
    BoardMember,
    CommunitySettings,
    Member,
    MemberStatus,
    Role,
    RolePermission,
    SignupMode,
    TagMapping,
    TagRefType,
)
from community.services.settings import ensure_community
from community.tokens import issue_member_token
from core import audit
from core.auth import Principal
from core.errors import NotFound, ValidationFailed

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "moderator",
        "mod",
        "root",
        "system",
        "support",
        "staff",
        "hubbub",
        "me",
        "api",
        "null",
        "undefined",
        "anonymous",
        "deleted",
        "everyone",
        "here",
        "community",
        "official",
    }
)
PROFILE_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "username",
    "avatar_url",
    "banner_url",
    "description",
    "social_links",
    "language",
    "timezone",
)


def validate_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise ValidationFailed(details={"username": ["3 to 30 letters, digits or _ (no spaces or other characters)."]})
    if username.lower() in RESERVED_USERNAMES:
        raise ValidationFailed(details={"username": ["This username is reserved."]})
    return username


def _validate_profile(fields: dict[str, Any]) -> dict[str, Any]:
    if "username" in fields:
        validate_username(fields["username"])
    if "timezone" in fields:
        try:
            zoneinfo.ZoneInfo(fields["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(details={"timezone": ["Unknown time zone."]}) from None
    if "description" in fields:
        fields["description"] = sanitise(fields["description"], field="description")
    return fields


def _save(member: Member) -> None:
    """Save, turning a uniqueness race into the documented 409 for the field that clashed."""
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        text = str(exc).lower()
        if "sso" in text:
            raise errors.SsoIdTaken() from exc
        if "email" in text:
            raise errors.EmailTaken() from exc
        raise errors.UsernameTaken() from exc


def _check_unique(member: Member) -> None:
    others = Member.objects.exclude(pk=member.pk)
    if others.filter(username__iexact=member.username).exists():
        raise errors.UsernameTaken()
    if member.email and others.filter(email__iexact=member.email).exists():
        raise errors.EmailTaken()
    if member.sso_id and others.filter(sso_id=member.sso_id).exists():
        raise errors.SsoIdTaken()


def _initial_status(community: CommunitySettings, requested: str | None, *, by_admin: bool) -> str:
    if requested is not None and by_admin:
        return requested
    if community.signup_mode == SignupMode.WAITLIST:
        return MemberStatus.WAITLIST
    return MemberStatus.ACTIVE


def _audit(action: str, member: Member, actor: Principal, changes: dict) -> None:
    audit.record(action, member, actor=actor, actor_label=access.actor_label(actor), changes=changes)


@transaction.atomic
def create_member(
    *,
    actor: Principal,
    first_name: str,
    username: str,
    email: str,
    email_verified: bool,
    role: Role | None = None,
    status: str | None = None,
    sso_id: str | None = None,
    **profile: Any,
) -> Member:
    """Add a member (status from the sign-up mode unless an admin sets it). The email must be verified (seed)."""
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    return _create(
        actor=actor,
        first_name=first_name,
        username=username,
        email=email,
        email_verified=email_verified,
        role=role,
        status=status,
        sso_id=sso_id,
        by_admin=True,
        **profile,
    )


def _create(
    *,
    actor: Principal,
    email: str,
    email_verified: bool,
    role: Role | None,
    status: str | None,
    by_admin: bool,
    **fields: Any,
) -> Member:
    if not email_verified:
        raise errors.EmailNotVerified(details={"emailVerified": ["Verify the email before creating the member."]})
    community = ensure_community()
    member = Member(
        email=email.lower(),
        email_verified_at=timezone.now(),
        role=role or community.default_role,
        status=_initial_status(community, status, by_admin=by_admin),
        **_validate_profile(fields),
    )
    _check_unique(member)
    _save(member)
    _audit("community.member.created", member, actor, {"username": member.username, "status": member.status})
    if member.status == MemberStatus.ACTIVE:
        events.emit(events.MEMBER_JOINED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


@transaction.atomic
def update_member(member: Member, *, actor: Principal, **fields: Any) -> Member:
    """Profile changes, by the member themself or a community manager."""
    if access.acting_member(actor) != member:
        access.require(actor, RolePermission.COMMUNITY_MANAGE)
    _refuse_deleted(member)
    fields = _validate_profile({name: value for name, value in fields.items() if name in PROFILE_FIELDS})
    before = {name: getattr(member, name) for name in fields}
    for name, value in fields.items():
        setattr(member, name, value)
    _check_unique(member)
    _save(member)
    _audit("community.member.updated", member, actor, audit.diff(before, fields))
    events.emit(events.MEMBER_UPDATED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


def _refuse_deleted(member: Member) -> None:
    if member.status == MemberStatus.DELETED:
        raise errors.InvalidContentState("The member was erased.")


@transaction.atomic
def change_role(member: Member, *, actor: Principal, role: Role) -> Member:
    """Seed PATCH action `update::role`: community managers only."""
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    _refuse_deleted(member)
    before = str(member.role_id)
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    _audit("community.member.role_changed", member, actor, {"role": [before, str(role.pk)]})
    events.emit(events.MEMBER_UPDATED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


@transaction.atomic
def ban_member(member: Member, *, actor: Principal, reason: str = "") -> Member:
    """Banned members keep their content but cannot act; their tokens stop working."""
    access.require(actor, RolePermission.MEMBER_MODERATE)
    _refuse_deleted(member)
    if access.acting_member(actor) == member:
        raise errors.CommunityPermissionDenied("You cannot ban yourself.")
    if member.status == MemberStatus.BANNED:
        return member
    previous = member.status
    member.status, member.ban_reason, member.banned_at = MemberStatus.BANNED, reason, timezone.now()
    member.token_version = F("token_version") + 1
    member.save(update_fields=["status", "ban_reason", "banned_at", "token_version", "updated_at"])
    member.refresh_from_db(fields=["token_version"])
    _audit("community.member.banned", member, actor, {"status": [previous, member.status], "reason": reason})
    events.emit(events.MEMBER_UPDATED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


@transaction.atomic
def unban_member(member: Member, *, actor: Principal) -> Member:
    access.require(actor, RolePermission.MEMBER_MODERATE)
    if member.status != MemberStatus.BANNED:
        raise errors.InvalidContentState("The member is not banned.")
    member.status, member.ban_reason, member.banned_at = MemberStatus.ACTIVE, "", None
    member.save(update_fields=["status", "ban_reason", "banned_at", "updated_at"])
    _audit("community.member.unbanned", member, actor, {"status": [MemberStatus.BANNED, MemberStatus.ACTIVE]})
    events.emit(events.MEMBER_UPDATED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


@transaction.atomic
def approve_member(member: Member, *, actor: Principal) -> Member:
    """Let a waitlisted member in (they join now)."""
    access.require(actor, RolePermission.MEMBER_MODERATE)
    if member.status != MemberStatus.WAITLIST:
        raise errors.InvalidContentState("The member is not on the waitlist.")
    member.status = MemberStatus.ACTIVE
    member.save(update_fields=["status", "updated_at"])
    _audit("community.member.approved", member, actor, {"status": [MemberStatus.WAITLIST, MemberStatus.ACTIVE]})
    events.emit(events.MEMBER_JOINED, {"member": [events.member_entity(member)]}, tenant_id=member.tenant_id)
    return member


@transaction.atomic
def erase_member(member: Member, *, actor: Principal) -> Member:
    """GDPR erasure: personal data goes, the row stays so posts/comments/replies show a "deleted member"."""
    if access.acting_member(actor) != member:
        access.require(actor, RolePermission.COMMUNITY_MANAGE)
    if member.status == MemberStatus.DELETED:
        return member
    suffix = member.handle[:12]
    for name in ("first_name", "middle_name", "last_name", "avatar_url", "banner_url", "description", "ban_reason"):
        setattr(member, name, "")
    member.username = f"deleted_{suffix}"
    member.email = member.sso_id = member.email_verified_at = None
    member.social_links = {}
    member.status, member.erased_at = MemberStatus.DELETED, timezone.now()
    member.token_version = F("token_version") + 1
    member.save()
    member.refresh_from_db(fields=["token_version"])
    BoardMember.objects.filter(member=member).delete()
    TagMapping.objects.filter(ref_type=TagRefType.MEMBER, ref_id=member.pk).delete()
    # The log keeps who was erased by whom, never what the personal data was.
    _audit("community.member.erased", member, actor, {})
    return member


@transaction.atomic
def sign_in_with_sso(*, actor: Principal, sso_id: str, profile: dict[str, Any] | None) -> tuple[Member, str, int]:
    """A tenant key vouches for `sso_id`: the member (created on first use if the key may provision and a profile
    is given) and a member token for them."""
    if actor.api_key is None or not actor.has("community.participate"):
        raise errors.CommunityPermissionDenied("Member tokens are issued to tenant API keys with the write scope.")
    member = Member.objects.select_related("role").filter(sso_id=sso_id).first()
    if member is None:
        if not profile:
            raise _unknown_sso_id(sso_id)
        if not actor.has("community.member.provision"):
            raise errors.SignupClosed("This API key may not create members (scope users:provision).")
        if ensure_community().signup_mode == SignupMode.INVITE_ONLY:
            raise errors.SignupClosed("The community is invite only: create the member first.")
        member = _create(actor=actor, sso_id=sso_id, role=None, status=None, by_admin=False, **profile)
    if member.status == MemberStatus.DELETED:
        raise _unknown_sso_id(sso_id)
    if member.status == MemberStatus.BANNED:
        raise errors.MemberBanned()
    Member.objects.filter(pk=member.pk).update(login_count=F("login_count") + 1, last_login_at=timezone.now())
    member.refresh_from_db(fields=["login_count", "last_login_at"])
    token, expires_in = issue_member_token(member)
    return member, token, expires_in


def _unknown_sso_id(sso_id: str) -> NotFound:
    return NotFound("No member has this ssoId; send `profile` to create one.", details={"ssoId": sso_id})
