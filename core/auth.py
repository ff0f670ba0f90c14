"""The authenticated principal of a request or task: who acts, for which tenant, with which permissions.

core holds no role policy: the app that builds a principal (tenants, from a membership, an API key or a staff
user) decides `is_tenant_admin` and `sees_all_channels` and sets them here as plain facts.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field
from typing import Any

from core import tenancy
from core.tenancy import get_current_principal

__all__ = ["Principal", "get_current_principal", "reset_current_principal", "set_current_principal"]


@dataclass(frozen=True)
class Principal:
    tenant: Any  # an instance of settings.TENANT_MODEL
    permissions: frozenset[str]
    kind: str  # "user" (JWT), "api_key", "staff" (admin)
    user: Any = None  # settings.AUTH_USER_MODEL
    membership: Any = None
    api_key: Any = None
    role: str | None = None
    caller_name: str = ""  # the system named in Basic auth, recorded in the audit log
    session_id: uuid.UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    # Set by whoever builds the principal from the role policy (tenants.roles.member_principal etc.); core never infers.
    is_tenant_admin: bool = False
    sees_all_channels: bool = False

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return f"api-key:{self.api_key.prefix}"
        return self.kind

    @property
    def throttle_key(self) -> str:
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        return f"user:{self.user.pk if self.user else '-'}:{self.tenant.pk}"


def set_current_principal(principal: Principal | None) -> contextvars.Token:
    """Transitional (removed once social and contentplanner use `tenancy.acting_as`): sets the principal in the
    one tenancy state and returns the token for `reset_current_principal`."""
    return tenancy._state.set(tenancy.dataclasses.replace(tenancy.current_state(), principal=principal))


def reset_current_principal(token: contextvars.Token) -> None:
    """Transitional, see `set_current_principal`."""
    tenancy._state.reset(token)
