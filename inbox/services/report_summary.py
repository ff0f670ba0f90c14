"""Upkeep of the report summary (`inbox.models.TicketDaySummary`), which the inbox reports read.

A ticket contributes, for each moment it reached (created, first answered, resolved, archived), one count (and for
the timed moments one histogram bucket) to a row of each grain, on the local day of that moment, keyed by its
current channel, team, assignee, sentiment and categories; our own items contribute nothing. So whatever changes a
ticket (a moment, an attribute a report groups by), the summary changes by the ticket's contributions after minus
before:

- `tracking(ticket_ids)` wraps a write: it reads the tickets' contributions before, runs the block, reads them
  after and upserts the difference, all in the block's transaction (one snapshot query pair and one upsert per
  block, whatever the number of tickets). Scopes nest: an inner one (a service called by another) only adds the
  tickets the outer one does not track yet, so a change is written once. `track_created(ids)` adds tickets the
  block inserted (they counted nowhere before).
- `rebuild_summary(first, last)` recomputes the current tenant's rows of local days `first..last` from the tickets
  (idempotent): after a time zone change (rows keep the days of the zone they were written in), after tickets
  were changed behind the services (SQL, fixtures, COPY), or to fill the summary for tickets older than it. It is
  set-based: per window of days one DELETE and one `INSERT ... SELECT` that computes in SQL the same contributions
  as the Python above (local days, histogram buckets, the grains), on PostgreSQL and SQLite alike.

Days are the tenant's local dates when the row is written; the upsert is one `INSERT ... ON CONFLICT DO UPDATE SET
n = n + EXCLUDED.n` per 300 rows, in key order (two writers touching the same rows lock them in the same order).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Min, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.dates import LocalRange
from inbox.models import (
    ALL_CHANNELS,
    SUMMARY_COLUMNS,
    ReportGrain,
    Ticket,
    TicketCategory,
    TicketDaySummary,
)
from inbox.report_histogram import BUCKET_COUNT, EDGES, bucket_of

# (grain, day, channel id, team, key, column index in SUMMARY_COLUMNS)
Contribution = tuple[str, date, uuid.UUID, str, str, int]
RowKey = tuple[str, date, uuid.UUID, str, str]

_FIELDS = (
    "id",
    "is_own",
    "channel_id",
    "team_id",
    "assignee_id",
    "sentiment",
    "created_at",
    "first_response_at",
    "first_response_business_seconds",
    "resolved_at",
    "resolution_business_seconds",
    "archived_at",
)
# Each moment: its timestamp, its count column, and (timed moments) its seconds and first histogram column.
_MOMENTS = (
    ("created_at", 0, None, None),
    ("first_response_at", 1, "first_response_business_seconds", 4),
    ("resolved_at", 2, "resolution_business_seconds", 4 + BUCKET_COUNT),
    ("archived_at", 3, None, None),
)
# A summary row's fields, in the order both writers insert them.
_ROW_FIELDS = (
    "id",
    "tenant",
    "created_at",
    "updated_at",
    "day",
    "grain",
    "channel_id",
    "team",
    "key",
    *SUMMARY_COLUMNS,
)
UPSERT_ROWS = 300  # x 85 columns: under SQLite's and PostgreSQL's limits of parameters per statement
REBUILD_WINDOW_DAYS = 31


@dataclass
class _Scope:
    tz: ZoneInfo
    ids: set = field(default_factory=set)
    before: Counter = field(default_factory=Counter)


_scope: ContextVar[_Scope | None] = ContextVar("inbox_report_summary_scope", default=None)


@contextmanager
def tracking(ticket_ids: Iterable = ()) -> Iterator[None]:
    """Keep the summary in step with what the block does to `ticket_ids` (and to tickets later passed to an inner
    `tracking` or to `track_created`), in the block's transaction. Usable as a decorator."""
    outer = _scope.get()
    if outer is not None:
        _track(outer, ticket_ids)
        yield
        return
    scope = _Scope(tz=_tenant_zone())
    token = _scope.set(scope)
    try:
        with transaction.atomic(savepoint=False):  # the caller's transaction; no savepoint round trips
            _track(scope, ticket_ids)
            yield
            delta = _contributions(_snapshots(scope.ids), scope.tz)
            delta.subtract(scope.before)
            _upsert(delta)
    finally:
        _scope.reset(token)


