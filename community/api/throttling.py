"""Rate limits for members: a member token is limited per member, not per tenant (the default principal key of a
credential without user or API key would put every member of a community in one bucket)."""

from __future__ import annotations

from community.access import acting_member
from core.api.permissions import principal_of
from core.api.throttling import PrincipalRateThrottle


class MemberRateThrottle(PrincipalRateThrottle):
    def get_cache_key(self, request, view) -> str:
        principal = principal_of(request)
        member = acting_member(principal)
        if member is not None and principal.api_key is None:
            return self.cache_format % {"scope": self.scope, "ident": f"member:{member.pk}"}
        # A key acting for members keeps the key's own bucket: it is one calling system.
        return super().get_cache_key(request, view)
