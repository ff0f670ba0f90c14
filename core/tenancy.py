"""Who acts for which tenant: ONE context variable, `TenancyState`, entered only by context managers.

The state holds the current tenant, the acting principal, the platform flag and the schema-owner flag. It is
changed only by the context managers below, each of which resets its token on exit, so nesting never clobbers an
outer value:

- `tenant_context(tenant)`: run as a tenant (tasks, commands, tests); no principal change.
- `acting_as(principal)`: run as a principal in its tenant (authentication, OAuth callbacks, admin actions).
- `platform_access()`: the explicit, greppable escape hatch for admin and platform jobs: on PostgreSQL queries run
  as the table owner instead of the row-level-secured application role. Pair it with `Model.all_tenants`.
- `owner_mode()`: schema changes (migrate, flush) as the connecting role.
- `fresh_state()`: the outermost wrapper of a request or task; it starts from nothing and restores on exit.

A request enters `acting_as` from authentication through `enter_for_request()`: the middleware's `request_scope()`
owns the exit, so the token is reset when the request ends, never dropped.

core names no app: the tenant model comes from `settings.TENANT_MODEL` (like `AUTH_USER_MODEL`).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from core.auth import Principal


@dataclasses.dataclass(frozen=True)
class TenancyState:
    tenant: Any = None  # an instance of settings.TENANT_MODEL
    principal: Principal | None = None
    platform: bool = False
    owner: bool = False


_EMPTY = TenancyState()
_state: contextvars.ContextVar[TenancyState] = contextvars.ContextVar("hubbub_tenancy", default=_EMPTY)
_REQUEST_SCOPE_ATTR = "_hubbub_tenancy_scope"


class NoTenantContext(RuntimeError):
    """A tenant-scoped query ran with no tenant set: a bug, never an empty result."""


class TenantMismatch(RuntimeError):
    """A row of one tenant was about to be written while another tenant is current."""


def get_tenant_model() -> type[models.Model]:
    return apps.get_model(settings.TENANT_MODEL, require_ready=False)


def current_state() -> TenancyState:
    return _state.get()


def get_current_tenant() -> Any:
    return _state.get().tenant


def get_current_tenant_id() -> uuid.UUID | None:
    tenant = _state.get().tenant
    return tenant.pk if tenant is not None else None


def require_current_tenant() -> Any:
    tenant = _state.get().tenant
    if tenant is None:
        raise NoTenantContext("No tenant is set: enter tenant_context() or authenticate the request first.")
    return tenant


def get_current_principal() -> Principal | None:
    return _state.get().principal


def is_platform_access() -> bool:
    return _state.get().platform


def owner_mode_active() -> bool:
    return _state.get().owner


@contextlib.contextmanager
def _entered(state: TenancyState) -> Iterator[TenancyState]:
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)


def clear_tenant() -> None:
    """Forget tenant, principal and flags. Only for test fixtures; requests and tasks use `fresh_state()`."""
    _state.set(_EMPTY)


@contextlib.contextmanager
def fresh_state() -> Iterator[None]:
    """The outermost wrapper of a request or a task: nothing is inherited, everything is restored on exit."""
    with _entered(_EMPTY):
        yield


@contextlib.contextmanager
def tenant_context(tenant: Any) -> Iterator[Any]:
    """Run the block as `tenant` (tasks, commands, tests). Nested contexts restore the outer one on exit."""
    if tenant is None:
        raise NoTenantContext("tenant_context() needs a tenant.")
    with _entered(dataclasses.replace(_state.get(), tenant=tenant, platform=False)):
        yield tenant


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Run the block as `principal` in its tenant (authentication, OAuth callbacks, admin actions).

    Tenant and principal are restored on exit, whatever they were, so nesting never clobbers an outer context.
    """
    with _entered(dataclasses.replace(_state.get(), tenant=principal.tenant, principal=principal, platform=False)):
        yield principal


@contextlib.contextmanager
def platform_access() -> Iterator[None]:
    """Run the block across all tenants (admin, platform jobs). Use with `Model.all_tenants`."""
    with _entered(dataclasses.replace(_state.get(), platform=True)):
        yield


@contextlib.contextmanager
def owner_mode() -> Iterator[None]:
    """Run schema changes (migrate, flush) as the connecting role, which owns the tables."""
    with _entered(dataclasses.replace(_state.get(), owner=True)):
        yield


@contextlib.contextmanager
def request_scope(request: Any) -> Iterator[None]:
    """The outermost request wrapper: a fresh state, and a place for authentication to enter `acting_as`.

    Contexts entered with `enter_for_request()` are exited (their tokens reset) when the request ends, before the
    fresh state itself is restored.
    """
    with fresh_state(), contextlib.ExitStack() as stack:
        setattr(request, _REQUEST_SCOPE_ATTR, stack)
        try:
            yield
        finally:
            delattr(request, _REQUEST_SCOPE_ATTR)


def enter_for_request(request: Any, principal: Principal) -> Principal:
    """Act as `principal` for the rest of `request` (DRF authentication cannot wrap the view in a `with`)."""
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's HttpRequest
    stack: contextlib.ExitStack | None = getattr(http_request, _REQUEST_SCOPE_ATTR, None)
    if stack is None:
        raise RuntimeError("No request scope: core.middleware.TenantContextMiddleware must wrap API requests.")
    return stack.enter_context(acting_as(principal))
