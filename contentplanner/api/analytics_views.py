"""Analytics endpoints: a post's metrics over time, post performance, channel days, tag/campaign sums, CSV export.

Date ranges (`from`, `to`) are inclusive local dates in the tenant's time zone (default: the last 30 days) and
select posts by `publishedAt`; channel days are the networks' (UTC) days.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.http import StreamingHttpResponse
from djangorestframework_camel_case.util import camel_to_underscore
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from contentplanner import analytics, exports, read_models
from contentplanner.analytics import METRIC_FIELDS
from contentplanner.api.filters import camelize_key, post_filter_parameters
from contentplanner.api.read_views import FileDownloadMixin, ReadView
from core.api.pagination import PageNumberPagination
from core.api.schema import error_responses
from core.errors import NotFound
from social import selectors as social_selectors

MAX_ANALYTICS_DAYS = 366
DEFAULT_ANALYTICS_DAYS = 30
MAX_SERIES_POINTS = 2000


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


class RangeQuery(serializers.Serializer):
    to = serializers.DateField(required=False)


RangeQuery._declared_fields["from"] = serializers.DateField(required=False)
RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=f"Default: {DEFAULT_ANALYTICS_DAYS} days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Default: today (tenant time zone)."),
]


class AnalyticsView(ReadView):
    required_permissions = {"get": "cp.analytics.read"}

    def span(self, query: dict) -> read_models.LocalRange:
        from django.utils import timezone

        tz = self.tenant_tz()
        last = query.get("to") or timezone.now().astimezone(tz).date()
        first = query.get("from") or last - timedelta(days=DEFAULT_ANALYTICS_DAYS - 1)
        return read_models.local_range(first, last, tz.key, max_days=MAX_ANALYTICS_DAYS)


# --- one post's series ---------------------------------------------------------------------------------------------
class PostMetricsView(AnalyticsView):
    @extend_schema(
        operation_id="cp_posts_metrics",
        summary="A post's metrics over time",
        description=f"Every collection of the post's metrics, oldest first (the newest {MAX_SERIES_POINTS}).",
        responses={
            200: inline_serializer(
                name="PostMetricsSeries",
                fields={"post_id": serializers.UUIDField(), "results": MetricsPoint.__class__(many=True)},
            ),
            **error_responses(404),
        },
    )
    def get(self, request, pk):
        post = read_models.visible_posts(self.principal).filter(pk=pk).first()
        if post is None:
            raise NotFound()
        newest = list(
            post.metrics.order_by("-collected_at", "-id").values("collected_at", *METRIC_FIELDS)[:MAX_SERIES_POINTS]
        )
        return Response({"post_id": post.pk, "results": newest[::-1]})


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


def post_analytics_row(post) -> dict[str, Any]:
    metrics = analytics.latest_metrics_of(post)
    return {
        "id": post.pk,
        "channel": post.channel_id,
        "channel_name": post.channel.name,
        "network": post.channel.network,
        "text_excerpt": (post.text or "")[: read_models.EXCERPT_LENGTH],
        "published_at": post.published_at,
        "network_url": post.network_url,
        "metrics": metrics,
        "engagement_rate": analytics.engagement_rate(metrics["engagements"], metrics["impressions"])
        if metrics
        else None,
    }


def _orderings_description() -> str:
    keys = ", ".join(f"`{camelize_key(key)}`" for key in analytics.POST_ORDERINGS)
    return f"One of {keys}, `-` prefix for descending (default `-engagements`); posts without metrics sort last."


class PostAnalyticsView(AnalyticsView):
    pagination_class = PageNumberPagination

    def published_posts(self, query: dict):
        posts = analytics.published_in(self.posts(), self.span(query))
        return analytics.post_analytics(posts, ordering=query["ordering"])

    @extend_schema(
        operation_id="cp_analytics_posts",
        summary="Published posts with their latest metrics",
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES, description=_orderings_description()),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("pageSize", OpenApiTypes.INT),
            *post_filter_parameters(),
        ],
        responses={
            200: inline_serializer(
                name="PaginatedPostAnalytics",
                fields={
                    "results": PostAnalyticsRow.__class__(many=True),
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "page_size": serializers.IntegerField(),
                    "has_more": serializers.BooleanField(),
                },
            ),
            **error_responses(400),
        },
    )
    def get(self, request):
        query = self.parse(PostAnalyticsQuery)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(self.published_posts(query), request, view=self)
        return paginator.get_paginated_response([post_analytics_row(post) for post in page])


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


class _GroupAnalyticsView(AnalyticsView):
    group: str

    def get(self, request):
        span = self.span(self.parse(RangeQuery))
        posts = analytics.published_in(self.posts(), span)
        return Response(
            {
                "from": span.first,
                "to": span.last,
                "totals": analytics.metrics_totals(posts),
                "results": analytics.metrics_by_group(posts, self.group),
            }
        )


_GROUP_DESCRIPTION = (
    "Sums of the latest metrics of the {what}'s published posts in the range, and engagement rate "
    "(engagements / impressions). Most engaging first. Accepts the post list filters."
)


class TagAnalyticsView(_GroupAnalyticsView):
    group = "tag"

    @extend_schema(
        operation_id="cp_analytics_tags",
        summary="Metrics per tag",
        description=_GROUP_DESCRIPTION.format(what="tag") + " A post with two tags counts in both.",
        parameters=[*RANGE_PARAMETERS, *post_filter_parameters()],
        responses={200: GroupReport, **error_responses(400)},
    )
    def get(self, request):
        return super().get(request)


class CampaignAnalyticsView(_GroupAnalyticsView):
    group = "campaign"

    @extend_schema(
        operation_id="cp_analytics_campaigns",
        summary="Metrics per campaign",
        description=_GROUP_DESCRIPTION.format(what="campaign"),
        parameters=[*RANGE_PARAMETERS, *post_filter_parameters()],
        responses={200: GroupReport, **error_responses(400)},
    )
    def get(self, request):
        return super().get(request)


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


class ChannelAnalyticsView(AnalyticsView):
    @extend_schema(
        operation_id="cp_analytics_channels",
        summary="Channel metrics per day",
        description="Per visible channel: its daily figures in the range and the period totals.",
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("channel", OpenApiTypes.STR, description="Comma-separated channel ids."),
        ],
        responses={200: ChannelReport, **error_responses(400)},
    )
    def get(self, request):
        query = self.parse(ChannelAnalyticsQuery)
        span = self.span(query)
        channels = social_selectors.channels_visible_to(self.principal)
        if query.get("channel"):
            channels = channels.filter(pk__in=query["channel"])
        return Response(
            {"from": span.first, "to": span.last, "results": analytics.channel_series(channels, span.first, span.last)}
        )


# --- CSV export of post analytics ----------------------------------------------------------------------------------
class AnalyticsExportQuery(PostAnalyticsQuery):
    format = serializers.ChoiceField(choices=["csv"], default="csv")


ANALYTICS_CSV_HEADER = (
    "id",
    "channel",
    "network",
    "published_at_utc",
    "published_at_local",
    "text",
    "network_url",
    *METRIC_FIELDS,
    "engagement_rate",
    "metrics_collected_at_utc",
)


class AnalyticsExportView(FileDownloadMixin, PostAnalyticsView):
    pagination_class = None

    @extend_schema(
        operation_id="cp_analytics_export",
        summary="Post analytics as CSV",
        description="The rows of /analytics/posts (same range, ordering and filters) as a streamed UTF-8 CSV.",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv"]),
            *RANGE_PARAMETERS,
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES),
            *post_filter_parameters(),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            **error_responses(400),
        },
    )
    def get(self, request):
        query = self.parse(AnalyticsExportQuery)
        tz = self.tenant_tz()
        posts = self.published_posts(query)

        def rows():
            for post in posts.iterator(chunk_size=exports.CSV_CHUNK_SIZE):
                row = post_analytics_row(post)
                metrics = row["metrics"] or {}
                yield [
                    str(post.pk),
                    post.channel.name,
                    post.channel.network,
                    exports.utc_text(post.published_at),
                    exports.local_text(post.published_at, tz),
                    post.text,
                    post.network_url,
                    *(metrics.get(field, "") for field in METRIC_FIELDS),
                    "" if row["engagement_rate"] is None else row["engagement_rate"],
                    exports.utc_text(metrics.get("collected_at")),
                ]

        lines = exports.in_tenant(self.principal.tenant, exports.csv_lines(ANALYTICS_CSV_HEADER, rows()))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("post-analytics", "csv")}"'
        return response
