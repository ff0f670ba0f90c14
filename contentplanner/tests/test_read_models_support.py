"""Builders shared by the read-model, export and analytics tests (no tests here)."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from contentplanner.models import Post, PostMetrics, PostState
from core import tenancy
from social.models import Channel, TeamChannel
from tenants.models import Team, TeamMember

_seq = itertools.count()
UTC = ZoneInfo("UTC")


def make_channel(tenant, name: str = "Acme Page", network: str = "sandbox", **fields) -> Channel:
    with tenancy.tenant_context(tenant):
        return Channel.objects.create(
            network=network, external_id=f"ext-{next(_seq)}", name=name, access_token="token", **fields
        )


def make_post(tenant, channel: Channel, *, state: str = PostState.SCHEDULED, publish_at=None, **fields) -> Post:
    with tenancy.tenant_context(tenant):
        return Post.objects.create(channel=channel, state=state, publish_at=publish_at, **fields)


def make_published(tenant, channel: Channel, published_at: datetime, **fields) -> Post:
    fields.setdefault("remote_id", f"remote-{next(_seq)}")
    return make_post(
        tenant, channel, state=PostState.PUBLISHED, publish_at=published_at, published_at=published_at, **fields
    )


def add_metrics(tenant, post: Post, collected_at: datetime, **values) -> PostMetrics:
    with tenancy.tenant_context(tenant):
        return PostMetrics.objects.create(post=post, collected_at=collected_at, **values)


def team_with(tenant, *, channels=(), users=(), name: str | None = None) -> Team:
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name=name or f"Team {next(_seq)}")
        for channel in channels:
            TeamChannel.objects.create(team=team, channel=channel)
        for user in users:
            TeamMember.objects.create(team=team, user=user)
        return team


def set_timezone(tenant, tz_name: str) -> None:
    tenant.timezone = tz_name
    tenant.save(update_fields=["timezone"])


def local(tz_name: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz_name))
