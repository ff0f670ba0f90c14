"""Network media through our server: the CDN links networks hand out for media (Instagram and Facebook `scontent`
URLs in tickets and post previews) are signed and expire within days, so a ticket's picture breaks later.

The proxy fetches only from the channel's network's media hosts (`media_hosts` on the adapter), through the SSRF
guard (public addresses only, pinned DNS, no redirects: a hop could leave the allow-list), refuses anything but
images and videos, caps size and time, and keeps small answers in the cache for a few minutes (a ticket list loads
the same pictures again and again). When the link has expired and the caller names the network's media id, a
fresh link is asked from the network with the channel's token (remembered for a while) and fetched instead.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from django.core.cache import cache

from core import url_safety
from core.errors import InvalidState, ValidationFailed
from social.errors import MediaHostNotAllowed, NetworkMediaExpired, NetworkUnavailable, PayloadTooLarge
from social.errors import UnsupportedMediaType as UnsupportedMediaTypeError
from social.models import Channel, ChannelStatus
from social.networks.base import NotFound, NotSupported
from social.networks.registry import UnknownNetwork, get_adapter
from social.services.channels import credentials_for
from social.services.lookups import network_errors_as_domain_errors

logger = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024  # a network video of a ticket; larger is refused, not truncated
CACHE_MAX_BYTES = 2 * 1024 * 1024  # pictures: kept in the cache; bigger files are streamed each time
CACHE_SECONDS = 300
FRESH_URL_SECONDS = 3600  # a fresh CDN link stays valid for hours: ask the network once an hour at most
TIMEOUT_SECONDS = 20.0
PROXIED_TYPES = ("image/", "video/")
EXPIRED_STATUSES = {400, 403, 404, 410}  # what the CDNs answer for an expired signature or a deleted file


@dataclass(frozen=True)
class ProxiedMedia:
    content_type: str
    size: int
    content: bytes | None = None  # small answers, from or into the cache
    file: IO[bytes] | None = None  # larger ones: a temporary file the response streams and closes
    is_cached: bool = False


def _adapter(channel: Channel):
    try:
        return get_adapter(channel.network)
    except (UnknownNetwork, ImportError):
        return None  # custom and placeholder channels: no network media


def _require_media_host(url: str, hosts: tuple[str, ...], channel: Channel) -> None:
    parsed = urlsplit(url)
    host = (parsed.hostname or "").lower().rstrip(".")
    allowed = parsed.scheme == "https" and any(host == h or host.endswith(f".{h}") for h in hosts)
    if not allowed:
        raise MediaHostNotAllowed(
            details={"url": [f"Only https media of {channel.network} ({', '.join(hosts) or 'none'}) is proxied."]}
        )


def _cache_key(channel: Channel, kind: str, value: str) -> str:
    return f"social:media-proxy:{kind}:{channel.pk}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def proxy_media(channel: Channel, *, url: str = "", media_id: str = "") -> ProxiedMedia:
    """The media at `url` (a CDN link of `channel`'s network), or, when that link has expired or is not given,
    at a fresh link the network gives for `media_id`. Raises MEDIA_HOST_NOT_ALLOWED (400), UNSUPPORTED_MEDIA_TYPE
    (400), PAYLOAD_TOO_LARGE (413), NETWORK_MEDIA_EXPIRED (410), NETWORK_UNAVAILABLE (503), and for a fresh link
    the channel's own errors (409 when its token is refused or it is disconnected)."""
    if not url and not media_id:
        raise ValidationFailed(details={"url": ["Give the media's url, its network mediaId, or both."]})
    adapter = _adapter(channel)
    hosts = tuple(getattr(adapter, "media_hosts", ()))
    if url:
        _require_media_host(url, hosts, channel)
        cached = _from_cache(_cache_key(channel, "url", url))
        if cached is not None:
            return cached
        try:
            return _fetch(url, _cache_key(channel, "url", url))
        except NetworkMediaExpired:
            if not media_id:
                raise
    fresh = _fresh_url(channel, adapter, media_id)
    _require_media_host(fresh, hosts, channel)
    cached = _from_cache(_cache_key(channel, "url", fresh))
    return cached or _fetch(fresh, _cache_key(channel, "url", fresh))


def _from_cache(key: str) -> ProxiedMedia | None:
    hit = cache.get(key)
    if hit is None:
        return None
    content_type, content = hit
    return ProxiedMedia(content_type=content_type, size=len(content), content=content, is_cached=True)


def _fetch(url: str, key: str) -> ProxiedMedia:
    try:
        fetched = url_safety.fetch_to_tempfile(url, max_bytes=MAX_BYTES, timeout=TIMEOUT_SECONDS, max_redirects=0)
    except url_safety.ResponseTooLarge:
        raise PayloadTooLarge(details={"maxBytes": MAX_BYTES}) from None
    except url_safety.FetchFailed as exc:
        if exc.status_code in EXPIRED_STATUSES:
            raise NetworkMediaExpired(details={"upstreamStatus": exc.status_code}) from None
        raise NetworkUnavailable(details={"reason": exc.reason}) from None
    except url_safety.UnsafeUrl as exc:
        raise MediaHostNotAllowed(details={"url": [str(exc)]}) from None
    except url_safety.UrlFetchError as exc:  # timeout, a redirect (none are followed)
        raise NetworkUnavailable(details={"reason": exc.reason}) from None
    if not fetched.content_type.startswith(PROXIED_TYPES):
        fetched.file.close()
        raise UnsupportedMediaTypeError(details={"contentType": [fetched.content_type or "unknown"]})
    if fetched.size > CACHE_MAX_BYTES:
        return ProxiedMedia(content_type=fetched.content_type, size=fetched.size, file=fetched.file)
    with fetched.file as handle:
        content = handle.read()
    cache.set(key, (fetched.content_type, content), CACHE_SECONDS)
    return ProxiedMedia(content_type=fetched.content_type, size=len(content), content=content)


def _fresh_url(channel: Channel, adapter, media_id: str) -> str:
    """A fresh link for the network's `media_id`, asked with the channel's token (remembered for an hour)."""
    if not media_id:
        raise NetworkMediaExpired()
    key = _cache_key(channel, "fresh", media_id)
    remembered = cache.get(key)
    if remembered:
        return remembered
    if adapter is None or not hasattr(adapter, "fresh_media_url"):
        raise NetworkMediaExpired(details={"mediaId": [f"{channel.network} cannot give fresh media links."]})
    if channel.status == ChannelStatus.DISCONNECTED:
        raise InvalidState("The channel is disconnected; reconnect it to refresh its media links.")
    with network_errors_as_domain_errors():
        try:
            fresh = adapter.fresh_media_url(credentials_for(channel), media_id)
        except (NotFound, NotSupported) as exc:
            raise NetworkMediaExpired(details={"mediaId": [exc.message]}) from None
    if not fresh:
        raise NetworkMediaExpired(details={"mediaId": ["The network has no link for this media any more."]})
    logger.info("fresh network media link", extra={"channel_id": str(channel.pk), "network": channel.network})
    cache.set(key, fresh, FRESH_URL_SECONDS)
    return fresh
