"""What the generated route contract (core/tests/test_route_contract.py) needs for the notifications and webhooks
routes. Most objects come from `notifications/demo.py`; a webhook delivery is made by emitting an event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

from core import tenancy, url_safety
from notifications.services import webhooks


def _webhook_delivery(world: Any) -> None:
    # The demo endpoint subscribes to notification.*; its delivery is enqueued after commit, which a test never
    # reaches.
    with tenancy.tenant_context(world.tenant):
        assert webhooks.emit("notification.failed", {"messageId": "contract"}, tenant_id=world.tenant.pk) is not None


def _chat_connection(world: Any) -> None:
    # Connected through the API; the webhook host's DNS answer is faked (no test resolves real names).
    body = {"network": "slack", "name": "contract", "webhookUrl": "https://hooks.slack.com/services/T/B/X"}
    with mock.patch.object(url_safety, "resolve_host", return_value=["93.184.216.34"]):
        response = world.owner_client.post("/api/v1/notifications/chat-connections/", body, format="json")
    assert response.status_code == 201, response.json()


OBJECT_BUILDERS: dict[str, Callable[[Any], None]] = {
    "notifications.WebhookDelivery": _webhook_delivery,
    "notifications.ChatConnection": _chat_connection,
}

PATH_VALUES: dict[tuple[str, str], Callable[[Any], Any]] = {
    # Any provider id: the subscriber in the path is what is checked first (another tenant's -> 404).
    ("SubscriberViewSet", "provider_id"): lambda world: "fcm",
    # The action button of the demo's welcome item in the owner's feed.
    ("FeedViewSet", "button"): lambda world: "open",
}

GRANTED_TO_EVERY_ROLE = {
    ("FeedViewSet", "mark"): "the caller's own in-app feed (another subscriber's needs notifications.read)",
    ("FeedViewSet", "actions"): "an action button of an item in the caller's own in-app feed",
}

# Topics and triggers are addressed by keys the tenant chooses (`key`, `transactionId`): the demo gives every tenant
# the topic `team` and the trigger `demo-welcome`, so "another tenant's key" names the caller's own row here.
# test_api.py::test_other_tenants_subscribers_topics_workflows_and_messages_are_404 covers these routes with keys
# only the other tenant has.
_NATURAL_KEY = "addressed by a tenant-chosen key the other demo tenant also has; covered in notifications test_api"
_TOPIC = "api/v1/notifications/^topics/(?P<key>[-a-zA-Z0-9_]+)/?$"
_TOPIC_SUBSCRIBERS = "api/v1/notifications/^topics/(?P<key>[-a-zA-Z0-9_]+)/subscribers/?$"
EXEMPT: dict[tuple[str, str, str], str] = {
    (_TOPIC, "get", "other_tenant"): _NATURAL_KEY,
    (_TOPIC, "head", "other_tenant"): _NATURAL_KEY,
    (_TOPIC, "patch", "other_tenant"): _NATURAL_KEY,
    (_TOPIC, "delete", "other_tenant"): _NATURAL_KEY,
    (_TOPIC_SUBSCRIBERS, "post", "other_tenant"): _NATURAL_KEY,
    (_TOPIC_SUBSCRIBERS, "delete", "other_tenant"): _NATURAL_KEY,
    ("api/v1/notifications/^events/trigger/(?P<transaction_id>[^/]+)/?$", "delete", "other_tenant"): _NATURAL_KEY,
}
