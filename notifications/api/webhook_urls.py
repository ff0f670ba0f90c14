"""Mounted at /api/v1/webhooks/ (config/urls.py: `path("webhooks/", include("notifications.api.webhook_urls"))`)."""

from django.urls import re_path

from core.api.routers import ApiRouter
from notifications.api import webhook_views

router = ApiRouter()
router.register("deliveries", webhook_views.WebhookDeliveryViewSet, basename="webhooks-delivery")
router.register("", webhook_views.WebhookEndpointViewSet, basename="webhooks-endpoint")

urlpatterns = [
    re_path(r"^event-types/?$", webhook_views.EventTypesView.as_view(), name="webhooks-event-types"),
    *router.urls,
]
