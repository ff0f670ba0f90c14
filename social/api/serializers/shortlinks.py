"""Short links: output and create serializers."""

from __future__ import annotations

from rest_framework import serializers

from core.api.inputs import UNKNOWN_ID_MESSAGE
from core.api.permissions import principal_of
from social.models import BitlyAccount, ShortLink
from social.services.shortlinks import post_exists_for


class ShortLinkOutput(serializers.ModelSerializer):
    url = serializers.CharField(source="target_url", read_only=True)
    short_url = serializers.CharField(read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ShortLink
        fields = [
            "id",
            "code",
            "short_url",
            "url",
            "title",
            "click_count",
            "last_clicked_at",
            "provider",
            "post_id",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ShortLinkCreateInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="The http(s) URL to shorten.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    post_id = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="A post of this tenant you can see (400 otherwise)."
    )

    def validate_post_id(self, value):
        # Another tenant's post and a missing one get the same answer, as every other reference does.
        if value is not None and not post_exists_for(principal_of(self.context["request"]), value):
            raise serializers.ValidationError(UNKNOWN_ID_MESSAGE.format(label="post", ids=value))
        return value


class BitlyAccountOutput(serializers.ModelSerializer):
    """The connection, never the token."""

    connected_by = serializers.UUIDField(source="connected_by_id", read_only=True, allow_null=True)

    class Meta:
        model = BitlyAccount
        fields = ["id", "group_guid", "connected_by", "created_at", "updated_at"]
        read_only_fields = fields


class BitlyAccountInput(serializers.Serializer):
    access_token = serializers.CharField(max_length=500, write_only=True, trim_whitespace=True)
    group_guid = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
