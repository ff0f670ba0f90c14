"""Shapes of inbox alerts and their incidents (`/api/v1/inbox/alerts/`)."""

from __future__ import annotations

from rest_framework import serializers

from core.api.inputs import TenantScopedPrimaryKeyRelatedField
from core.api.permissions import principal_of
from inbox.api.serializers import ChannelSummary
from inbox.models import Alert, AlertIncident, AlertKind
from inbox.services.alerts import ALERT_FIELDS

MAX_RECIPIENTS = 50


def _visible_channels(request):
    from social.selectors import channels_visible_to

    return channels_visible_to(principal_of(request))


def _active_members(request):
    from tenants.models import User
    from tenants.selectors import members

    return User.objects.filter(pk__in=members().filter(is_active=True).values("user_id"))


class AlertInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    is_active = serializers.BooleanField(required=False, default=True)
    channel_id = TenantScopedPrimaryKeyRelatedField(
        _visible_channels, label_name="channel", required=False, allow_null=True, help_text="null: any channel"
    )
    threshold_count = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True, help_text="volumeBurst: more than N"
    )
    window_minutes = serializers.IntegerField(
        min_value=1, max_value=24 * 60, required=False, allow_null=True, help_text="volumeBurst: within M minutes"
    )
    is_negative_only = serializers.BooleanField(
        required=False, default=False, help_text="volumeBurst: count negative tickets only"
    )
    unanswered_minutes = serializers.IntegerField(
        min_value=1,
        max_value=30 * 24 * 60,
        required=False,
        allow_null=True,
        help_text="unansweredPriority: minutes inside business hours",
    )
    recipient_user_ids = serializers.ListField(
        child=TenantScopedPrimaryKeyRelatedField(_active_members, label_name="user"),
        required=False,
        default=list,
        max_length=MAX_RECIPIENTS,
    )
    recipient_emails = serializers.ListField(
        child=serializers.EmailField(), required=False, default=list, max_length=MAX_RECIPIENTS
    )


def alert_values(data: dict) -> dict:
    """Validated AlertInput data as Alert fields (only the fields sent, for a partial update)."""
    values = dict(data)
    if "channel_id" in values:
        values["channel"] = values.pop("channel_id")
    if "recipient_user_ids" in values:
        values["recipient_user_ids"] = list(dict.fromkeys(str(user.pk) for user in values["recipient_user_ids"]))
    if "recipient_emails" in values:
        values["recipient_emails"] = list(dict.fromkeys(e.lower() for e in values["recipient_emails"]))
    return values


class AlertIncidentOutput(serializers.ModelSerializer):
    class Meta:
        model = AlertIncident
        fields = ["id", "alert_id", "opened_at", "closed_at", "ticket_count", "ticket_ids", "notified_to"]
        read_only_fields = fields

    alert_id = serializers.UUIDField(read_only=True)
    ticket_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    notified_to = serializers.ListField(child=serializers.EmailField(), read_only=True)


class AlertOutput(serializers.ModelSerializer):
    channel = ChannelSummary(read_only=True, allow_null=True)
    recipient_user_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    recipient_emails = serializers.ListField(child=serializers.EmailField(), read_only=True)

    class Meta:
        model = Alert
        fields = ["id", *ALERT_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields
