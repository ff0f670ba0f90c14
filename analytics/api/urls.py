from django.urls import re_path

from analytics.api import views
from core.api.routers import ApiRouter

router = ApiRouter()
router.register("dashboards", views.DashboardViewSet, basename="analytics-dashboard")
router.register("shared-links", views.SharedLinkViewSet, basename="analytics-shared-link")
router.register("email-reports", views.EmailReportViewSet, basename="analytics-email-report")

urlpatterns = [
    re_path(r"^metrics/?$", views.MetricCatalogueView.as_view(), name="analytics-metrics"),
    re_path(r"^metrics/(?P<metric>[A-Za-z]+)/?$", views.MetricView.as_view(), name="analytics-metric"),
    *router.urls,
]
