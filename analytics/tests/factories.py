"""Test data for analytics: channel days and measured posts written as contentplanner's collectors would."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from contentplanner.models import ChannelMetrics
from contentplanner.services.metrics import store_post_metrics
from contentplanner.tests.factories import ChannelFactory, PostFactory, TagFactory
from core import tenancy

__all__ = ["ChannelFactory", "PostFactory", "TagFactory", "channel_days", "measured_post"]


def channel_days(
    channel,
    first: date,
    last: date,
    *,
    followers: int = 100,
    impressions: int = 10,
    engagements: int = 1,
    skip: tuple[date, ...] = (),
) -> None:
    """One ChannelMetrics row per day of `first`..`last` (but `skip`): followers grow by 1 a day from `followers`."""
    rows = []
    day, n = first, 0
    while day <= last:
        if day not in skip:
            rows.append(
                ChannelMetrics(
                    tenant=channel.tenant,
                    channel=channel,
                    day=day,
                    followers=followers + n,
                    impressions=impressions,
                    engagements=engagements,
                )
            )
        day += timedelta(days=1)
        n += 1
    with tenancy.tenant_context(channel.tenant):
        ChannelMetrics.objects.bulk_create(rows)


def measured_post(channel, published_at: datetime, *, tags=(), **figures):
    """A published post on `channel` with one PostMetrics row of `figures` (none when `figures` is empty)."""
    post = PostFactory(channel=channel, published=True, published_at=published_at)
    with tenancy.tenant_context(channel.tenant):
        if tags:
            post.tags.set(tags)
        if figures:
            store_post_metrics(post, published_at, figures)
    return post
