"""Wire formats of the post read models: calendar, counts and export (query inputs and documented outputs).

The outputs are plain dicts built by `contentplanner.selectors.calendar`; these shapes document them for OpenAPI.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from contentplanner.api import exports
from contentplanner.models import PostState
from contentplanner.selectors import calendar


# --- calendar ------------------------------------------------------------------------------------------------------
class CalendarQuery(serializers.Serializer):
    to = serializers.DateField()
    include_posts = serializers.BooleanField(default=False)


# `from` is a Python keyword: declared after the class body.
CalendarQuery._declared_fields["from"] = serializers.DateField()

StateCounts = inline_serializer(
    name="PostStateCounts", fields={state: serializers.IntegerField() for state in calendar.COUNTED_STATES}
)
# camelCase on the wire: the renderer camelizes these snake_case keys.
CalendarOutput = inline_serializer(
    name="PostCalendar",
    fields={
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "timezone": serializers.CharField(help_text="The tenant's IANA time zone; days are its calendar days."),
        "total": serializers.IntegerField(),
        "days": inline_serializer(
            name="PostCalendarDay",
            many=True,
            fields={"date": serializers.DateField(), "total": serializers.IntegerField(), "counts": StateCounts},
        ),
        "posts": inline_serializer(
            name="PostCalendarEntry",
            many=True,
            required=False,
            fields={
                "id": serializers.UUIDField(),
                "channel": serializers.UUIDField(),
                "channel_name": serializers.CharField(),
                "network": serializers.CharField(),
                "state": serializers.ChoiceField(choices=PostState.choices),
                "publish_at": serializers.DateTimeField(allow_null=True),
                "published_at": serializers.DateTimeField(allow_null=True),
                "date": serializers.DateField(help_text="The local day the post is counted on."),
                "text_excerpt": serializers.CharField(),
            },
        ),
        "posts_truncated": serializers.BooleanField(required=False),
    },
)


# --- counts --------------------------------------------------------------------------------------------------------
class CountsQuery(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=calendar.GROUP_BY_CHOICES, required=False)


CountsOutput = inline_serializer(
    name="PostCounts",
    fields={
        "total": serializers.IntegerField(),
        "by_state": StateCounts,
        "needs_attention": serializers.IntegerField(),
        "group_by": serializers.CharField(required=False),
        "groups": inline_serializer(
            name="PostCountsGroup",
            many=True,
            required=False,
            fields={
                "id": serializers.UUIDField(allow_null=True, help_text="Null: posts without a campaign/tag."),
                "name": serializers.CharField(allow_null=True),
                "total": serializers.IntegerField(),
                "by_state": StateCounts,
            },
        ),
    },
)


# --- export --------------------------------------------------------------------------------------------------------
class ExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=exports.EXPORT_FORMATS, default="csv")
