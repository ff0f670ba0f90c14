"""The authenticated principal of a request or task: who acts, for which tenant, with which permissions.

core holds no role policy. `is_tenant_admin` and `sees_all_channels` are facts decided when a principal is built:
by its builder when given, else by the policy the identity app installs in its `AppConfig.ready()`
(`set_principal_policy`; tenants installs `tenants.roles.principal_policy`). Without a policy they are False.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.tenancy import get_current_principal

__all__ = [
    "Principal",
    "get_current_principal",
    "set_principal_policy",
]


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
    # None: decided by the installed principal policy when the principal is built (see the module docstring).
    is_tenant_admin: bool | None = None
    sees_all_channels: bool | None = None

    def __post_init__(self) -> None:
        if self.is_tenant_admin is None or self.sees_all_channels is None:
            is_admin, sees_all = _policy(self) if _policy is not None else (False, False)
            if self.is_tenant_admin is None:
                object.__setattr__(self, "is_tenant_admin", is_admin)
            if self.sees_all_channels is None:
                object.__setattr__(self, "sees_all_channels", sees_all)

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


PrincipalPolicy = Callable[[Principal], tuple[bool, bool]]  # -> (is_tenant_admin, sees_all_channels)
_policy: PrincipalPolicy | None = None


def set_principal_policy(policy: PrincipalPolicy) -> None:
    """Install how a principal's role becomes `is_tenant_admin` / `sees_all_channels` (tenants, in `ready()`)."""
    global _policy
    _policy = policy
