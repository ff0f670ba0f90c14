"""X chat connections: a freshly registered tenant connects an X channel (OAuth, as a user would), connects it as a
chat target that DMs one X user, and a workflow's chat step sends that DM through X's real endpoint (respx)."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
import respx
from django.core import mail
from rest_framework.test import APIClient

from core import tenancy
from notifications.models import Integration, Message
from notifications.tests.test_chat_connections import BASE, CONNECTIONS, _counts, register
from social.models import Channel
from tenants.models import Tenant
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory

X_API = "https://api.x.com/2"
RECIPIENT = "2244994945"
DM_URL = f"{X_API}/dm_conversations/with/{RECIPIENT}/messages"
REDIRECT = "https://app.example.com/channels/done"
X_INTEGRATION = {"channel": "chat", "providerId": "x", "name": "X DMs", "identifier": "x-dms", "active": True}
GRANTED = "tweet.read tweet.write users.read dm.read dm.write offline.access"


@pytest.fixture(autouse=True)
def x_app(settings):
    settings.NETWORK_APPS = {**settings.NETWORK_APPS, "x": {"client_id": "x-id", "client_secret": "x-secret"}}


def register_verified(capture) -> tuple[APIClient, Tenant]:
    """A self sign-up that verified its email (connecting channels needs it), through the API."""
    with capture(execute=True):
        client, tenant = register()
    [message] = [m for m in mail.outbox if m.to == ["owner@newco.example"]]
    token = re.search(r"POST /api/v1/auth/email/verify: (\S+)", message.body).group(1)
    assert APIClient().post("/api/v1/auth/email/verify", {"token": token}, format="json").status_code == 204
    return client, tenant


def connect_x_channel(client: APIClient, *, scope: str = GRANTED, user_id: str = "42") -> str:
    """OAuth through the API against X's token and users/me endpoints; the new channel's id."""
    started = client.post("/api/v1/channels/connect", {"network": "x", "redirectUri": REDIRECT}, format="json")
    assert started.status_code == 200, started.json()
    with respx.mock(assert_all_called=True) as x:
        x.post(f"{X_API}/oauth2/token").respond(
            json={"access_token": f"at-{user_id}", "refresh_token": "rt", "expires_in": 7200, "scope": scope}
        )
        x.get(f"{X_API}/users/me").respond(json={"data": {"id": user_id, "name": "Acme", "username": "acme"}})
        callback = APIClient().get(
            "/api/v1/channels/oauth/callback/x", {"code": "c0de", "state": started.json()["state"]}
        )
    assert callback.status_code == 302 and "status=connected" in callback["Location"], callback["Location"]
    [channel] = [c for c in client.get("/api/v1/channels/").json()["results"] if c["externalId"] == user_id]
    return channel["id"]


def connect_dm(client: APIClient, channel_id: str, *, name: str = "Ops DMs", recipient: str = RECIPIENT):
    body = {"network": "x", "name": name, "channelId": channel_id, "recipientId": recipient}
    return client.post(CONNECTIONS, body, format="json")


def trigger(client: APIClient, subscriber_id: str, django_capture_on_commit_callbacks) -> None:
    workflow = {
        "identifier": "campaign.published",
        "name": "Campaign published",
        "steps": [{"type": "chat", "body": "{{payload.title}} is live"}],
    }
    assert client.post(f"{BASE}/workflows/", workflow, format="json").status_code == 201
    body = {"workflowId": "campaign.published", "to": [subscriber_id], "payload": {"title": "Spring"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{BASE}/events/trigger", body, format="json").status_code == 201


def only_chat_message(tenant) -> Message:
    with tenancy.tenant_context(tenant):
        return Message.objects.get(channel="chat")


def test_a_new_tenant_connects_x_and_a_workflow_chat_step_sends_one_dm(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    channel_id = connect_x_channel(client)
    created = connect_dm(client, channel_id)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["network"] == "x" and body["subscriberId"] == "chat-x-ops-dms"
    assert body["xChannelId"] == channel_id and body["xRecipientId"] == RECIPIENT and body["webhookUrlHint"] == ""
    with tenancy.tenant_context(tenant):
        assert Integration.objects.get(provider_id="x").is_active

    with respx.mock(assert_all_mocked=True) as x:
        dm = x.post(DM_URL).respond(201, json={"data": {"dm_conversation_id": "42-2244994945", "dm_event_id": "1580"}})
        trigger(client, body["subscriberId"], django_capture_on_commit_callbacks)
        assert dm.call_count == 1
        request = dm.calls.last.request
        assert json.loads(request.content) == {"text": "Spring is live"}
        assert request.headers["Authorization"] == "Bearer at-42"  # the channel's own user token
        message = only_chat_message(tenant)
        assert (message.status, message.provider_id, message.provider_message_id) == ("sent", "x", "1580")

        assert client.post(f"{CONNECTIONS}{body['id']}/test").status_code == 204
        assert dm.call_count == 2 and "Hubbub is connected" in json.loads(dm.calls.last.request.content)["text"]


@respx.mock
def test_x_refusing_the_dm_is_a_failed_message_with_its_reason(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    connection = connect_dm(client, connect_x_channel(client)).json()
    refusal = {
        "detail": "You are not permitted to send Direct Messages to this user.",
        "title": "Forbidden",
        "status": 403,
        "type": "about:blank",
    }
    dm = respx.post(DM_URL).respond(403, json=refusal)
    trigger(client, connection["subscriberId"], django_capture_on_commit_callbacks)
    assert dm.call_count == 1
    message = only_chat_message(tenant)
    assert message.status == "failed" and message.sent_at is None
    assert message.error["code"] == "PROVIDER_REJECTED" and message.error["statusCode"] == 403
    assert "not permitted to send Direct Messages" in message.error["message"]
    with tenancy.tenant_context(tenant):  # a refused recipient does not open the shared integration's circuit
        assert Integration.objects.get(provider_id="x").failure_count == 0
    tested = client.post(f"{CONNECTIONS}{connection['id']}/test")
    assert tested.status_code == 400 and tested.json()["error"]["code"] == "CHAT_TEST_FAILED"
    assert "not permitted" in tested.json()["error"]["message"]


@respx.mock
def test_an_x_rate_limit_is_not_success_and_waits_for_the_reset(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    subscriber_id = connect_dm(client, connect_x_channel(client)).json()["subscriberId"]
    reset = int(time.time()) + 900
    dm = respx.post(DM_URL).respond(
        429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset)},
    )
    trigger(client, subscriber_id, django_capture_on_commit_callbacks)
    assert dm.call_count == 1
    message = only_chat_message(tenant)
    # Queued for a retry after X's reset time (the pipeline's retry policy), never marked sent.
    assert message.status == "queued" and message.sent_at is None
    assert message.error["code"] == "PROVIDER_RATE_LIMITED" and 890 <= message.error["retryAfter"] <= 900
    with tenancy.tenant_context(tenant):
        job = message.job
        job.refresh_from_db()
        assert job.status == "pending" and (job.run_at - message.created_at).total_seconds() >= 890


@respx.mock
def test_a_dm_sent_without_an_answer_is_not_sent_again(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    subscriber_id = connect_dm(client, connect_x_channel(client)).json()["subscriberId"]
    dm = respx.post(DM_URL).mock(side_effect=httpx.ReadTimeout("no answer"))
    trigger(client, subscriber_id, django_capture_on_commit_callbacks)
    assert dm.call_count == 1
    message = only_chat_message(tenant)
    assert message.status == "failed" and message.error["code"] == "UNKNOWN_OUTCOME"
    with tenancy.tenant_context(tenant):
        assert message.job.status == "completed"  # no retry is scheduled: the DM may exist
    from notifications.services import delivery

    with tenancy.tenant_context(tenant):
        delivery.run_jobs([str(message.job_id)])
    assert dm.call_count == 1


def test_only_a_connected_x_channel_of_this_tenant_is_accepted(
    db, other_tenant, api_client_for, django_capture_on_commit_callbacks
):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    channel_id = connect_x_channel(client)
    stranger = api_client_for(MembershipFactory(tenant=other_tenant, role=Role.OWNER))
    theirs = connect_x_channel(stranger, user_id="9988776655")
    with tenancy.tenant_context(tenant):
        sandbox = Channel.objects.create(network="sandbox", external_id="s1", name="Sandbox", access_token="t")
        unscoped = Channel.objects.create(
            network="x", external_id="43", name="Old X", access_token="t", scopes=["tweet.read", "tweet.write"]
        )
        broken = Channel.objects.create(network="x", external_id="44", name="Broken", status="needsAttention")
    before = _counts(tenant)
    for bad in [theirs, str(sandbox.pk), str(broken.pk), "00000000-0000-0000-0000-000000000000", str(unscoped.pk)]:
        response = connect_dm(client, bad)
        assert response.status_code == 400, response.json()
        assert response.json()["error"]["code"] == "CHAT_CHANNEL_NOT_USABLE"
        assert "channelId" in response.json()["error"]["details"]
        assert "9988776655" not in response.content.decode()  # nothing of the other tenant's channel shows
    assert "reconnect" in connect_dm(client, str(unscoped.pk)).json()["error"]["details"]["channelId"][0]
    for body in [
        {"network": "x", "name": "A", "channelId": channel_id, "recipientId": "acme"},
        {"network": "x", "name": "A", "channelId": channel_id, "recipientId": "@not a handle"},
        {"network": "x", "name": "A", "channelId": "not-a-uuid", "recipientId": RECIPIENT},
        {"network": "x", "name": "A", "recipientId": RECIPIENT},
        {"network": "x", "name": "A", "channelId": channel_id},
    ]:
        response = client.post(CONNECTIONS, body, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR", body
    assert _counts(tenant) == before


def test_an_at_username_recipient_is_looked_up_once_and_stored_as_its_id(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    channel_id = connect_x_channel(client)
    with respx.mock(assert_all_called=True) as x:
        x.get(f"{X_API}/users/by/username/nobody").respond(
            json={"errors": [{"title": "Not Found Error", "detail": "Could not find user with username: [nobody]."}]}
        )
        before = _counts(tenant)
        unknown = connect_dm(client, channel_id, recipient="@nobody")
        assert unknown.status_code == 400 and "recipientId" in unknown.json()["error"]["details"]
        assert _counts(tenant) == before

        found = x.get(f"{X_API}/users/by/username/acme_support").respond(
            json={"data": {"id": RECIPIENT, "name": "Acme Support", "username": "acme_support"}}
        )
        created = connect_dm(client, channel_id, name="Support", recipient="@acme_support")
    assert created.status_code == 201, created.json()
    assert created.json()["xRecipientId"] == RECIPIENT and found.call_count == 1
    assert found.calls.last.request.headers["Authorization"] == "Bearer at-42"  # asked as the sending channel

    with respx.mock(assert_all_mocked=True) as x:
        dm = x.post(DM_URL).respond(201, json={"data": {"dm_conversation_id": "c", "dm_event_id": "1581"}})
        trigger(client, created.json()["subscriberId"], django_capture_on_commit_callbacks)
    assert dm.call_count == 1  # to the looked-up id, with no second lookup


@respx.mock
def test_a_disconnected_channel_fails_the_dm_without_calling_x(db, django_capture_on_commit_callbacks):
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    channel_id = connect_x_channel(client)
    subscriber_id = connect_dm(client, channel_id).json()["subscriberId"]
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel_id).update(status="disconnected")
    dm = respx.post(DM_URL).respond(201, json={"data": {"dm_event_id": "1"}})
    trigger(client, subscriber_id, django_capture_on_commit_callbacks)
    assert dm.call_count == 0
    message = only_chat_message(tenant)
    assert message.status == "failed" and "not connected" in message.error["message"]


@respx.mock
def test_x_credentials_set_on_a_subscriber_directly_are_checked_at_send(
    db, other_tenant, api_client_for, django_capture_on_commit_callbacks
):
    """The subscriber credentials route bypasses the connection's checks: the provider refuses another tenant's
    channel and a recipient that is not an X user id (it would steer the request path) without calling X."""
    client, tenant = register_verified(django_capture_on_commit_callbacks)
    mine = connect_x_channel(client)
    theirs = connect_x_channel(api_client_for(MembershipFactory(tenant=other_tenant, role=Role.OWNER)), user_id="99")
    x = respx.route(host="api.x.com").respond(201, json={"data": {"dm_event_id": "1"}})
    people = [("p1", theirs, RECIPIENT), ("p2", mine, "../../tweets")]
    for subscriber_id, channel_id, recipient in people:
        assert client.post(f"{BASE}/subscribers/", {"subscriberId": subscriber_id}, format="json").status_code == 201
        credentials = {"providerId": "x", "credentials": {"channelId": channel_id, "recipientId": recipient}}
        put = client.put(f"{BASE}/subscribers/{subscriber_id}/credentials", credentials, format="json")
        assert put.status_code == 200, put.json()
    assert client.post(f"{BASE}/integrations/", X_INTEGRATION, format="json").status_code == 201
    workflow = {"identifier": "w", "name": "W", "steps": [{"type": "chat", "body": "hi"}]}
    assert client.post(f"{BASE}/workflows/", workflow, format="json").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        body = {"workflowId": "w", "to": ["p1", "p2"], "payload": {}}
        assert client.post(f"{BASE}/events/trigger", body, format="json").status_code == 201
    assert x.call_count == 0
    with tenancy.tenant_context(tenant):
        errors = dict(Message.objects.values_list("subscriber__subscriber_id", "error__message"))
    assert "not connected" in errors["p1"] and "not an X user id" in errors["p2"]
