"""Read-model endpoints over the caller's visible, filtered posts: calendar, counts, export (CSV/PDF) and the
analytics reports (a single post's metrics are an action of the post viewset). Thin: validate the query, scope,
call the selectors, render.

Analytics date ranges (`from`, `to`) are inclusive local dates in the tenant's time zone (default: the last 30 days)
and select posts by `publishedAt`; channel days are the networks' (UTC) days.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from contentplanner.api import exports
from contentplanner.api.filters import filter_posts, post_filter_parameters
from contentplanner.api.serializers import analytics as a
from contentplanner.api.serializers import reads as r
from contentplanner.selectors import analytics, calendar
from core.api.inputs import validated
from core.api.pagination import PageNumberPagination
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView
from social import selectors as social_selectors

MAX_ANALYTICS_DAYS = 366


class PostReadView(TenantAPIView):
    """A GET endpoint over the caller's visible, filtered posts."""

    def posts(self):
        return filter_posts(self.request, calendar.visible_posts(self.principal))

    def tenant_tz(self) -> ZoneInfo:
        return ZoneInfo(self.principal.tenant.timezone or "UTC")


class FileDownloadMixin:
    """`?format=` names the file type here, not a DRF renderer: negotiate JSON (for errors) whatever it says."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @staticmethod
    def filename(stem: str, extension: str) -> str:
        return f"{stem}-{timezone.now().strftime('%Y%m%d-%H%M%S')}.{extension}"


# --- calendar, counts, export --------------------------------------------------------------------------------------
class PostCalendarView(PostReadView):
    required_permissions = {"get": "cp.post.read"}

    @extend_schema(
        operation_id="cp_posts_calendar",
        summary="Post counts per local day and state",
        description=(
            "Counts per day (in the tenant's time zone, DST-correct) and state for `from`..`to` (inclusive dates, "
            f"at most {calendar.MAX_CALENDAR_DAYS} days). A post is placed by `publishedAt` when published, "
            "otherwise by `publishAt`; posts with neither are not on the calendar. Deleted posts are never counted. "
            f"`includePosts=true` also lists the posts of the range (at most {calendar.MAX_CALENDAR_POSTS}; "
            "`postsTruncated` says when more matched). Accepts the post list filters."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("includePosts", OpenApiTypes.BOOL),
            *post_filter_parameters(),
        ],
        responses={200: r.CalendarOutput, **error_responses(400)},
    )
    def get(self, request):
        query = validated(r.CalendarQuery, request, source="query")
        span = calendar.local_range(query["from"], query["to"], self.principal.tenant.timezone or "UTC")
        return Response(calendar.calendar(self.posts(), span, include_posts=query["include_posts"]))


class PostCountsView(PostReadView):
    required_permissions = {"get": "cp.post.read"}

    @extend_schema(
        operation_id="cp_posts_counts",
        summary="Post counts per state (optionally per campaign or tag)",
        description=(
            "Counts of the posts the caller can see (channels of their teams; OWNER/ADMIN all), deleted posts "
            "excluded, with the post list filters. `groupBy=campaign|tag` adds per-group counts (a post with two "
            "tags counts in both groups)."
        ),
        parameters=[
            OpenApiParameter("groupBy", OpenApiTypes.STR, enum=list(calendar.GROUP_BY_CHOICES)),
            *post_filter_parameters(),
        ],
        responses={200: r.CountsOutput, **error_responses(400)},
    )
    def get(self, request):
        query = validated(r.CountsQuery, request, source="query")
        return Response(calendar.post_counts(self.posts(), group_by=query.get("group_by")))


class PostExportView(FileDownloadMixin, PostReadView):
    required_permissions = {"get": "cp.export"}

    @extend_schema(
        operation_id="cp_posts_export",
        summary="Export the filtered posts as CSV or PDF",
        description=(
            "CSV (default): UTF-8 with BOM, header row, one row per post (times in the tenant's zone and in UTC, "
            "latest metrics), streamed. PDF: a readable report (channel, local time, state, text, metrics), "
            f"at most {exports.MAX_PDF_POSTS} posts (400 `EXPORT_TOO_LARGE` otherwise). Same filters as the list."
        ),
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(exports.EXPORT_FORMATS)),
            *post_filter_parameters(),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF report"),
            **error_responses(400),
        },
    )
    def get(self, request):
        query = validated(r.ExportQuery, request, source="query")
        posts, tz = self.posts(), self.tenant_tz()
        if query["format"] == "pdf":
            title = f"Posts of {self.principal.tenant.name}"
            response = HttpResponse(exports.posts_pdf(posts, tz, title=title), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{self.filename("posts", "pdf")}"'
            return response
        lines = exports.in_tenant(self.principal.tenant, exports.stream_posts_csv(posts, tz))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("posts", "csv")}"'
        return response


# --- analytics -----------------------------------------------------------------------------------------------------
class AnalyticsView(PostReadView):
    required_permissions = {"get": "cp.analytics.read"}

    def span(self, query: dict) -> calendar.LocalRange:
        tz = self.tenant_tz()
        last = query.get("to") or timezone.now().astimezone(tz).date()
        first = query.get("from") or last - timedelta(days=a.DEFAULT_ANALYTICS_DAYS - 1)
        return calendar.local_range(first, last, tz.key, max_days=MAX_ANALYTICS_DAYS)


class PostAnalyticsView(AnalyticsView):
    pagination_class = PageNumberPagination

    def published_posts(self, query: dict):
        posts = analytics.published_in(self.posts(), self.span(query))
        return analytics.post_analytics(posts, ordering=query["ordering"])

    @extend_schema(
        operation_id="cp_analytics_posts",
        summary="Published posts with their latest metrics",
        parameters=[
            *a.RANGE_PARAMETERS,
            OpenApiParameter(
                "ordering", OpenApiTypes.STR, enum=a.ORDERING_CHOICES, description=a.orderings_description()
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("pageSize", OpenApiTypes.INT),
            *post_filter_parameters(),
        ],
        responses={200: a.PaginatedPostAnalytics, **error_responses(400)},
    )
    def get(self, request):
        query = validated(a.PostAnalyticsQuery, request, source="query")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(self.published_posts(query), request, view=self)
        return paginator.get_paginated_response([analytics.post_analytics_row(post) for post in page])


class _GroupAnalyticsView(AnalyticsView):
    group: str

    def get(self, request):
        span = self.span(validated(a.RangeQuery, request, source="query"))
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
        parameters=[*a.RANGE_PARAMETERS, *post_filter_parameters()],
        responses={200: a.GroupReport, **error_responses(400)},
    )
    def get(self, request):
        return super().get(request)


class CampaignAnalyticsView(_GroupAnalyticsView):
    group = "campaign"

    @extend_schema(
        operation_id="cp_analytics_campaigns",
        summary="Metrics per campaign",
        description=_GROUP_DESCRIPTION.format(what="campaign"),
        parameters=[*a.RANGE_PARAMETERS, *post_filter_parameters()],
        responses={200: a.GroupReport, **error_responses(400)},
    )
    def get(self, request):
        return super().get(request)


class ChannelAnalyticsView(AnalyticsView):
    @extend_schema(
        operation_id="cp_analytics_channels",
        summary="Channel metrics per day",
        description="Per visible channel: its daily figures in the range and the period totals.",
        parameters=[
            *a.RANGE_PARAMETERS,
            OpenApiParameter("channel", OpenApiTypes.STR, description="Comma-separated channel ids."),
        ],
        responses={200: a.ChannelReport, **error_responses(400)},
    )
    def get(self, request):
        query = validated(a.ChannelAnalyticsQuery, request, source="query")
        span = self.span(query)
        channels = social_selectors.channels_visible_to(self.principal)
        if query.get("channel"):
            channels = channels.filter(pk__in=query["channel"])
        return Response(
            {"from": span.first, "to": span.last, "results": analytics.channel_series(channels, span.first, span.last)}
        )


class AnalyticsExportView(FileDownloadMixin, PostAnalyticsView):
    pagination_class = None

    @extend_schema(
        operation_id="cp_analytics_export",
        summary="Post analytics as CSV",
        description="The rows of /analytics/posts (same range, ordering and filters) as a streamed UTF-8 CSV.",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv"]),
            *a.RANGE_PARAMETERS,
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=a.ORDERING_CHOICES),
            *post_filter_parameters(),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            **error_responses(400),
        },
    )
    def get(self, request):
        query = validated(a.AnalyticsExportQuery, request, source="query")
        posts = self.published_posts(query)
        lines = exports.in_tenant(self.principal.tenant, exports.stream_analytics_csv(posts, self.tenant_tz()))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("post-analytics", "csv")}"'
        return response


class ChannelAnalyticsExportView(FileDownloadMixin, AnalyticsView):
    required_permissions = {"get": "cp.export"}

    @extend_schema(
        operation_id="cp_analytics_channels_export",
        summary="Channel metrics per day as CSV",
        description=(
            "The daily figures of /analytics/channels (same range and `channel` filter, visible channels only) as a "
            "streamed UTF-8 CSV: one row per channel and day the network delivered, with the engagement rate."
        ),
        parameters=[
            *a.RANGE_PARAMETERS,
            OpenApiParameter("channel", OpenApiTypes.STR, description="Comma-separated channel ids."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"),
            **error_responses(400, 403),
        },
    )
    def get(self, request):
        query = validated(a.ChannelAnalyticsQuery, request, source="query")
        span = self.span(query)
        channels = social_selectors.channels_visible_to(self.principal)
        if query.get("channel"):
            channels = channels.filter(pk__in=query["channel"])
        lines = exports.in_tenant(
            self.principal.tenant, exports.stream_channel_days_csv(channels, span.first, span.last)
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("channel-analytics", "csv")}"'
        return response
