"""Shared builders for the content planner tests (channels visible through teams, posts in a given state)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from contentplanner.models import Post, PostState
from core import tenancy
from social.models import Channel, TeamChannel
from tenants.models import Team, TeamMember


def make_channel(tenant, network: str = "sandbox", **fields) -> Channel:
    with tenancy.tenant_context(tenant):
        return Channel.objects.create(
            network=network, external_id=uuid.uuid4().hex, name=fields.pop("name", f"{network} channel"), **fields
        )


def share_with(channel: Channel, *memberships) -> Team:
    """Put `channel` and the members into a new team (members then see the channel)."""
    with tenancy.tenant_context(channel.tenant):
        team = Team.objects.create(name=f"team {uuid.uuid4().hex[:8]}")
        TeamChannel.objects.create(team=team, channel=channel)
        for membership in memberships:
            TeamMember.objects.create(team=team, user=membership.user)
        return team


def make_post(channel: Channel, *, state: str = PostState.DRAFT, author=None, **fields) -> Post:
    defaults = {"text": "Hello world", "publish_at": timezone.now() + timedelta(days=1)}
    defaults.update(fields)
    with tenancy.tenant_context(channel.tenant):
        return Post.objects.create(channel=channel, state=state, author=author, **defaults)


def future_iso(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
