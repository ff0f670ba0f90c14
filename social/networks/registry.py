"""network name -> adapter class. Adapters are imported lazily so a broken one cannot take the others down."""

from __future__ import annotations

from django.utils.module_loading import import_string

from social.networks.base import NetworkAdapter

ADAPTER_PATHS: dict[str, str] = {
    "facebook": "social.networks.facebook.FacebookAdapter",
    "instagram": "social.networks.instagram.InstagramAdapter",
    "linkedin": "social.networks.linkedin.LinkedInAdapter",
    "x": "social.networks.x.XAdapter",
    "youtube": "social.networks.youtube.YouTubeAdapter",
    "tiktok": "social.networks.tiktok.TikTokAdapter",
    "pinterest": "social.networks.pinterest.PinterestAdapter",
    "wordpress": "social.networks.wordpress.WordPressAdapter",
    "sandbox": "social.networks.sandbox.SandboxAdapter",
}


class UnknownNetwork(LookupError):
    pass


def get_adapter(network: str) -> NetworkAdapter:
    try:
        path = ADAPTER_PATHS[network]
    except KeyError:
        raise UnknownNetwork(network) from None
    return import_string(path)()
