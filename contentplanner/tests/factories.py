"""factory_boy factories of the content planner, on social's tenant-aware base (rows created in their tenant).

    PostFactory(channel=channel)                          # a draft on the channel's tenant, publish time tomorrow
    PostFactory(channel=channel, due=True)                # scheduled and due now: the dispatcher claims it
    PostFactory(channel=channel, published=True, published_at=when)   # published (remote id, on the calendar)
    PostGroupFactory(tenant=tenant), CampaignFactory(tenant=tenant), TagFactory(tenant=tenant)
    PostMetricsFactory(post=post, collected_at=when, impressions=10)
    share_with(channel, *memberships)                     # a new team: those members now see the channel

Channels, teams and media come from `social.tests.factories` (ChannelFactory, TeamFactory, MediaFactory).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from contentplanner.models import (
    Campaign,
    FeedItem,
    Post,
    PostGroup,
    PostMetrics,
    PostState,
    PublishAttempt,
    Tag,
)
from contentplanner.services.metrics import store_post_metrics
from core import tenancy
from social.tests.factories import ChannelFactory, TeamChannelFactory, TeamFactory, TenantScopedFactory

__all__ = [
    "CampaignFactory",
    "ChannelFactory",
    "PostFactory",
    "PostGroupFactory",
    "PostMetricsFactory",
    "TagFactory",
    "attempts_of",
    "feed_keys",
    "future_iso",
    "local",
    "reload",
    "set_timezone",
    "share_with",
]


class CampaignFactory(TenantScopedFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n:03d}")
    color = "3b82f6"


class TagFactory(TenantScopedFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n:03d}")


class PostGroupFactory(TenantScopedFactory):
    class Meta:
        model = PostGroup

    text = "Hello world"


class PostFactory(TenantScopedFactory):
    """A post on `channel` (a new sandbox channel of a new tenant unless given); its tenant is the channel's."""

    class Meta:
        model = Post

    class Params:
        # Scheduled, and its time has come: the next dispatcher run claims it.
        due = factory.Trait(
            state=PostState.SCHEDULED,
            publish_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1)),
        )
        # Went out at `published_at` (default now), which also places it on the calendar.
        published = factory.Trait(
            state=PostState.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
            publish_at=factory.SelfAttribute("published_at"),
            remote_id=factory.Sequence(lambda n: f"remote-{n}"),
        )

    channel = factory.SubFactory(ChannelFactory)
    tenant = factory.LazyAttribute(lambda o: o.channel.tenant)
    state = PostState.DRAFT
    text = "Hello world"
    publish_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class PostMetricsFactory(TenantScopedFactory):
    class Meta:
        model = PostMetrics

    post = factory.SubFactory(PostFactory, published=True)
    tenant = factory.LazyAttribute(lambda o: o.post.tenant)
    collected_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, tenant, post, collected_at, **counts):
        """Stored as the collector stores it (the newest row becomes the post's current one)."""
        with tenancy.tenant_context(tenant):
            return store_post_metrics(post, collected_at, counts)


def share_with(channel, *memberships):
    """Put `channel` and the members into a new team (members then see the channel); returns the team."""
    team = TeamFactory(tenant=channel.tenant, members=list(memberships))
    TeamChannelFactory(tenant=channel.tenant, team=team, channel=channel)
    return team


# --- small reads and values the tests share ------------------------------------------------------------------------
def reload(post: Post) -> Post:
    with tenancy.tenant_context(post.tenant):
        return Post.objects.get(pk=post.pk)


def attempts_of(post: Post) -> list[PublishAttempt]:
    with tenancy.tenant_context(post.tenant):
        return list(PublishAttempt.objects.filter(post=post).order_by("number"))


def feed_keys(post: Post) -> list[str]:
    with tenancy.tenant_context(post.tenant):
        return list(FeedItem.objects.filter(post=post).order_by("created_at", "id").values_list("key", flat=True))


def future_iso(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_timezone(tenant, tz_name: str) -> None:
    tenant.timezone = tz_name
    tenant.save(update_fields=["timezone"])


def local(tz_name: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz_name))


def publications_of(post: Post) -> list:
    """What the sandbox network shows for the post (every attempt's marker), posts only."""
    from social.models import SandboxPublication

    return list(SandboxPublication.objects.filter(kind="post", correlation_id__startswith=f"hb-{post.pk}-"))
