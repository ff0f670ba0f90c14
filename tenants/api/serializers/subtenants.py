"""Serializers: Sub-tenants (agency -> clients)."""

from __future__ import annotations

from rest_framework import serializers

from tenants.api.serializers.common import LOCALES
from tenants.api.serializers.tenant import ExternalIdsField, SlugField
from tenants.models import (
    TenantStatus,
    validate_timezone,
)


class SubTenantCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.SlugField(
        max_length=20,
        required=False,
        help_text="Only the parent's plan (403 `PLAN_READ_ONLY`).",
    )
    status = serializers.ChoiceField(
        choices=TenantStatus.choices,
        default=TenantStatus.ACTIVE,
        help_text="`active` or `pending` (disabled until `POST .../enable`).",
    )
    external_ids = ExternalIdsField(required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_status(self, value):
        if value not in {TenantStatus.ACTIVE, TenantStatus.PENDING}:
            raise serializers.ValidationError("A new tenant is active or pending.")
        return value


class SubTenantUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.SlugField(
        max_length=20,
        required=False,
        help_text="Read-only (403 `PLAN_READ_ONLY`).",
    )
    status = serializers.ChoiceField(
        choices=TenantStatus.choices,
        required=False,
        help_text="`active` or `suspended`; archive with DELETE, re-enable with POST .../enable.",
    )
    external_ids = ExternalIdsField(required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_status(self, value):
        if value not in {TenantStatus.ACTIVE, TenantStatus.SUSPENDED}:
            raise serializers.ValidationError("Set active or suspended here; archive with DELETE.")
        return value
