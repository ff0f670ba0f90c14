from django.urls import path

from core.api.routers import ApiRouter
from inbox.api import views, views_reports

router = ApiRouter()
router.register("tickets", views.TicketViewSet, basename="inbox-ticket")
router.register("jobs", views.BulkJobViewSet, basename="inbox-job")
router.register("interactors", views.InteractorViewSet, basename="inbox-interactor")
router.register("agents", views_reports.AgentViewSet, basename="inbox-agent")

urlpatterns = [
    path("webhooks/<str:network>", views.InboxWebhookView.as_view(), name="inbox-webhook"),
    path("reports/overview", views_reports.OverviewReportView.as_view(), name="inbox-report-overview"),
    path("reports/agents", views_reports.AgentReportView.as_view(), name="inbox-report-agents"),
    path("reports/categories", views_reports.CategoryReportView.as_view(), name="inbox-report-categories"),
    path("reports/channels", views_reports.ChannelReportView.as_view(), name="inbox-report-channels"),
    path("reports/sentiments", views_reports.SentimentReportView.as_view(), name="inbox-report-sentiments"),
    *router.urls,
]
