"""The category tree: create, rename, hide, move, delete (tickets reassigned), import from CSV, and the categories
of a ticket (`set_categories`, used by the `categorize` action and by smart rules).

Decisions a care-team lead expects:
- Deleting a category keeps its sub-categories: they move up one level (under the deleted one's parent), so a tree
  of "Sales/Leads/Hot" loses "Leads" and keeps "Sales/Hot". A sibling with the same name there -> 409, nothing done.
- Its tickets go to `reassign_to` when given; without it they simply lose this category (they keep any other).
- The tenant setting `categorize_before_archive` (`categorizeBeforeArchive` on the wire) makes archiving a ticket
  without any category a 409 `CATEGORY_REQUIRED` (single action, PATCH and each ticket of a bulk job alike).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from inbox.errors import CategoryCycle, CategoryNameTaken, CategoryRequired
from inbox.models import Category, Ticket, TicketCategory
from inbox.selectors import descendant_ids
from inbox.services import report_summary

CATEGORIZE_BEFORE_ARCHIVE = "categorize_before_archive"
MAX_DEPTH = 10
MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 1_000_000
PATH_SEPARATOR = "/"


# --- the tree ------------------------------------------------------------------------------------------------------
def _name_taken(name: str, parent: Category | None, *, exclude: Category | None = None) -> bool:
    siblings = Category.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    return siblings.exists()


def _depth_of(parent: Category | None) -> int:
    depth = 0
    while parent is not None and depth <= MAX_DEPTH:
        depth += 1
        parent = parent.parent
    return depth


def _height_of(category: Category) -> int:
    """Levels of the sub-tree under (and including) `category`: one query per level."""
    height, level = 0, [category.pk]
    while level and height <= MAX_DEPTH:
        height += 1
        level = list(Category.objects.filter(parent_id__in=level).values_list("pk", flat=True))
    return height


def _check_depth(parent: Category | None, *, height: int = 1) -> None:
    """Refuse a tree deeper than MAX_DEPTH once `height` levels hang under `parent`."""
    if _depth_of(parent) + height > MAX_DEPTH:
        raise ValidationFailed(details={"parentId": [f"The tree is at most {MAX_DEPTH} levels deep."]})


def _next_position(parent: Category | None) -> int:
    last = Category.objects.filter(parent=parent).order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


def create_category(
    *, actor: Principal, name: str, parent: Category | None = None, position: int | None = None, is_hidden: bool = False
) -> Category:
    """A new category under `parent` (a root without), last among its siblings unless `position` is given."""
    name = name.strip()
    with transaction.atomic():
        _check_depth(parent)
        if _name_taken(name, parent):
            raise CategoryNameTaken(details={"name": name})
        try:
            with transaction.atomic():  # a concurrent twin passes the check above; the constraint decides
                category = Category.objects.create(
                    name=name,
                    parent=parent,
                    position=_next_position(parent) if position is None else position,
                    is_hidden=is_hidden,
                )
        except IntegrityError:
            raise CategoryNameTaken(details={"name": name}) from None
        audit.record("inbox.category.created", category, actor=actor, changes={"name": name})
    return category


def update_category(category: Category, *, actor: Principal, changes: dict) -> Category:
    """Rename, hide/show or reposition (`changes`: any of name, is_hidden, position). Moving is `move_category`."""
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        if "name" in changes:
            changes["name"] = changes["name"].strip()
            if _name_taken(changes["name"], category.parent, exclude=category):
                raise CategoryNameTaken(details={"name": changes["name"]})
        before = {key: getattr(category, key) for key in changes}
        for key, value in changes.items():
            setattr(category, key, value)
        category.save()
        audit.record(
            "inbox.category.updated",
            category,
            actor=actor,
            changes={key: [before[key], value] for key, value in changes.items()},
        )
    return category


def move_category(
    category: Category, *, actor: Principal, parent: Category | None, position: int | None = None
) -> Category:
    """Put `category` (with its sub-tree) under `parent` (None: a root). Under itself or a descendant: 400."""
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        if parent is not None and parent.pk in descendant_ids(category.pk):
            raise CategoryCycle(details={"parentId": str(parent.pk)})
        _check_depth(parent, height=_height_of(category))
        if _name_taken(category.name, parent, exclude=category):
            raise CategoryNameTaken(details={"name": category.name})
        before = str(category.parent_id) if category.parent_id else None
        if category.parent_id != (parent.pk if parent else None):
            category.position = _next_position(parent) if position is None else position
        elif position is not None:
            category.position = position
        category.parent = parent
        category.save()
        audit.record(
            "inbox.category.moved",
            category,
            actor=actor,
            changes={"parentId": [before, str(parent.pk) if parent else None], "position": category.position},
        )
    return category


def _move_links(source: Category, target: Category | None) -> int:
    """Move every ticket's link from `source` to `target` (None: drop them). Returns the tickets concerned."""
    ticket_ids = list(TicketCategory.objects.filter(category=source).values_list("ticket_id", flat=True))
    with report_summary.tracking(ticket_ids):
        if target is not None and ticket_ids:
            TicketCategory.objects.bulk_create(
                [
                    TicketCategory(tenant_id=target.tenant_id, ticket_id=ticket_id, category=target)
                    for ticket_id in ticket_ids
                ],
                ignore_conflicts=True,
            )
        TicketCategory.objects.filter(category=source).delete()
        if ticket_ids:
            Ticket.objects.filter(pk__in=ticket_ids).update(updated_at=timezone.now())
    return len(ticket_ids)


