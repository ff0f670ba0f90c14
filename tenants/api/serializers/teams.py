"""Serializers: Teams, their members, and per-item batch results."""

from __future__ import annotations

from rest_framework import serializers

from tenants.api.serializers.common import MAX_BATCH
from tenants.models import (
    Team,
    TeamMember,
    TeamRole,
)


class TeamOutput(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "is_default", "member_count", "created_at", "updated_at"]
        read_only_fields = fields


class TeamCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("May not be blank.")
        return value.strip()


class TeamUpdateInput(TeamCreateInput):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TeamMemberOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    external_user_id = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "user_id",
            "email",
            "first_name",
            "last_name",
            "external_user_id",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TeamMemberBriefOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "user_id", "role", "created_at", "updated_at"]
        read_only_fields = fields


class TeamMemberItemInput(serializers.Serializer):
    user_id = serializers.UUIDField(required=False, allow_null=True)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True)
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)

    def validate(self, attrs):
        given = [name for name in ("user_id", "external_user_id") if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of userId or externalUserId.")
        return {name: attrs[name] for name in (*given, "role")}


class TeamMembersAddInput(serializers.Serializer):
    members = serializers.ListField(child=TeamMemberItemInput(), min_length=1, max_length=MAX_BATCH)


class TeamMembersRemoveInput(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=MAX_BATCH)
    external_user_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list, max_length=MAX_BATCH
    )

    def validate(self, attrs):
        if not attrs["user_ids"] and not attrs["external_user_ids"]:
            raise serializers.ValidationError("Give userIds or externalUserIds.")
        return attrs


class BatchSuccessOutput(serializers.Serializer):
    input = serializers.DictField(help_text="The item as sent.")
    team_member = TeamMemberBriefOutput()


class BatchFailureOutput(serializers.Serializer):
    input = serializers.DictField(help_text="The item as sent.")
    code = serializers.CharField(help_text="NOT_A_MEMBER, ALREADY_IN_TEAM, NOT_IN_TEAM, DUPLICATE_IN_REQUEST")
    reason = serializers.CharField()


class BatchSummaryOutput(serializers.Serializer):
    total = serializers.IntegerField()
    successful = serializers.IntegerField()
    failed = serializers.IntegerField()


class BatchResultOutput(serializers.Serializer):
    successful = BatchSuccessOutput(many=True)
    failed = BatchFailureOutput(many=True)
    summary = BatchSummaryOutput()
