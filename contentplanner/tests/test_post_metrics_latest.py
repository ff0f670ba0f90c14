"""Each post's current figures are its newest `PostMetrics` row, flagged `is_latest` where the figures are stored
(the analytics join that one row instead of looking up each post's newest collection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from contentplanner.models import Post, PostMetrics
from contentplanner.selectors import analytics
from contentplanner.services.metrics import store_post_metrics
from contentplanner.tests.factories import ChannelFactory, PostFactory
from core import tenancy
from core.dates import LocalRange

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _latest(post) -> list[tuple[datetime, int]]:
    return list(PostMetrics.objects.filter(post=post, is_latest=True).values_list("collected_at", "impressions"))


def test_the_newest_collection_is_the_current_one(db, tenant):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), published=True, published_at=T0)
    other = PostFactory(channel=post.channel, published=True, published_at=T0)
    with tenancy.tenant_context(tenant):
        store_post_metrics(post, T0 + timedelta(hours=1), {"impressions": 10})
        store_post_metrics(other, T0 + timedelta(hours=1), {"impressions": 7})
        store_post_metrics(post, T0 + timedelta(hours=2), {"impressions": 25})
        assert _latest(post) == [(T0 + timedelta(hours=2), 25)]
        # A late delivery of an older collection joins the series without displacing the newer figures.
        store_post_metrics(post, T0 + timedelta(minutes=90), {"impressions": 18})
        assert _latest(post) == [(T0 + timedelta(hours=2), 25)]
        assert _latest(other) == [(T0 + timedelta(hours=1), 7)]
        assert PostMetrics.objects.filter(post=post).count() == 3
        day = LocalRange(first=T0.date(), last=T0.date(), tz=ZoneInfo("UTC"))
        posts = analytics.published_in(Post.objects.all(), day)
        assert analytics.metrics_totals(posts)["impressions"] == 32
