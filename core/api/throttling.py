from rest_framework.throttling import SimpleRateThrottle

from core.api.permissions import principal_of


class ClientIpMixin:
    """The client address as the rest of the app sees it (`core.middleware.client_ip`): `X-Forwarded-For` counts
    only behind the configured TLS proxy. DRF's own `get_ident` trusts any `X-Forwarded-For`, so a client could
    name a new address per request and never be limited."""

    def get_ident(self, request) -> str:
        from core.middleware import client_ip

        return client_ip(request) or "unknown"


class PrincipalRateThrottle(ClientIpMixin, SimpleRateThrottle):
    """Per API key and per user-in-tenant; anonymous requests per client IP."""

    scope = "principal"

    def get_cache_key(self, request, view) -> str:
        principal = principal_of(request)
        ident = principal.throttle_key if principal else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthRateThrottle(ClientIpMixin, SimpleRateThrottle):
    """Credential endpoints (login, refresh, reset) per client IP."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
