"""What the beat sweeps share: give back the claims of dead workers, then list the due rows per tenant."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from core import tenancy


def due_by_tenant(
    model: type[models.Model], *, running: str, pending: str, due_field: str, lease: timedelta, limit: int
) -> dict[str, list[str]]:
    """Rows claimed (`running`) longer than `lease` ago go back to `pending`; then the ids of pending rows whose
    `due_field` has passed, oldest first, grouped by tenant id. `model` has `status`, `claimed_at` and `tenant`."""
    now = timezone.now()
    with tenancy.platform_access():
        model.all_tenants.filter(status=running, claimed_at__lt=now - lease).update(status=pending, claimed_at=None)
        rows = (
            model.all_tenants.filter(status=pending, **{f"{due_field}__lte": now})
            .order_by(due_field)
            .values_list("pk", "tenant_id")[:limit]
        )
        grouped: dict[str, list[str]] = {}
        for pk, tenant_id in rows:
            grouped.setdefault(str(tenant_id), []).append(str(pk))
    return grouped
