"""Reads of the inbox: tickets a principal may see (their teams' channels; OWNER/ADMIN and API keys: all), with
relations loaded here once, counts per status, threads."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.auth import Principal
from inbox.models import (
    Alert,
    AlertIncident,
    BulkJob,
    BusinessHours,
    Category,
    Folder,
    InboxAgent,
    Interactor,
    InteractorList,
    InteractorListEntry,
    KeywordList,
    Rule,
    Template,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketCount,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from social.selectors import channel_field, channels_visible_to, sees_all_channels, visible_channel_ids_subquery

TREE_MAX_DEPTH = 10


def tickets_visible_to(principal: Principal) -> QuerySet[Ticket]:
    queryset = Ticket.objects.all()
    if not sees_all_channels(principal):
        queryset = queryset.filter(channel_id__in=visible_channel_ids_subquery(principal.user.pk))
    return queryset


def ticket_list(principal: Principal) -> QuerySet[Ticket]:
    """Newest first. Channel and interactor are prefetched (one query each for the page) rather than joined: the
    page query stays on the ticket table alone, so the planner walks an index in list order and stops after one page
    (joined, row-level security hides the joined tables' sizes from it and it picked plans reading every interactor
    per row). The list endpoints read pages through `ticket_rows` instead (no instances, no prefetch queries)."""
    return (
        tickets_visible_to(principal)
        .prefetch_related("channel", "interactor", "categories")
        .order_by("-created_at", "-id")
    )


# The ticket columns the list shows (TicketOutput's fields, relations as their ids), read as plain values.
TICKET_ROW_FIELDS = (
    "id",
    "channel_id",
    "network",
    "type",
    "network_item_id",
    "parent_id",
    "parent_network_item_id",
    "root_network_item_id",
    "interactor_id",
    "text",
    "attachments",
    "url",
    "rating",
    "status",
    "archive_reason",
    "snoozed_until",
    "sentiment",
    "is_priority",
    "is_unread",
    "is_hidden",
    "is_liked",
    "is_own",
    "is_deleted_in_network",
    "is_edited",
    "edit_history",
    "assignee_id",
    "team_id",
    "network_created_at",
    "network_updated_at",
    "archived_at",
    "first_response_at",
    "resolved_at",
    "created_at",
    "updated_at",
)
# InteractorOutput's fields but the id (the ticket's `interactor_id`).
INTERACTOR_ROW_FIELDS = (
    "network",
    "network_user_id",
    "name",
    "handle",
    "avatar_url",
    "profile_url",
    "follower_count",
    "is_blocked",
    "erased_at",
    "created_at",
)


def ticket_rows(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`queryset` (e.g. `ticket_list`, filtered) as dicts of TICKET_ROW_FIELDS plus the channel's name and network
    (`channel_name`, `channel_network`) and the interactor's INTERACTOR_ROW_FIELDS (`interactor_<field>`): a list
    page builds no model instances and reads its channels and interactors in the same query, as scalar subqueries
    evaluated for the page's rows only (no join for the planner to misjudge under row-level security, no round trip
    per relation). `ticket_categories` reads the page's categories."""
    return queryset.prefetch_related(None).values(*TICKET_ROW_FIELDS, **_row_relations())


@functools.cache
def _row_relations() -> dict[str, Subquery]:
    """`ticket_rows`' subqueries, built once (they hold no tenant: a query copies them when it resolves them)."""
    # By primary key alone, as the prefetch it replaces read them (the ticket's own rows; row-level security holds
    # on PostgreSQL): with the tenant manager's filter too, the planner, left guessing by RLS, walked the tenant index.
    interactor = Interactor.all_tenants.filter(pk=OuterRef("interactor_id")).order_by()
    related = {f"interactor_{field}": Subquery(interactor.values(field)[:1]) for field in INTERACTOR_ROW_FIELDS}
    related.update({f"channel_{field}": channel_field("channel_id", field) for field in ("name", "network")})
    return related


def ticket_categories(rows: list[dict]) -> dict:
    """{ticket id: [{id, name}] in category order} for `ticket_rows` (one query, none for an empty page)."""
    categories: dict = {}
    if not rows:
        return categories
    linked = (
        TicketCategory.objects.filter(ticket_id__in=[row["id"] for row in rows])
        .order_by("category__position", "category__name", "category_id")
        .values_list("ticket_id", "category_id", "category__name")
    )
    for ticket_id, category_id, name in linked:
        categories.setdefault(ticket_id, []).append({"id": category_id, "name": name})
    return categories


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
    visible = tickets_visible_to(principal).select_related("interactor", "channel").prefetch_related("categories")
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


# --- organisation: categories, templates, folders ------------------------------------------------------------------
def categories() -> QuerySet[Category]:
    return Category.objects.order_by("position", "name", "id")


def descendant_ids(category_id: Any) -> set:
    """`category_id` and every category under it (one query: the tenant's tree is small, walked in memory)."""
    children: dict = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, level = set(), [category_id]
    while level:
        found.update(level)
        level = [child for pk in level for child in children.get(pk, []) if child not in found]
    return found