def reassign_tickets(category: Category, *, actor: Principal, target: Category | None) -> int:
    """Move `category`'s tickets to `target` (they keep their other categories). Returns how many moved."""
    if target is not None and target.pk == category.pk:
        raise ValidationFailed(details={"targetId": ["Choose another category."]})
    with transaction.atomic():
        moved = _move_links(category, target)
        audit.record(
            "inbox.category.reassigned",
            category,
            actor=actor,
            changes={"targetId": str(target.pk) if target else None, "tickets": moved},
        )
    return moved


def delete_category(category: Category, *, actor: Principal, reassign_to: Category | None = None) -> int:
    """Delete `category`: its sub-categories move up one level, its tickets go to `reassign_to` (or lose it).
    Returns the tickets reassigned or uncategorized."""
    if reassign_to is not None and reassign_to.pk == category.pk:
        raise ValidationFailed(details={"reassignTo": ["Choose another category than the one deleted."]})
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        children = list(Category.objects.filter(parent=category))
        clashes = sorted(child.name for child in children if _name_taken(child.name, category.parent))
        if clashes:
            raise CategoryNameTaken(
                "A sub-category would clash with a category of the same name one level up; rename it first.",
                details={"names": clashes},
            )
        Category.objects.filter(parent=category).update(parent=category.parent, updated_at=timezone.now())
        moved = _move_links(category, reassign_to)
        audit.record(
            "inbox.category.deleted",
            category,
            actor=actor,
            changes={
                "name": category.name,
                "reassignTo": str(reassign_to.pk) if reassign_to else None,
                "tickets": moved,
                "childrenMovedUp": [str(child.pk) for child in children],
            },
        )
        category.delete()
    return moved


# --- CSV import ----------------------------------------------------------------------------------------------------
def _parse_path(raw: str) -> list[str]:
    parts = [part.strip() for part in raw.strip().strip(PATH_SEPARATOR).split(PATH_SEPARATOR)]
    if not raw.strip() or any(not part for part in parts):
        raise ValueError("Empty category name in the path.")
    if len(parts) > MAX_DEPTH:
        raise ValueError(f"At most {MAX_DEPTH} levels.")
    too_long = [part for part in parts if len(part) > 100]
    if too_long:
        raise ValueError("A category name is at most 100 characters.")
    return parts


