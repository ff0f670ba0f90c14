"""How one app contributes to another without the other importing it: one registry, filled from `AppConfig.ready()`.

- Usage counters (`register_usage_counter`): figures for `GET /tenant/usage`, counted in the current tenant.
  social registers `channels` and `storageBytes`.
- Tenant settings fields (`register_tenant_setting`): keys an app accepts in the tenant's `settings` (PATCH
  /tenant); the tenants app validates with them and documents them in the OpenAPI schema.
- Demo data, by module convention: an installed app's `demo.seed_demo(*, tenant, owner)` is run by `seed_demo`
  (`demo_modules()`), in INSTALLED_APPS order.
- Tenant creation (`register_tenant_created`): what an app sets up in every new tenant (notifications: the
  workflows of Hubbub's own notices). The tenants app calls `tenant_created(tenant)` in the creating transaction.
- Notices (`register_notice`): the `core.notify.notify` events an app sends, so each new tenant gets an editable
  workflow for each.
- Outgoing webhook event types (`register_webhook_event_type`): the events an app emits to webhook endpoints,
  listed by `GET /webhooks/event-types`; subscribing to or emitting an unregistered one is refused.

Registering is idempotent per name (the last registration wins, so a re-run `ready()` is harmless).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.apps import apps
from rest_framework import serializers

from core import tenancy

UsageCounter = Callable[[], int]
_usage_counters: dict[str, UsageCounter] = {}
_tenant_settings: dict[str, Callable[[], serializers.Field]] = {}
_tenant_created: dict[str, Callable[[Any], None]] = {}


@dataclass(frozen=True)
class NoticeType:
    """A `core.notify.notify` event. `critical` notices (sign-in, invitations) are email only and ignore
    preferences."""

    name: str
    title: str
    is_critical: bool = False


@dataclass(frozen=True)
class WebhookEventType:
    name: str
    description: str
    example: Mapping[str, Any] = field(default_factory=dict)


_notices: dict[str, NoticeType] = {}
_webhook_event_types: dict[str, WebhookEventType] = {}


def register_usage_counter(name: str, counter: UsageCounter) -> None:
    """`counter()` returns the tenant's current usage of `name` (camelCase, as in the plan's `limits`)."""
    _usage_counters[name] = counter


def usage(name: str) -> int:
    """The registered counter's figure in the current tenant; 0 when no installed app counts `name`."""
    counter = _usage_counters.get(name)
    return int(counter()) if counter is not None else 0


def register_tenant_setting(name: str, field: Callable[[], serializers.Field]) -> None:
    """`field()` builds the DRF field that validates the setting `name` (snake_case; camelCase on the wire)."""
    _tenant_settings[name] = field


def tenant_setting_fields() -> dict[str, serializers.Field]:
    """Fresh field instances of every registered tenant setting (a serializer binds the fields it gets)."""
    return {name: build() for name, build in _tenant_settings.items()}


def demo_modules() -> list[tuple[str, ModuleType]]:
    """(app label, module) of every installed app that ships a `demo` module."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise  # the demo module exists but is broken: say so
            continue
        found.append((config.label, module))
    return found


def register_tenant_created(name: str, handler: Callable[[Any], None]) -> None:
    """`handler(tenant)` runs in the new tenant's context, inside the transaction creating it; it must be idempotent."""
    _tenant_created[name] = handler


def tenant_created(tenant: Any) -> None:
    """Run every app's setup for a tenant that was just created (the tenants app calls it)."""
    with tenancy.tenant_context(tenant):
        for handler in _tenant_created.values():
            handler(tenant)


def register_notice(name: str, *, title: str, is_critical: bool = False) -> None:
    """`title` names the default workflow each new tenant gets for the notice ("Approval requested")."""
    _notices[name] = NoticeType(name=name, title=title, is_critical=is_critical)


def notice_types() -> dict[str, NoticeType]:
    return dict(_notices)


def register_webhook_event_type(name: str, *, description: str, example: Mapping[str, Any]) -> None:
    """`example` is a payload receivers can code against (the `data` of the envelope)."""
    _webhook_event_types[name] = WebhookEventType(name=name, description=description, example=dict(example))


def webhook_event_types() -> dict[str, WebhookEventType]:
    return dict(_webhook_event_types)
