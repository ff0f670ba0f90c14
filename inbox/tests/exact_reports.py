"""The exact reports straight from the tickets (percentile_cont on PostgreSQL, window functions on SQLite): the
reference the summary-backed reports (inbox.reports) are checked against in test_report_summary.

Four moments each select tickets by their own timestamp within the range, so one ticket can count on different
days; our own items are not counted; days are local dates in the tenant's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, QuerySet
from django.db.models.functions import TruncDate

from core.auth import Principal
from core.dates import LocalRange
from inbox.models import Category, Ticket
from inbox.selectors import tickets_visible_to

MAX_REPORT_DAYS = 366
PERCENTILES = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Moment:
    name: str
    at: str  # the timestamp that puts a ticket in the range
    seconds: str | None = None  # the business-hours duration measured at that moment


MOMENTS = (
    Moment("created", "created_at"),
    Moment("answered", "first_response_at", "first_response_business_seconds"),
    Moment("resolved", "resolved_at", "resolution_business_seconds"),
    Moment("archived", "archived_at"),
)
DURATION_NAMES = {"answered": "firstResponse", "resolved": "resolution"}
METRIC_COLUMNS = (
    "created",
    "answered",
    "resolved",
    "archived",
    "firstResponseMedianSeconds",
    "firstResponseP90Seconds",
    "resolutionMedianSeconds",
    "resolutionP90Seconds",
)
# The grouping of each per-dimension report: the ticket field (through TicketCategory for categories).
DIMENSIONS = {"agents": "assignee_id", "categories": "categories", "channels": "channel_id", "sentiments": "sentiment"}


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)`: the continuous percentile of a group."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra) -> None:
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


# --- the scope -----------------------------------------------------------------------------------------------------
def report_tickets(principal: Principal, *, channel_ids: list | None = None, team_id=None) -> QuerySet[Ticket]:
    """The tickets a report covers: the caller's visible channels, not our own items, optionally filtered."""
    tickets = tickets_visible_to(principal).filter(is_own=False)
    if channel_ids:
        tickets = tickets.filter(channel_id__in=channel_ids)
    if team_id:
        tickets = tickets.filter(team_id=team_id)
    return tickets.order_by()


# --- SQL building blocks -------------------------------------------------------------------------------------------
def _in_range(tickets: QuerySet[Ticket], moment: Moment, span: LocalRange) -> QuerySet[Ticket]:
    return tickets.filter(**{f"{moment.at}__gte": span.start, f"{moment.at}__lt": span.end})


def _keyed(tickets: QuerySet[Ticket], moment: Moment, span: LocalRange, key: str | None) -> QuerySet[Ticket]:
    """Rows annotated `k` (the group: a local day or a dimension's field); no `k` for one overall group."""
    queryset = _in_range(tickets, moment, span)
    if key == "day":
        return queryset.annotate(k=TruncDate(moment.at, tzinfo=span.tz))
    if key is not None:
        return queryset.annotate(k=F(key))
    return queryset


def _moment_groups(tickets, moment: Moment, span: LocalRange, key: str | None) -> dict[Any, dict]:
    """{group: {count, [median, p90]}} for one moment: one GROUP BY (on SQLite, a second query for percentiles)."""
    queryset = _keyed(tickets, moment, span, key)
    group = ["k"] if key else []
    postgres = connections[queryset.db].vendor == "postgresql"
    aggregates: dict[str, Any] = {"count": Count("id")}
    if moment.seconds and postgres:
        aggregates |= {name: PercentileCont(moment.seconds, p) for name, p in PERCENTILES.items()}
    if group:
        rows = {row.pop("k"): row for row in queryset.values(*group).annotate(**aggregates)}
    else:
        rows = {None: queryset.aggregate(**aggregates)}
    if moment.seconds and not postgres:
        for k, values in _window_percentiles(queryset, moment.seconds, bool(group)).items():
            rows.setdefault(k, {"count": 0}).update(values)
    return rows


