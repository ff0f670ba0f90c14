"""Folders: saved ticket filters shared in the tenant, in an order everyone sees. The API validates `filters` with
the ticket list's own filter input before they reach these functions, so a folder never holds a filter the list
would refuse."""

from __future__ import annotations

from django.db import transaction

from core import audit
from core.auth import Principal
from core.errors import ValidationFailed
from inbox.models import Folder


def _next_position() -> int:
    last = Folder.objects.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


def create_folder(*, actor: Principal, name: str, filters: dict) -> Folder:
    """A new folder, last in the order."""
    with transaction.atomic():
        folder = Folder.objects.create(name=name, filters=filters, position=_next_position(), created_by=actor.user)
        audit.record("inbox.folder.created", folder, actor=actor, changes={"name": name, "filters": filters})
    return folder


def update_folder(folder: Folder, *, actor: Principal, changes: dict) -> Folder:
    with transaction.atomic():
        folder = Folder.objects.select_for_update().get(pk=folder.pk)
        for key, value in changes.items():
            setattr(folder, key, value)
        folder.save()
        audit.record("inbox.folder.updated", folder, actor=actor, changes=changes)
    return folder


def delete_folder(folder: Folder, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("inbox.folder.deleted", folder, actor=actor, changes={"name": folder.name})
        folder.delete()


def reorder_folders(folder_ids: list, *, actor: Principal) -> None:
    """Put the folders in the order of `folder_ids` (every folder of the tenant, each once; otherwise 400)."""
    with transaction.atomic():
        current = {str(pk): folder for pk, folder in Folder.objects.select_for_update().in_bulk().items()}
        wanted = [str(pk) for pk in folder_ids]
        unknown = [pk for pk in wanted if pk not in current]
        if unknown:
            raise ValidationFailed(details={"ids": [f"Unknown folder: {', '.join(unknown)}."]})
        if len(set(wanted)) != len(wanted) or set(wanted) != set(current):
            raise ValidationFailed(details={"ids": ["List every folder exactly once."]})
        for position, pk in enumerate(wanted):
            current[pk].position = position
        Folder.objects.bulk_update(list(current.values()), ["position"])
        audit.record(
            "inbox.folders.reordered", None, actor=actor, object_type="inbox.folder", changes={"order": wanted}
        )
