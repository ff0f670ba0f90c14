from django.urls import re_path

from core.api.routers import ApiRouter
from notifications.api import views

router = ApiRouter()
router.register("integrations", views.IntegrationViewSet, basename="notifications-integration")
router.register("chat-connections", views.ChatConnectionViewSet, basename="notifications-chat-connection")
router.register("subscribers", views.SubscriberViewSet, basename="notifications-subscriber")
router.register("topics", views.TopicViewSet, basename="notifications-topic")
router.register("workflows", views.WorkflowViewSet, basename="notifications-workflow")
router.register("workflow-groups", views.WorkflowGroupViewSet, basename="notifications-workflow-group")
router.register("messages", views.MessageViewSet, basename="notifications-message")
router.register("feed", views.FeedViewSet, basename="notifications-feed")

urlpatterns = [
    re_path(r"^providers/?$", views.ProvidersView.as_view(), name="notifications-providers"),
    re_path(r"^events/trigger/?$", views.EventViewSet.as_view({"post": "trigger"}), name="notifications-trigger"),
    re_path(
        r"^events/trigger/bulk/?$", views.EventViewSet.as_view({"post": "bulk"}), name="notifications-trigger-bulk"
    ),
    re_path(
        r"^events/trigger/(?P<transaction_id>[^/]+)/?$",
        views.EventViewSet.as_view({"delete": "destroy"}),
        name="notifications-trigger-cancel",
    ),
    re_path(
        r"^receipts/(?P<provider>[a-z]+)/(?P<integration_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$",
        views.ReceiptView.as_view(),
        name="notifications-receipt",
    ),
    *router.urls,
]
