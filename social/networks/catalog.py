"""What each network offers a tenant: how it is connected, whether this installation is configured for it (the OAuth
app's environment variables), what its adapter can do and its content rules. Read by GET /channels/networks and
by connect, which refuses an unconfigured network before sending anyone to the network's error page."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from social.models import ChannelNetwork
from social.models.channels import CONNECTABLE_NETWORKS, DIRECT_NETWORKS
from social.networks.base import ContentRules
from social.networks.http import CAPABILITIES
from social.networks.registry import ADAPTER_PATHS

# Every composer picker an adapter may offer (`lookups`), served by GET /channels/{id}/lookups/{kind}.
LOOKUP_KINDS = frozenset({"boards", "board-sections", "locations", "products", "mentions"})

# Connected with a site URL + application password: no OAuth app to configure.
APPLICATION_PASSWORD_NETWORKS = frozenset({ChannelNetwork.WORDPRESS})


@dataclass(frozen=True)
class NetworkInfo:
    network: str
    connect: str  # "oauth" | "applicationPassword" | "direct"
    direct_create: bool  # POST /channels creates channels of this network (no OAuth)
    configured: bool
    missing_settings: tuple[str, ...]  # environment variables to set before the network can be connected
    capabilities: tuple[str, ...]
    lookups: tuple[str, ...]
    rules: ContentRules | None


def oauth_app_name(network: str) -> str:
    """The settings.NETWORK_APPS key of `network`'s OAuth app (Instagram shares Facebook's app)."""
    return getattr(import_string(ADAPTER_PATHS[network]), "app_name", "") or network


def missing_settings(network: str) -> tuple[str, ...]:
    """Environment variables still empty for connecting `network` with OAuth (settings.NETWORK_APPS reads
    `<APP>_CLIENT_ID` / `<APP>_CLIENT_SECRET`); () when it can be connected."""
    if network not in CONNECTABLE_NETWORKS or network == ChannelNetwork.SANDBOX:
        return ()
    app_name = oauth_app_name(network)
    app = settings.NETWORK_APPS.get(app_name, {})
    return tuple(
        f"{app_name.upper()}_{key.upper()}" for key in ("client_id", "client_secret") if not (app.get(key) or "")
    )


def network_info(network: str) -> NetworkInfo:
    adapter_class = import_string(ADAPTER_PATHS[network]) if network in ADAPTER_PATHS else None
    if network in APPLICATION_PASSWORD_NETWORKS:
        connect = "applicationPassword"
    elif network in CONNECTABLE_NETWORKS:
        connect = "oauth"
    else:
        connect = "direct"
    # The sandbox implements the whole interface; HTTP adapters list what their network's API offers.
    capabilities = getattr(adapter_class, "capabilities", CAPABILITIES) if adapter_class is not None else ()
    missing = missing_settings(network)
    return NetworkInfo(
        network=network,
        connect=connect,
        direct_create=network in DIRECT_NETWORKS,
        configured=not missing,
        missing_settings=missing,
        capabilities=tuple(sorted(capabilities)),
        lookups=tuple(sorted(getattr(adapter_class, "lookups", ()))),
        rules=getattr(adapter_class, "rules", None) if adapter_class is not None else None,
    )


def all_networks() -> list[NetworkInfo]:
    """Every network a channel can be on, in the order of ChannelNetwork."""
    known = CONNECTABLE_NETWORKS | DIRECT_NETWORKS | APPLICATION_PASSWORD_NETWORKS
    return [network_info(value) for value in ChannelNetwork.values if value in known]
