"""The audit log service: the only writer of `AuditLogEntry`."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core import tenancy
from core.auth import Principal
from core.models import AuditLogEntry
from core.request_context import get_request_info

SECRET_FIELD_MARKERS = ("password", "secret", "token", "key_hash", "otp")
MASK = "********"


def mask_secrets(changes: dict[str, Any]) -> dict[str, Any]:
    masked = {}
    for name, value in changes.items():
        if any(marker in name.lower() for marker in SECRET_FIELD_MARKERS):
            masked[name] = MASK
        elif isinstance(value, dict):
            masked[name] = mask_secrets(value)
        else:
            masked[name] = value
    return masked


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields whose value changed."""
    return {name: [before.get(name), after.get(name)] for name in after if before.get(name) != after.get(name)}


def record(
    action: str,
    target: models.Model | None = None,
    *,
    actor: Principal | None,
    tenant: Any = None,
    changes: dict[str, Any] | None = None,
    actor_user: Any = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: str = "",
) -> AuditLogEntry:
    """Append one entry, attributed to `actor`: the service's Principal, or None meaning "the system" (tasks,
    anonymous flows). Staff in the admin and a user acting on their own account outside a tenant pass
    `actor=None, actor_user=user`.
    """
    entry = _entry(
        action,
        target,
        actor=actor,
        changes=changes,
        actor_user=actor_user,
        actor_label=actor_label,
        object_type=object_type,
        object_id=object_id,
    )
    if tenant is not None:
        entry.tenant = tenant
    entry.save()
    return entry


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record_many(
    action: str, changes_by_target: list[tuple[models.Model, dict[str, Any]]], *, actor: Principal | None
) -> None:
    """`record` for many targets of the current tenant in one INSERT (a batch job's entries)."""
    tenant_id = tenancy.get_current_tenant_id()
    if tenant_id is None:
        raise tenancy.NoTenantContext("Cannot record audit entries without a tenant.")
    entries = [_entry(action, target, actor=actor, changes=changes) for target, changes in changes_by_target]
    for entry in entries:
        entry.tenant_id = tenant_id
    AuditLogEntry.objects.bulk_create(entries)


def _entry(
    action: str,
    target: models.Model | None,
    *,
    actor: Principal | None,
    changes: dict[str, Any] | None,
    actor_user: Any = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: str = "",
) -> AuditLogEntry:
    info = get_request_info()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    if actor is not None:
        actor_user = actor_user or actor.user
        actor_label = actor_label or actor.label
    elif actor_user is not None:
        actor_label = actor_label or actor_user.email
    entry = AuditLogEntry(
        actor_user=actor_user,
        actor_api_key_id=actor.api_key.pk if actor is not None and actor.api_key is not None else None,
        actor_label=actor_label or "system",
        caller_name=actor.caller_name if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=mask_secrets(_jsonable(changes or {})),
        request_id=info.request_id if info else "",
        ip_address=info.ip_address if info else None,
    )
    return entry
