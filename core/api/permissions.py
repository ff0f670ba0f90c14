"""Permission classes. The question "may this principal do X" is answered by permission strings on the principal,
computed once at authentication from the role (tenants/roles.py), custom permissions or API key scopes."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from core.auth import Principal


def principal_of(request) -> Principal | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Principal) else None


class IsTenantMember(BasePermission):
    """Any authenticated principal bound to a tenant; the viewset's `required_permissions` narrows it per action."""

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        if principal is None:
            return False
        needed = required_permission_for(view, request)
        return needed is None or principal.has(needed)


def required_permission_for(view, request) -> str | None:
    """`required_permissions` maps `"action:method"` (e.g. `"feed:get"`), an action, or an HTTP method to a
    permission string, most specific first; `*` is the fallback."""
    mapping: dict[str, str | None] = getattr(view, "required_permissions", {}) or {}
    action = getattr(view, "action", None)
    method = request.method.lower()
    for key in (f"{action}:{method}" if action else None, action, method, "*"):
        if key is not None and key in mapping:
            return mapping[key]
    return None
