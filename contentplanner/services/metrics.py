"""Metric collection: fetch figures from the networks and store them (the analytics reads are in selectors).

`collect_post_metrics` stores one `PostMetrics` row per collection (a time series; the newest row is the post's
current figures and carries `is_latest`); `collect_channel_metrics` upserts one `ChannelMetrics` row per channel and
day. Adapter errors (`social.networks.base.NetworkError`) propagate to the caller (the beat tasks log and skip them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from contentplanner.models import METRIC_FIELDS, ChannelMetrics, Post, PostMetrics, PostState
from social.services import publishing as social_publishing

# Adapters report camelCase keys (`videoViews`); our columns are snake_case.
_ADAPTER_KEYS = {"video_views": "videoViews"}
# A redelivered or overlapping collection task within this window stores nothing new (keeps the task idempotent).
MIN_COLLECTION_INTERVAL = timedelta(minutes=30)
COLLECTION_WINDOW = timedelta(days=30)  # posts published in the last 30 days are collected hourly
COLLECTABLE_NETWORKS = social_publishing.metric_networks()  # custom/placeholder channels have no metrics


def _count(values: dict[str, Any], key: str) -> int:
    raw = values.get(_ADAPTER_KEYS.get(key, key), 0)
    try:
        return max(0, int(raw or 0))
    except (TypeError, ValueError):
        return 0


def collect_post_metrics(post: Post) -> PostMetrics | None:
    """Fetch a published post's metrics from its network and store them as a new `PostMetrics` row.

    Returns None (stores nothing) when the post is not published, has no remote id, or was collected less than
    MIN_COLLECTION_INTERVAL ago.
    """
    if post.state != PostState.PUBLISHED or not post.remote_id:
        return None
    recent = timezone.now() - MIN_COLLECTION_INTERVAL
    if PostMetrics.objects.filter(post=post, collected_at__gt=recent).exists():
        return None
    metrics = social_publishing.post_metrics(post.channel, remote_id=post.remote_id)
    values = metrics.values or {}
    counts = {field: _count(values, field) for field in METRIC_FIELDS}
    if "engagements" not in values:
        counts["engagements"] = counts["likes"] + counts["comments"] + counts["shares"] + counts["clicks"]
    with transaction.atomic():
        _lock(post)
        if PostMetrics.objects.filter(post=post, collected_at__gt=recent).exists():
            return None  # an overlapping collection stored one meanwhile
        return store_post_metrics(post, metrics.collected_at or timezone.now(), counts)


def _lock(post: Post) -> None:
    # Writes of one post's figures take turns (a redelivered task), so the post keeps exactly one current row.
    Post.objects.select_for_update().filter(pk=post.pk).values("pk").first()


def store_post_metrics(post: Post, collected_at: datetime, counts: dict[str, int]) -> PostMetrics:
    """Store one collection of `post`'s figures; it becomes the post's current row (`is_latest`) unless a newer one
    is stored already."""
    with transaction.atomic():
        _lock(post)
        current = PostMetrics.objects.filter(post=post, is_latest=True).values_list("collected_at", flat=True).first()
        is_latest = current is None or collected_at >= current
        if is_latest and current is not None:
            PostMetrics.objects.filter(post=post, is_latest=True).update(is_latest=False)
        return PostMetrics.objects.create(post=post, collected_at=collected_at, is_latest=is_latest, **counts)


def collect_channel_metrics(channel, day: date) -> ChannelMetrics:
    """Fetch a channel's figures for `day` (UTC) and upsert its `ChannelMetrics` row (one per channel and day)."""
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    metrics = social_publishing.channel_metrics(channel, day=moment)
    values = metrics.values or {}
    defaults = {key: _count(values, key) for key in ("followers", "impressions", "engagements")}
    with transaction.atomic():
        row, _ = ChannelMetrics.objects.update_or_create(channel=channel, day=day, defaults=defaults)
    return row
