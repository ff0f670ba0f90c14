"""The metric engine: a catalogue of metrics and one function that computes a metric over a date range, optionally
against a comparison range, per time bucket, channel, network or tag, flagging data the networks have not
delivered yet.

Figures are read through `contentplanner.selectors.analytics` (channel days and post metrics); channels through
`social.selectors`. Channel metrics (`ChannelMetrics`, one row per channel and network day) are complete for a
bucket when every channel in scope delivered every day of it; post metrics (the newest `PostMetrics` of each post
published in the range, placed by its local publish day) are complete when every post has been measured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from analytics.errors import RangeTooLong, UnknownMetric
from contentplanner.selectors import analytics as cp_analytics
from contentplanner.services.metrics import COLLECTABLE_NETWORKS
from core.auth import Principal
from core.dates import LocalRange
from core.errors import ValidationFailed
from social import selectors as social_selectors

MAX_RANGE_DAYS = 366
TIME_BUCKETS = ("day", "week", "month")
CHANNEL_GROUPS = (*TIME_BUCKETS, "channel", "network")
POST_GROUPS = (*CHANNEL_GROUPS, "tag")


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    description: str
    source: str  # "channel" (ChannelMetrics) or "post" (PostMetrics of published posts)
    field: str  # the column summed; "posts" counts posts; "engagement_rate" is engagements / impressions
    aggregation: str = "sum"  # "sum", "last" (the newest day's value: an audience size), "ratio"
    unit: str = "count"

    @property
    def group_by(self) -> tuple[str, ...]:
        return POST_GROUPS if self.source == "post" else CHANNEL_GROUPS

    @property
    def filters(self) -> tuple[str, ...]:
        return ("channelIds", "tagIds") if self.source == "post" else ("channelIds",)


CATALOGUE: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("followers", "Audience", "Followers on the last delivered day.", "channel", "followers", "last"),
        Metric("impressions", "Channel impressions", "Impressions of the channels per day.", "channel", "impressions"),
        Metric("engagements", "Channel engagements", "Engagements on the channels per day.", "channel", "engagements"),
        Metric(
            "engagementRate",
            "Channel engagement rate",
            "Engagements / impressions.",
            "channel",
            "engagement_rate",
            "ratio",
            "ratio",
        ),
        Metric("postsPublished", "Posts published", "Posts published in the range.", "post", "posts"),
        Metric("postImpressions", "Post impressions", "Impressions of the posts published.", "post", "impressions"),
        Metric("postReach", "Post reach", "Accounts reached by the posts published.", "post", "reach"),
        Metric("postEngagements", "Post engagements", "Engagements on the posts published.", "post", "engagements"),
        Metric("postClicks", "Post clicks", "Link clicks on the posts published.", "post", "clicks"),
        Metric("postLikes", "Post likes", "Likes of the posts published.", "post", "likes"),
        Metric("postComments", "Post comments", "Comments on the posts published.", "post", "comments"),
        Metric("postShares", "Post shares", "Shares of the posts published.", "post", "shares"),
        Metric("postVideoViews", "Video views", "Video views of the posts published.", "post", "video_views"),
        Metric(
            "postEngagementRate",
            "Post engagement rate",
            "Engagements / impressions of the posts published.",
            "post",
            "engagement_rate",
            "ratio",
            "ratio",
        ),
    )
}
CHART_TYPES = ("line", "bar", "number", "table")


def metric(key: str) -> Metric:
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownMetric(details={"metric": key}) from None


def catalogue() -> dict[str, Any]:
    return {
        "metrics": [
            {
                "key": m.key,
                "title": m.title,
                "description": m.description,
                "source": m.source,
                "unit": m.unit,
                "group_by": list(m.group_by),
                "filters": list(m.filters),
            }
            for m in CATALOGUE.values()
        ],
        "charts": list(CHART_TYPES),
    }


# --- scope -----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelRef:
    id: Any
    name: str
    network: str


@dataclass(frozen=True)
class Scope:
    """The channels a metric is computed over (already checked against the viewer's rights) and the time zone."""

    channels: tuple[ChannelRef, ...]
    tz: ZoneInfo
    # True when `channels` are all the tenant's channels that can have figures: the queries then need no channel
    # filter (channels of other networks have no figures to leave out).
    is_whole_tenant: bool = False

    @property
    def ids(self) -> list:
        return [c.id for c in self.channels]

    @property
    def filter_ids(self) -> list | None:
        """The channel ids to filter the figures by, or None for "every channel of the tenant"."""
        return None if self.is_whole_tenant else self.ids


def _refs(queryset) -> tuple[ChannelRef, ...]:
    rows = queryset.select_related(None).prefetch_related(None).order_by("name", "id").values("id", "name", "network")
    return tuple(ChannelRef(**row) for row in rows)


def narrow(channels: tuple[ChannelRef, ...], requested: Iterable | None, *, strict: bool) -> tuple[ChannelRef, ...]:
    """`channels` narrowed to the `requested` ids (None: all). An id outside them -> 400 naming it when `strict`
    (another tenant's channel and a missing one read alike), else it is left out."""
    if not requested:
        return channels
    requested = [str(i) for i in requested]
    by_id = {str(c.id): c for c in channels}
    missing = [i for i in requested if i not in by_id]
    if missing and strict:
        raise ValidationFailed(details={"channelIds": [f"Unknown channel: {', '.join(missing)}."]})
    return tuple(by_id[i] for i in dict.fromkeys(requested) if i in by_id)


def scope_for(principal: Principal, channel_ids: Iterable | None, tz_name: str, *, strict: bool = True) -> Scope:
    """The channels `principal` sees (those of networks that report metrics when none are named), narrowed to
    `channel_ids`. `strict=False` (a dashboard's saved channels) shows a member the ones they see and drops the
    rest instead of refusing."""
    visible = social_selectors.channels_visible_to(principal)
    if not channel_ids:
        visible = visible.filter(network__in=COLLECTABLE_NETWORKS)
    channels = narrow(_refs(visible), channel_ids, strict=strict)
    whole = not channel_ids and social_selectors.sees_all_channels(principal)
    return Scope(channels=channels, tz=ZoneInfo(tz_name or "UTC"), is_whole_tenant=whole)


def tenant_scope(tz_name: str) -> Scope:
    """Every channel of the tenant whose network reports metrics (a scheduled report's default)."""
    channels = social_selectors.channels().filter(network__in=COLLECTABLE_NETWORKS)
    return Scope(channels=_refs(channels), tz=ZoneInfo(tz_name or "UTC"), is_whole_tenant=True)


def scope_of_ids(channel_ids: Iterable, tz_name: str) -> Scope:
    """The tenant's channels among `channel_ids` (a shared link's pinned set; deleted channels drop out)."""
    return Scope(channels=_refs(social_selectors.channels().filter(pk__in=list(channel_ids))), tz=ZoneInfo(tz_name))


# --- ranges ----------------------------------------------------------------------------------------------------------
def check_range(first: date, last: date, *, label: str = "to") -> None:
    if first > last:
        raise ValidationFailed(details={label: ["Must be on or after the start of the range."]})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise RangeTooLong(details={label: [f"A range may span at most {MAX_RANGE_DAYS} days."]})


def previous_period(first: date, last: date) -> tuple[date, date]:
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


def _bucket_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def _time_buckets(first: date, last: date, by: str) -> list[tuple[date, date, date]]:
    """(key, first day, last day) of each bucket of `first`..`last`, clipped to the range."""
    buckets: dict[date, list[date]] = {}
    day = first
    while day <= last:
        buckets.setdefault(_bucket_start(day, by), []).append(day)
        day += timedelta(days=1)
    return [(key, days[0], days[-1]) for key, days in buckets.items()]


def _as_date(value: Any, tz: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(tz) if value.tzinfo else value).date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


# --- computation -----------------------------------------------------------------------------------------------------
@dataclass
class _Acc:
    """Figures of one bucket before they become a value."""

    sums: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    have: int = 0  # channel-days delivered / posts measured
    want: int = 0  # channel-days expected / posts published
    label: str | None = None
    first: date | None = None
    last: date | None = None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def _value(m: Metric, acc: _Acc) -> float | int | None:
    if m.aggregation == "ratio":
        return _ratio(acc.sums["engagements"], acc.sums["impressions"])
    return acc.sums[m.field]


class Rows:
    """The figure queries' rows, each fetched once: the widgets of a dashboard share them (every time bucket is
    summed from the same daily rows, every metric of a source from the same sums)."""

    def __init__(self) -> None:
        self._rows: dict[tuple, list[dict[str, Any]]] = {}

    def get(self, key: tuple, fetch) -> list[dict[str, Any]]:
        if key not in self._rows:
            self._rows[key] = fetch()
        return self._rows[key]


def _channel_days(rows: Rows, ids: list | None, first: date, last: date, by: str | None) -> list[dict[str, Any]]:
    key = ("channel", None if ids is None else tuple(ids), first, last, by)
    return rows.get(key, lambda: cp_analytics.channel_day_aggregates(ids, first, last, by=by))


def _latest_followers(rows: Rows, ids: list | None, first: date, last: date) -> list[dict[str, Any]]:
    key = ("followers", None if ids is None else tuple(ids), first, last)
    return rows.get(key, lambda: cp_analytics.latest_followers(ids, first, last))


def _channel_accs(m: Metric, scope: Scope, first: date, last: date, by: str | None, rows: Rows) -> dict[Any, _Acc]:
    ids, n_channels = scope.filter_ids, len(scope.channels)
    accs: dict[Any, _Acc] = {}
    if by in TIME_BUCKETS:
        for key, b_first, b_last in _time_buckets(first, last, by):
            accs[key] = _Acc(want=n_channels * ((b_last - b_first).days + 1), first=b_first, last=b_last)
        latest_day: dict[date, date] = {}
        for row in _channel_days(rows, ids, first, last, "day"):
            day = _as_date(row["key"], scope.tz)
            key = _bucket_start(day, by)
            acc = accs[key]
            acc.have += row["rows"]
            if m.aggregation == "last":
                if day >= latest_day.get(key, day):  # rows come oldest first: the bucket's newest day wins
                    latest_day[key] = day
                    acc.sums["followers"] = row["followers"] or 0
            else:
                for name in cp_analytics.CHANNEL_DAY_FIELDS:
                    acc.sums[name] += row[name] or 0
        return accs
    days = (last - first).days + 1
    if by in ("channel", "network"):
        for channel in scope.channels:
            key = channel.id if by == "channel" else channel.network
            acc = accs.setdefault(key, _Acc(label=channel.name if by == "channel" else channel.network))
            acc.want += days
        for row in _channel_days(rows, ids, first, last, by):
            acc = accs.setdefault(row["key"], _Acc(label=str(row["key"])))
            acc.have += row["rows"]
            for name in cp_analytics.CHANNEL_DAY_FIELDS:
                acc.sums[name] += row[name] or 0
        if m.aggregation == "last":
            for acc in accs.values():
                acc.sums["followers"] = 0
            for row in _latest_followers(rows, ids, first, last):
                key = row["channel_id"] if by == "channel" else row["network"]
                accs.setdefault(key, _Acc(label=str(key))).sums["followers"] += row["followers"]
        return accs
    acc = _Acc(want=n_channels * days)
    for row in _channel_days(rows, ids, first, last, "day"):  # the daily rows other widgets read anyway
        acc.have += row["rows"]
        for name in cp_analytics.CHANNEL_DAY_FIELDS:
            acc.sums[name] += row[name] or 0
    if m.aggregation == "last":
        acc.sums["followers"] = sum(r["followers"] for r in _latest_followers(rows, ids, first, last))
    return {None: acc}


def _post_rows(rows: Rows, scope: Scope, tag_ids: list, first: date, last: date, by: str | None) -> list[dict]:
    by = "day" if by in (*TIME_BUCKETS, None) else by  # weeks, months and the total are summed from the days
    span = LocalRange(first=first, last=last, tz=scope.tz)
    key = ("post", tuple(scope.ids), tuple(tag_ids), first, last, by)
    return rows.get(
        key, lambda: cp_analytics.post_aggregates(scope.ids, tag_ids, span.start, span.end, by=by, tz=scope.tz)
    )


def _post_accs(
    m: Metric, scope: Scope, tag_ids: list, first: date, last: date, by: str | None, rows: Rows
) -> dict[Any, _Acc]:
    accs: dict[Any, _Acc] = {}
    if by is None:
        accs = {None: _Acc()}
    elif by in TIME_BUCKETS:
        for key, b_first, b_last in _time_buckets(first, last, by):
            accs[key] = _Acc(first=b_first, last=b_last)
    elif by == "channel":
        accs = {c.id: _Acc(label=c.name) for c in scope.channels}
    elif by == "network":
        accs = {c.network: _Acc(label=c.network) for c in scope.channels}

    def acc_for(row: dict) -> _Acc:
        key = row.get("key") if by is not None else None
        if by in TIME_BUCKETS:
            key = _bucket_start(_as_date(key, scope.tz), by)
        return accs.setdefault(key, _Acc(label=row.get("label")))

    for row in _post_rows(rows, scope, tag_ids, first, last, by):
        acc = acc_for(row)
        acc.want += row["posts"]
        acc.sums["posts"] += row["posts"]
        acc.have += row["collected"]
        for name in cp_analytics.METRIC_FIELDS:
            acc.sums[name] += row[name] or 0
    return accs


def _series(
    m: Metric, scope: Scope, tag_ids: list, first: date, last: date, by: str | None, rows: Rows
) -> dict[str, Any]:
    if m.source == "channel":
        accs = _channel_accs(m, scope, first, last, by, rows)
    else:
        accs = _post_accs(m, scope, tag_ids, first, last, by, rows)
    if by is None:
        total = accs[None]
    else:
        total = _Acc()
        for acc in accs.values():
            total.have += acc.have
            total.want += acc.want
            for name, value in acc.sums.items():
                total.sums[name] += value
        if m.aggregation == "last" and by in TIME_BUCKETS:
            newest = [acc for acc in accs.values() if acc.have]
            total.sums["followers"] = newest[-1].sums["followers"] if newest else 0
        if by == "tag":  # a post with two tags is in two buckets: the total counts it once
            total = _post_accs(m, scope, tag_ids, first, last, None, rows)[None]
    data = []
    for key, acc in accs.items():
        point: dict[str, Any] = {"key": str(key), "label": acc.label or str(key), "value": _value(m, acc)}
        if acc.first is not None:
            point.update({"from": acc.first, "to": acc.last})
        point["incomplete_data"] = acc.have < acc.want
        data.append(point)
    if by is not None and by not in TIME_BUCKETS:
        data.sort(key=lambda p: (-(p["value"] or 0), p["label"]))
    return {
        "from": first,
        "to": last,
        "total": {"value": _value(m, total), "incomplete_data": total.have < total.want},
        "data": data,
    }


@dataclass(frozen=True)
class MetricQuery:
    metric: str
    first: date
    last: date
    compare: tuple[date, date] | None = None
    tag_ids: tuple = ()
    group_by: str | None = None


def compute(query: MetricQuery, scope: Scope, rows: Rows | None = None) -> dict[str, Any]:
    """The metric's series for `query` over `scope`, with the comparison series and the change of the total.
    Computations given the same `rows` share the figure queries they have in common."""
    rows = rows or Rows()
    m = metric(query.metric)
    check_range(query.first, query.last)
    if query.group_by is not None and query.group_by not in m.group_by:
        raise ValidationFailed(details={"groupBy": [f"{m.key} can be grouped by: {', '.join(m.group_by)}."]})
    if query.tag_ids and "tagIds" not in m.filters:
        raise ValidationFailed(details={"tagIds": [f"{m.key} is a channel metric: tags do not apply."]})
    tag_ids = list(query.tag_ids)
    current = _series(m, scope, tag_ids, query.first, query.last, query.group_by, rows)
    result: dict[str, Any] = {
        "metric": m.key,
        "title": m.title,
        "unit": m.unit,
        "group_by": query.group_by,
        **current,
        "comparison": None,
        "change": None,
    }
    flags = [current["total"]["incomplete_data"]]
    if query.compare is not None:
        check_range(*query.compare, label="compareTo")
        previous = _series(m, scope, tag_ids, *query.compare, query.group_by, rows)
        result["comparison"] = previous
        flags.append(previous["total"]["incomplete_data"])
        now, before = current["total"]["value"], previous["total"]["value"]
        if now is not None and before is not None:
            result["change"] = {
                "absolute": round(now - before, 6),
                "relative": round((now - before) / before, 6) if before else None,
            }
    result["incomplete_data"] = any(flags)
    return result
