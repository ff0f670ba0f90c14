"""Mounted at /api/v1/webhooks/ (config/urls.py: `path("webhooks/", include("notifications.api.webhook_urls"))`).

Endpoints live at the root of the mount, so their routes are spelled out (a router cannot register an empty prefix).
"""

from django.urls import re_path

from core.api.routers import ApiRouter
from core.api.viewsets import UUID_PATTERN
from notifications.api import webhook_views

router = ApiRouter()
router.register("deliveries", webhook_views.WebhookDeliveryViewSet, basename="webhooks-delivery")
endpoints = webhook_views.WebhookEndpointViewSet

urlpatterns = [
    re_path(r"^event-types/?$", webhook_views.EventTypesView.as_view(), name="webhooks-event-types"),
    *router.urls,
    re_path(r"^$", endpoints.as_view({"get": "list", "post": "create"}), name="webhooks-endpoint-list"),
    re_path(
        rf"^(?P<pk>{UUID_PATTERN})/?$",
        endpoints.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="webhooks-endpoint-detail",
    ),
    re_path(
        rf"^(?P<pk>{UUID_PATTERN})/rotate-secret/?$",
        endpoints.as_view({"post": "rotate_secret"}),
        name="webhooks-endpoint-rotate-secret",
    ),
    re_path(
        rf"^(?P<pk>{UUID_PATTERN})/deliveries/?$",
        endpoints.as_view({"get": "deliveries"}),
        name="webhooks-endpoint-deliveries",
    ),
]
