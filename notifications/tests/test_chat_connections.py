"""Tenant chat connections (seed 000 connect/disconnect Slack, Discord, X) as notification targets: connected through
the API from a freshly registered tenant, checked before anything is stored, encrypted at rest, reached by a
workflow's chat step."""

from __future__ import annotations

import httpx
import pytest
import respx
from django.db import connection as db_connection
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from notifications.models import ChatConnection, Integration, Message, Subscriber, SubscriberCredential
from tenants.models import Tenant
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory
from tenants.tests.signup import register_tenant

BASE = "/api/v1/notifications"
CONNECTIONS = f"{BASE}/chat-connections/"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
DISCORD_URL = "https://discord.com/api/webhooks/123/tokenSECRET"


def register() -> tuple[APIClient, Tenant]:
    client, body = register_tenant()
    return client, Tenant.objects.get(pk=body["tenant"]["id"])


def _counts(tenant: Tenant) -> tuple[int, int, int]:
    with tenancy.tenant_context(tenant):
        return ChatConnection.objects.count(), Subscriber.objects.count(), SubscriberCredential.objects.count()


@respx.mock
def test_a_new_tenant_connects_slack_and_a_workflow_chat_step_posts_there(db, django_capture_on_commit_callbacks):
    client, tenant = register()
    slack = respx.post(SLACK_URL).mock(return_value=httpx.Response(200, text="ok"))
    created = client.post(
        CONNECTIONS, {"network": "slack", "name": "#marketing", "webhookUrl": SLACK_URL}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["network"] == "slack" and body["name"] == "#marketing" and body["subscriberId"] == "chat-slack-marketing"
    )
    assert body["webhookUrlHint"] == "https://hooks.slack.com/services/…" and "webhookUrl" not in body
    assert body["connectedBy"] == "owner@newco.example"
    assert client.get(CONNECTIONS).json()["results"] == [body]
    with tenancy.tenant_context(tenant):
        assert Integration.objects.get(provider_id="slack").is_active  # the chat step routes through it
        assert AuditLogEntry.objects.filter(action="notifications.chat.connect", object_id=body["id"]).exists()
        credential = SubscriberCredential.objects.get(subscriber__subscriber_id="chat-slack-marketing")
    # Encrypted at rest: the secret part of the URL is not in the column.
    with tenancy.tenant_context(tenant), db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM notifications_subscribercredential WHERE id = %s", [credential.pk.hex]
        )
        assert "XXXXSECRET" not in str(cursor.fetchone()[0])

    workflow = {
        "identifier": "campaign.published",
        "name": "Campaign published",
        "steps": [{"type": "chat", "body": "{{payload.title}} is live"}],
    }
    assert client.post(f"{BASE}/workflows/", workflow, format="json").status_code == 201
    trigger = {"workflowId": "campaign.published", "to": [body["subscriberId"]], "payload": {"title": "Spring"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{BASE}/events/trigger", trigger, format="json").status_code == 201
    assert slack.call_count == 1
    assert slack.calls.last.request.content == b'{"text":"Spring is live"}'
    with tenancy.tenant_context(tenant):
        assert Message.objects.get(channel="chat").status == "sent"

    assert client.post(f"{CONNECTIONS}{body['id']}/test").status_code == 204
    assert slack.call_count == 2
    assert client.delete(f"{CONNECTIONS}{body['id']}").status_code == 204
    assert _counts(tenant)[0] == 0 and client.get(CONNECTIONS).json()["results"] == []
    with tenancy.tenant_context(tenant):
        assert not SubscriberCredential.objects.filter(provider_id="slack").exists()
        assert AuditLogEntry.objects.filter(action="notifications.chat.disconnect", object_id=body["id"]).exists()


@respx.mock
def test_discord_connects_and_a_refusing_channel_fails_the_test_with_its_answer(db):
    client, tenant = register()
    respx.post(DISCORD_URL).mock(return_value=httpx.Response(404, json={"message": "Unknown Webhook"}))
    created = client.post(
        CONNECTIONS, {"network": "discord", "name": "Alerts", "webhookUrl": DISCORD_URL}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["webhookUrlHint"] == "https://discord.com/api/…"
    tested = client.post(f"{CONNECTIONS}{created.json()['id']}/test")
    assert tested.status_code == 400 and tested.json()["error"]["code"] == "CHAT_TEST_FAILED"
    again = client.post(CONNECTIONS, {"network": "discord", "name": "Alerts", "webhookUrl": DISCORD_URL}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "CHAT_CONNECTION_EXISTS"
    assert _counts(tenant) == (1, 1, 1)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"network": "x", "name": "DMs", "webhookUrl": "https://x.com/i/whatever"}, None, "channelId"),
        ({"network": "teams", "name": "A", "webhookUrl": SLACK_URL}, None, "network"),
        ({"network": "slack", "name": "A", "webhookUrl": DISCORD_URL}, "WEBHOOK_URL_NOT_ALLOWED", "webhookUrl"),
        ({"network": "slack", "name": "A", "webhookUrl": "http://hooks.slack.com/services/T/B/X"}, None, "webhookUrl"),
        ({"network": "slack", "name": "A", "webhookUrl": "https://hooks.slack.com.evil.test/x"}, None, "webhookUrl"),
        ({"network": "discord", "name": "A", "webhookUrl": "https://discord.com/login"}, None, "webhookUrl"),
        ({"network": "slack", "name": "", "webhookUrl": SLACK_URL}, None, "name"),
        ({"network": "slack", "name": "A"}, None, "webhookUrl"),
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(db, body, code, field):
    client, tenant = register()
    before = _counts(tenant)
    response = client.post(CONNECTIONS, body, format="json")
    assert response.status_code == 400, response.json()
    if code:
        assert response.json()["error"]["code"] == code
    if field:
        assert field in response.json()["error"]["details"]
    assert _counts(tenant) == before


def test_a_webhook_host_resolving_to_a_private_address_is_refused(db, monkeypatch):
    from core import url_safety

    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["10.0.0.5"])
    client, tenant = register()
    before = _counts(tenant)
    response = client.post(CONNECTIONS, {"network": "slack", "name": "A", "webhookUrl": SLACK_URL}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    assert _counts(tenant) == before


def test_roles_and_other_tenants(db, api_client_for, other_tenant):
    client, tenant = register()
    created = client.post(CONNECTIONS, {"network": "slack", "name": "A", "webhookUrl": SLACK_URL}, format="json")
    connection_id = created.json()["id"]
    viewer = api_client_for(MembershipFactory(tenant=tenant, role=Role.VIEWER))
    assert viewer.get(CONNECTIONS).status_code == 403  # notifications.read is not a viewer's
    admin = api_client_for(MembershipFactory(tenant=tenant, role=Role.ADMIN))
    assert [row["id"] for row in admin.get(CONNECTIONS).json()["results"]] == [connection_id]
    denied = viewer.post(CONNECTIONS, {"network": "slack", "name": "B", "webhookUrl": SLACK_URL}, format="json")
    assert denied.status_code == 403 and viewer.delete(f"{CONNECTIONS}{connection_id}").status_code == 403
    stranger = api_client_for(MembershipFactory(tenant=other_tenant, role=Role.OWNER))
    assert stranger.get(f"{CONNECTIONS}{connection_id}").status_code == 404
    assert stranger.delete(f"{CONNECTIONS}{connection_id}").status_code == 404
    assert APIClient().get(CONNECTIONS).status_code == 401
    assert _counts(tenant)[0] == 1
