"""Serializers: API keys and the audit log."""

from __future__ import annotations

from rest_framework import serializers

from core.models import AuditLogEntry
from tenants.models import (
    ApiKey,
)
from tenants.roles import ApiKeyScope


class ApiKeyOutput(serializers.ModelSerializer):
    prefix = serializers.SerializerMethodField(
        help_text="The visible start of the key; the secret is never shown again."
    )
    is_active = serializers.BooleanField(source="is_usable", read_only=True)
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "is_active",
            "created_by",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_prefix(self, key: ApiKey) -> str:
        return f"hb_{key.prefix}_"


class ApiKeyWithSecretOutput(ApiKeyOutput):
    key = serializers.SerializerMethodField(help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, key: ApiKey) -> str:
        return self.context["raw_key"]


class ApiKeyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKeyScope.choices), min_length=1, max_length=len(ApiKeyScope.values)
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value):
        from django.utils import timezone

        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class AuditLogEntryOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    actor_user_id = serializers.UUIDField(read_only=True, allow_null=True)  # null: an API key or the platform acted

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "actor",
            "actor_user_id",
            "actor_api_key_id",
            "caller_name",
            "action",
            "object_type",
            "object_id",
            "changes",
            "request_id",
            "ip_address",
            "created_at",
        ]
        read_only_fields = fields
