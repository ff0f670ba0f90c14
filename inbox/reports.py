"""Inbox reports (selectors): volumes and business-hours response times over a date range, overall per local day,
or per agent, category, channel or sentiment, read from the per-day summary (`TicketDaySummary`, kept by
inbox.services.report_summary) with one GROUP BY query per report.

Four moments each count tickets by their own timestamp within the range, so one ticket can count on different
days: `created` (`created_at`), `answered` (`first_response_at`, with the median and p90 of
`first_response_business_seconds`), `resolved` (`resolved_at`, with the median and p90 of
`resolution_business_seconds`) and `archived` (`archived_at`). Our own items (`is_own`) are not counted. Days are
local dates in the tenant's time zone (the zone when the summary was written: a change of zone needs a rebuild),
and the range `from`..`to` is inclusive there. A ticket is reported under its current assignee, categories,
channel, team and sentiment.

Counts are exact. Medians and p90 come from the summed histograms (inbox.report_histogram): within one bucket of
the exact `percentile_cont` (above a minute at most a factor sqrt(2) off, below it at most 60 s).

Agents, categories and sentiments of a caller who sees every channel, without a channel or team filter, read the
tenant-wide grains (one row per day and key); otherwise the per-channel-and-team grains restricted to the visible
channels.
The tenant-wide grains cannot tell a deleted channel's tickets apart: they count until a rebuild.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet, Sum

from core.auth import Principal
from core.dates import LocalRange, local_range
from inbox.models import SUMMARY_BUCKET_COUNT, SUMMARY_COLUMNS, Category, ReportGrain, TicketDaySummary
from inbox.report_histogram import percentile

MAX_REPORT_DAYS = 366
PERCENTILES = {"Median": 0.5, "P90": 0.9}
COUNTS = {
    "created": "created_count",
    "answered": "answered_count",
    "resolved": "resolved_count",
    "archived": "archived_count",
}
HISTOGRAMS = {"firstResponse": "first_response", "resolution": "resolution"}
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
# Each per-dimension report: its per-channel grain, its tenant-wide grain (None: the per-channel one is small
# enough: channels read a row per day, channel and team) and the column it groups by.
DIMENSIONS = {
    "agents": (ReportGrain.AGENT, ReportGrain.AGENT_TOTAL, "key"),
    "categories": (ReportGrain.CATEGORY, ReportGrain.CATEGORY_TOTAL, "key"),
    "channels": (ReportGrain.CHANNEL, None, "channel_id"),
    "sentiments": (ReportGrain.SENTIMENT, ReportGrain.SENTIMENT_TOTAL, "key"),
}
_WHOLE_TENANT_GRAINS = {whole for _grain, whole, _group in DIMENSIONS.values() if whole is not None}
_UUID_KEYS = ("agents", "categories")


def report_range(
    first: date | None, last: date | None, tz_name: str, *, today: date, default_days: int = 30
) -> LocalRange:
    """Validate `from`..`to` (inclusive local dates, at most MAX_REPORT_DAYS days); defaults: the last 30 days."""
    last = last or today
    first = first or last - timedelta(days=default_days - 1)
    return local_range(first, last, tz_name, max_days=MAX_REPORT_DAYS)


class ReportScope:
    """Whose view and which filters a report answers for: the caller's visible channels, optionally narrowed to
    `channel_ids` and to tickets routed to `team_id`."""

    def __init__(self, principal: Principal, *, channel_ids: list | None = None, team_id=None) -> None:
        self.principal = principal
        self.channel_ids = list(channel_ids or [])
        self.team_id = team_id

    @property
    def is_whole_tenant(self) -> bool:
        from social.selectors import sees_all_channels

        return sees_all_channels(self.principal) and not self.channel_ids and not self.team_id

    def rows(self, grain: str, span: LocalRange) -> QuerySet[TicketDaySummary]:
        """The summary rows of `grain` over `span` within this scope."""
        from social.selectors import channels_visible_to

        rows = TicketDaySummary.objects.filter(grain=grain, day__gte=span.first, day__lte=span.last).order_by()
        if grain in _WHOLE_TENANT_GRAINS:
            return rows
        # Existing visible channels only (a deleted channel's rows stay behind, its tickets are gone).
        rows = rows.filter(channel_id__in=channels_visible_to(self.principal).values("pk"))
        if self.channel_ids:
            rows = rows.filter(channel_id__in=self.channel_ids)
        if self.team_id:
            rows = rows.filter(team=str(self.team_id))
        return rows


def report_scope(principal: Principal, *, channel_ids: list | None = None, team_id=None) -> ReportScope:
    return ReportScope(principal, channel_ids=channel_ids, team_id=team_id)


def _summed(rows: QuerySet[TicketDaySummary], group: str) -> dict[Any, list[int]]:
    """{group value: the summed SUMMARY_COLUMNS} in one GROUP BY."""
    sums = {column: Sum(column) for column in SUMMARY_COLUMNS}
    return {row[group]: [row[c] or 0 for c in SUMMARY_COLUMNS] for row in rows.values(group).annotate(**sums)}


def _metrics(values: list[int] | None) -> dict[str, Any]:
    values = values or [0] * len(SUMMARY_COLUMNS)
    metrics: dict[str, Any] = {name: values[SUMMARY_COLUMNS.index(column)] for name, column in COUNTS.items()}
    for prefix, histogram in HISTOGRAMS.items():
        first = SUMMARY_COLUMNS.index(f"{histogram}_h00")
        counts = values[first : first + SUMMARY_BUCKET_COUNT]
        for suffix, p in PERCENTILES.items():
            value = percentile(counts, p)
            metrics[f"{prefix}{suffix}Seconds"] = round(value, 1) if value is not None else None
    return metrics


def _has_any(values: list[int]) -> bool:
    return any(values[SUMMARY_COLUMNS.index(column)] for column in COUNTS.values())


# --- reports -------------------------------------------------------------------------------------------------------
def overview(scope: ReportScope, span: LocalRange) -> dict[str, Any]:
    """Totals over the range and one row per local day (every day of the range, zeros included)."""
    by_day = _summed(scope.rows(ReportGrain.CHANNEL, span), "day")
    totals = [sum(column) for column in zip(*by_day.values(), strict=True)] if by_day else None
    days = [{"date": day, **_metrics(by_day.get(day))} for day in span.days()]
    return {"from": span.first, "to": span.last, "timezone": span.tz.key, "totals": _metrics(totals), "days": days}


def by_dimension(scope: ReportScope, span: LocalRange, dimension: str) -> dict:
    """One row per agent / category / channel / sentiment with the range's metrics, busiest first. Tickets without
    one (unassigned, uncategorized, no sentiment) are the row whose `id` is null."""
    grain, whole_tenant_grain, group = DIMENSIONS[dimension]
    if whole_tenant_grain is not None and scope.is_whole_tenant:
        grain = whole_tenant_grain
    summed = _summed(scope.rows(grain, span), group)
    metrics = {_key(dimension, k): _metrics(values) for k, values in summed.items() if _has_any(values)}
    names = _names(dimension, [k for k in metrics if k is not None], scope.principal)
    rows = [{"id": k, "name": names.get(k, "") if k else "", **values} for k, values in metrics.items()]
    rows.sort(key=lambda row: (-row["created"], -row["answered"], row["name"], str(row["id"] or "")))
    return {"from": span.first, "to": span.last, "timezone": span.tz.key, "results": rows}


def _key(dimension: str, value: Any) -> Any:
    if not value:
        return None
    return uuid.UUID(value) if dimension in _UUID_KEYS else value


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
