"""The current tenant, held in a context variable.

Requests set it from the credential (after authentication); tasks and commands set it with `tenant_context()`.
The outermost request and task wrappers reset it in a `finally`, so a reused worker thread never carries the
previous tenant. `platform_access()` is the explicit, greppable escape hatch for admin and platform jobs: on
PostgreSQL it runs queries as the table owner instead of the row-level-secured application role.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.auth import Principal
    from tenants.models import Tenant

_current_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar("hubbub_tenant", default=None)
_platform_access: contextvars.ContextVar[bool] = contextvars.ContextVar("hubbub_platform_access", default=False)


class NoTenantContext(RuntimeError):
    """A tenant-scoped query ran with no tenant set: a bug, never an empty result."""


class TenantMismatch(RuntimeError):
    """A row of one tenant was about to be written while another tenant is current."""


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def get_current_tenant_id() -> uuid.UUID | None:
    tenant = _current_tenant.get()
    return tenant.pk if tenant is not None else None


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise NoTenantContext("No tenant is set: enter tenant_context() or authenticate the request first.")
    return tenant


def activate_tenant(tenant: Tenant) -> contextvars.Token:
    """Set the current tenant; the caller (or the outermost wrapper) must reset it."""
    return _current_tenant.set(tenant)


def reset_tenant(token: contextvars.Token) -> None:
    _current_tenant.reset(token)


def clear_tenant() -> None:
    """Forget the tenant, the principal and platform access (outermost request/task wrappers, in `finally`)."""
    from core.auth import set_current_principal

    _current_tenant.set(None)
    _platform_access.set(False)
    set_current_principal(None)


@contextlib.contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as `tenant` (tasks, commands, tests). Nested contexts restore the outer one on exit."""
    if tenant is None:
        raise NoTenantContext("tenant_context() needs a tenant.")
    token = _current_tenant.set(tenant)
    platform_token = _platform_access.set(False)
    try:
        yield tenant
    finally:
        _platform_access.reset(platform_token)
        _current_tenant.reset(token)


@contextlib.contextmanager
def platform_access() -> Iterator[None]:
    """Run the block across all tenants (admin, platform jobs). Use with `Model.all_tenants`."""
    token = _platform_access.set(True)
    try:
        yield
    finally:
        _platform_access.reset(token)


def is_platform_access() -> bool:
    return _platform_access.get()


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Run the block as `principal` in its tenant (authentication, OAuth callbacks, admin actions, tasks).

    Tenant and principal are restored on exit, whatever they were, so nesting never clobbers an outer context.
    """
    from core.auth import reset_current_principal, set_current_principal

    principal_token = set_current_principal(principal)
    try:
        with tenant_context(principal.tenant):
            yield principal
    finally:
        reset_current_principal(principal_token)
