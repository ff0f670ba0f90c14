"""Inbox reports (`/api/v1/inbox/reports/...`) and agents' round-robin settings (`/api/v1/inbox/agents/`).

Thin: the query is validated here, the numbers come from `inbox.reports`, settings change through
`inbox.services.assignment`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from core.api.inputs import validated
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from inbox import reports, selectors
from inbox.api import serializers_reports as r
from inbox.models import InboxAgent
from inbox.services import assignment

REPORTS = "inbox.report.read"


class ReportView(TenantAPIView):
    """A report over the caller's visible tickets; `?format=csv` answers the same rows as a CSV file."""

    required_permissions = {"get": REPORTS}
    dimension: str | None = None  # None: the overview

    def perform_content_negotiation(self, request, force=False):
        # `?format=` names the file here, not a DRF renderer: negotiate JSON (for errors) whatever it says.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        query = validated(r.ReportQuery, request, source="query")
        tz_name = self.principal.tenant.timezone or "UTC"
        today = timezone.now().astimezone(ZoneInfo(tz_name)).date()
        span = reports.report_range(query.get("from"), query.get("to"), tz_name, today=today)
        scope = reports.report_scope(self.principal, channel_ids=query.get("channel"), team_id=query.get("team"))
        if self.dimension is None:
            data = reports.overview(scope, span)
            rows, first_columns = data["days"], ("date",)
        else:
            data = reports.by_dimension(scope, span, self.dimension)
            rows, first_columns = data["results"], ("id", "name")
        if query["format"] == "csv":
            return _csv_response(rows, first_columns, f"inbox-{self.dimension or 'overview'}-{span.first}-{span.last}")
        return Response(data)


def _csv_lines(rows: list[dict], columns: tuple[str, ...]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    yield buffer.getvalue()


def _csv_response(rows: list[dict], first_columns: tuple[str, ...], stem: str) -> HttpResponse:
    columns = (*first_columns, *reports.METRIC_COLUMNS)
    response = HttpResponse("".join(_csv_lines(rows, columns)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


def _report_schema(operation_id: str, summary: str, output) -> dict:
    return {
        "operation_id": operation_id,
        "summary": summary,
        "description": r.REPORT_DESCRIPTION,
        "parameters": r.REPORT_PARAMETERS,
        "responses": {
            (200, "application/json"): output,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="`format=csv`: the rows as CSV."),
            **error_responses(400, 403),
        },
    }


class OverviewReportView(ReportView):
    @extend_schema(
        **_report_schema("inbox_reports_overview", "Volumes and response times per local day", r.OverviewReport)
    )
    def get(self, request):
        return super().get(request)


class AgentReportView(ReportView):
    dimension = "agents"

    @extend_schema(
        **_report_schema(
            "inbox_reports_agents",
            "Per assignee (null: unassigned)",
            r.dimension_report("Agent", serializers.UUIDField(allow_null=True)),
        )
    )
    def get(self, request):
        return super().get(request)


class CategoryReportView(ReportView):
    dimension = "categories"

    @extend_schema(
        **_report_schema(
            "inbox_reports_categories",
            "Per category (a ticket counts in each of its categories; null: uncategorized)",
            r.dimension_report("Category", serializers.UUIDField(allow_null=True)),
        )
    )
    def get(self, request):
        return super().get(request)


class ChannelReportView(ReportView):
    dimension = "channels"

    @extend_schema(
        **_report_schema(
            "inbox_reports_channels",
            "Per channel",
            r.dimension_report("Channel", serializers.UUIDField(allow_null=True)),
        )
    )
    def get(self, request):
        return super().get(request)


class SentimentReportView(ReportView):
    dimension = "sentiments"

    @extend_schema(
        **_report_schema(
            "inbox_reports_sentiments",
            "Per sentiment (null: none set)",
            r.dimension_report("Sentiment", serializers.CharField(allow_null=True)),
        )
    )
    def get(self, request):
        return super().get(request)


class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Round-robin settings of the members who may work tickets, with their current load. `{userId}` in the path.

    Managers (`inbox.config.manage`) set capacity and anyone's availability; an agent sets their own availability.
    """

    serializer_class = r.AgentOutput
    lookup_field = "user_id"
    lookup_url_kwarg = "user_id"
    required_permissions = {
        "list": "inbox.ticket.read",
        "retrieve": "inbox.ticket.read",
        "partial_update": "inbox.ticket.work",
    }

    def scope_queryset(self) -> QuerySet[InboxAgent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no tenant to create rows in
            return InboxAgent.objects.all()
        # Settings rows appear with their defaults on first sight: the whole team on a list, one member on a detail
        # (an id that is no member here creates nothing and stays a 404).
        assignment.ensure_agents_of_tenant(self.kwargs.get("user_id"))
        return selectors.inbox_agents()

    @extend_schema(request=r.AgentPatchInput, responses={200: r.AgentOutput, **error_responses(400, 403, 404)})
    def partial_update(self, request, user_id=None):
        agent = self.get_object()
        changes = dict(validated(r.AgentPatchInput, request, partial=True))
        assignment.update_agent(agent, actor=self.principal, changes=changes)
        return Response(r.AgentOutput(self.get_queryset().get(pk=agent.pk)).data)
