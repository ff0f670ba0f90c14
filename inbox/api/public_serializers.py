"""Shapes of the public ticket API (seed 004 `public`) and of the credentials that open it."""

from __future__ import annotations

from rest_framework import serializers

from inbox.models import Ticket
from inbox.services.public_api import INTERACTION_TYPES

# Seed 004's item id pattern (rootId and networkItemId of a pushed interaction).
ITEM_ID_PATTERN = r"^[a-zA-Z0-9/|@&$!?\\()\[\]{}+*~,;.:=_-]{6,256}$"
REPLY_ITEM_ID_PATTERN = r"^[a-zA-Z0-9/_-]{6,256}$"
TYPES = sorted(INTERACTION_TYPES)


class RootInput(serializers.Serializer):
    root_id = serializers.RegexField(ITEM_ID_PATTERN, help_text="The item this one answers (its thread).")


class PictureInput(serializers.Serializer):
    small = serializers.URLField(max_length=2000)
    large = serializers.URLField(max_length=2000, required=False)


class AttachmentInput(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    size = serializers.IntegerField(min_value=0, required=False)
    name = serializers.CharField(max_length=255, required=False)
    mime_type = serializers.CharField(max_length=100, required=False)


class InteractorInput(serializers.Serializer):
    interactor_id = serializers.CharField(min_length=3, max_length=255)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    url = serializers.URLField(max_length=2000, required=False)
    picture = serializers.URLField(max_length=2000, required=False)


class InteractorUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    url = serializers.URLField(max_length=2000, required=False)
    picture = serializers.URLField(max_length=2000, required=False)


class RatingInput(serializers.Serializer):
    value = serializers.FloatField(min_value=0)
    scale = serializers.IntegerField(min_value=0, max_value=100, required=False)


class MediaFields(serializers.Serializer):
    message = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    url = serializers.URLField(max_length=2000, required=False)
    link = serializers.URLField(max_length=2000, required=False)
    pictures = PictureInput(many=True, required=False, max_length=20)
    attachments = AttachmentInput(many=True, required=False, max_length=20)
    rating = RatingInput(required=False)


class InteractionInput(MediaFields):
    network_item_id = serializers.RegexField(ITEM_ID_PATTERN, help_text="Your id of the item: the dedupe key.")
    type = serializers.ChoiceField(choices=TYPES, required=False, help_text="Default `TICKET` (a conversation).")
    root = RootInput(required=False)
    created_time = serializers.DateTimeField(required=False)
    interactor = InteractorInput(required=False)


class PublicTicketInput(serializers.Serializer):
    interaction = InteractionInput()


class InteractionUpdateInput(MediaFields):
    updated_time = serializers.DateTimeField(required=False)
    interactor = InteractorUpdateInput(required=False)


class PublicTicketUpdateInput(serializers.Serializer):
    interaction = InteractionUpdateInput()


class ReplySuccessInteractionInput(serializers.Serializer):
    network_item_id = serializers.RegexField(REPLY_ITEM_ID_PATTERN, help_text="The id the reply got on your side.")
    type = serializers.ChoiceField(choices=TYPES, required=False)
    url = serializers.URLField(max_length=2000, required=False)
    created_time = serializers.DateTimeField(required=False)


class ReplySuccessInput(serializers.Serializer):
    interaction = ReplySuccessInteractionInput()


class PublicTicketOutput(serializers.ModelSerializer):
    """A ticket as its integrator sees it (no assignment or internal state of the care team)."""

    parent_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "type",
            "network_item_id",
            "parent_id",
            "parent_network_item_id",
            "root_network_item_id",
            "text",
            "attachments",
            "url",
            "rating",
            "status",
            "is_own",
            "is_edited",
            "network_created_at",
            "network_updated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomChannelCredentialOutput(serializers.Serializer):
    channel_id = serializers.UUIDField()
    token = serializers.CharField(help_text="`Authorization: Bearer <token>` on /api/v1/public/inbox/*. Shown once.")
    token_prefix = serializers.CharField()
    webhook_secret = serializers.CharField(
        help_text="Standard Webhooks secret (`whsec_...`) signing the replies sent to the channel's endpointUrl. "
        "Shown once."
    )
    webhook_url = serializers.CharField(help_text="The channel's `config.endpointUrl`.")