def tickets_in_category(queryset: QuerySet[Ticket], category_id: Any) -> QuerySet[Ticket]:
    """Tickets of `queryset` in the category or any of its descendants."""
    links = TicketCategory.objects.filter(category_id__in=descendant_ids(category_id)).values("ticket_id")
    return queryset.filter(pk__in=links)


def category_ticket_count(category: Category, tickets: QuerySet[Ticket]) -> dict:
    """Tickets of `tickets` (the caller's visible ones) in `category` itself, and in it or any descendant."""
    direct = tickets.filter(pk__in=TicketCategory.objects.filter(category=category).values("ticket_id")).count()
    return {"count": direct, "count_with_descendants": tickets_in_category(tickets, category.pk).count()}


def templates_visible_to(principal: Principal) -> QuerySet[Template]:
    """Tenant-wide templates and those of the member's teams (all of them for OWNER/ADMIN and API keys)."""
    queryset = Template.objects.select_related("team").order_by("name", "id")
    if sees_all_channels(principal):
        return queryset
    return queryset.filter(Q(team__isnull=True) | Q(team__members__user_id=principal.user.pk)).distinct()


def folders() -> QuerySet[Folder]:
    return Folder.objects.order_by("position", "name", "id")


# Filters the ticket counters can answer (they are kept per channel, type, status and read state); any other filter
# needs the scan.
COUNTER_FILTERS = frozenset({"channel", "network", "type", "status", "unread"})


def counter_rows(principal: Principal) -> list[tuple] | None:
    """The counters of the channels `principal` sees, summed per key, as (channel_id, network, type, status,
    is_unread, count), in one small query whatever the number of tickets; None on SQLite (no counters)."""
    from inbox.services.counters import counters_enabled

    if not counters_enabled():
        return None
    visible = channels_visible_to(principal).order_by()
    network = visible.filter(pk=OuterRef("channel_id")).values("network")[:1]
    return list(
        TicketCount.objects.filter(channel_id__in=visible.values("pk"))
        .values("channel_id")
        .annotate(network=Subquery(network))
        .values_list("channel_id", "network", "type", "status", "is_unread")
        .annotate(count=Sum("delta"))
        .order_by()
    )


def counts_from_rows(rows: list[tuple] | None, filters: dict) -> dict | None:
    """`status_counts` of the tickets matching `filters`, from `counter_rows`; None when a filter needs the scan."""
    if rows is None or any(value not in (None, "", []) for key, value in filters.items() if key not in COUNTER_FILTERS):
        return None
    # (position in a row, allowed values) per filter given; a row's channel id is compared as text only when the
    # channel is filtered (a page of counts reads ~1,000 rows: no per-row dict, no per-row str(UUID) otherwise).
    wanted = [
        (position, {str(v) for v in filters[key]})
        for position, key in enumerate(("channel", "network", "type", "status"))
        if filters.get(key)
    ]
    unread = filters.get("unread")
    counts = {status: 0 for status in TicketStatus.values}
    counts["total"] = counts["unread"] = 0
    for row in rows:
        if wanted and any((str(row[0]) if p == 0 else row[p]) not in allowed for p, allowed in wanted):
            continue
        status, is_unread, count = row[3], row[4], row[5]
        if unread is not None and is_unread != unread:
            continue
        counts[status] = counts.get(status, 0) + count
        counts["total"] += count
        if is_unread and status == TicketStatus.OPEN:
            counts["unread"] += count
    return counts


def counted_status_counts(principal: Principal, filters: dict) -> dict | None:
    """`status_counts` from the counters kept on write (PostgreSQL); None when a filter needs the scan (or on
    SQLite, which keeps no counters)."""
    if counts_from_rows([], filters) is None:  # a filter the counters do not hold: no need to read them
        return None
    return counts_from_rows(counter_rows(principal), filters)


def counted_total(principal: Principal, filters: dict) -> int | None:
    """How many tickets the list holds with `filters`, from the counters (no COUNT(*) over the tenant's tickets for
    page mode); None when a filter needs the scan."""
    counts = counted_status_counts(principal, filters)
    return None if counts is None else counts["total"]


def business_hours_of(channel) -> BusinessHours | None:
    return BusinessHours.objects.filter(channel=channel).first()


def alerts() -> QuerySet[Alert]:
    return Alert.objects.select_related("channel").order_by("name", "id")


def alert_incidents(alert: Alert) -> QuerySet[AlertIncident]:
    return AlertIncident.objects.filter(alert=alert).order_by("-opened_at", "-id")


def inbox_agents() -> QuerySet[InboxAgent]:
    """Agents' round-robin settings of the active members, with `open_ticket_count` (open or snoozed tickets
    assigned), in one query."""
    from tenants.selectors import active_members

    load = (
        Ticket.objects.filter(assignee_id=OuterRef("user_id"), status__in=(TicketStatus.OPEN, TicketStatus.SNOOZED))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        InboxAgent.objects.filter(user_id__in=active_members().values("user_id"))
        .select_related("user")
        .annotate(open_ticket_count=Coalesce(Subquery(load, output_field=IntegerField()), 0))
        .order_by("user__email", "id")
    )


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