def _window_percentiles(queryset: QuerySet, seconds: str, grouped: bool) -> dict[Any, dict]:
    """Percentiles per `k` by window functions (SQLite): same interpolation as `percentile_cont`."""
    inner = queryset.filter(**{f"{seconds}__isnull": False}).annotate(v=F(seconds))
    inner = inner.values("k", "v") if grouped else inner.values("v")
    sql, params = inner.query.sql_with_params()
    partition = "PARTITION BY k" if grouped else ""
    picks = []
    for name, p in PERCENTILES.items():
        position = f"({p!r} * (n - 1))"
        low = f"CAST({position} AS INTEGER)"
        fraction = f"({position} - {low})"
        picks.append(
            f"SUM(CASE WHEN rn = {low} + 1 THEN v * (1 - {fraction}) "
            f"WHEN rn = {low} + 2 THEN v * {fraction} ELSE 0 END) AS {name}"
        )
    key_column = "k" if grouped else "NULL AS k"
    group_by = "GROUP BY k" if grouped else ""
    ranked = (
        f"SELECT {'k, ' if grouped else ''}v, ROW_NUMBER() OVER ({partition} ORDER BY v) AS rn, "
        f"COUNT(*) OVER ({partition}) AS n FROM ({sql}) AS vals"
    )
    statement = f"SELECT {key_column}, {', '.join(picks)}, COUNT(*) FROM ({ranked}) AS ranked {group_by}"
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    names = list(PERCENTILES)
    to_python = _key_converter(inner, connection) if grouped else (lambda value: value)
    return {to_python(row[0]): dict(zip(names, row[1:-1], strict=True)) for row in rows if row[-1]}


def _key_converter(queryset: QuerySet, connection):
    """The backend's converters of `k` (a raw cursor returns SQLite's text for dates and UUIDs), so the keys
    match the ORM query's."""
    expression = queryset.query.annotations["k"]
    converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)

    def convert(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert


def _empty_metrics() -> dict[str, Any]:
    return {
        column: (0 if column in ("created", "answered", "resolved", "archived") else None) for column in METRIC_COLUMNS
    }


def _fill(metrics: dict, moment: Moment, values: dict) -> None:
    metrics[moment.name] = values.get("count") or 0
    if moment.seconds:
        prefix = DURATION_NAMES[moment.name]
        for name in PERCENTILES:
            value = values.get(name)
            metrics[f"{prefix}{name[0].upper()}{name[1:]}Seconds"] = round(value, 1) if value is not None else None


def _per_key(tickets, span: LocalRange, key: str) -> dict[Any, dict]:
    metrics: dict[Any, dict] = {}
    for moment in MOMENTS:
        for k, values in _moment_groups(tickets, moment, span, key).items():
            _fill(metrics.setdefault(k, _empty_metrics()), moment, values)
    return metrics


# --- reports -------------------------------------------------------------------------------------------------------
def overview(tickets: QuerySet[Ticket], span: LocalRange) -> dict[str, Any]:
    """Totals over the range and one row per local day (every day of the range, zeros included)."""
    by_day: dict[Any, dict] = {day: _empty_metrics() for day in span.days()}
    totals = _empty_metrics()
    for moment in MOMENTS:
        for day, values in _moment_groups(tickets, moment, span, "day").items():
            _fill(by_day.setdefault(day, _empty_metrics()), moment, values)
        # Counts add up across days; percentiles do not, so the timed moments get one more (ungrouped) query.
        overall = _moment_groups(tickets, moment, span, None)[None] if moment.seconds else {}
        overall["count"] = sum(by_day[day][moment.name] for day in by_day)
        _fill(totals, moment, overall)
    days = [{"date": day, **metrics} for day, metrics in sorted(by_day.items())]
    return {"from": span.first, "to": span.last, "timezone": span.tz.key, "totals": totals, "days": days}


def by_dimension(tickets: QuerySet[Ticket], span: LocalRange, dimension: str, principal: Principal) -> dict:
    """One row per agent / category / channel / sentiment with the range's metrics, busiest first. Tickets without
    one (unassigned, uncategorized, no sentiment) are the row whose `id` is null."""
    metrics = _per_key(tickets, span, DIMENSIONS[dimension])
    names = _names(dimension, [k for k in metrics if k not in (None, "")], principal)
    rows = [{"id": (k or None), "name": names.get(k, "") if k else "", **values} for k, values in metrics.items()]
    rows.sort(key=lambda row: (-row["created"], -row["answered"], row["name"], str(row["id"] or "")))
    return {"from": span.first, "to": span.last, "timezone": span.tz.key, "results": rows}


def _names(dimension: str, keys: list, principal: Principal) -> dict:
    """Display names of the groups, in one query."""
    if not keys:
        return {}
    if dimension == "agents":
        from tenants.selectors import active_members

        members = active_members().filter(user_id__in=keys)
        return {m.user_id: (m.user.full_name or m.user.email) for m in members}
    if dimension == "categories":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "channels":
        from social.selectors import channels_visible_to

        return dict(channels_visible_to(principal).filter(pk__in=keys).values_list("pk", "name"))
    return {k: k for k in keys}  # sentiments name themselves
