"""Serializers: The current tenant: settings, theme, usage, external ids."""

from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import extensions
from tenants.api.serializers.common import LOCALES
from tenants.models import (
    Tenant,
    validate_timezone,
)
from tenants.roles import Role


class ExternalIdSerializer(serializers.Serializer):
    platform = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64)
    external_id = serializers.CharField(max_length=255)


def external_ids_to_map(items: list[dict]) -> dict[str, str]:
    platforms = [item["platform"] for item in items]
    if len(platforms) != len(set(platforms)):
        raise serializers.ValidationError("One id per platform.")
    return {item["platform"]: item["external_id"] for item in items}


class ExternalIdsField(serializers.ListField):
    """`[{platform, externalId}]` on the wire, a platform -> id map inside."""

    child = ExternalIdSerializer()

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return external_ids_to_map(super().to_internal_value(data))


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


class SlugField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault(
            "error_messages", {"invalid": "Lower-case letters, digits and inner hyphens only (URL-safe)."}
        )
        super().__init__(SLUG_PATTERN, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class TenantSettingsInput(serializers.Serializer):
    """Known tenant settings; unknown keys are refused (a typo must not be stored silently). `null` unsets a key."""

    default_role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_null=True,
        help_text="Role of users provisioned by token exchange (not OWNER).",
    )

    provision_max_role = serializers.ChoiceField(
        choices=[role for role in Role.choices if role[0] != Role.OWNER],
        required=False,
        allow_null=True,
        help_text=(
            "The broadest role token exchange may provision (default EDITOR): a requested role granting anything "
            "this role does not is refused with 403 `EXCHANGE_ROLE_FORBIDDEN`."
        ),
    )

    def validate_default_role(self, value):
        if value == Role.OWNER:
            raise serializers.ValidationError("Provisioned users cannot be owners.")
        return value

    def get_fields(self) -> dict[str, serializers.Field]:
        # Other apps' settings (core.extensions.register_tenant_setting, from their AppConfig.ready()).
        return {**super().get_fields(), **extensions.tenant_setting_fields()}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown setting."] for name in unknown})
        return super().to_internal_value(data)


class TenantOutput(serializers.ModelSerializer):
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    features = serializers.DictField(child=serializers.BooleanField(), read_only=True)
    limits = serializers.DictField(child=serializers.IntegerField(allow_null=True), read_only=True)
    settings = serializers.DictField(read_only=True)
    external_ids = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "id",
            "name",
            "slug",
            "status",
            "parent_id",
            "timezone",
            "locale",
            "plan",
            "features",
            "limits",
            "settings",
            "external_ids",
            "expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ExternalIdSerializer(many=True))
    def get_external_ids(self, tenant: Tenant) -> list[dict]:
        return [{"platform": row.platform, "external_id": row.external_id} for row in tenant.external_ids.all()]


class TenantUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.SlugField(
        max_length=20,
        required=False,
        help_text="Read-only: only the current value is accepted (403 `PLAN_READ_ONLY`); staff or billing change it.",
    )
    settings = TenantSettingsInput(required=False)
    external_ids = ExternalIdsField(required=False)


HEX_COLOUR = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"


def _colour(help_text: str):
    return serializers.RegexField(
        HEX_COLOUR,
        required=False,
        allow_null=True,
        help_text=help_text,
        error_messages={"invalid": "A hex colour such as #1a2b3c."},
    )


class ThemeSerializer(serializers.Serializer):
    """Seed 000 entity theme: colours (hex) and image URLs. PUT replaces the whole theme."""

    primary_color = _colour("Main brand colour.")
    secondary_color = _colour("Secondary brand colour.")
    accent_color = _colour("Highlights, links.")
    background_color = _colour("Page background.")
    text_color = _colour("Body text.")
    logo_url = serializers.URLField(max_length=1000, required=False, allow_null=True)
    banner_url = serializers.URLField(max_length=1000, required=False, allow_null=True)
    favicon_url = serializers.URLField(max_length=1000, required=False, allow_null=True)

    def to_representation(self, theme: dict):
        return {name: theme.get(name) for name in self.fields}


class UsageItemOutput(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="Null: unlimited.")


class UsageOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    channels = UsageItemOutput(help_text="Channels not disconnected (what the channel limit counts).")
    users = UsageItemOutput(help_text="Active members.")
    storage_bytes = UsageItemOutput()
    monitoring_results = UsageItemOutput(help_text="Listening results of the month (0 without the inbox app).")
    monthly_active_users = UsageItemOutput()


class PlanOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price_label = serializers.CharField()
    is_public = serializers.BooleanField()
    current = serializers.BooleanField(help_text="The caller's tenant is on this plan.")
    limits = serializers.DictField(child=serializers.IntegerField(allow_null=True), help_text="Null: unlimited.")
    features = serializers.DictField(child=serializers.BooleanField())


class UsageQueryInput(serializers.Serializer):
    month = serializers.CharField(
        required=False, allow_blank=True, help_text="YYYY-MM; default: the current month (UTC)."
    )

    def validate_month(self, value: str) -> datetime.date | None:
        if not value:
            return None
        try:
            return datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise serializers.ValidationError("Use the format YYYY-MM.") from None
