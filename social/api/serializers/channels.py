"""Channel API serializers. Tokens are never part of any output."""

from __future__ import annotations

from rest_framework import serializers

from core.audit import mask_secrets
from social.models import Channel, ChannelProduct
from social.models.channels import CONNECTABLE_NETWORKS, DIRECT_NETWORKS


class ChannelOutput(serializers.ModelSerializer):
    products = serializers.ListField(child=serializers.ChoiceField(choices=ChannelProduct.choices), read_only=True)
    team_ids = serializers.SerializerMethodField()
    connected_by = serializers.EmailField(source="connected_by.email", default=None, read_only=True)
    config = serializers.SerializerMethodField(help_text="Network settings (secrets masked).")

    class Meta:
        model = Channel
        fields = [
            "id",
            "network",
            "external_id",
            "name",
            "username",
            "image_url",
            "network_url",
            "products",
            "status",
            "status_reason",
            "token_expires_at",
            "scopes",
            "team_ids",
            "connected_by",
            "config",
            "last_synced_at",
            "disconnected_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_team_ids(self, channel: Channel) -> list[str]:
        # team_links is prefetched by the selector: no query per row.
        return sorted(str(link.team_id) for link in channel.team_links.all())

    def get_config(self, channel: Channel) -> dict:
        return mask_secrets(channel.config or {})


class ChannelCreateInput(serializers.Serializer):
    network = serializers.ChoiceField(choices=sorted(DIRECT_NETWORKS))
    name = serializers.CharField(max_length=255)
    external_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    username = serializers.CharField(max_length=255, required=False, allow_blank=True)
    image_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    config = serializers.DictField(required=False, help_text="custom: `endpointUrl` (https).")
    products = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelProduct.choices), max_length=2, required=False
    )
    team_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)


class ChannelUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    products = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelProduct.choices), max_length=2, required=False
    )
    team_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)


class ChannelCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    needs_attention = serializers.IntegerField()
    by_network = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())


class ConnectInput(serializers.Serializer):
    network = serializers.ChoiceField(choices=sorted(CONNECTABLE_NETWORKS))
    redirect_uri = serializers.URLField(max_length=2000)
    team_id = serializers.UUIDField(required=False, allow_null=True)
    choose = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Pick which of the grant's pages/organizations become channels (GET /channels/grants/{grantId}, "
        "then POST .../select) instead of connecting all of them.",
    )


class GrantAccountOutput(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField()
    username = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True)
    network_url = serializers.CharField(allow_blank=True)
    network = serializers.CharField()
    is_connected = serializers.BooleanField(help_text="Already a channel of this tenant (choosing it reconnects).")


class ConnectGrantOutput(serializers.Serializer):
    id = serializers.UUIDField()
    network = serializers.CharField()
    expires_at = serializers.DateTimeField()
    accounts = GrantAccountOutput(many=True)


class ConnectGrantChoiceInput(serializers.Serializer):
    external_ids = serializers.ListField(child=serializers.CharField(max_length=255), min_length=1, max_length=500)


class ReconnectInput(serializers.Serializer):
    redirect_uri = serializers.URLField(max_length=2000)


class ConnectOutput(serializers.Serializer):
    auth_url = serializers.CharField()
    state = serializers.CharField()
    expires_at = serializers.DateTimeField()


class WordPressConnectInput(serializers.Serializer):
    site_url = serializers.URLField(max_length=2000)
    username = serializers.CharField(max_length=255)
    application_password = serializers.CharField(max_length=255, write_only=True)
    team_id = serializers.UUIDField(required=False, allow_null=True)


class TeamChannelsInput(serializers.Serializer):
    channel_ids = serializers.ListField(child=serializers.UUIDField(), max_length=1000)


class ChannelPageOutput(serializers.Serializer):
    """A page of channels (the team channels endpoint, paginated like every list)."""

    results = ChannelOutput(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    has_more = serializers.BooleanField()


class ContentRulesOutput(serializers.Serializer):
    max_text_length = serializers.IntegerField()
    max_images = serializers.IntegerField()
    max_videos = serializers.IntegerField()
    allows_mixed_media = serializers.BooleanField()
    requires_media = serializers.BooleanField()
    requires_text_link_or_media = serializers.BooleanField()
    max_video_seconds = serializers.IntegerField(allow_null=True)
    supports_first_comment = serializers.BooleanField()
    supports_link_preview = serializers.BooleanField()
    allowed_post_types = serializers.ListField(child=serializers.CharField())
    image_mime_types = serializers.ListField(child=serializers.CharField())
    video_mime_types = serializers.ListField(child=serializers.CharField())
    min_aspect_ratio = serializers.FloatField(allow_null=True)
    max_aspect_ratio = serializers.FloatField(allow_null=True)


class LookupOutput(serializers.Serializer):
    id = serializers.CharField(help_text="What the post options take (boardId, locationId, productId, a mention).")
    name = serializers.CharField()
    image_url = serializers.CharField(allow_blank=True)
    extra = serializers.DictField(help_text="Network specifics: privacy, address, username, verified, catalogId...")


class NetworkOutput(serializers.Serializer):
    network = serializers.CharField()
    connect = serializers.ChoiceField(
        choices=["oauth", "applicationPassword", "direct"],
        help_text="oauth: POST /channels/connect; applicationPassword: POST /channels/connect/wordpress; "
        "direct: POST /channels.",
    )
    direct_create = serializers.BooleanField(help_text="POST /channels creates channels of this network.")
    configured = serializers.BooleanField(help_text="false: an operator must set `missingSettings` first.")
    missing_settings = serializers.ListField(child=serializers.CharField(), help_text="Environment variables.")
    capabilities = serializers.ListField(child=serializers.CharField())
    lookups = serializers.ListField(
        child=serializers.CharField(), help_text="Composer pickers: GET /channels/{id}/lookups/{kind}."
    )
    rules = ContentRulesOutput(allow_null=True, help_text="Content rules a post must meet (null: none checked).")


class TokenOwnerOutput(serializers.Serializer):
    user_id = serializers.UUIDField(allow_null=True, help_text="null: a grant made with an API key.")
    user_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    is_in_use = serializers.BooleanField(help_text="The channel acts with this owner's token.")
    is_valid = serializers.BooleanField(help_text="false: the network refused it; no fallback to it.")
    invalid_reason = serializers.CharField(allow_blank=True)
    token_expires_at = serializers.DateTimeField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    granted_at = serializers.DateTimeField()


class TokenOwnerRemovalOutput(serializers.Serializer):
    disconnected = serializers.BooleanField(help_text="true: that was the last owner; reconnect to use the channel.")
    message = serializers.CharField()
    channel = ChannelOutput()
    owners = TokenOwnerOutput(many=True)
