from rest_framework.throttling import SimpleRateThrottle

from core.api.permissions import principal_of


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key and per user-in-tenant; anonymous requests per client IP."""

    scope = "principal"

    def get_cache_key(self, request, view) -> str:
        principal = principal_of(request)
        ident = principal.throttle_key if principal else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthRateThrottle(SimpleRateThrottle):
    """Credential endpoints (login, refresh, reset) per client IP."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
