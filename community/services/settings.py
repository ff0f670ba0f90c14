"""The community of a tenant: created on first use with its default roles; settings changes."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from community import access
from community.models import REACTION_SLOTS, CommunitySettings, Role, RoleKind, RolePermission, SignupMode
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

MEMBER_PERMISSIONS = [RolePermission.POST_CREATE, RolePermission.COMMENT_CREATE, RolePermission.REACT]
DEFAULT_ROLES = (
    (RoleKind.ADMIN, "Admin", "Runs the community: settings, boards, roles and members.", list(RolePermission.values)),
    (
        RoleKind.MODERATOR,
        "Moderator",
        "Moderator role has additional permissions compared to members, to keep discussions organized.",
        [*MEMBER_PERMISSIONS, RolePermission.CONTENT_MODERATE, RolePermission.MEMBER_MODERATE],
    ),
    (RoleKind.MEMBER, "Member", "Member role with default permissions.", MEMBER_PERMISSIONS),
)
DEFAULT_REACTIONS = {"s1": "👍", "s2": "❤️", "s3": "😂", "s4": "😮", "s5": "😢", "s6": "🎉"}


def ensure_community() -> CommunitySettings:
    """The current tenant's community settings, creating them and the default roles on first use (race-safe)."""
    existing = CommunitySettings.objects.select_related("default_role").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            roles = {}
            for kind, name, description, permissions in DEFAULT_ROLES:
                roles[kind] = Role.objects.filter(kind=kind).first() or Role.objects.create(
                    kind=kind, name=name, description=description, permissions=[str(p) for p in permissions]
                )
            return CommunitySettings.objects.create(
                default_role=roles[RoleKind.MEMBER], reaction_slots=dict(DEFAULT_REACTIONS)
            )
    except IntegrityError:
        # A concurrent first request created them.
        return CommunitySettings.objects.select_related("default_role").get()


def validate_reaction_slots(slots: dict) -> dict[str, str]:
    unknown = sorted(set(slots) - set(REACTION_SLOTS))
    if unknown:
        raise ValidationFailed(details={"reactionSlots": [f"Unknown slots: {', '.join(unknown)}; use s1..s6."]})
    cleaned = {}
    for slot, emoji in slots.items():
        if emoji in (None, ""):
            continue
        if not isinstance(emoji, str) or len(emoji) > 32:
            raise ValidationFailed(details={"reactionSlots": [f"{slot}: an emoji (at most 32 characters)."]})
        cleaned[slot] = emoji
    return cleaned


def _snapshot(community: CommunitySettings) -> dict:
    return {
        "name": community.name,
        "signup_mode": community.signup_mode,
        "default_role": str(community.default_role_id),
        "reaction_slots": community.reaction_slots,
    }


@transaction.atomic
def update_settings(
    community: CommunitySettings,
    *,
    actor: Principal,
    name: str | None = None,
    signup_mode: SignupMode | None = None,
    default_role: Role | None = None,
    reaction_slots: dict | None = None,
) -> CommunitySettings:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    before = _snapshot(community)
    if name is not None:
        community.name = name
    if signup_mode is not None:
        community.signup_mode = signup_mode
    if default_role is not None:
        community.default_role = default_role
    if reaction_slots is not None:
        community.reaction_slots = validate_reaction_slots(reaction_slots)
    community.save()
    after = _snapshot(community)
    audit.record(
        "community.settings.updated",
        community,
        actor=actor,
        actor_label=access.actor_label(actor),
        changes=audit.diff(before, after),
    )
    return community
