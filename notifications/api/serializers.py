"""Input and output shapes of the notifications API (camelCase on the wire, snake_case here)."""

from __future__ import annotations

from typing import Any

from djangorestframework_camel_case.util import camelize
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core import extensions
from notifications import webhook_events
from notifications.models import Channel, ChatNetwork, MessageStatus
from notifications.providers import x_dm
from notifications.services.subscribers import BULK_LIMIT

JSON_OBJECT = {"type": "object", "additionalProperties": True}


def camel(name: str) -> str:
    return next(iter(camelize({name: None})))


@extend_schema_field({"type": "array", "items": JSON_OBJECT})
class JsonListField(serializers.JSONField):
    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Must be a list.")
        return super().to_internal_value(data)


@extend_schema_field(JSON_OBJECT)
class JsonObjectField(serializers.JSONField):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        return super().to_internal_value(data)


# --- providers and integrations ------------------------------------------------------------------------------------
class CredentialFieldOutput(serializers.Serializer):
    key = serializers.SerializerMethodField()
    label = serializers.CharField()
    secret = serializers.BooleanField(source="is_secret")
    required = serializers.BooleanField(source="is_required")

    def get_key(self, field) -> str:
        return camel(field.key)


class ProviderOutput(serializers.Serializer):
    id = serializers.CharField()
    channel = serializers.CharField()
    display_name = serializers.CharField()
    credentials = CredentialFieldOutput(many=True, source="credential_fields")


class IntegrationInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    provider_id = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    identifier = serializers.SlugField(max_length=100)
    credentials = JsonObjectField(required=False, write_only=True)
    active = serializers.BooleanField(required=False, default=False, source="is_active")
    primary = serializers.BooleanField(required=False, default=False, source="is_primary")
    conditions = JsonListField(required=False, default=list)


class IntegrationUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    identifier = serializers.SlugField(max_length=100, required=False)
    credentials = JsonObjectField(required=False, write_only=True)
    active = serializers.BooleanField(required=False, source="is_active")
    primary = serializers.BooleanField(required=False, source="is_primary")
    conditions = JsonListField(required=False)


class IntegrationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    channel = serializers.CharField()
    provider_id = serializers.CharField()
    name = serializers.CharField()
    identifier = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    primary = serializers.BooleanField(source="is_primary")
    conditions = serializers.JSONField()
    credentials_set = serializers.SerializerMethodField(help_text="Names of the credentials stored (never values).")
    failure_count = serializers.IntegerField()
    circuit_open_until = serializers.DateTimeField(allow_null=True)
    last_checked_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_credentials_set(self, integration) -> list[str]:
        return sorted(camel(k) for k in integration.credentials)


class ChatConnectionInput(serializers.Serializer):
    """What every network's connection has (the view validates this first, then the network's own shape)."""

    network = serializers.ChoiceField(choices=ChatNetwork.choices)
    name = serializers.CharField(max_length=100, help_text="The target's name here, e.g. `#marketing`.")


class WebhookChatConnectionInput(ChatConnectionInput):
    """Slack, Discord: the channel's incoming webhook."""

    network = serializers.ChoiceField(choices=[ChatNetwork.SLACK.value, ChatNetwork.DISCORD.value])
    webhook_url = serializers.CharField(
        max_length=500,
        write_only=True,
        help_text="The channel's incoming webhook: https://hooks.slack.com/services/... or "
        "https://discord.com/api/webhooks/{id}/{token}. Stored encrypted, never shown again.",
    )


class XChatConnectionInput(ChatConnectionInput):
    """X: DMs from one of the workspace's connected X channels to one X user."""

    network = serializers.ChoiceField(choices=[ChatNetwork.X.value])
    channel_id = serializers.UUIDField(
        help_text="One of this workspace's connected X channels (`/api/v1/channels/`), granted dm.write: it sends "
        "the DMs."
    )
    recipient_id = serializers.RegexField(
        rf"^(?:{x_dm.RECIPIENT_ID}|@[A-Za-z0-9_]{{1,15}})$",
        help_text="The recipient (who must accept DMs from the channel): a numeric X user id, or an @username, "
        "looked up once through the channel and stored as its id.",
    )


