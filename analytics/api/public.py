"""Shared dashboards for clients (mounted at /api/v1/public/): no credential but the link's token, read-only, rate
limited per client IP. A link shows only its dashboard's metrics over the channels it pinned at creation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import metrics, reports
from analytics.api import serializers as s
from analytics.api.views import RANGE_PARAMETERS, metric_query, render_range
from analytics.errors import SharedLinkScope
from analytics.services import shared_links
from core import tenancy
from core.api.inputs import validated
from core.api.schema import ErrorSerializer
from core.api.throttling import ClientIpMixin, WindowRateThrottle

INVALID = OpenApiResponse(ErrorSerializer, description="SHARED_LINK_INVALID (unknown, revoked or expired)")


class SharedDashboardThrottle(ClientIpMixin, WindowRateThrottle):
    """Per client IP: plenty for a person looking at a dashboard, too few to guess tokens or scrape."""

    scope = "analytics_shared_dashboard"
    rate = "120/min"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _SharedDashboardView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SharedDashboardThrottle]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response


class PublicDashboardView(_SharedDashboardView):
    @extend_schema(
        operation_id="public_dashboard_retrieve",
        parameters=RANGE_PARAMETERS,
        responses={200: s.PublicDashboardOutput, 400: OpenApiResponse(ErrorSerializer), 404: INVALID},
        description="The shared dashboard with every widget's figures (the dashboard's range unless `from`/`to`).",
    )
    def get(self, request, token: str):
        link = shared_links.open_link(token)
        with tenancy.tenant_context(link.tenant):
            data = validated(s.DashboardRenderQuery, request, source="query")
            tz_name = link.tenant.timezone or "UTC"
            first, last = render_range(link.dashboard, data, ZoneInfo(tz_name))
            scope = metrics.scope_of_ids(link.channel_ids, tz_name)
            rendered = reports.render_dashboard(link.dashboard, scope, first, last, compare=data.get("compare"))
            shared_links.mark_used(link)
        return Response(s.PublicDashboardOutput({**rendered, "expires_at": link.expires_at}).data)


class PublicDashboardMetricView(_SharedDashboardView):
    @extend_schema(
        operation_id="public_dashboard_metric",
        request=s.MetricQueryInput,
        responses={
            200: s.MetricResultOutput,
            400: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(
                ErrorSerializer,
                description="SHARED_LINK_INVALID, or SHARED_LINK_SCOPE: a metric or channel not on the dashboard",
            ),
        },
        description="One of the shared dashboard's metrics, as `POST /analytics/metrics/{metric}` computes it, "
        "over the link's channels (or a subset of them).",
    )
    def post(self, request, token: str, metric: str):
        link = shared_links.open_link(token)
        if metric not in link.dashboard.metric_keys:
            raise SharedLinkScope(details={"metric": metric})
        with tenancy.tenant_context(link.tenant):
            data = validated(s.MetricQueryInput, request)
            pinned = {str(i) for i in link.channel_ids}
            outside = [str(i) for i in data.get("channel_ids") or () if str(i) not in pinned]
            if outside:
                raise SharedLinkScope(details={"channelIds": outside})
            scope = metrics.scope_of_ids(data.get("channel_ids") or link.channel_ids, link.tenant.timezone or "UTC")
            result = metrics.compute(metric_query(metric, data), scope)
            shared_links.mark_used(link)
        return Response(s.MetricResultOutput(result).data)
