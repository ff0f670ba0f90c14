"""Operator console pieces every app uses: audited admin base classes, and the read-only audit/idempotency logs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db import models

from core import audit
from core.models import AuditLogEntry, IdempotencyRecord


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet):
        return [str(obj.pk) for obj in value]
    return value


class AuditedModelAdmin(admin.ModelAdmin):
    """Every change made in the admin lands in the audit log of the object's tenant(s), with the staff user as
    actor. Subclasses override `audit_tenants()` when the object is not a `TenantScopedModel`."""

    def audit_tenants(self, obj) -> Iterable:
        tenant = getattr(obj, "tenant", None)
        return [tenant] if tenant is not None else []

    def audit(self, request, action: str, obj, changes: dict[str, Any] | None = None) -> None:
        name = obj._meta.model_name
        for tenant in self.audit_tenants(obj):
            audit.record(
                f"admin.{name}.{action}", obj, actor=None, tenant=tenant, actor_user=request.user, changes=changes
            )

    def save_model(self, request, obj, form, change) -> None:
        changes = {
            name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))] for name in form.changed_data
        }
        super().save_model(request, obj, form, change)
        self.audit(request, "updated" if change else "created", obj, changes)

    def delete_model(self, request, obj) -> None:
        self.audit(request, "deleted", obj, {"repr": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.audit(request, "deleted", obj, {"repr": str(obj)})
        super().delete_queryset(request, queryset)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Logs are evidence: viewable, never added, changed or deleted from the console."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "tenant", "actor_label", "caller_name", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["actor_label", "action", "object_id", "request_id", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"
    fields = [
        "tenant",
        "created_at",
        "actor_user",
        "actor_api_key_id",
        "actor_label",
        "caller_name",
        "action",
        "object_type",
        "object_id",
        "changes",
        "request_id",
        "ip_address",
    ]
    readonly_fields = fields


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "tenant", "owner", "key", "status_code"]
    list_filter = ["status_code"]
    search_fields = ["key", "owner", "tenant__name"]
    list_select_related = ["tenant"]
    # The stored response may hold a secret shown once (e.g. a created API key): never displayed.
    fields = ["tenant", "created_at", "owner", "key", "fingerprint", "status_code"]
    readonly_fields = fields
