"""How one app contributes to another without the other importing it: one registry, filled from `AppConfig.ready()`.

- Usage counters (`register_usage_counter`): figures for `GET /tenant/usage`, counted in the current tenant.
  social registers `channels` and `storageBytes`.
- Tenant settings fields (`register_tenant_setting`): keys an app accepts in the tenant's `settings` (PATCH
  /tenant); the tenants app validates with them and documents them in the OpenAPI schema.
- Demo data, by module convention: an installed app's `demo.seed_demo(*, tenant, owner)` is run by `seed_demo`
  (`demo_modules()`), in INSTALLED_APPS order.

Registering is idempotent per name (the last registration wins, so a re-run `ready()` is harmless).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from django.apps import apps
from rest_framework import serializers

UsageCounter = Callable[[], int]
_usage_counters: dict[str, UsageCounter] = {}
_tenant_settings: dict[str, Callable[[], serializers.Field]] = {}


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
