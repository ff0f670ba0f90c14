"""Listening: what another app (the inbox) needs of the networks to read what people write to a channel and to
answer them. It reaches the adapters through here, never through `social.networks.registry`, so which adapter
speaks a network stays social's business.

- `adapter_for(network)`: the network's adapter (its `fetch_items`, `reply`, `send_message`, `like`, `hide`,
  `delete`, `block_user`... and `capabilities`), None for a network without one (placeholder); for `custom`, the
  endpoint adapter whose `deliver` posts a signed reply to the channel's `endpointUrl` (it publishes nothing, so it
  is not in the publishing registry);
- `inject_inbound(...)`: the sandbox's "someone wrote to this channel" (demo data and sandbox bursts);
- `sandbox_channel_of_any_tenant(id)`: a sandbox channel by id across tenants (staff tooling: `inbox_burst`).
"""

from __future__ import annotations

from social.models import Channel, ChannelNetwork
from social.networks.base import NetworkAdapter
from social.networks.custom import CustomEndpointAdapter
from social.networks.registry import UnknownNetwork, get_adapter
from social.networks.sandbox import inject_inbound

__all__ = ["adapter_for", "inject_inbound", "sandbox_channel_of_any_tenant"]


def adapter_for(network: str) -> NetworkAdapter | None:
    """The adapter that speaks `network`, or None when no adapter does."""
    if network == ChannelNetwork.CUSTOM:
        return CustomEndpointAdapter()
    try:
        return get_adapter(network)
    except UnknownNetwork:
        return None


def sandbox_channel_of_any_tenant(channel_id: object) -> Channel | None:
    """The sandbox channel with this id in whichever tenant owns it (platform read, for staff commands), or None."""
    from core import tenancy

    with tenancy.platform_access():
        return (
            Channel.all_tenants.select_related("tenant").filter(pk=channel_id, network=ChannelNetwork.SANDBOX).first()
        )
