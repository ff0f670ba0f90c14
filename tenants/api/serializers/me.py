"""Serializers: The current user (/me)."""

from __future__ import annotations

from rest_framework import serializers

from tenants.api.serializers.common import LOCALES
from tenants.models import (
    Tenant,
    User,
    validate_timezone,
)
from tenants.roles import Role


class UserProfileOutput(serializers.ModelSerializer):
    has_totp = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "locale", "timezone", "avatar_url", "has_totp"]
        read_only_fields = fields


class TenantSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "status", "plan"]
        read_only_fields = fields


class MembershipSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField(source="tenant.id", help_text="The tenant's id.")
    name = serializers.CharField(source="tenant.name")
    slug = serializers.CharField(source="tenant.slug")
    status = serializers.CharField(source="tenant.status")
    role = serializers.ChoiceField(choices=Role.choices)


class ImpersonationOutput(serializers.Serializer):
    impersonator_email = serializers.EmailField(allow_null=True)
    read_only = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class MeOutput(serializers.Serializer):
    user = UserProfileOutput(allow_null=True, help_text="Null for API-key credentials.")
    impersonation = ImpersonationOutput(
        allow_null=True, help_text="Set when platform staff act as this user (the token claim `imp`)."
    )
    tenant = TenantSummaryOutput()
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    memberships = MembershipSummaryOutput(many=True, help_text="Every tenant the user belongs to.")
    permissions = serializers.ListField(child=serializers.CharField(), help_text="Effective permissions, sorted.")


class MeUpdateInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    avatar_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
