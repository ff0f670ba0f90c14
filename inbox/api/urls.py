from django.urls import path

from core.api.routers import ApiRouter
from inbox.api import custom_channels, followups, hours_alert_views, views

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

urlpatterns = [
    path("webhooks/<str:network>", views.InboxWebhookView.as_view(), name="inbox-webhook"),
    *router.urls,
]
