"""Rate limits in one cache round trip per request.

DRF's SimpleRateThrottle keeps a list of request times per client: a GET and a SET (and the whole list copied) on
every request. These count requests in fixed windows of the rate's duration instead: on Redis one pipelined
`INCR` + `EXPIRE NX` (one round trip), elsewhere `add` then `incr` on the cache API. A client may send up to twice
the rate across a window boundary, the usual price of a fixed window.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from core.api.permissions import principal_of


class ClientIpMixin:
    """The client address as the rest of the app sees it (`core.middleware.client_ip`): `X-Forwarded-For` counts
    only behind the configured TLS proxy. DRF's own `get_ident` trusts any `X-Forwarded-For`, so a client could
    name a new address per request and never be limited."""

    def get_ident(self, request) -> str:
        from core.middleware import client_ip

        return client_ip(request) or "unknown"


def hit(key: str, duration: int) -> int:
    """Count one request against `key` (expiring after `duration` seconds); returns the count so far."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, duration, nx=True)
        count, _ = pipe.execute()
        return int(count)
    if cache.add(key, 1, duration):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, duration)
        return 1


class WindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and cache keys, counted in fixed windows with one round trip."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return hit(f"{self.key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self) -> float | None:
        return max(self.window_ends - self.now, 1.0)


class PrincipalRateThrottle(ClientIpMixin, WindowRateThrottle):
    """Per API key and per user-in-tenant; anonymous requests per client IP."""

    scope = "principal"

    def get_cache_key(self, request, view) -> str:
        principal = principal_of(request)
        ident = principal.throttle_key if principal else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthRateThrottle(ClientIpMixin, WindowRateThrottle):
    """Credential endpoints (login, refresh, reset) per client IP."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
