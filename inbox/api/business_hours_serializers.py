"""Shapes of a channel's business hours (`GET, PUT /api/v1/inbox/channels/{id}/business-hours`)."""

from __future__ import annotations

from rest_framework import serializers

from inbox.models import WEEKDAYS, BusinessHours


class PeriodShape(serializers.Serializer):
    day = serializers.ChoiceField(choices=list(WEEKDAYS))
    start = serializers.CharField(max_length=5, help_text="HH:MM, local time.")
    end = serializers.CharField(max_length=5, help_text="HH:MM, local time; 24:00 is the end of the day.")


class HolidayShape(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AutoReplyShape(serializers.Serializer):
    enabled = serializers.BooleanField()
    text = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Placeholders as in templates ({{interactor.name}}, {{channel.name}}, ...).",
    )


class BusinessHoursInput(serializers.Serializer):
    timezone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    periods = PeriodShape(many=True, help_text="Empty: remove the business hours (open around the clock).")
    holidays = HolidayShape(many=True, required=False, default=list)
    auto_reply = AutoReplyShape(required=False)


class BusinessHoursOutput(serializers.Serializer):
    channel_id = serializers.UUIDField()
    is_configured = serializers.BooleanField(
        help_text="False: no business hours, the channel counts as open around the clock (SLA in wall-clock time)."
    )
    timezone = serializers.CharField()
    periods = PeriodShape(many=True)
    holidays = HolidayShape(many=True)
    auto_reply = AutoReplyShape()
    updated_at = serializers.DateTimeField(allow_null=True)

    @classmethod
    def of(cls, channel, hours: BusinessHours | None) -> BusinessHoursOutput:
        if hours is None:
            return cls(
                {
                    "channel_id": channel.pk,
                    "is_configured": False,
                    "timezone": "UTC",
                    "periods": [],
                    "holidays": [],
                    "auto_reply": {"enabled": False, "text": ""},
                    "updated_at": None,
                }
            )
        return cls(
            {
                "channel_id": channel.pk,
                "is_configured": True,
                "timezone": hours.timezone,
                "periods": hours.periods,
                "holidays": hours.holidays,
                "auto_reply": {"enabled": hours.is_auto_reply_enabled, "text": hours.auto_reply_text},
                "updated_at": hours.updated_at,
            }
        )
