"""Tags (display name + lowercased hashtag name) and their mapping to posts, boards and members."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction

from community import access, errors
from community.models import Board, Member, Post, RolePermission, Tag, TagMapping, TagRefType
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NOT_HASHTAG = re.compile(r"[^\w]+", re.UNICODE)
TAG_FIELDS = ("description", "image", "og_image", "og_title", "og_description", "back_color", "text_color")
REF_MODELS = {TagRefType.POST: Post, TagRefType.BOARD: Board, TagRefType.MEMBER: Member}


def hashtag(display_name: str) -> str:
    """`"Product News!"` -> `"productnews"`: letters, digits and `_`, lower case (seed: tag names as hashtags)."""
    return _NOT_HASHTAG.sub("", display_name.strip().lstrip("#")).lower()


def _apply(tag: Tag, display_name: str | None, fields: dict[str, Any]) -> None:
    if display_name is not None:
        name = hashtag(display_name)
        if not name:
            raise ValidationFailed(details={"name": ["Needs at least one letter or digit."]})
        tag.display_name, tag.name = display_name.strip().lstrip("#"), name
    for color in ("back_color", "text_color"):
        if color in fields:
            if not COLOR_RE.match(fields[color]):
                raise ValidationFailed(details={color: ["A colour as #rrggbb or #rrggbbaa."]})
            fields[color] = fields[color].lower()
    for name, value in fields.items():
        if name in TAG_FIELDS:
            setattr(tag, name, value)
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as exc:
        raise errors.TagNameTaken(details={"name": tag.name}) from exc


@transaction.atomic
def create_tag(*, actor: Principal, name: str, **fields: Any) -> Tag:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    tag = Tag()
    _apply(tag, name, fields)
    audit.record(
        "community.tag.created", tag, actor=actor, actor_label=access.actor_label(actor), changes={"name": tag.name}
    )
    return tag


@transaction.atomic
def update_tag(tag: Tag, *, actor: Principal, name: str | None = None, **fields: Any) -> Tag:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    before = tag.name
    _apply(tag, name, fields)
    audit.record(
        "community.tag.updated",
        tag,
        actor=actor,
        actor_label=access.actor_label(actor),
        changes={"name": [before, tag.name], **{k: v for k, v in fields.items() if k in TAG_FIELDS}},
    )
    return tag


@transaction.atomic
def delete_tag(tag: Tag, *, actor: Principal) -> None:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    audit.record(
        "community.tag.deleted", tag, actor=actor, actor_label=access.actor_label(actor), changes={"name": tag.name}
    )
    tag.delete()


def _require_ref(ref_type: str, ref_id: uuid.UUID) -> None:
    if not REF_MODELS[ref_type].objects.filter(pk=ref_id).exists():
        raise ValidationFailed(details={"refId": [f"Unknown {ref_type}: {ref_id}."]})


@transaction.atomic
def map_tag(tag: Tag, *, actor: Principal, ref_type: str, ref_id: uuid.UUID) -> TagMapping:
    """Tag a post, board or member (idempotent). Moderators tag content; managers tag anything."""
    access.require(
        actor,
        RolePermission.CONTENT_MODERATE if ref_type == TagRefType.POST else RolePermission.COMMUNITY_MANAGE,
    )
    _require_ref(ref_type, ref_id)
    mapping, created = TagMapping.objects.get_or_create(tag=tag, ref_type=ref_type, ref_id=ref_id)
    if created:
        audit.record(
            "community.tag.mapped",
            tag,
            actor=actor,
            actor_label=access.actor_label(actor),
            changes={"ref_type": ref_type, "ref_id": str(ref_id)},
        )
    return mapping


@transaction.atomic
def unmap_tag(tag: Tag, *, actor: Principal, ref_type: str, ref_id: uuid.UUID) -> None:
    access.require(
        actor,
        RolePermission.CONTENT_MODERATE if ref_type == TagRefType.POST else RolePermission.COMMUNITY_MANAGE,
    )
    deleted, _ = TagMapping.objects.filter(tag=tag, ref_type=ref_type, ref_id=ref_id).delete()
    if deleted:
        audit.record(
            "community.tag.unmapped",
            tag,
            actor=actor,
            actor_label=access.actor_label(actor),
            changes={"ref_type": ref_type, "ref_id": str(ref_id)},
        )
