"""Tag writes. Names are unique per tenant, case-insensitively (409 TAG_EXISTS). Deleting a tag detaches it."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from contentplanner.errors import TagExists
from contentplanner.models import Tag
from core import audit
from core.auth import Principal


def _assert_free(name: str, exclude_pk=None) -> None:
    clash = Tag.objects.filter(name__iexact=name.strip())
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise TagExists(details={"name": [f"A tag named {name!r} already exists."]})


def create_tag(*, actor: Principal, name: str, color: str = "") -> Tag:
    """Create a tag."""
    name = name.strip()
    _assert_free(name)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(name=name, color=color)
            audit.record("cp.tag.create", tag, actor=actor, changes={"name": name})
    except IntegrityError:  # a concurrent create won the unique constraint
        raise TagExists(details={"name": [f"A tag named {name!r} already exists."]}) from None
    return tag


def update_tag(tag: Tag, *, actor: Principal, **changes) -> Tag:
    """Rename or recolour a tag."""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _assert_free(changes["name"], exclude_pk=tag.pk)
    before = {"name": tag.name, "color": tag.color}
    try:
        with transaction.atomic():
            for name, value in changes.items():
                setattr(tag, name, value)
            tag.save()
            audit.record(
                "cp.tag.update", tag, actor=actor, changes=audit.diff(before, {"name": tag.name, "color": tag.color})
            )
    except IntegrityError:
        raise TagExists(details={"name": [f"A tag named {changes.get('name')!r} already exists."]}) from None
    return tag


def delete_tag(tag: Tag, *, actor: Principal) -> None:
    """Delete the tag; it disappears from every post and group carrying it."""
    with transaction.atomic():
        audit.record("cp.tag.delete", tag, actor=actor, changes={"name": tag.name})
        tag.delete()
