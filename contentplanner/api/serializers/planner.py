"""Wire formats of client approval links, calendar feeds and CSV imports."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import serializers

from contentplanner.models import CalendarFeed, ExternalApproval, PostImport
from contentplanner.services.external_approval import DEFAULT_EXPIRY_HOURS, MAX_EXPIRY_HOURS
from tenants.roles import Role


class ApprovalStepInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        default=list,
        max_length=len(Role),
        help_text="Roles asked at this step (default: every member holding cp.post.approve).",
    )
    # A CharField, not a ChoiceField: the schema already names this choice set (the tenant's approvalPolicy).
    policy = serializers.CharField(required=False, default="any", help_text="any (default) or all.")

    def validate_policy(self, value: str) -> str:
        if value not in ("any", "all"):
            raise serializers.ValidationError("Must be any or all.")
        return value


def _roles_field(**kwargs) -> serializers.Field:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        allow_null=True,
        max_length=len(Role),
        **kwargs,
    )


# Tenant settings of the approval workflow (PATCH /tenant validates them with the other apps' settings).
APPROVAL_SETTINGS: dict[str, Callable[[], serializers.Field]] = {
    "approval_required": lambda: serializers.BooleanField(required=False, allow_null=True),
    "approval_policy": lambda: serializers.ChoiceField(choices=["any", "all"], required=False, allow_null=True),
    "approval_roles": _roles_field,
    "approval_required_roles": lambda: _roles_field(
        help_text="Authors with these roles need approval (default: every role without cp.post.approve)."
    ),
}


def approval_chain_field() -> serializers.Field:
    return serializers.ListField(
        child=ApprovalStepInput(),
        required=False,
        allow_null=True,
        max_length=5,
        help_text="Ordered approval steps (e.g. editor -> brand lead); each step's policy is any or all.",
    )


APPROVAL_SETTINGS["approval_chain"] = approval_chain_field


class ExternalApprovalInput(serializers.Serializer):
    emails = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=20)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    expires_in_hours = serializers.IntegerField(
        required=False, default=DEFAULT_EXPIRY_HOURS, min_value=1, max_value=MAX_EXPIRY_HOURS
    )


class ExternalApprovalOutput(serializers.ModelSerializer):
    state = serializers.CharField(help_text="PENDING, ACCEPTED, REJECTED or WITHDRAWN (superseded by an edit).")

    class Meta:
        model = ExternalApproval
        fields = ["id", "email", "message", "state", "comment", "round", "expires_at", "decided_at", "created_at"]
        read_only_fields = fields


class PublicMediaOutput(serializers.Serializer):
    url = serializers.CharField()
    alt_text = serializers.CharField()


class PublicApprovalOutput(serializers.Serializer):
    """What the client sees: the post's content, never ids of other objects or internal fields."""

    state = serializers.CharField(help_text="The link: PENDING, ACCEPTED, REJECTED or WITHDRAWN.")
    usable = serializers.BooleanField()
    problem = serializers.CharField(allow_blank=True, help_text="Why the link cannot be used (an error code), or ''.")
    expires_at = serializers.DateTimeField()
    message = serializers.CharField(allow_blank=True)
    workspace = serializers.CharField()
    channel_name = serializers.CharField()
    network = serializers.CharField()
    post_type = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    link_url = serializers.CharField(allow_blank=True)
    first_comment = serializers.CharField(allow_blank=True)
    publish_at = serializers.DateTimeField(allow_null=True)
    media = PublicMediaOutput(many=True)


class PublicDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CalendarFeedInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    team_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class CalendarFeedOutput(serializers.ModelSerializer):
    team_id = serializers.UUIDField(allow_null=True)
    owner_id = serializers.UUIDField()

    class Meta:
        model = CalendarFeed
        fields = ["id", "name", "owner_id", "team_id", "last_read_at", "created_at"]
        read_only_fields = fields


class CalendarFeedCreatedOutput(CalendarFeedOutput):
    url = serializers.CharField(help_text="The secret feed URL (text/calendar). Shown once: store it now.")

    class Meta(CalendarFeedOutput.Meta):
        fields = [*CalendarFeedOutput.Meta.fields, "url"]
        read_only_fields = fields


class PostImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV with a header row; at most 1000 rows and 2 MB.")
    partial = serializers.BooleanField(
        required=False, default=False, help_text="Create the valid rows even when others have errors."
    )


class ImportRowOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="The line number in the file (the header is line 1).")
    status = serializers.CharField(help_text="created, invalid, or valid (a failed job: it would have been created).")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    post_id = serializers.UUIDField(allow_null=True)


class PostImportOutput(serializers.ModelSerializer):
    rows = ImportRowOutput(many=True)
    state = serializers.CharField(help_text="pending, succeeded, or failed (nothing was created).")

    class Meta:
        model = PostImport
        fields = [
            "id",
            "state",
            "file_name",
            "partial",
            "total_rows",
            "created_count",
            "error_count",
            "error_message",
            "rows",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ChangeChannelInput(serializers.Serializer):
    channel_id = serializers.UUIDField()


class AddChannelsInput(serializers.Serializer):
    channel_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=50)


class CopyToSiblingsInput(serializers.Serializer):
    fields = serializers.ListField(
        child=serializers.CharField(),
        min_length=1,
        max_length=20,
        help_text="snake_case or camelCase names among text, title, linkUrl, linkTitle, linkDescription, "
        "linkImageUrl, firstComment, postType, media, tags, campaign, publishAt.",
    )
    post_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=50, help_text="Sibling posts (same group)."
    )


class MarkPublishedInput(serializers.Serializer):
    network_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=2000)


class LinkPreviewInput(serializers.Serializer):
    url = serializers.URLField(max_length=2000)


class LinkPreviewOutput(serializers.Serializer):
    url = serializers.CharField()
    final_url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True)
    site_name = serializers.CharField(allow_blank=True)
