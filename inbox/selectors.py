"""Reads of the inbox: tickets a principal may see (their teams' channels; OWNER/ADMIN and API keys: all), with
relations loaded here once, counts per status, threads."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core.auth import Principal
from inbox.models import (
    BulkJob,
    Interactor,
    InteractorList,
    InteractorListEntry,
    KeywordList,
    Rule,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from social.selectors import sees_all_channels, visible_channel_ids_subquery

TREE_MAX_DEPTH = 10


def tickets_visible_to(principal: Principal) -> QuerySet[Ticket]:
    queryset = Ticket.objects.all()
    if not sees_all_channels(principal):
        queryset = queryset.filter(channel_id__in=visible_channel_ids_subquery(principal.user.pk))
    return queryset


def ticket_list(principal: Principal) -> QuerySet[Ticket]:
    return tickets_visible_to(principal).select_related("channel", "interactor").order_by("-created_at", "-id")


def status_counts(queryset: QuerySet[Ticket]) -> dict:
    """{open, snoozed, archived, deleted, unread, total} in one query (index on tenant + status)."""
    row = queryset.order_by().aggregate(
        total=Count("id"),
        unread=Count("id", filter=Q(is_unread=True, status=TicketStatus.OPEN)),
        **{status: Count("id", filter=Q(status=status)) for status in TicketStatus.values},
    )
    return row


def thread_of(ticket: Ticket, principal: Principal) -> list[tuple[Ticket, int]]:
    """The ticket's whole thread, depth-first from its top, as (ticket, depth). One query per level."""
    visible = tickets_visible_to(principal).select_related("interactor", "channel")
    top = ticket
    for _ in range(TREE_MAX_DEPTH):
        if top.parent_id is None:
            break
        parent = visible.filter(pk=top.parent_id).first()
        if parent is None:
            break
        top = parent
    children: dict = {}
    level = [top.pk]
    for _ in range(TREE_MAX_DEPTH):
        rows = list(visible.filter(parent_id__in=level).order_by("network_created_at", "created_at", "id"))
        if not rows:
            break
        for row in rows:
            children.setdefault(row.parent_id, []).append(row)
        level = [row.pk for row in rows]
    ordered: list[tuple[Ticket, int]] = []

    def walk(node: Ticket, depth: int) -> None:
        ordered.append((node, depth))
        for child in children.get(node.pk, []):
            walk(child, depth + 1)

    walk(top, 0)
    return ordered


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "id")


def ticket_notes(ticket: Ticket) -> QuerySet[TicketNote]:
    return TicketNote.objects.filter(ticket=ticket).order_by("created_at", "id")


def ticket_actions(ticket: Ticket) -> QuerySet[TicketAction]:
    return TicketAction.objects.filter(ticket=ticket).order_by("-created_at", "-id")


def interactors_visible_to(principal: Principal) -> QuerySet[Interactor]:
    """Interactors with at least one ticket the principal may see (all for OWNER/ADMIN)."""
    if sees_all_channels(principal):
        return Interactor.objects.order_by("name", "id")
    return Interactor.objects.filter(pk__in=tickets_visible_to(principal).values("interactor_id")).order_by(
        "name", "id"
    )


def bulk_jobs() -> QuerySet[BulkJob]:
    return BulkJob.objects.order_by("-created_at", "-id")


def rules() -> QuerySet[Rule]:
    return Rule.objects.order_by("position", "created_at", "id")


def keyword_lists() -> QuerySet[KeywordList]:
    return KeywordList.objects.order_by("name", "id")


def interactor_lists() -> QuerySet[InteractorList]:
    return InteractorList.objects.annotate(entry_count=Count("entries")).order_by("name", "id")


def interactor_list_entries(interactor_list: InteractorList) -> QuerySet[InteractorListEntry]:
    return (
        InteractorListEntry.objects.filter(interactor_list=interactor_list)
        .select_related("interactor")
        .order_by("created_at", "id")
    )


def search_interactors(principal: Principal, *, channel_id=None, search: str = "") -> QuerySet[Interactor]:
    """People the principal may see, who wrote to `channel_id` (when given), by name or handle (when given)."""
    queryset = interactors_visible_to(principal)
    if channel_id:
        queryset = queryset.filter(
            pk__in=tickets_visible_to(principal).filter(channel_id=channel_id).values("interactor_id")
        )
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(handle__icontains=search))
    return queryset
