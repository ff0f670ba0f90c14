"""Boards: create, edit, delete (empty only), reorder, private board membership."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from community import access, errors
from community.models import Board, BoardMember, Member, Role, RolePermission
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

BOARD_FIELDS = ("name", "about", "icon", "is_private", "visibility", "needs_approval", "display_order")


def _audit(action: str, board: Board, actor: Principal, changes: dict) -> None:
    audit.record(action, board, actor=actor, actor_label=access.actor_label(actor), changes=changes)


@transaction.atomic
def create_board(*, actor: Principal, posting_roles: list[Role] | None = None, **fields: Any) -> Board:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    if "display_order" not in fields:
        last = Board.objects.order_by("-display_order").values_list("display_order", flat=True).first()
        fields["display_order"] = (last or 0) + 1
    board = Board.objects.create(**{name: value for name, value in fields.items() if name in BOARD_FIELDS})
    if posting_roles:
        board.posting_roles.set(posting_roles)
    _audit("community.board.created", board, actor, {"name": board.name})
    return board


@transaction.atomic
def update_board(board: Board, *, actor: Principal, posting_roles: list[Role] | None = None, **fields: Any) -> Board:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    fields = {name: value for name, value in fields.items() if name in BOARD_FIELDS}
    before = {name: getattr(board, name) for name in fields}
    for name, value in fields.items():
        setattr(board, name, value)
    board.save()
    changes = audit.diff(before, fields)
    if posting_roles is not None:
        board.posting_roles.set(posting_roles)
        changes["posting_roles"] = [str(role.pk) for role in posting_roles]
    _audit("community.board.updated", board, actor, changes)
    return board


@transaction.atomic
def delete_board(board: Board, *, actor: Principal) -> None:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    if board.posts.exists():
        raise errors.BoardNotEmpty()
    _audit("community.board.deleted", board, actor, {"name": board.name})
    board.delete()


@transaction.atomic
def reorder_boards(order: dict[str, int], *, actor: Principal) -> list[Board]:
    """`{boardId: position}`: every named board gets its position; unknown ids -> 400 naming them."""
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    boards = Board.objects.select_for_update().in_bulk(list(order))
    missing = sorted(set(order) - {str(pk) for pk in boards})
    if missing:
        raise ValidationFailed(details={"displayOrder": [f"Unknown board: {', '.join(missing)}."]})
    for pk, board in boards.items():
        board.display_order = order[str(pk)]
    Board.objects.bulk_update(list(boards.values()), ["display_order"])
    audit.record(
        "community.boards.reordered",
        None,
        actor=actor,
        actor_label=access.actor_label(actor),
        object_type="community.board",
        changes={str(pk): position for pk, position in order.items()},
    )
    return list(Board.objects.order_by("display_order", "created_at", "id"))


@transaction.atomic
def change_board_members(board: Board, changes: dict[Member, bool], *, actor: Principal) -> None:
    """Seed `member_changes`: true gives a member access to the board, false takes it away (idempotent)."""
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    add = [member for member, allowed in changes.items() if allowed]
    remove = [member.pk for member, allowed in changes.items() if not allowed]
    BoardMember.objects.bulk_create(
        [BoardMember(board=board, member=member, tenant_id=board.tenant_id) for member in add], ignore_conflicts=True
    )
    BoardMember.objects.filter(board=board, member_id__in=remove).delete()
    _audit(
        "community.board.members_changed",
        board,
        actor,
        {"added": [str(m.pk) for m in add], "removed": [str(pk) for pk in remove]},
    )
