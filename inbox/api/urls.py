from django.urls import path

from core.api.routers import ApiRouter
from inbox.api import custom_channels, followups, hours_alert_views, views, views_reports

router = ApiRouter()
router.register("tickets", views.TicketViewSet, basename="inbox-ticket")
router.register("jobs", views.BulkJobViewSet, basename="inbox-job")
router.register("interactors", views.InteractorViewSet, basename="inbox-interactor")
router.register("categories", views.CategoryViewSet, basename="inbox-category")
router.register("templates", views.TemplateViewSet, basename="inbox-template")
router.register("folders", views.FolderViewSet, basename="inbox-folder")
router.register(followups.FOLLOWUPS_PREFIX, followups.FollowupViewSet, basename="inbox-ticket-followup")
router.register("custom-channels", custom_channels.CustomChannelViewSet, basename="inbox-custom-channel")
router.register("channels", hours_alert_views.InboxChannelViewSet, basename="inbox-channel")
router.register("alerts", hours_alert_views.AlertViewSet, basename="inbox-alert")
router.register("agents", views_reports.AgentViewSet, basename="inbox-agent")
router.register("rules", views.RuleViewSet, basename="inbox-rule")
router.register("keyword-lists", views.KeywordListViewSet, basename="inbox-keyword-list")
router.register("interactor-lists", views.InteractorListViewSet, basename="inbox-interactor-list")

urlpatterns = [
    path("webhooks/<str:network>", views.InboxWebhookView.as_view(), name="inbox-webhook"),
    path("reports/overview", views_reports.OverviewReportView.as_view(), name="inbox-report-overview"),
    path("reports/agents", views_reports.AgentReportView.as_view(), name="inbox-report-agents"),
    path("reports/categories", views_reports.CategoryReportView.as_view(), name="inbox-report-categories"),
    path("reports/channels", views_reports.ChannelReportView.as_view(), name="inbox-report-channels"),
    path("reports/sentiments", views_reports.SentimentReportView.as_view(), name="inbox-report-sentiments"),
    *router.urls,
]