CHAT_CONNECTION_INPUTS: dict[str, type[ChatConnectionInput]] = {
    ChatNetwork.SLACK.value: WebhookChatConnectionInput,
    ChatNetwork.DISCORD.value: WebhookChatConnectionInput,
    ChatNetwork.X.value: XChatConnectionInput,
}
CHAT_CONNECTION_INPUT_SCHEMA = PolymorphicProxySerializer(
    component_name="ChatConnectionInput",
    serializers=CHAT_CONNECTION_INPUTS,
    resource_type_field_name="network",
)


class ChatConnectionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    network = serializers.CharField()
    name = serializers.CharField()
    subscriber_id = serializers.CharField(
        source="subscriber.subscriber_id",
        help_text="Trigger a workflow with a chat step `to` this subscriber (or add it to a topic) to post here.",
    )
    webhook_url_hint = serializers.CharField(
        help_text="Slack, Discord: scheme, host and first path segment of the URL; empty for X."
    )
    x_channel_id = serializers.UUIDField(allow_null=True, help_text="X: the channel that sends the DMs.")
    x_recipient_id = serializers.CharField(help_text="X: the recipient's X user id; empty for Slack, Discord.")
    connected_by = serializers.EmailField(source="connected_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class ExplainInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    subscriber_id = serializers.CharField(required=False, allow_blank=True, default="")
    payload = JsonObjectField(required=False, default=dict)


class ExplainCandidateOutput(serializers.Serializer):
    integration = IntegrationOutput()
    eligible = serializers.BooleanField()
    reason = serializers.CharField()
    trace = serializers.ListField(child=JsonObjectField())


class ExplainOutput(serializers.Serializer):
    selected = IntegrationOutput(allow_null=True)
    candidates = ExplainCandidateOutput(many=True)


# --- subscribers and topics ----------------------------------------------------------------------------------------
class SubscriberFields(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[0-9]{6,20}$", required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    avatar = serializers.URLField(max_length=500, required=False, allow_blank=True)
    locale = serializers.CharField(max_length=20, required=False, allow_blank=True)
    data = JsonObjectField(required=False)


class SubscriberInput(SubscriberFields):
    subscriber_id = serializers.CharField(max_length=200)


class SubscriberUpdateInput(SubscriberFields):
    online = serializers.BooleanField(required=False, source="is_online")


class BulkSubscriberInput(serializers.Serializer):
    subscribers = SubscriberInput(many=True, allow_empty=False, max_length=BULK_LIMIT)


class BulkItemOutput(serializers.Serializer):
    subscriber_id = serializers.CharField()
    message = serializers.CharField(required=False)


class BulkSubscriberOutput(serializers.Serializer):
    created = BulkItemOutput(many=True)
    updated = BulkItemOutput(many=True)
    failed = BulkItemOutput(many=True)


class SubscriberOutput(serializers.Serializer):
    id = serializers.UUIDField()
    subscriber_id = serializers.CharField()
    user_id = serializers.UUIDField(allow_null=True)
    email = serializers.CharField()
    phone = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    avatar = serializers.CharField()
    locale = serializers.CharField()
    data = serializers.JSONField()
    online = serializers.BooleanField(source="is_online")
    last_online_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CredentialsInput(serializers.Serializer):
    provider_id = serializers.CharField(max_length=40)
    credentials = JsonObjectField(
        help_text="`deviceTokens` (fcm, apns), `webhookUrl` (slack, discord, msteams), `subscriptions` (webpush), "
        "`channelId` and `recipientId` (x: a DM from that connected X channel of the workspace to that X user id)."
    )


class CredentialsOutput(serializers.Serializer):
    provider_id = serializers.CharField()
    keys = serializers.SerializerMethodField(help_text="Names of the stored credentials (never values).")

    def get_keys(self, row) -> list[str]:
        return sorted(camel(k) for k in row.credentials)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "boolean"}})
class ChannelSwitchesField(serializers.DictField):
    child = serializers.BooleanField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = set(value) - set(Channel.values)
        if unknown:
            raise serializers.ValidationError(f"Unknown channel: {', '.join(sorted(unknown))}.")
        return value


class PreferenceInput(serializers.Serializer):
    workflow_id = serializers.CharField(required=False, allow_null=True, default=None, help_text="Omit: global.")
    channels = ChannelSwitchesField()


