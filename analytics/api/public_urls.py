"""Public analytics routes (mounted at /api/v1/public/): shared dashboards, the link's token as the credential."""

from django.urls import path

from analytics.api import public

urlpatterns = [
    path("dashboards/<str:token>", public.PublicDashboardView.as_view(), name="analytics-public-dashboard"),
    path(
        "dashboards/<str:token>/metrics/<str:metric>",
        public.PublicDashboardMetricView.as_view(),
        name="analytics-public-dashboard-metric",
    ),
]