def _track(scope: _Scope, ticket_ids: Iterable) -> None:
    """Add the tickets `scope` does not track yet, with their contributions as they stand now."""
    new = set(ticket_ids) - scope.ids
    if new:
        scope.before.update(_contributions(_snapshots(new), scope.tz))
        scope.ids |= new


def track_created(ticket_ids: Iterable) -> None:
    """Tickets the current `tracking` block inserted: counted from nothing."""
    scope = _scope.get()
    if scope is None:
        raise RuntimeError("track_created() outside a tracking() block")
    scope.ids.update(ticket_ids)


def rebuild_summary(first: date | None = None, last: date | None = None, *, actor: Principal | None) -> int:
    """Recompute the current tenant's summary rows of local days `first..last` (default: from its first ticket's
    day to today) from its tickets, REBUILD_WINDOW_DAYS per transaction (short row locks for the services writing
    meanwhile); audited. Returns the rows written.

    Exact for the changes committed before each window is read; a ticket changed while its window is being rebuilt
    may be off by that change (run it again)."""
    tz = _tenant_zone()
    today = timezone.now().astimezone(tz).date()
    if first is None:
        oldest = Ticket.objects.order_by().aggregate(at=Min("created_at"))["at"]
        first = oldest.astimezone(tz).date() if oldest else today
    last = last or today
    written = 0
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=REBUILD_WINDOW_DAYS - 1))
        written += _rebuild_window(LocalRange(start, end, tz))
        start = end + timedelta(days=1)
    audit.record(
        "inbox.reportSummary.rebuilt",
        actor=actor,
        object_type="inbox.ticketdaysummary",
        changes={"from": first.isoformat(), "to": last.isoformat(), "timezone": tz.key, "rows": written},
    )
    return written