class PreferenceOutput(serializers.Serializer):
    workflow_id = serializers.CharField(allow_null=True)
    channels = serializers.DictField(child=serializers.BooleanField())
    critical = serializers.BooleanField()


class TopicInput(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TopicUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)


class TopicOutput(serializers.Serializer):
    id = serializers.UUIDField()
    key = serializers.CharField()
    name = serializers.CharField()
    subscriber_count = serializers.IntegerField(required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TopicMembersInput(serializers.Serializer):
    subscribers = serializers.ListField(
        child=serializers.CharField(max_length=200), allow_empty=False, max_length=10000
    )


class TopicMembersOutput(serializers.Serializer):
    changed = serializers.IntegerField()


# --- workflows -----------------------------------------------------------------------------------------------------
class WorkflowInput(serializers.Serializer):
    identifier = serializers.RegexField(r"^[a-z0-9][a-z0-9_.\-]*$", max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    group_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    active = serializers.BooleanField(required=False, default=True, source="is_active")
    critical = serializers.BooleanField(required=False, default=False, source="is_critical")
    steps = JsonListField(
        help_text="Ordered steps: {type: in_app|email|sms|chat|push|delay|digest, subject, body, html, conditions, "
        "actions: [{key, label, url}], amount, unit (seconds|minutes|hours|days), digestKey, feedIdentifier}."
    )
    preference_settings = ChannelSwitchesField(required=False, default=dict)


class WorkflowOutput(serializers.Serializer):
    id = serializers.UUIDField()
    identifier = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    group_id = serializers.UUIDField(allow_null=True)
    active = serializers.BooleanField(source="is_active")
    critical = serializers.BooleanField(source="is_critical")
    steps = serializers.JSONField()
    preference_settings = serializers.JSONField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WorkflowGroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class WorkflowGroupOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- triggers, messages, feed --------------------------------------------------------------------------------------
class TriggerInput(serializers.Serializer):
    workflow_id = serializers.CharField(max_length=100, help_text="The workflow's identifier.")
    to = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="Subscriber ids, or subscriber objects ({subscriberId, email, ...}) created or updated inline.",
    )
    topic_key = serializers.ListField(child=serializers.SlugField(), required=False, default=list, max_length=20)
    payload = JsonObjectField(required=False, default=dict)
    transaction_id = serializers.CharField(max_length=200, required=False)

    def validate(self, attrs):
        if not attrs["to"] and not attrs["topic_key"]:
            raise serializers.ValidationError({"to": ["Name subscribers in `to` or topics in `topicKey`."]})
        return attrs


class TriggerOutput(serializers.Serializer):
    acknowledged = serializers.BooleanField()
    transaction_id = serializers.CharField()
    status = serializers.CharField()
    duplicate = serializers.BooleanField()
    job_count = serializers.IntegerField()


class BulkTriggerInput(serializers.Serializer):
    events = TriggerInput(many=True, allow_empty=False, max_length=100)


class BulkTriggerItemOutput(serializers.Serializer):
    transaction_id = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    duplicate = serializers.BooleanField(required=False)
    job_count = serializers.IntegerField(required=False)
    error = JsonObjectField(required=False)


class BulkTriggerOutput(serializers.Serializer):
    results = BulkTriggerItemOutput(many=True)


class MessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    transaction_id = serializers.CharField(source="event.transaction_id")
    workflow_id = serializers.CharField(source="event.workflow.identifier")
    subscriber_id = serializers.CharField(source="subscriber.subscriber_id")
    step_index = serializers.IntegerField()
    channel = serializers.CharField()
    provider_id = serializers.CharField()
    subject = serializers.CharField()
    content = serializers.CharField()
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    attempt_count = serializers.IntegerField()
    provider_message_id = serializers.CharField()
    provider_response = serializers.JSONField()
    error = serializers.JSONField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ExecutionDetailOutput(serializers.Serializer):
    id = serializers.UUIDField()
    message_id = serializers.UUIDField(allow_null=True)
    step_index = serializers.IntegerField()
    status = serializers.CharField()
    detail = serializers.CharField()
    provider_id = serializers.CharField()
    integration_id = serializers.UUIDField(allow_null=True)
    raw = serializers.JSONField()
    created_at = serializers.DateTimeField()


class FeedItemOutput(serializers.Serializer):
    id = serializers.UUIDField()
    transaction_id = serializers.CharField(source="event.transaction_id")
    workflow_id = serializers.CharField(source="event.workflow.identifier")
    subject = serializers.CharField()
    content = serializers.CharField()
    actions = serializers.JSONField()
    feed_identifier = serializers.CharField()
    seen = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()
    seen_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(source="event.payload")
    created_at = serializers.DateTimeField()

    def get_seen(self, message) -> bool:
        return message.seen_at is not None

    def get_read(self, message) -> bool:
        return message.read_at is not None


class FeedQuery(serializers.Serializer):
    subscriber_id = serializers.CharField(required=False)
    feed_identifier = serializers.CharField(required=False)
    read = serializers.BooleanField(required=False, allow_null=True, default=None)
    seen = serializers.BooleanField(required=False, allow_null=True, default=None)


class FeedCountsOutput(serializers.Serializer):
    total_count = serializers.IntegerField()
    unseen_count = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class _FeedMarkFields(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=500)
    all = serializers.BooleanField(required=False, default=False)
    feed_identifier = serializers.CharField(required=False)
    subscriber_id = serializers.CharField(required=False)

    def validate(self, attrs):
        if not attrs.get("ids") and not attrs.get("all"):
            raise serializers.ValidationError({"ids": ["Give `ids`, or `all: true`."]})
        return attrs


# `as` is the wire name and a Python keyword, so the field is declared through the class namespace.
FeedMarkInput = type(
    "FeedMarkInput",
    (_FeedMarkFields,),
    {"as": serializers.ChoiceField(choices=["seen", "unseen", "read", "unread"]), "__module__": __name__},
)


class FeedMarkOutput(serializers.Serializer):
    changed = serializers.IntegerField()


class FeedActionInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["done", "pending"], default="done")
    subscriber_id = serializers.CharField(required=False)


