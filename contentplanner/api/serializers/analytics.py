"""Wire formats of the analytics endpoints (query inputs and documented outputs).

The outputs are plain dicts built by `contentplanner.selectors.analytics`; these shapes document them for OpenAPI.
"""

from __future__ import annotations

import uuid
from typing import Any

from djangorestframework_camel_case.util import camel_to_underscore
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from contentplanner.api.filters import camelize_key
from contentplanner.models import METRIC_FIELDS
from contentplanner.selectors import analytics

DEFAULT_ANALYTICS_DAYS = 30


def _metric_fields(**extra: Any) -> dict[str, serializers.Field]:
    return {field: serializers.IntegerField() for field in METRIC_FIELDS} | extra


MetricsPoint = inline_serializer(
    name="PostMetricsPoint", fields=_metric_fields(collected_at=serializers.DateTimeField())
)
LatestMetrics = inline_serializer(
    name="PostLatestMetrics", allow_null=True, fields=_metric_fields(collected_at=serializers.DateTimeField())
)
EngagementRate = serializers.FloatField(
    allow_null=True, help_text="engagements / impressions; null without impressions"
)

PostMetricsSeries = inline_serializer(
    name="PostMetricsSeries",
    fields={"post_id": serializers.UUIDField(), "results": MetricsPoint.__class__(many=True)},
)


class RangeQuery(serializers.Serializer):
    to = serializers.DateField(required=False)


RangeQuery._declared_fields["from"] = serializers.DateField(required=False)
RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=f"Default: {DEFAULT_ANALYTICS_DAYS} days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Default: today (tenant time zone)."),
]

# --- post performance ----------------------------------------------------------------------------------------------
# camelCase on the wire (`-engagementRate`), snake_case keys of analytics.POST_ORDERINGS inside.
ORDERING_CHOICES = [f"{sign}{camelize_key(key)}" for key in analytics.POST_ORDERINGS for sign in ("-", "")]


class PostAnalyticsQuery(RangeQuery):
    ordering = serializers.ChoiceField(choices=ORDERING_CHOICES, default="-engagements")

    def validate_ordering(self, value: str) -> str:
        return camel_to_underscore(value)


PostAnalyticsRow = inline_serializer(
    name="PostAnalytics",
    fields={
        "id": serializers.UUIDField(),
        "channel": serializers.UUIDField(),
        "channel_name": serializers.CharField(),
        "network": serializers.CharField(),
        "text_excerpt": serializers.CharField(),
        "published_at": serializers.DateTimeField(),
        "network_url": serializers.CharField(),
        "metrics": LatestMetrics,
        "engagement_rate": EngagementRate,
    },
)
PaginatedPostAnalytics = inline_serializer(
    name="PaginatedPostAnalytics",
    fields={
        "results": PostAnalyticsRow.__class__(many=True),
        "count": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "has_more": serializers.BooleanField(),
    },
)


def orderings_description() -> str:
    keys = ", ".join(f"`{camelize_key(key)}`" for key in analytics.POST_ORDERINGS)
    return f"One of {keys}, `-` prefix for descending (default `-engagements`); posts without metrics sort last."


# --- tags and campaigns --------------------------------------------------------------------------------------------
GroupSums = inline_serializer(
    name="AnalyticsGroupSums",
    fields=_metric_fields(
        id=serializers.UUIDField(),
        name=serializers.CharField(),
        posts=serializers.IntegerField(help_text="Published posts with metrics in the range."),
        engagement_rate=EngagementRate,
    ),
)
Totals = inline_serializer(
    name="AnalyticsTotals", fields=_metric_fields(posts=serializers.IntegerField(), engagement_rate=EngagementRate)
)
GroupReport = inline_serializer(
    name="AnalyticsGroupReport",
    fields={
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "totals": Totals,
        "results": GroupSums.__class__(many=True),
    },
)


# --- channels ------------------------------------------------------------------------------------------------------
class ChannelAnalyticsQuery(RangeQuery):
    channel = serializers.CharField(required=False)

    def validate_channel(self, value: str) -> list[uuid.UUID]:
        try:
            return [uuid.UUID(part.strip()) for part in value.split(",") if part.strip()]
        except ValueError:
            raise serializers.ValidationError("Comma-separated channel ids (UUIDs) expected.") from None


ChannelReport = inline_serializer(
    name="ChannelAnalyticsReport",
    fields={
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "results": inline_serializer(
            name="ChannelAnalytics",
            many=True,
            fields={
                "id": serializers.UUIDField(),
                "name": serializers.CharField(),
                "network": serializers.CharField(),
                "totals": inline_serializer(
                    name="ChannelAnalyticsTotals",
                    fields={
                        "impressions": serializers.IntegerField(),
                        "engagements": serializers.IntegerField(),
                        "engagement_rate": EngagementRate,
                        "followers_start": serializers.IntegerField(allow_null=True),
                        "followers_end": serializers.IntegerField(allow_null=True),
                        "follower_growth": serializers.IntegerField(allow_null=True),
                    },
                ),
                "days": inline_serializer(
                    name="ChannelAnalyticsDay",
                    many=True,
                    fields={
                        "day": serializers.DateField(),
                        "followers": serializers.IntegerField(),
                        "impressions": serializers.IntegerField(),
                        "engagements": serializers.IntegerField(),
                        "engagement_rate": EngagementRate,
                    },
                ),
            },
        ),
    },
)


# --- CSV export of post analytics ----------------------------------------------------------------------------------
class AnalyticsExportQuery(PostAnalyticsQuery):
    format = serializers.ChoiceField(choices=["csv"], default="csv")