def _create_child(parent: Category | None, name: str) -> tuple[Category, bool]:
    """(category, created): a concurrent import may have created it since this one read the tree."""
    try:
        with transaction.atomic():
            return Category.objects.create(name=name, parent=parent, position=_next_position(parent)), True
    except IntegrityError:
        return Category.objects.get(parent=parent, name=name), False


def import_categories(raw: bytes, *, actor: Principal) -> list[dict]:
    """Create the categories of a UTF-8 CSV whose first column is a path (`Sales/Leads`), missing parents included.
    Idempotent: existing categories are found, not duplicated. One result per row:
    `{row, path, status: created|exists|error, category_id, message}`; a bad row does not stop the others."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed(details={"file": ["At most 1 MB."]})
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationFailed(details={"file": [f"Not a readable UTF-8 CSV: {exc}"]}) from None
    if rows and rows[0] and rows[0][0].strip().lower() == "path":  # the optional header
        rows = rows[1:]
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(details={"file": [f"At most {MAX_IMPORT_ROWS} rows."]})
    results: list[dict] = []
    created_count = 0
    with transaction.atomic():
        known = {(c.parent_id, c.name): c for c in Category.objects.select_for_update()}
        for number, row in enumerate(rows, start=1):
            raw = row[0] if row else ""
            try:
                parts = _parse_path(raw)
            except ValueError as exc:
                results.append(
                    {"row": number, "path": raw, "status": "error", "category_id": None, "message": str(exc)}
                )
                continue
            parent, created = None, False
            for name in parts:
                key = (parent.pk if parent else None, name)
                if key not in known:
                    known[key], made = _create_child(parent, name)
                    created = created or made
                    created_count += made
                parent = known[key]
            results.append(
                {
                    "row": number,
                    "path": PATH_SEPARATOR.join(parts),
                    "status": "created" if created else "exists",
                    "category_id": str(parent.pk),
                    "message": "",
                }
            )
        audit.record(
            "inbox.category.imported",
            None,
            actor=actor,
            object_type="inbox.category",
            changes={"rows": len(rows), "created": created_count},
        )
    return results


# --- tickets -------------------------------------------------------------------------------------------------------
def _resolve(categories: Iterable[Category | Any]) -> list[Category]:
    wanted = list(dict.fromkeys(c.pk if isinstance(c, Category) else c for c in categories))
    found = {str(pk): c for pk, c in Category.objects.in_bulk(wanted).items()}
    missing = [str(pk) for pk in wanted if str(pk) not in found]
    if missing:
        raise ValidationFailed(details={"categoryIds": [f"Unknown category: {', '.join(missing)}."]})
    return [found[str(pk)] for pk in wanted]


def set_categories(ticket: Ticket, categories: Iterable[Category | Any], *, actor: Principal | None) -> list[Category]:
    """Replace the ticket's categories with `categories` (instances or ids of the current tenant; an unknown id is a
    400 and nothing changes). Safe inside the caller's transaction (a rule applying several actions). The caller
    records the ticket event (the `categorize` action, or the rule) attributed to `actor`."""
    chosen = _resolve(categories)
    with transaction.atomic(), report_summary.tracking([ticket.pk]):
        chosen_ids = {c.pk for c in chosen}
        TicketCategory.objects.filter(ticket=ticket).exclude(category_id__in=chosen_ids).delete()
        TicketCategory.objects.bulk_create(
            [TicketCategory(tenant_id=ticket.tenant_id, ticket=ticket, category=c) for c in chosen],
            ignore_conflicts=True,
        )
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    return chosen


def categorize_before_archive() -> bool:
    """The current tenant's setting: agents must categorize a ticket before archiving it."""
    return bool((tenancy.require_current_tenant().settings or {}).get(CATEGORIZE_BEFORE_ARCHIVE))


def check_archivable(ticket: Ticket) -> None:
    """409 CATEGORY_REQUIRED when the tenant asks for a category first and `ticket` has none."""
    if categorize_before_archive() and not TicketCategory.objects.filter(ticket=ticket).exists():
        raise CategoryRequired(details={"ticketId": str(ticket.pk)})
