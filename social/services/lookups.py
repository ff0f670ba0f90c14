"""Composer pickers through the channel's adapter: Pinterest boards and sections, Facebook page locations, Instagram
shop products, accounts to @mention. Answers are cached briefly per channel and question: a composer asks again
on every keystroke, and the networks rate-limit these reads like any other."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from django.core.cache import cache

from core.errors import InvalidState, RateLimited, ValidationFailed
from social.errors import ChannelNeedsAttention, LookupNotSupported, NetworkUnavailable
from social.models import Channel, ChannelStatus
from social.networks.base import (
    AuthExpired,
    InvalidContent,
    LookupResult,
    NetworkError,
    NotFound,
    PermissionMissing,
)
from social.networks.base import RateLimited as NetworkRateLimited
from social.networks.registry import get_adapter
from social.services.channels import credentials_for

CACHE_SECONDS = 300
MAX_QUERY_LENGTH = 100


@contextlib.contextmanager
def network_errors_as_domain_errors() -> Iterator[None]:
    """What a network said, as the API's errors: refused credentials 409, rate limits 429, anything else 503."""
    try:
        yield
    except (AuthExpired, PermissionMissing) as exc:
        raise ChannelNeedsAttention(details={"networkCode": exc.code, "network": [exc.message]}) from None
    except NetworkRateLimited as exc:
        raise RateLimited("The network rate-limited us.", retry_after=exc.retry_after) from None
    except NetworkError as exc:
        raise NetworkUnavailable(details={"networkCode": exc.code}) from None


def lookup(channel: Channel, kind: str, *, query: str = "", parent: str = "") -> list[LookupResult]:
    """The choices of picker `kind` on `channel` (a visible, connected channel of the current tenant)."""
    adapter = get_adapter(channel.network)
    offered = sorted(getattr(adapter, "lookups", ()))
    if kind not in offered:
        raise LookupNotSupported(details={"kind": [f"{channel.network} offers: {', '.join(offered) or 'none'}."]})
    if channel.status == ChannelStatus.DISCONNECTED:
        raise InvalidState("The channel is disconnected; reconnect it first.")
    query, parent = query.strip()[:MAX_QUERY_LENGTH], parent.strip()
    digest = hashlib.sha256(f"{query}\x00{parent}".encode()).hexdigest()[:32]
    key = f"social:lookup:{channel.pk}:{channel.updated_at.timestamp()}:{kind}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    handler = getattr(adapter, f"lookup_{kind.replace('-', '_')}")
    with network_errors_as_domain_errors():
        try:
            results = handler(credentials_for(channel), query=query, parent=parent)
        except InvalidContent as exc:  # a missing `parent`: the caller's to fix
            raise ValidationFailed(exc.message, details=exc.details or {"parent": [exc.message]}) from None
        except NotFound:
            raise ValidationFailed(details={"parent": [f"Not found on {channel.network}."]}) from None
    cache.set(key, results, CACHE_SECONDS)
    return results
