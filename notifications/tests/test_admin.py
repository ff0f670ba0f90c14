"""Admin: every model lists and opens, credentials and secrets never render, actions go through the services."""

from __future__ import annotations

import httpx
import pytest
import respx

from core import tenancy
from core.models import AuditLogEntry
from notifications.models import ChatConnection, DeliveryStatus, Message, WebhookDelivery, WebhookEndpoint
from notifications.services import webhooks
from notifications.services.triggers import trigger
from notifications.tests.factories import (
    IntegrationFactory,
    SubscriberFactory,
    WebhookEndpointFactory,
    WorkflowFactory,
)
from tenants.models import User

MODELS = [
    "integration",
    "subscriber",
    "topic",
    "topicsubscription",
    "workflowgroup",
    "workflow",
    "preference",
    "event",
    "job",
    "digestbatch",
    "message",
    "executiondetail",
    "webhookendpoint",
    "webhookevent",
    "webhookdelivery",
    "chatconnection",
]


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("root@hubbub.local", "admin-pass-123"))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_renders_and_searches(staff_client, model, tenant):
    response = staff_client.get(f"/admin/notifications/{model}/", {"q": "x"})
    assert response.status_code == 200


def test_credentials_and_secrets_are_never_rendered(staff_client, tenant):
    integration = IntegrationFactory(tenant=tenant, credentials_encrypted='{"api_key": "TOPSECRET-KEY"}')
    endpoint = WebhookEndpointFactory(tenant=tenant)
    for url in (
        f"/admin/notifications/integration/{integration.pk}/change/",
        f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/",
    ):
        html = staff_client.get(url).content.decode()
        assert "TOPSECRET" not in html and endpoint.secret_encrypted not in html


@pytest.mark.usefixtures("without_default_integrations")
def test_resend_action_sends_a_failed_message_again(staff_client, tenant, django_capture_on_commit_callbacks):
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    subscriber = SubscriberFactory(tenant=tenant)
    with django_capture_on_commit_callbacks(execute=True), tenancy.tenant_context(tenant):
        trigger(workflow, triggered_by="t", subscribers=[subscriber])
    with tenancy.platform_access():
        message = Message.all_tenants.get()
    assert message.status == "failed"  # no email integration yet
    IntegrationFactory(tenant=tenant)
    with respx.mock, django_capture_on_commit_callbacks(execute=True):
        route = respx.post("https://api.sendgrid.com/v3/mail/send").mock(return_value=httpx.Response(202))
        response = staff_client.post(
            "/admin/notifications/message/", {"action": "resend", "_selected_action": [str(message.pk)]}, follow=True
        )
    assert "Queued again: 1." in response.content.decode()
    with tenancy.platform_access():
        message.refresh_from_db()
        assert AuditLogEntry.all_tenants.filter(
            action="notifications.message.retry", actor_user__email="root@hubbub.local"
        ).exists()
    assert message.status == "sent" and route.call_count == 1
    again = staff_client.post(
        "/admin/notifications/message/", {"action": "resend", "_selected_action": [str(message.pk)]}, follow=True
    )
    assert "Only failed messages" in again.content.decode()


def test_redeliver_and_disable_actions(staff_client, tenant, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(tenant=tenant)
    with respx.mock:
        route = respx.post(endpoint.url).mock(return_value=httpx.Response(500))
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.emit("notification.failed", {"id": 1}, tenant_id=tenant.pk)
        with tenancy.platform_access():
            delivery = WebhookDelivery.all_tenants.get()
        assert delivery.status == DeliveryStatus.PENDING
        route.mock(return_value=httpx.Response(200))
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(
                "/admin/notifications/webhookdelivery/",
                {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
                follow=True,
            )
    with tenancy.platform_access():
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and route.call_count == 2
    staff_client.post(
        "/admin/notifications/webhookendpoint/",
        {"action": "disable", "_selected_action": [str(endpoint.pk)]},
        follow=True,
    )
    with tenancy.platform_access():
        assert not WebhookEndpoint.all_tenants.get(pk=endpoint.pk).is_active


def test_chat_connection_test_and_disconnect_actions(staff_client, owner, api_client_for):
    url = "https://hooks.slack.com/services/T/B/S3CRETPART"
    body = {"network": "slack", "name": "ops", "webhookUrl": url}
    created = api_client_for(owner).post("/api/v1/notifications/chat-connections/", body, format="json")
    assert created.status_code == 201, created.json()
    selected = {"_selected_action": [created.json()["id"]]}
    page = staff_client.get("/admin/notifications/chatconnection/", {"q": "ops"}).content.decode()
    assert "chat-slack-ops" in page and "S3CRETPART" not in page  # the URL's secret part is never rendered
    with respx.mock:
        slack = respx.post(url).mock(return_value=httpx.Response(200, text="ok"))
        response = staff_client.post(
            "/admin/notifications/chatconnection/", {"action": "send_test", **selected}, follow=True
        )
    assert "Test message sent: 1." in response.content.decode() and slack.call_count == 1
    response = staff_client.post(
        "/admin/notifications/chatconnection/", {"action": "disconnect", **selected}, follow=True
    )
    assert "Disconnected: 1." in response.content.decode()
    with tenancy.platform_access():
        assert not ChatConnection.all_tenants.exists()
        assert AuditLogEntry.all_tenants.filter(
            action="notifications.chat.disconnect", actor_user__email="root@hubbub.local"
        ).exists()
