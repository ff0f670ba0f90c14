"""Analytics endpoints: the metric catalogue and engine, dashboards (JSON render and PDF export), shared links and
scheduled email reports. Thin: validate, call `analytics.metrics` / the services, render.

Permissions: reading metrics and dashboards `analytics.read`; building dashboards, sharing them and scheduling
reports `analytics.manage`. Metrics cover the channels the caller sees (a member: their teams'; OWNER/ADMIN and
API keys: all).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics import metrics, reports, selectors
from analytics.api import serializers as s
from analytics.models import Dashboard, EmailReport, SharedLink
from analytics.services import dashboards as dashboard_services
from analytics.services import email_reports, shared_links
from core.api.inputs import validated
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet

READ, MANAGE = "analytics.read", "analytics.manage"


def metric_query(metric: str, data: dict) -> metrics.MetricQuery:
    """A `MetricQuery` from a validated `MetricQueryInput`."""
    compare = None
    if data.get("compare_to"):
        spec = data["compare_to"]
        if spec["type"] == "previous":
            compare = metrics.previous_period(data["from"], data["to"])
        else:
            compare = (spec["from"], spec["to"])
    return metrics.MetricQuery(
        metric,
        data["from"],
        data["to"],
        compare=compare,
        tag_ids=tuple(data.get("tag_ids") or ()),
        group_by=data.get("group_by"),
    )


def render_range(dashboard: Dashboard, data: dict, tz: ZoneInfo) -> tuple[date, date]:
    """`from`..`to` of a dashboard render: as asked, else the dashboard's `rangeDays` ending today (local)."""
    last = data.get("to") or timezone.now().astimezone(tz).date()
    first = data.get("from") or last - timedelta(days=dashboard.range_days - 1)
    metrics.check_range(first, last)
    return first, last


RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Default: `rangeDays` days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Default: today in the tenant's time zone."),
    OpenApiParameter("compare", OpenApiTypes.BOOL, description="Default: the dashboard's `compareTo`."),
]


class MetricCatalogueView(TenantAPIView):
    required_permissions = {"get": READ}

    @extend_schema(operation_id="analytics_metrics_catalogue", responses={200: s.CatalogueOutput})
    def get(self, request):
        """The metrics (with their groupings and filters) and chart types dashboards can use."""
        return Response(s.CatalogueOutput(metrics.catalogue()).data)


class MetricView(TenantAPIView):
    required_permissions = {"post": READ}

    @extend_schema(
        operation_id="analytics_metrics_compute",
        request=s.MetricQueryInput,
        responses={200: s.MetricResultOutput, **error_responses(400, 403, 404)},
        description=(
            "One metric over `from`..`to` (inclusive local dates, at most 366 days), optionally against the previous "
            "period or a custom one (`compareTo`), over the given channels (default: every channel you see whose "
            "network reports metrics) and tags (post metrics), per `groupBy` bucket. `incompleteData` marks a "
            "bucket (or total) where a network has not delivered every day (channel metrics) or every post's "
            "figures (post metrics) yet. Unknown metric: 404 `UNKNOWN_METRIC`."
        ),
    )
    def post(self, request, metric: str):
        metrics.metric(metric)
        data = validated(s.MetricQueryInput, request)
        tenant = self.principal.tenant
        scope = metrics.scope_for(self.principal, data.get("channel_ids"), tenant.timezone)
        return Response(s.MetricResultOutput(metrics.compute(metric_query(metric, data), scope)).data)


class DashboardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Custom dashboards: widgets referring to catalogue metrics, laid out on a grid."""

    serializer_class = s.DashboardOutput
    required_permissions = {"list": READ, "retrieve": READ, "data": READ, "export": READ, "*": MANAGE}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.dashboards()

    @extend_schema(request=s.DashboardInput, responses={201: s.DashboardOutput, **error_responses(400, 403, 409)})
    def create(self, request):
        data = validated(s.DashboardInput, request)
        dashboard = dashboard_services.create_dashboard(actor=self.principal, **data)
        return Response(s.DashboardOutput(dashboard).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DashboardInput, responses={200: s.DashboardOutput, **error_responses(400, 403, 404, 409)})
    def partial_update(self, request, pk=None):
        dashboard = self.get_object()
        data = validated(s.DashboardInput, request, partial=True)
        dashboard = dashboard_services.update_dashboard(dashboard, actor=self.principal, **data)
        return Response(s.DashboardOutput(dashboard).data)

    @extend_schema(request=None, responses={204: None, **error_responses(403, 404)})
    def destroy(self, request, pk=None):
        dashboard_services.delete_dashboard(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _rendered(self, request, dashboard: Dashboard) -> dict:
        data = validated(s.DashboardRenderQuery, request, source="query")
        tenant = self.principal.tenant
        first, last = render_range(dashboard, data, ZoneInfo(tenant.timezone or "UTC"))
        scope = metrics.scope_for(self.principal, dashboard.channel_ids or None, tenant.timezone, strict=False)
        return reports.render_dashboard(dashboard, scope, first, last, compare=data.get("compare"))

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: s.DashboardRenderOutput, **error_responses(400, 404)})
    @action(detail=True, methods=["get"])
    def data(self, request, pk=None):
        """Every widget's metric over the range (the dashboard as JSON)."""
        return Response(s.DashboardRenderOutput(self._rendered(request, self.get_object())).data)

    @extend_schema(
        request=None,
        parameters=RANGE_PARAMETERS,
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The dashboard as a PDF."),
            **error_responses(400, 404),
        },
    )
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        """The dashboard as a PDF report: a chart per widget, totals against the comparison period."""
        dashboard = self.get_object()
        rendered = self._rendered(request, dashboard)
        tenant = self.principal.tenant
        content = reports.dashboard_pdf(rendered, workspace=tenant.name, tz_name=tenant.timezone or "UTC")
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="dashboard-{rendered["from"]}-{rendered["to"]}.pdf"'
        return response


class SharedLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Client-facing, read-only links to a dashboard: expiring, revocable (DELETE revokes at once)."""

    serializer_class = s.SharedLinkOutput
    required_permissions = {"*": MANAGE}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.shared_links()

    @extend_schema(request=s.SharedLinkInput, responses={201: s.SharedLinkCreatedOutput, **error_responses(400, 403)})
    def create(self, request):
        data = validated(s.SharedLinkInput, request)
        created = shared_links.create_link(
            data["dashboard_id"], actor=self.principal, name=data["name"], expires_at=data.get("expires_at")
        )
        output = {**s.SharedLinkOutput(created.link).data, "url": created.url}
        return Response(output, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SharedLinkUpdateInput, responses={200: s.SharedLinkOutput, **error_responses(400, 403, 404, 409)}
    )
    def partial_update(self, request, pk=None):
        link: SharedLink = self.get_object()
        data = validated(s.SharedLinkUpdateInput, request)
        link = shared_links.update_link(link, actor=self.principal, **data)
        return Response(s.SharedLinkOutput(link).data)

    @extend_schema(request=None, responses={204: None, **error_responses(403, 404)})
    def destroy(self, request, pk=None):
        shared_links.revoke_link(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Scheduled email reports: a dashboard or the channel overview as a PDF, weekly or monthly."""

    serializer_class = s.EmailReportOutput
    required_permissions = {"types": READ, "*": MANAGE}
    idempotent_actions = {"create", "send_test"}

    def scope_queryset(self):
        return selectors.email_reports()

    @staticmethod
    def _values(data: dict) -> dict:
        values = dict(data)
        if "dashboard_id" in values:
            values["dashboard"] = values.pop("dashboard_id")
        return values

    @extend_schema(request=s.EmailReportInput, responses={201: s.EmailReportOutput, **error_responses(400, 403)})
    def create(self, request):
        data = validated(s.EmailReportInput, request)
        report = email_reports.create_report(actor=self.principal, **self._values(data))
        return Response(s.EmailReportOutput(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EmailReportInput, responses={200: s.EmailReportOutput, **error_responses(400, 403, 404)})
    def partial_update(self, request, pk=None):
        report: EmailReport = self.get_object()
        data = validated(s.EmailReportInput, request, partial=True)
        report = email_reports.update_report(report, actor=self.principal, **self._values(data))
        return Response(s.EmailReportOutput(report).data)

    @extend_schema(request=None, responses={204: None, **error_responses(403, 404)})
    def destroy(self, request, pk=None):
        email_reports.delete_report(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.ReportTypeOutput(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def types(self, request):
        """The report types that can be scheduled."""
        return Response(s.ReportTypeOutput(email_reports.report_types(), many=True).data)

    @extend_schema(request=s.SendTestInput, responses={202: s.SendTestOutput, **error_responses(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path="send-test")
    def send_test(self, request, pk=None):
        """Send the last complete period now, with its PDF, to `to` (default: you); nothing is recorded as sent."""
        report = self.get_object()
        data = validated(s.SendTestInput, request)
        period = email_reports.send_test(report, actor=self.principal, to=data.get("to"))
        return Response(s.SendTestOutput({"from": period.first, "to": period.last}).data, status=202)
