"""Demo data of the social app (called by `manage.py seed_demo`): two sandbox channels in the default team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core import tenancy
from social.models import Channel, ChannelNetwork, ChannelTokenOwner, TeamChannel
from social.networks.sandbox import TOKEN_LIFETIME
from tenants import selectors as tenant_selectors

if TYPE_CHECKING:
    from tenants.models import Tenant, User

DEMO_CHANNELS = (("page", "Sandbox Page"), ("profile", "Sandbox Profile"))


def seed_demo(*, tenant: Tenant, owner: User) -> list[Channel]:
    """Idempotent: the channels are found by their external id (per tenant), created once, and linked to the
    tenant's default team. They publish to the offline sandbox network."""
    channels = []
    with tenancy.tenant_context(tenant), transaction.atomic():
        team = tenant_selectors.teams().filter(is_default=True).first()
        for suffix, name in DEMO_CHANNELS:
            # Per-tenant external ids: sandbox publications are global, so demo tenants must not share a channel.
            external_id = f"demo-{tenant.pk.hex[:12]}-{suffix}"
            channel, _created = Channel.objects.get_or_create(
                network=ChannelNetwork.SANDBOX,
                external_id=external_id,
                defaults={
                    "name": name,
                    "username": f"sandbox_{suffix}",
                    "network_url": f"https://sandbox.hubbub.invalid/{external_id}",
                    "access_token": f"sbx-at-demo-{external_id}",
                    "refresh_token": f"sbx-rt-demo-{external_id}",
                    "token_expires_at": timezone.now() + TOKEN_LIFETIME,
                    "scopes": ["publish", "read_comments", "read_insights"],
                    "connected_by": owner,
                    "token_owner": owner,
                },
            )
            ChannelTokenOwner.objects.get_or_create(
                channel=channel,
                user=owner,
                defaults={
                    "access_token": channel.access_token,
                    "refresh_token": channel.refresh_token,
                    "token_expires_at": channel.token_expires_at,
                    "scopes": channel.scopes,
                },
            )
            if team is not None:
                TeamChannel.objects.get_or_create(team=team, channel=channel)
            channels.append(channel)
    return channels
