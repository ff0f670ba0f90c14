"""Analytics reads: the queries behind the analytics endpoints and exports (collection: services/metrics.py).

`PostMetrics` is a time series per post (the newest row is the post's current figures); `ChannelMetrics` one row
per channel and day. Queries never load a post's whole series: "latest metrics" is the post's row flagged
`is_latest` (kept by the collector), joined through the partial unique index that carries the counters.
Engagement rate = engagements / impressions (null when there were no impressions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, JSONObject, NullIf, TruncDate, TruncMonth, TruncWeek

from contentplanner.models import METRIC_FIELDS, ChannelMetrics, Post, PostMetrics, PostState, Tag
from contentplanner.selectors.calendar import EXCERPT_LENGTH
from core.dates import LocalRange


# --- queries -------------------------------------------------------------------------------------------------------
def _latest_for_post():
    return PostMetrics.objects.filter(post=OuterRef("pk"), is_latest=True)


def _joined_latest(posts: QuerySet[Post]) -> QuerySet[Post]:
    """`posts` LEFT JOINed to their current metrics as `latest` (one row per post: the flag is unique per post)."""
    return posts.annotate(latest=FilteredRelation("metrics", condition=Q(metrics__is_latest=True)))


def with_latest_metrics(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Annotate `latest_metrics`: the newest PostMetrics row of each post as a dict (or None), in one subquery."""
    row = JSONObject(collected_at="collected_at", **{field: field for field in METRIC_FIELDS})
    return posts.annotate(latest_metrics=Subquery(_latest_for_post().values_list(row)[:1]))


