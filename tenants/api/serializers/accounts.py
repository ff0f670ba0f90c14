"""Serializers: linked accounts (the caller's tenants) and monthly active users."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenants.api.serializers.tenant import ExternalIdSerializer
from tenants.models import Membership
from tenants.roles import Role

MAU_HISTORY_MAX_MONTHS = 36


class LinkedAccountOutput(serializers.Serializer):
    """One tenant the caller belongs to (seed 000 linked accounts)."""

    id = serializers.UUIDField(source="tenant.id", help_text="The tenant's id (give it to POST /auth/switch-tenant).")
    name = serializers.CharField(source="tenant.name")
    slug = serializers.CharField(source="tenant.slug", help_text="The tenant's alias.")
    status = serializers.CharField(source="tenant.status")
    plan = serializers.CharField(source="tenant.plan")
    parent_id = serializers.UUIDField(source="tenant.parent_id", allow_null=True, help_text="The agency, if any.")
    role = serializers.ChoiceField(choices=Role.choices, help_text="The caller's role there.")
    external_user_id = serializers.CharField(allow_null=True, help_text="The caller's id in that tenant's system.")
    external_ids = serializers.SerializerMethodField(help_text="The tenant's ids on other platforms.")
    is_current = serializers.BooleanField(help_text="The tenant of the credential making this request.")
    is_usable = serializers.BooleanField(
        source="tenant.is_usable", help_text="Active and not expired: only usable tenants can be switched to."
    )
    joined_at = serializers.DateTimeField(source="created_at")

    @extend_schema_field(ExternalIdSerializer(many=True))
    def get_external_ids(self, membership: Membership) -> list[dict]:
        return [
            {"platform": row.platform, "external_id": row.external_id} for row in membership.tenant.external_ids.all()
        ]


class MauOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    active_users = serializers.IntegerField(help_text="Users who made an authenticated request that month.")
    limit = serializers.IntegerField(allow_null=True, help_text="The plan's monthly active user limit; null: none.")


class MauHistoryQueryInput(serializers.Serializer):
    months = serializers.IntegerField(
        required=False,
        default=12,
        min_value=1,
        max_value=MAU_HISTORY_MAX_MONTHS,
        help_text=f"How many months, ending with the current one (1-{MAU_HISTORY_MAX_MONTHS}; default 12).",
    )


class MauMonthOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    active_users = serializers.IntegerField()


class MauHistoryOutput(serializers.Serializer):
    months = MauMonthOutput(many=True, help_text="Oldest first; months without activity count 0.")
    limit = serializers.IntegerField(allow_null=True, help_text="The plan's monthly active user limit; null: none.")
