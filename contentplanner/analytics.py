"""Analytics: collecting metrics from the networks, and the queries behind the analytics endpoints.

Collection: `collect_post_metrics` stores one `PostMetrics` row per collection (a time series; the newest row is the
post's current figures); `collect_channel_metrics` upserts one `ChannelMetrics` row per channel and day. Adapter
errors propagate to the caller (the beat tasks log and skip them).

Queries never load a post's whole series: "latest metrics" is the newest `PostMetrics` row per post, picked in SQL
with a correlated subquery on the (post, collected_at) index. Engagement rate = engagements / impressions (null when
there were no impressions).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, FloatField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, JSONObject, NullIf
from django.utils import timezone

from contentplanner.models import ChannelMetrics, Post, PostMetrics, PostState
from contentplanner.read_models import LocalRange
from social.models import Channel
from social.networks.registry import ADAPTER_PATHS, get_adapter
from social.services.channels import credentials_for

logger = logging.getLogger(__name__)

METRIC_FIELDS: tuple[str, ...] = (
    "impressions",
    "reach",
    "engagements",
    "likes",
    "comments",
    "shares",
    "clicks",
    "video_views",
)
# Adapters report camelCase keys (`videoViews`); our columns are snake_case.
_ADAPTER_KEYS = {"video_views": "videoViews"}
# A redelivered or overlapping collection task within this window stores nothing new (keeps the task idempotent).
MIN_COLLECTION_INTERVAL = timedelta(minutes=30)
COLLECTION_WINDOW = timedelta(days=30)  # posts published in the last 30 days are collected hourly
COLLECTABLE_NETWORKS = frozenset(ADAPTER_PATHS)  # custom/placeholder channels have no adapter and no metrics


def _count(values: dict[str, Any], key: str) -> int:
    raw = values.get(_ADAPTER_KEYS.get(key, key), 0)
    try:
        return max(0, int(raw or 0))
    except (TypeError, ValueError):
        return 0


def collect_post_metrics(post: Post) -> PostMetrics | None:
    """Fetch a published post's metrics from its network and store them as a new `PostMetrics` row.

    Returns None (stores nothing) when the post is not published, has no remote id, or was collected less than
    MIN_COLLECTION_INTERVAL ago. Adapter errors (`social.networks.base.NetworkError`) propagate.
    """
    if post.state != PostState.PUBLISHED or not post.remote_id:
        return None
    recent = timezone.now() - MIN_COLLECTION_INTERVAL
    if PostMetrics.objects.filter(post=post, collected_at__gt=recent).exists():
        return None
    channel = post.channel
    metrics = get_adapter(channel.network).post_metrics(credentials_for(channel), remote_id=post.remote_id)
    values = metrics.values or {}
    counts = {field: _count(values, field) for field in METRIC_FIELDS}
    if "engagements" not in values:
        counts["engagements"] = counts["likes"] + counts["comments"] + counts["shares"] + counts["clicks"]
    return PostMetrics.objects.create(post=post, collected_at=metrics.collected_at or timezone.now(), **counts)


def collect_channel_metrics(channel: Channel, day: date) -> ChannelMetrics:
    """Fetch a channel's figures for `day` (UTC) and upsert its `ChannelMetrics` row (one per channel and day)."""
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    metrics = get_adapter(channel.network).channel_metrics(credentials_for(channel), day=moment)
    values = metrics.values or {}
    defaults = {key: _count(values, key) for key in ("followers", "impressions", "engagements")}
    with transaction.atomic():
        row, _ = ChannelMetrics.objects.update_or_create(channel=channel, day=day, defaults=defaults)
    return row


# --- queries -------------------------------------------------------------------------------------------------------
def _latest_for_post():
    return PostMetrics.objects.filter(post=OuterRef("pk")).order_by("-collected_at", "-id")


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


def with_latest_metric(posts: QuerySet[Post], field: str) -> QuerySet[Post]:
    """Annotate `latest_<field>` as a scalar (for ordering by a metric)."""
    return posts.annotate(**{f"latest_{field}": Subquery(_latest_for_post().values(field)[:1])})


def engagement_rate(engagements: int | None, impressions: int | None) -> float | None:
    if not impressions:
        return None
    return round((engagements or 0) / impressions, 6)


def published_in(posts: QuerySet[Post], span: LocalRange) -> QuerySet[Post]:
    """Published posts whose `published_at` falls on the local days of `span`."""
    return posts.filter(state=PostState.PUBLISHED, published_at__gte=span.start, published_at__lt=span.end)


def latest_metrics_rows(posts: QuerySet[Post]) -> QuerySet[PostMetrics]:
    """The newest PostMetrics row of each post in `posts` (posts without any are absent)."""
    newest_id = PostMetrics.objects.filter(post=OuterRef("post")).order_by("-collected_at", "-id").values("id")[:1]
    return PostMetrics.objects.filter(post__in=posts.order_by().values("pk"), pk=Subquery(newest_id))


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


def channel_series(channels: QuerySet[Channel], first: date, last: date) -> list[dict[str, Any]]:
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
    "engagements": "latest_engagements",
    "impressions": "latest_impressions",
    "reach": "latest_reach",
    "clicks": "latest_clicks",
    "engagement_rate": "latest_engagement_rate",
    "published_at": "published_at",
}


def post_analytics(posts: QuerySet[Post], ordering: str = "-engagements") -> QuerySet[Post]:
    """Published `posts` with their latest metrics (`latest_metrics` dict) ordered by `ordering`
    (a key of POST_ORDERINGS, `-` for descending; posts never collected sort last)."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    posts = with_latest_metrics(posts.select_related("channel"))
    if key == "engagement_rate":
        posts = with_latest_metric(with_latest_metric(posts, "engagements"), "impressions").annotate(
            latest_engagement_rate=Cast(F("latest_engagements"), FloatField())
            / NullIf(Cast(F("latest_impressions"), FloatField()), 0.0)
        )
    elif key != "published_at":
        posts = with_latest_metric(posts, key)
    expression = F(POST_ORDERINGS[key])
    expression = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return posts.order_by(expression, "-published_at", "id")
