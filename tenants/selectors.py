"""Reads for tenants, users, teams and API keys (querysets already scoped to the current tenant)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.models import AuditLogEntry
from tenants.models import ApiKey


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


def audit_log_entries() -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.order_by("-created_at", "-id")
