"""Content planner wire formats: separate input and output serializers, explicit fields (camelCase on the wire)."""

from __future__ import annotations

from rest_framework import serializers

from contentplanner.models import (
    ApprovalRequest,
    Campaign,
    FeedItem,
    Post,
    PostGroup,
    PostType,
    PublishAttempt,
    Tag,
    color_validator,
)


# --- output --------------------------------------------------------------------------------------------------------
class TagOutput(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color", "created_at", "updated_at"]
        read_only_fields = fields


class CampaignOutput(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "color", "starts_on", "ends_on", "created_at", "updated_at"]
        read_only_fields = fields


class LinkOutput(serializers.Serializer):
    url = serializers.CharField(source="link_url")
    title = serializers.CharField(source="link_title")
    description = serializers.CharField(source="link_description")
    image_url = serializers.CharField(source="link_image_url")


class MediaItemOutput(serializers.Serializer):
    media_id = serializers.UUIDField()
    position = serializers.IntegerField()
    alt_text = serializers.CharField()
    kind = serializers.CharField(source="media.kind")
    mime_type = serializers.CharField(source="media.mime_type")
    name = serializers.CharField(source="media.name")


class ChannelSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    network = serializers.CharField()


class PostOutput(serializers.ModelSerializer):
    group_id = serializers.UUIDField(allow_null=True)
    channel_id = serializers.UUIDField()
    channel = ChannelSummaryOutput()
    type = serializers.CharField(source="post_type")
    link = LinkOutput(source="*")
    media = MediaItemOutput(source="media_items", many=True)
    campaign_id = serializers.UUIDField(allow_null=True)
    tags = TagOutput(many=True)
    author_id = serializers.UUIDField(allow_null=True)
    assignee_id = serializers.UUIDField(allow_null=True)
    warnings = serializers.ListField(child=serializers.DictField(), help_text="Content rule violations (not errors).")

    class Meta:
        model = Post
        fields = [
            "id",
            "group_id",
            "channel_id",
            "channel",
            "state",
            "type",
            "text",
            "title",
            "link",
            "first_comment",
            "network_options",
            "media",
            "is_customized",
            "publish_at",
            "publish_timezone",
            "campaign_id",
            "tags",
            "author_id",
            "assignee_id",
            "needs_attention",
            "first_comment_failed",
            "imported",
            "remote_id",
            "network_url",
            "published_at",
            "error_code",
            "error_message",
            "attempt_count",
            "next_attempt_at",
            "approved_at",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PostGroupOutput(serializers.ModelSerializer):
    type = serializers.CharField(source="post_type")
    link = LinkOutput(source="*")
    media = MediaItemOutput(source="media_items", many=True)
    campaign_id = serializers.UUIDField(allow_null=True)
    tags = TagOutput(many=True)
    author_id = serializers.UUIDField(allow_null=True)
    assignee_id = serializers.UUIDField(allow_null=True)
    posts = PostOutput(many=True, help_text="The group's posts on channels the caller can see.")

    class Meta:
        model = PostGroup
        fields = [
            "id",
            "type",
            "text",
            "title",
            "link",
            "first_comment",
            "network_options",
            "media",
            "publish_at",
            "publish_timezone",
            "campaign_id",
            "tags",
            "is_working_draft",
            "author_id",
            "assignee_id",
            "posts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApprovalRequestOutput(serializers.ModelSerializer):
    approver_id = serializers.UUIDField()
    state = serializers.CharField(help_text="PENDING, ACCEPTED or REJECTED.")
    approver_email = serializers.EmailField(source="approver.email")

    class Meta:
        model = ApprovalRequest
        fields = ["id", "approver_id", "approver_email", "state", "comment", "decided_at", "round", "created_at"]
        read_only_fields = fields


class PublishAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = PublishAttempt
        fields = [
            "id",
            "number",
            "started_at",
            "finished_at",
            "outcome",
            "error_code",
            "error_message",
            "network_status_code",
            "network_request_id",
            "latency_ms",
        ]
        read_only_fields = fields


class FeedItemOutput(serializers.ModelSerializer):
    type = serializers.CharField(help_text="COMMENT, HISTORY or SYSTEMMESSAGE.")
    actor_id = serializers.UUIDField(allow_null=True)
    actor_email = serializers.EmailField(source="actor.email", default=None, allow_null=True)

    class Meta:
        model = FeedItem
        fields = ["id", "type", "key", "message", "actor_id", "actor_email", "data", "created_at"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------------------------------------
class LinkInput(serializers.Serializer):
    url = serializers.URLField(max_length=2000, allow_blank=True, required=False)
    title = serializers.CharField(max_length=300, allow_blank=True, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    image_url = serializers.URLField(max_length=2000, allow_blank=True, required=False)


class MediaRefInput(serializers.Serializer):
    media_id = serializers.UUIDField()
    alt_text = serializers.CharField(max_length=1500, allow_blank=True, required=False, default="")


class ContentInput(serializers.Serializer):
    """Fields shared by post and group input. Media: `media` [{mediaId, altText}] in order, or `mediaIds`."""

    text = serializers.CharField(allow_blank=True, required=False, max_length=100_000, trim_whitespace=False)
    title = serializers.CharField(allow_blank=True, required=False, max_length=300)
    type = serializers.ChoiceField(choices=PostType.choices, required=False)
    link = LinkInput(required=False, allow_null=True)
    first_comment = serializers.CharField(allow_blank=True, required=False, max_length=10_000)
    network_options = serializers.DictField(required=False)
    media = MediaRefInput(many=True, required=False)
    media_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    campaign_id = serializers.UUIDField(required=False, allow_null=True)
    tag_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    assignee_id = serializers.UUIDField(required=False, allow_null=True)
    publish_at = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="ISO 8601 with offset, or a naive local time read in publishTimezone (tenant zone by default). "
        "A local time in a DST gap is refused (NONEXISTENT_LOCAL_TIME); an ambiguous one takes its first occurrence.",
    )
    publish_timezone = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def validate(self, attrs):
        if "media" in attrs and "media_ids" in attrs:
            raise serializers.ValidationError({"media": ["Send either media or mediaIds, not both."]})
        if "media_ids" in attrs:
            attrs["media"] = [{"media_id": mid, "alt_text": ""} for mid in attrs.pop("media_ids")]
        media_ids = [item["media_id"] for item in attrs.get("media", [])]
        if len(set(media_ids)) != len(media_ids):
            raise serializers.ValidationError({"media": ["A media item appears twice."]})
        return attrs


class PostCreateInput(ContentInput):
    channel_id = serializers.UUIDField()


class PostUpdateInput(ContentInput):
    pass


class GroupCreateInput(ContentInput):
    channel_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=100)
    working_draft = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Open the caller's working draft: its posts are preDraft, seen by the caller only, until it is "
        "saved as a draft, scheduled, published or discarded. One per member (409 WORKING_DRAFT_EXISTS).",
    )
    network_options = serializers.DictField(child=serializers.DictField(), required=False, help_text="Per network.")

    def validate_channel_ids(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A channel appears twice.")
        return value


class GroupUpdateInput(ContentInput):
    network_options = serializers.DictField(child=serializers.DictField(), required=False, help_text="Per network.")


class ScheduleInput(serializers.Serializer):
    publish_at = serializers.CharField(required=False, help_text="As on create; default: the post's publish time.")
    publish_timezone = serializers.CharField(required=False, allow_blank=True, max_length=64)


class DecisionInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RejectInput(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, help_text="The reason (required).")


class DuplicateInput(serializers.Serializer):
    channel_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)


class CommentInput(serializers.Serializer):
    message = serializers.CharField(max_length=10_000)
    mentions = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, default=list, help_text="User ids or emails."
    )


class CampaignInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    color = serializers.CharField(max_length=6, allow_blank=True, required=False, validators=[color_validator])
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        starts, ends = attrs.get("starts_on"), attrs.get("ends_on")
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": ["Must be on or after startsOn."]})
        return attrs


class TagInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.CharField(max_length=6, allow_blank=True, required=False, validators=[color_validator])
