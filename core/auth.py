"""The authenticated principal of a request or task: who acts, for which tenant, with which permissions."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenants.models import ApiKey, Membership, Tenant, User


@dataclass(frozen=True)
class Principal:
    tenant: Tenant
    permissions: frozenset[str]
    kind: str  # "user" (JWT), "api_key", "staff" (admin)
    user: User | None = None
    membership: Membership | None = None
    api_key: ApiKey | None = None
    role: str | None = None
    caller_name: str = ""  # the system named in Basic auth, recorded in the audit log
    session_id: uuid.UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_tenant_admin(self) -> bool:
        return self.role in {"OWNER", "ADMIN"} or (self.api_key is not None and "tenants.admin" in self.permissions)

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


_current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("hubbub_principal", default=None)


def set_current_principal(principal: Principal | None) -> contextvars.Token:
    return _current_principal.set(principal)


def get_current_principal() -> Principal | None:
    return _current_principal.get()


def reset_current_principal(token: contextvars.Token) -> None:
    _current_principal.reset(token)
