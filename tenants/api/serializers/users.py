"""Serializers: Users (members of the tenant)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenants.api.serializers.common import LOCALES, PERMISSION_CHOICES
from tenants.models import (
    Membership,
    TeamMember,
)
from tenants.roles import Role, permissions_for_role


class MemberOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="user_id", read_only=True, help_text="The user's id.")
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    locale = serializers.CharField(source="user.locale", read_only=True)
    timezone = serializers.CharField(source="user.timezone", read_only=True)
    avatar_url = serializers.CharField(source="user.avatar_url", read_only=True)
    has_totp = serializers.BooleanField(source="user.has_totp", read_only=True)
    last_login_at = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)
    team_ids = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "locale",
            "timezone",
            "avatar_url",
            "role",
            "custom_permissions",
            "permissions",
            "external_user_id",
            "team_ids",
            "has_totp",
            "is_active",
            "last_login_at",
            "joined_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_team_ids(self, membership: Membership) -> list[str]:
        rows = getattr(membership.user, "tenant_team_memberships", None)
        if rows is None:
            rows = TeamMember.objects.filter(user_id=membership.user_id).order_by("team_id")
        return [str(row.team_id) for row in rows]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permissions(self, membership: Membership) -> list[str]:
        return sorted(permissions_for_role(membership.role, membership.custom_permissions))


class CustomPermissionsInput(serializers.Serializer):
    add = serializers.ListField(child=serializers.ChoiceField(choices=PERMISSION_CHOICES), default=list)
    remove = serializers.ListField(child=serializers.ChoiceField(choices=PERMISSION_CHOICES), default=list)


class MemberInviteInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True)


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    custom_permissions = CustomPermissionsInput(required=False)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)
