"""Base models: every tenant-owned model inherits `TenantScopedModel`."""

from __future__ import annotations

import json
import uuid

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core import tenancy


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimestampedModel(UUIDModel):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantScopedQuerySet(models.QuerySet):
    pass


class TenantScopedManager(models.Manager.from_queryset(TenantScopedQuerySet)):
    """Filters by the current tenant and raises when none is set (an unscoped query is a bug)."""

    def get_queryset(self) -> TenantScopedQuerySet:
        tenant_id = tenancy.get_current_tenant_id()
        if tenant_id is None:
            raise tenancy.NoTenantContext(
                f"{self.model.__name__}.objects used without a tenant; use tenant_context() "
                f"or, for admin and platform jobs, {self.model.__name__}.all_tenants."
            )
        return super().get_queryset().filter(tenant_id=tenant_id)

    def none(self) -> TenantScopedQuerySet:
        """An empty queryset needs no tenant (schema generation and filters build these at import time)."""
        return super().get_queryset().none()


class TenantScopedModel(TimestampedModel):
    """A row owned by one tenant. `objects` is scoped to the current tenant; `all_tenants` is the escape hatch."""

    tenant = models.ForeignKey(settings.TENANT_MODEL, on_delete=models.CASCADE, related_name="+", editable=False)

    # Declared first so it is Django's default manager (admin, related managers, dumpdata) whatever a subclass's
    # Meta says; application code uses `objects`, the scoped one.
    all_tenants = models.Manager()
    objects = TenantScopedManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        current = tenancy.get_current_tenant_id()
        if self.tenant_id is None:
            if current is None:
                raise tenancy.NoTenantContext(f"Cannot save {type(self).__name__} without a tenant.")
            self.tenant_id = current
        elif current is not None and self.tenant_id != current:
            raise tenancy.TenantMismatch(
                f"{type(self).__name__} belongs to tenant {self.tenant_id}, current tenant is {current}."
            )
        super().save(*args, **kwargs)


def tenant_scoped_models() -> list[type[TenantScopedModel]]:
    return [m for m in apps.get_models() if issubclass(m, TenantScopedModel)]


class IdempotencyRecord(TenantScopedModel):
    """The first response to a POST carrying an `Idempotency-Key`, replayed to retries (kept 24 h)."""

    owner = models.CharField(max_length=120)  # the principal's throttle key: keys are per caller
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "owner", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"

    def complete(self, status_code: int, body) -> None:
        self.status_code = status_code
        self.response_body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        self.save(update_fields=["status_code", "response_body", "updated_at"])


class AuditLogEntry(TenantScopedModel):
    """Who did what, when, from which credential. Written only by `core.audit.record`; never edited."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_api_key_id = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)
    caller_name = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}:{self.object_id}"
