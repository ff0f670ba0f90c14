"""Reactions: one per member per slot per post, comment or reply. PUT adds, DELETE removes; both idempotent.

The unique constraint decides which of two concurrent identical reactions counts; the counter moves only for
the insert or delete that actually happened, with an `F()` update, so a storm of reactions leaves exact counts.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from community import access, errors, events
from community.models import Comment, ContentStatus, Post, Reaction, Reply, RolePermission, TargetType
from community.services.settings import ensure_community
from core.auth import Principal

TARGET_TYPES = {Post: TargetType.POST, Comment: TargetType.COMMENT, Reply: TargetType.REPLY}

Target = Post | Comment | Reply


def _check_slot(slot: str) -> None:
    configured = ensure_community().configured_slots()
    if slot not in configured:
        raise errors.SlotNotConfigured(details={"slot": slot, "configured": configured})


def _move_counts(target: Target, slot: str, delta: int) -> None:
    type(target).objects.filter(pk=target.pk).update(
        react_count=F("react_count") + delta, **{f"{slot}_count": F(f"{slot}_count") + delta}
    )


@transaction.atomic
def add_reaction(target: Target, *, actor: Principal, slot: str) -> bool:
    """React as the acting member; True if a reaction was added, False if it was already there."""
    member = access.require_member(actor)
    access.require(actor, RolePermission.REACT)
    _check_slot(slot)
    if target.status != ContentStatus.PUBLISHED:
        raise errors.InvalidContentState("Only published content takes reactions.")
    target_type = TARGET_TYPES[type(target)]
    try:
        with transaction.atomic():
            reaction = Reaction.objects.create(member=member, target_type=target_type, target_id=target.pk, slot=slot)
    except IntegrityError:
        return False
    _move_counts(target, slot, +1)
    events.emit(events.REACTION_ADDED, {"reaction": [events.reaction_entity(reaction)]}, tenant_id=target.tenant_id)
    return True


@transaction.atomic
def remove_reaction(target: Target, *, actor: Principal, slot: str) -> bool:
    """Take the acting member's reaction back; True if one was removed."""
    member = access.require_member(actor)
    _check_slot(slot)
    deleted, _ = Reaction.objects.filter(
        member=member, target_type=TARGET_TYPES[type(target)], target_id=target.pk, slot=slot
    ).delete()
    if deleted:
        _move_counts(target, slot, -1)
    return bool(deleted)