def latest_metrics_of(post: Post) -> dict[str, Any] | None:
    """The `latest_metrics` annotation of `post` with `collected_at` as an aware datetime (JSON carries text)."""
    metrics = getattr(post, "latest_metrics", None)
    if not metrics:
        return None
    metrics = dict(metrics)
    raw = metrics.get("collected_at")
    if isinstance(raw, str):
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        # SQLite stores naive UTC text; PostgreSQL's JSON carries the offset.
        metrics["collected_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return metrics


def engagement_rate(engagements: int | None, impressions: int | None) -> float | None:
    if not impressions:
        return None
    return round((engagements or 0) / impressions, 6)


def published_in(posts: QuerySet[Post], span: LocalRange) -> QuerySet[Post]:
    """Published posts whose `published_at` falls on the local days of `span`."""
    return posts.filter(state=PostState.PUBLISHED, published_at__gte=span.start, published_at__lt=span.end)


def latest_metrics_rows(posts: QuerySet[Post]) -> QuerySet[PostMetrics]:
    """The newest PostMetrics row of each post in `posts` (posts without any are absent)."""
    return PostMetrics.objects.filter(post__in=posts.order_by().values("pk"), is_latest=True)


def _sums() -> dict[str, Any]:
    return {field: Sum(field) for field in METRIC_FIELDS}


@dataclass(frozen=True)
class GroupSpec:
    id_field: str
    name_field: str


GROUPS = {
    "tag": GroupSpec("post__tags__id", "post__tags__name"),
    "campaign": GroupSpec("post__campaign_id", "post__campaign__name"),
}


def metrics_by_group(posts: QuerySet[Post], group: str) -> list[dict[str, Any]]:
    """Sums of the latest metrics of `posts` per tag or campaign, with engagement rate, most engaging first.

    One query. Posts without a tag/campaign are left out; a post with two tags counts in both.
    """
    spec = GROUPS[group]
    rows = (
        latest_metrics_rows(posts)
        .filter(**{f"{spec.id_field}__isnull": False})
        .values(spec.id_field, spec.name_field)
        .annotate(posts=Count("post_id", distinct=True), **_sums())
        .order_by()
    )
    results = [
        {
            "id": row[spec.id_field],
            "name": row[spec.name_field],
            "posts": row["posts"],
            **{field: row[field] or 0 for field in METRIC_FIELDS},
            "engagement_rate": engagement_rate(row["engagements"], row["impressions"]),
        }
        for row in rows
    ]
    results.sort(key=lambda r: (-r["engagements"], -r["impressions"], r["name"] or "", str(r["id"])))
    return results


def metrics_totals(posts: QuerySet[Post]) -> dict[str, Any]:
    """Sums of the latest metrics over all of `posts`, with the engagement rate (one query)."""
    totals = latest_metrics_rows(posts).aggregate(posts=Count("post_id", distinct=True), **_sums())
    result = {field: totals[field] or 0 for field in METRIC_FIELDS}
    result["posts"] = totals["posts"]
    result["engagement_rate"] = engagement_rate(result["engagements"], result["impressions"])
    return result


def channel_series(channels: QuerySet, first: date, last: date) -> list[dict[str, Any]]:
    """Per channel: its daily `ChannelMetrics` in `first`..`last` and period totals. Two queries."""
    channel_list = list(
        channels.select_related(None).prefetch_related(None).order_by("name", "id").only("id", "name", "network")
    )
    rows = (
        ChannelMetrics.objects.filter(channel__in=[c.pk for c in channel_list], day__gte=first, day__lte=last)
        .order_by("channel_id", "day")
        .values("channel_id", "day", "followers", "impressions", "engagements")
    )
    days_by_channel: dict[Any, list[dict[str, Any]]] = {c.pk: [] for c in channel_list}
    for row in rows:
        days_by_channel[row["channel_id"]].append(
            {
                "day": row["day"],
                "followers": row["followers"],
                "impressions": row["impressions"],
                "engagements": row["engagements"],
                "engagement_rate": engagement_rate(row["engagements"], row["impressions"]),
            }
        )
    result = []
    for channel in channel_list:
        days = days_by_channel[channel.pk]
        impressions = sum(d["impressions"] for d in days)
        engagements = sum(d["engagements"] for d in days)
        result.append(
            {
                "id": channel.pk,
                "name": channel.name,
                "network": channel.network,
                "totals": {
                    "impressions": impressions,
                    "engagements": engagements,
                    "engagement_rate": engagement_rate(engagements, impressions),
                    "followers_start": days[0]["followers"] if days else None,
                    "followers_end": days[-1]["followers"] if days else None,
                    "follower_growth": days[-1]["followers"] - days[0]["followers"] if days else None,
                },
                "days": days,
            }
        )
    return result


POST_ORDERINGS = {
    "engagements": "latest__engagements",
    "impressions": "latest__impressions",
    "reach": "latest__reach",
    "clicks": "latest__clicks",
    "engagement_rate": "latest_engagement_rate",
    "published_at": "published_at",
}


def post_analytics(posts: QuerySet[Post], ordering: str = "-engagements") -> QuerySet[Post]:
    """Published `posts` with their latest metrics (`latest_metrics` dict) ordered by `ordering`
    (a key of POST_ORDERINGS, `-` for descending; posts never collected sort last)."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    posts = with_latest_metrics(_joined_latest(posts.select_related("channel")))
    if key == "engagement_rate":
        posts = posts.annotate(
            latest_engagement_rate=Cast(F("latest__engagements"), FloatField())
            / NullIf(Cast(F("latest__impressions"), FloatField()), 0.0)
        )
    expression = F(POST_ORDERINGS[key])
    expression = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return posts.order_by(expression, "-published_at", "id")


def export_queryset(posts: QuerySet[Post]) -> QuerySet[Post]:
    """`posts` (filtered, visibility-scoped) with what an export row needs: one query per chunk plus one for its
    tags, the latest metrics picked in SQL. Oldest publish time first, unscheduled last."""
    return (
        with_latest_metrics(posts)
        .select_related("channel", "campaign", "author")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name", "id").only("id", "name")))
        .order_by(F("publish_at").asc(nulls_last=True), "created_at", "id")
    )


def post_analytics_row(post: Post) -> dict[str, Any]:
    """One row of the post analytics (a post of `post_analytics`) with its engagement rate."""
    metrics = latest_metrics_of(post)
    return {
        "id": post.pk,
        "channel": post.channel_id,
        "channel_name": post.channel.name,
        "network": post.channel.network,
        "text_excerpt": (post.text or "")[:EXCERPT_LENGTH],
        "published_at": post.published_at,
        "network_url": post.network_url,
        "metrics": metrics,
        "engagement_rate": engagement_rate(metrics["engagements"], metrics["impressions"]) if metrics else None,
    }


def metrics_series(post: Post, *, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` collections of the post's metrics, oldest first."""
    newest = list(post.metrics.order_by("-collected_at", "-id").values("collected_at", *METRIC_FIELDS)[:limit])
    return newest[::-1]


def channel_days_for_export(channels: QuerySet, first: date, last: date) -> QuerySet:
    """The `ChannelMetrics` rows of `channels` on `first`..`last` with the channel's name and network, by channel
    name then day (an export iterates them in chunks)."""
    return (
        ChannelMetrics.objects.filter(channel__in=channels.order_by().values("pk"), day__gte=first, day__lte=last)
        .order_by("channel__name", "channel_id", "day")
        .values_list("channel_id", "channel__name", "channel__network", "day", *CHANNEL_DAY_FIELDS)
    )


# --- aggregates for the analytics app's metric engine (analytics/metrics.py) ----------------------------------------
CHANNEL_DAY_FIELDS = ("followers", "impressions", "engagements")
TIME_BUCKETS = ("day", "week", "month")


def _channel_bucket(by: str | None) -> dict[str, Any]:
    if by == "day":
        return {"key": F("day")}
    if by == "week":
        return {"key": TruncWeek("day", output_field=DateField())}
    if by == "month":
        return {"key": TruncMonth("day", output_field=DateField())}
    if by == "channel":
        return {"key": F("channel_id")}
    if by == "network":
        return {"key": F("channel__network")}
    return {}


def _channel_days(channel_ids: list | None, first: date, last: date) -> QuerySet[ChannelMetrics]:
    # None: every channel of the tenant (no channel filter: the (tenant, day) index alone answers the range).
    rows = ChannelMetrics.objects.filter(day__gte=first, day__lte=last)
    return rows if channel_ids is None else rows.filter(channel_id__in=channel_ids)


def channel_day_aggregates(
    channel_ids: list | None, first: date, last: date, *, by: str | None
) -> list[dict[str, Any]]:
    """Sums of the `ChannelMetrics` of `channel_ids` (None: all the tenant's) on days `first`..`last` per bucket
    (`by`: None, a time bucket, "channel" or "network"), with `rows`: how many channel-days the networks delivered
    (for completeness). One query.

    Rows: {"key"?, "followers", "impressions", "engagements", "rows"}; buckets without any row are absent."""
    bucket = _channel_bucket(by)
    rows = _channel_days(channel_ids, first, last)
    sums = {field: Sum(field) for field in CHANNEL_DAY_FIELDS}
    if not bucket:
        return [rows.aggregate(rows=Count("*"), **sums)]
    return list(rows.annotate(**bucket).values("key").annotate(rows=Count("*"), **sums).order_by("key"))


def latest_followers(channel_ids: list | None, first: date, last: date) -> list[dict[str, Any]]:
    """Per channel of `channel_ids` (None: all the tenant's): its followers on its newest delivered day in
    `first`..`last` (channels without any day are absent). One query; the (channel, day) unique index answers the
    correlated subquery."""
    newest_day = (
        ChannelMetrics.objects.filter(channel_id=OuterRef("channel_id"), day__gte=first, day__lte=last)
        .order_by("-day")
        .values("day")[:1]
    )
    rows = _channel_days(channel_ids, first, last).filter(day=Subquery(newest_day))
    return list(rows.values("channel_id", "followers", network=F("channel__network")))


def _published(channel_ids: list, tag_ids: list, start: datetime, end: datetime) -> QuerySet[Post]:
    posts = Post.objects.filter(
        state=PostState.PUBLISHED, channel_id__in=channel_ids, published_at__gte=start, published_at__lt=end
    )
    if tag_ids:
        tagged = Post.tags.through.objects.filter(post_id=OuterRef("pk"), tag_id__in=tag_ids)
        posts = posts.filter(Exists(tagged))
    return posts


def _post_bucket(prefix: str, by: str | None, tz: ZoneInfo) -> dict[str, Any]:
    moment = f"{prefix}published_at"
    if by == "day":
        return {"key": TruncDate(moment, tzinfo=tz)}
    if by == "week":
        return {"key": TruncWeek(moment, tzinfo=tz)}
    if by == "month":
        return {"key": TruncMonth(moment, tzinfo=tz)}
    if by == "channel":
        return {"key": F(f"{prefix}channel_id")}
    if by == "network":
        return {"key": F(f"{prefix}channel__network")}
    if by == "tag":
        return {"key": F(f"{prefix}tags__id"), "label": F(f"{prefix}tags__name")}
    return {}


def post_aggregates(
    channel_ids: list, tag_ids: list, start: datetime, end: datetime, *, by: str | None, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Published posts of `channel_ids` (carrying any of `tag_ids`, when given) with `publishedAt` in
    [`start`, `end`), per bucket (`by`: None, a time bucket in `tz`, "channel", "network" or
    "tag"), with the sums of each post's current metrics. One query (the posts joined to their `is_latest` row).

    Rows: {"key"?, "label"?, "posts", "collected", <METRIC_FIELDS>}, where `collected` counts the posts whose network
    delivered metrics at all; buckets without posts are absent. A time bucket's key is a date or a datetime at local
    midnight (week/month), depending on the database."""
    posts = _joined_latest(_published(channel_ids, tag_ids, start, end))
    figures = {
        "posts": Count("id"),
        "collected": Count("latest__id"),
        **{field: Sum(f"latest__{field}") for field in METRIC_FIELDS},
    }
    bucket = _post_bucket("", by, tz)
    if by == "tag":
        posts = posts.filter(tags__isnull=False)
    if not bucket:
        return [posts.aggregate(**figures)]
    return list(posts.annotate(**bucket).values(*bucket).annotate(**figures).order_by())
