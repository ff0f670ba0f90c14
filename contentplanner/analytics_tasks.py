"""Metric collection tasks (queue `default`). Thin: the work lives in contentplanner.analytics.

Two platform dispatchers (beat) scan all tenants and enqueue one tenant task per post or channel, each carrying
`tenant_id=`. Adapter errors are logged and skipped: metrics are best effort and the next run tries again.
Idempotent: post collections closer than analytics.MIN_COLLECTION_INTERVAL store nothing; channel days are upserts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from contentplanner import analytics
from contentplanner.models import Post, PostState
from core import tenancy
from social.models import Channel, ChannelStatus
from social.networks.base import NetworkError

logger = logging.getLogger(__name__)


SCAN_PAGE_SIZE = 2000


def _scan(queryset) -> Iterator[tuple[str, str]]:
    """(id, tenant_id) of every row of an `all_tenants` queryset, read page by page (keyset on pk) under platform
    access; pages are yielded outside it, so enqueueing (or an eager task clearing the context) cannot cut the scan."""
    last = None
    while True:
        with tenancy.platform_access():
            page = queryset.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            rows = list(page.values_list("pk", "tenant_id")[:SCAN_PAGE_SIZE])
        for pk, tenant_id in rows:
            yield str(pk), str(tenant_id)
        if len(rows) < SCAN_PAGE_SIZE:
            return
        last = rows[-1][0]


@shared_task(name="contentplanner.analytics_tasks.dispatch_post_metrics", soft_time_limit=240, time_limit=300)
def dispatch_post_metrics() -> int:
    """Beat, hourly: enqueue a collection for every post published in the last 30 days on an active channel."""
    since = timezone.now() - analytics.COLLECTION_WINDOW
    posts = Post.all_tenants.filter(
        state=PostState.PUBLISHED,
        published_at__gte=since,
        channel__status=ChannelStatus.ACTIVE,
        channel__network__in=analytics.COLLECTABLE_NETWORKS,
    ).exclude(remote_id="")
    queued = 0
    for post_id, tenant_id in _scan(posts):
        collect_post_metrics.delay(post_id=post_id, tenant_id=tenant_id)
        queued += 1
    return queued


@shared_task(name="contentplanner.analytics_tasks.collect_post_metrics", soft_time_limit=50, time_limit=60)
def collect_post_metrics(*, post_id: str, tenant_id: str) -> bool:
    """Collect one post's metrics (runs in the tenant's context). True when a row was stored."""
    post = Post.objects.select_related("channel").filter(pk=post_id).first()
    if post is None:
        return False
    try:
        return analytics.collect_post_metrics(post) is not None
    except NetworkError as exc:
        logger.warning(
            "post metrics not collected",
            extra={"post_id": post_id, "tenant_id": tenant_id, "error_code": exc.code, "error": exc.message},
        )
        return False


@shared_task(name="contentplanner.analytics_tasks.dispatch_channel_metrics", soft_time_limit=240, time_limit=300)
def dispatch_channel_metrics(day: str | None = None) -> int:
    """Beat, daily: enqueue yesterday's (UTC) figures for every active channel of every tenant."""
    target = date.fromisoformat(day) if day else timezone.now().date() - timedelta(days=1)
    channels = Channel.all_tenants.filter(status=ChannelStatus.ACTIVE, network__in=analytics.COLLECTABLE_NETWORKS)
    queued = 0
    for channel_id, tenant_id in _scan(channels):
        collect_channel_metrics.delay(channel_id=channel_id, day=target.isoformat(), tenant_id=tenant_id)
        queued += 1
    return queued


@shared_task(name="contentplanner.analytics_tasks.collect_channel_metrics", soft_time_limit=50, time_limit=60)
def collect_channel_metrics(*, channel_id: str, day: str, tenant_id: str) -> bool:
    """Upsert one channel's figures for `day` (runs in the tenant's context). True when stored."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return False
    try:
        analytics.collect_channel_metrics(channel, date.fromisoformat(day))
    except NetworkError as exc:
        logger.warning(
            "channel metrics not collected",
            extra={"channel_id": channel_id, "tenant_id": tenant_id, "error_code": exc.code, "error": exc.message},
        )
        return False
    return True
