"""Helpers for the channel tests: channels created through the model in a tenant's context."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from core import tenancy
from social.models import Channel, TeamChannel

_seq = itertools.count(1)


def make_channel(tenant, *, teams=(), network="sandbox", **fields) -> Channel:
    n = next(_seq)
    values = {
        "external_id": f"ext-{n}",
        "name": f"Channel {n:03d}",
        "access_token": f"secret-access-token-{n}",
        "refresh_token": f"secret-refresh-token-{n}",
        "token_expires_at": timezone.now() + timedelta(days=30),
        **fields,
    }
    with tenancy.tenant_context(tenant):
        channel = Channel.objects.create(network=network, **values)
        for team in teams:
            TeamChannel.objects.create(team=team, channel=channel)
    return channel


def make_team(tenant, name: str):
    from tenants.models import Team

    with tenancy.tenant_context(tenant):
        return Team.objects.create(name=name)


def add_to_team(team, membership) -> None:
    from tenants.models import TeamMember

    with tenancy.tenant_context(team.tenant):
        TeamMember.objects.create(team=team, user=membership.user)