# --- webhooks ------------------------------------------------------------------------------------------------------
class WebhookEndpointInput(serializers.Serializer):
    url = serializers.URLField(max_length=1000)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)


class WebhookEndpointUpdateInput(serializers.Serializer):
    url = serializers.URLField(max_length=1000, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    event_types = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    active = serializers.BooleanField(required=False, source="is_active")


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField(source="is_active")
    failing_since = serializers.DateTimeField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointWithSecretOutput(WebhookEndpointOutput):
    secret = serializers.CharField(source="secret_encrypted", help_text="Shown only here: store it now.")


class WebhookAttemptOutput(serializers.Serializer):
    number = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField()
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()
    success = serializers.BooleanField(source="is_success")
    created_at = serializers.DateTimeField()


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    endpoint_id = serializers.UUIDField()
    webhook_id = serializers.CharField(source="event.webhook_id")
    event_type = serializers.CharField(source="event.event_type")
    payload = serializers.JSONField(source="event.payload")
    status = serializers.CharField()
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookDeliveryDetailOutput(WebhookDeliveryOutput):
    attempts = WebhookAttemptOutput(many=True, source="attempts.all")


class ReceiptResultOutput(serializers.Serializer):
    received = serializers.IntegerField(help_text="Delivery outcomes found in the callback.")
    changed = serializers.IntegerField(help_text="Messages whose status changed (0 when the callback is repeated).")


class EventTypeOutput(serializers.Serializer):
    name = serializers.CharField(help_text="An event type, or a family of them (`community.*`) to subscribe to.")
    description = serializers.CharField()
    example = serializers.JSONField(allow_null=True, help_text="An example `data` payload (null for a family).")


def event_type_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"name": t.name, "description": t.description, "example": dict(t.example)}
        for t in sorted(extensions.webhook_event_types().values(), key=lambda t: t.name)
    ]
    rows += [
        {"name": family, "description": f"Every {family[:-2]} event.", "example": None}
        for family in webhook_events.families()
    ]
    return rows


def _prefix_components() -> None:
    """OpenAPI component names are global: prefix ours so `MessageOutput` here never collides with another app's."""
    for name, value in list(globals().items()):
        if isinstance(value, type) and issubclass(value, serializers.Serializer) and value.__module__ == __name__:
            extend_schema_serializer(component_name=f"Notifications{name.lstrip('_')}")(value)


_prefix_components()
