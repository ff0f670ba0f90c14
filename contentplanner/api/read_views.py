"""Read-model endpoints of posts: calendar, counts, export (CSV/PDF). Thin: parse, scope, call read_models/exports."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from contentplanner import exports, read_models
from contentplanner.api.filters import filter_posts, post_filter_parameters
from contentplanner.models import PostState
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIMixin
from core.errors import ValidationFailed


class ReadView(TenantAPIMixin, APIView):
    """A GET endpoint over the caller's visible, filtered posts."""

    def posts(self):
        return filter_posts(self.request, read_models.visible_posts(self.principal))

    def tenant_tz(self) -> ZoneInfo:
        return ZoneInfo(self.principal.tenant.timezone or "UTC")

    def parse(self, serializer_class: type[serializers.Serializer]) -> dict:
        query = serializer_class(data=self.request.query_params)
        if not query.is_valid():
            raise ValidationFailed(details=query.errors)
        return query.validated_data


# --- calendar ------------------------------------------------------------------------------------------------------
class CalendarQuery(serializers.Serializer):
    to = serializers.DateField()
    include_posts = serializers.BooleanField(default=False)


# `from` is a Python keyword: declared after the class body.
CalendarQuery._declared_fields["from"] = serializers.DateField()

_state_counts = inline_serializer(
    name="PostStateCounts", fields={state: serializers.IntegerField() for state in read_models.COUNTED_STATES}
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
            fields={"date": serializers.DateField(), "total": serializers.IntegerField(), "counts": _state_counts},
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


class PostCalendarView(ReadView):
    required_permissions = {"get": "cp.post.read"}

    @extend_schema(
        operation_id="cp_posts_calendar",
        summary="Post counts per local day and state",
        description=(
            "Counts per day (in the tenant's time zone, DST-correct) and state for `from`..`to` (inclusive dates, "
            f"at most {read_models.MAX_CALENDAR_DAYS} days). A post is placed by `publishedAt` when published, "
            "otherwise by `publishAt`; posts with neither are not on the calendar. Deleted posts are never counted. "
            f"`includePosts=true` also lists the posts of the range (at most {read_models.MAX_CALENDAR_POSTS}; "
            "`postsTruncated` says when more matched). Accepts the post list filters."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("includePosts", OpenApiTypes.BOOL),
            *post_filter_parameters(),
        ],
        responses={200: CalendarOutput, **error_responses(400)},
    )
    def get(self, request):
        query = self.parse(CalendarQuery)
        span = read_models.local_range(query["from"], query["to"], self.principal.tenant.timezone or "UTC")
        return Response(read_models.calendar(self.posts(), span, include_posts=query["include_posts"]))


# --- counts --------------------------------------------------------------------------------------------------------
class CountsQuery(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=read_models.GROUP_BY_CHOICES, required=False)


CountsOutput = inline_serializer(
    name="PostCounts",
    fields={
        "total": serializers.IntegerField(),
        "by_state": _state_counts,
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
                "by_state": _state_counts,
            },
        ),
    },
)


class PostCountsView(ReadView):
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
            OpenApiParameter("groupBy", OpenApiTypes.STR, enum=list(read_models.GROUP_BY_CHOICES)),
            *post_filter_parameters(),
        ],
        responses={200: CountsOutput, **error_responses(400)},
    )
    def get(self, request):
        query = self.parse(CountsQuery)
        return Response(read_models.post_counts(self.posts(), group_by=query.get("group_by")))


# --- export --------------------------------------------------------------------------------------------------------
class ExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=exports.EXPORT_FORMATS, default="csv")


class FileDownloadMixin:
    """`?format=` names the file type here, not a DRF renderer: negotiate JSON (for errors) whatever it says."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @staticmethod
    def filename(stem: str, extension: str) -> str:
        return f"{stem}-{timezone.now().strftime('%Y%m%d-%H%M%S')}.{extension}"


class PostExportView(FileDownloadMixin, ReadView):
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
        query = self.parse(ExportQuery)
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