@transaction.atomic
def _rebuild_window(span: LocalRange) -> int:
    """Replace the rows of `span`'s days by the tickets' contributions: one DELETE and one INSERT ... SELECT."""
    TicketDaySummary.objects.filter(day__gte=span.first, day__lte=span.last).delete()
    sql, params = _rebuild_sql(span)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rebuild_sql(span: LocalRange) -> tuple[str, list]:
    """The statement that writes `span`'s rows from the tickets, the same rows `_contributions` adds up in Python:
    every moment of a ticket within the span (not our own items) with its local day and histogram bucket, fanned
    out to the seven grains (the category ones once per category, or once with no key), counted per key, moment and
    bucket, then pivoted to one row per key, upserted in key order like `_upsert`."""
    moments = _moment_rows(span)
    sql, params = moments.query.sql_with_params()
    params = list(params)
    everywhere = TicketDaySummary._meta.get_field("channel_id").get_db_prep_value(ALL_CHANNELS, connection)
    team, assignee, category = _uuid_text("m.team_ref"), _uuid_text("m.assignee_ref"), _uuid_text("c.category_id")
    categories = f"moments AS m LEFT JOIN {TicketCategory._meta.db_table} AS c ON c.ticket_id = m.ticket_ref"
    fan_out = []
    for grain, channel, team_key, key, source in (
        (ReportGrain.CHANNEL, "m.channel_ref", team, "''", "moments AS m"),
        (ReportGrain.SENTIMENT, "m.channel_ref", team, "m.sentiment_ref", "moments AS m"),
        (ReportGrain.AGENT, "m.channel_ref", team, assignee, "moments AS m"),
        (ReportGrain.AGENT_TOTAL, "%s", "''", assignee, "moments AS m"),
        (ReportGrain.SENTIMENT_TOTAL, "%s", "''", "m.sentiment_ref", "moments AS m"),
        (ReportGrain.CATEGORY, "m.channel_ref", team, category, categories),
        (ReportGrain.CATEGORY_TOTAL, "%s", "''", category, categories),
    ):
        fan_out.append(
            f"SELECT %s AS grain, m.day, {channel} AS channel, COALESCE({team_key}, '') AS team, "
            f"COALESCE({key}, '') AS rkey, m.moment, m.bucket FROM {source}"
        )
        params += [str(grain), *([everywhere] if channel == "%s" else [])]
    conditions = [""] * len(SUMMARY_COLUMNS)
    for index, (_at, count_column, seconds, first_bucket) in enumerate(_MOMENTS):
        conditions[count_column] = f"moment = {index}"
        if seconds:
            for bucket in range(BUCKET_COUNT):
                conditions[first_bucket + bucket] = f"moment = {index} AND bucket = {bucket}"
    sums = ", ".join(f"SUM(CASE WHEN {condition} THEN n ELSE 0 END)" for condition in conditions)
    table, columns, conflict, updates = _upsert_parts()
    now = TicketDaySummary._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    tenant = TicketDaySummary._meta.get_field("tenant").get_db_prep_value(
        tenancy.require_current_tenant().pk, connection
    )
    key_order = "grain, day, channel, team, rkey"
    statement = (
        # INSERT first, WITH inside: Python's sqlite3 counts the rows of a statement that starts with INSERT only.
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"WITH moments AS ({sql}), "
        f"keyed AS ({' UNION ALL '.join(fan_out)}), "
        f"counted AS (SELECT {key_order}, moment, bucket, COUNT(*) AS n FROM keyed "
        f"GROUP BY {key_order}, moment, bucket) "
        f"SELECT {_new_uuid()}, %s, %s, %s, day, grain, channel, team, rkey, {sums} FROM counted "
        f"GROUP BY {key_order} ORDER BY {key_order} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    return statement, [*params, tenant, now, now]


def _moment_rows(span: LocalRange) -> QuerySet:
    """One row per moment of a ticket within `span`: the ticket, its channel, team, assignee and sentiment, the
    moment's local day, its index in `_MOMENTS` and, for the timed ones, the bucket of its seconds (null without)."""
    branches = []
    for index, (at, _count_column, seconds, _first_bucket) in enumerate(_MOMENTS):
        bucket = Value(None, IntegerField())
        if seconds:
            bucket = Case(
                When(**{f"{seconds}__isnull": True}, then=Value(None)),
                *(When(**{f"{seconds}__lt": edge}, then=Value(i)) for i, edge in enumerate(EDGES)),
                default=Value(len(EDGES)),
                output_field=IntegerField(),
            )
        branches.append(
            Ticket.objects.filter(is_own=False, **{f"{at}__gte": span.start, f"{at}__lt": span.end})
            .order_by()
            .values(
                ticket_ref=F("id"),
                channel_ref=F("channel_id"),
                team_ref=F("team_id"),
                assignee_ref=F("assignee_id"),
                sentiment_ref=F("sentiment"),
                day=TruncDate(at, tzinfo=span.tz),
                moment=Value(index, IntegerField()),
                bucket=bucket,
            )
        )
    return branches[0].union(*branches[1:], all=True)


def _uuid_text(column: str) -> str:
    """SQL for a UUID column as `str(uuid)` (the summary's text keys); SQLite stores UUIDs as 32 hex digits."""
    if connection.vendor == "postgresql":
        return f"CAST({column} AS text)"
    dashed = " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length in _UUID_GROUPS)
    return f"({dashed})"


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _new_uuid() -> str:
    return "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"


# --- contributions -------------------------------------------------------------------------------------------------
def _tenant_zone() -> ZoneInfo:
    return ZoneInfo(tenancy.require_current_tenant().timezone or "UTC")


def _snapshots(ticket_ids: Iterable) -> list[dict]:
    """The fields that place `ticket_ids` in the summary, with `categories` (ids): one query (a row per category)."""
    ids = list(ticket_ids)
    if not ids:
        return []
    tickets: dict = {}
    for row in Ticket.objects.filter(pk__in=ids).order_by().values(*_FIELDS, "categories"):
        category = row.pop("categories")
        ticket = tickets.setdefault(row["id"], {**row, "categories": []})
        if category is not None:
            ticket["categories"].append(str(category))
    return list(tickets.values())


def _contributions(snapshots: list[dict], tz: ZoneInfo) -> Counter:
    counts: Counter = Counter()
    for t in snapshots:
        if t["is_own"]:
            continue
        channel, team = t["channel_id"], str(t["team_id"] or "")
        assignee = str(t["assignee_id"] or "")
        keys = [
            (ReportGrain.CHANNEL, channel, team, ""),
            (ReportGrain.SENTIMENT, channel, team, t["sentiment"] or ""),
            (ReportGrain.AGENT, channel, team, assignee),
            (ReportGrain.AGENT_TOTAL, ALL_CHANNELS, "", assignee),
            (ReportGrain.SENTIMENT_TOTAL, ALL_CHANNELS, "", t["sentiment"] or ""),
        ]
        for category in t["categories"] or [""]:
            keys += [
                (ReportGrain.CATEGORY, channel, team, category),
                (ReportGrain.CATEGORY_TOTAL, ALL_CHANNELS, "", category),
            ]
        for at, count_column, seconds, first_bucket in _MOMENTS:
            if t[at] is None:
                continue
            day = t[at].astimezone(tz).date()
            columns = [count_column]
            if seconds and t[seconds] is not None:
                columns.append(first_bucket + bucket_of(t[seconds]))
            for grain, row_channel, row_team, key in keys:
                for column in columns:
                    counts[(str(grain), day, row_channel, row_team, key, column)] += 1
    return counts


# --- the upsert ----------------------------------------------------------------------------------------------------
def _upsert(delta: Counter) -> int:
    """Add `delta` to the summary: rows created as needed, in key order, UPSERT_ROWS per statement."""
    rows: dict[RowKey, list[int]] = {}
    for (*key, column), n in delta.items():
        if n:
            rows.setdefault(tuple(key), [0] * len(SUMMARY_COLUMNS))[column] += n
    if not rows:
        return 0
    ordered = sorted(rows.items(), key=lambda item: (item[0][0], item[0][1], str(item[0][2]), item[0][3], item[0][4]))
    tenant_id = tenancy.require_current_tenant().pk
    now = timezone.now()
    fields = [TicketDaySummary._meta.get_field(name) for name in _ROW_FIELDS]
    table, columns, conflict, updates = _upsert_parts()
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for i in range(0, len(ordered), UPSERT_ROWS):
            chunk = ordered[i : i + UPSERT_ROWS]
            params = []
            for (grain, day, channel, team, key), values in chunk:
                raw = (uuid.uuid4(), tenant_id, now, now, day, grain, channel, team, key, *values)
                params += [f.get_db_prep_value(v, connection, prepared=False) for f, v in zip(fields, raw, strict=True)]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
                params,
            )
    return len(ordered)


def _upsert_parts() -> tuple[str, list[str], str, str]:
    """The summary's table, its columns in `_upsert`'s order, the unique key, and the SET that adds to a row."""
    meta = TicketDaySummary._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [quote(meta.get_field(name).column) for name in _ROW_FIELDS]
    conflict = ", ".join(
        quote(meta.get_field(name).column) for name in ("tenant", "grain", "day", "channel_id", "team", "key")
    )
    updates = ", ".join(
        [f"{quote('updated_at')} = EXCLUDED.{quote('updated_at')}"]
        + [f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in SUMMARY_COLUMNS]
    )
    return table, columns, conflict, updates
