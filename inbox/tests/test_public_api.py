"""The public ticket API of custom channels: credentials shown once, items pushed with the channel token through
ingestion (deduped), edits, and agents' replies delivered as Standard-Webhooks-signed POSTs that stay pending until
the integrator confirms them."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from rest_framework.test import APIClient

from core import tenancy, url_safety
from inbox.models import ActionStatus, Ticket, TicketAction, TicketStatus
from notifications.services.webhooks import signature
from social.tests.factories import ChannelFactory
from tenants.roles import Role

PUBLIC = "/api/v1/public/inbox/tickets"
ENDPOINT = "https://hooks.integrator.example/hubbub"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["93.184.216.34"])  # a public address


@pytest.fixture
def client():
    """The integrator: no user credential, only the channel token."""
    return APIClient()


@pytest.fixture
def custom_channel(tenant):
    return ChannelFactory(tenant=tenant, custom=True, config={"endpointUrl": ENDPOINT})


def issue(client, channel) -> dict:
    response = client.post(f"/api/v1/inbox/custom-channels/{channel.pk}/credentials/", format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def creds(owner_client, custom_channel) -> dict:
    return issue(owner_client, custom_channel)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def push(client, token, item_id="review-000123", **fields):
    interaction = {"networkItemId": item_id, "message": "Where is my order?", **fields}
    return client.post(PUBLIC, {"interaction": interaction}, format="json", **bearer(token))


def tickets_of(tenant, channel) -> list[Ticket]:
    with tenancy.tenant_context(tenant):
        return list(Ticket.objects.filter(channel=channel).select_related("interactor").order_by("created_at"))


def test_credentials_are_shown_once_and_only_for_custom_channels(owner_client, tenant, creds, custom_channel):
    assert creds["token"].startswith("hbc_") and creds["webhookSecret"].startswith("whsec_")
    assert creds["webhookUrl"] == ENDPOINT and creds["tokenPrefix"] == creds["token"][:12]
    sandbox = ChannelFactory(tenant=tenant)
    assert owner_client.post(f"/api/v1/inbox/custom-channels/{sandbox.pk}/credentials/").status_code == 404


def test_an_editor_may_not_issue_credentials(tenant, make_member, api_client_for, custom_channel):
    editor = api_client_for(make_member(tenant, Role.EDITOR))
    response = editor.post(f"/api/v1/inbox/custom-channels/{custom_channel.pk}/credentials/")
    assert response.status_code == 403


def test_a_pushed_item_becomes_a_ticket_and_pushing_it_again_is_409(
    client, owner_client, tenant, creds, custom_channel
):
    response = push(
        client,
        creds["token"],
        type="REVIEW",
        interactor={"interactorId": "cust-42", "name": "Ann", "picture": "https://cdn.example.com/ann.png"},
        rating={"value": 2, "scale": 5},
        pictures=[{"small": "https://cdn.example.com/s.png", "large": "https://cdn.example.com/l.png"}],
        url="https://shop.example.com/reviews/123",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "review" and body["text"] == "Where is my order?" and body["status"] == "open"
    assert body["rating"] == {"value": 2.0, "scale": 5}
    assert body["attachments"][0]["url"] == "https://cdn.example.com/l.png"
    [ticket] = tickets_of(tenant, custom_channel)
    assert str(ticket.pk) == body["id"] and ticket.interactor.name == "Ann" and ticket.is_unread
    # The care team sees it in the inbox like any other ticket.
    listed = owner_client.get("/api/v1/inbox/tickets/", {"channel": str(custom_channel.pk)}).json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]

    again = push(client, creds["token"], message="changed on a second push")
    assert again.status_code == 409 and again.json()["error"]["code"] == "TICKET_EXISTS"
    [same] = tickets_of(tenant, custom_channel)
    assert same.text == "Where is my order?" and not same.is_edited


def test_a_reply_to_a_known_root_joins_its_thread(client, tenant, creds, custom_channel):
    assert push(client, creds["token"], item_id="post-000001", type="POST").status_code == 201
    response = push(client, creds["token"], item_id="comment-0001", type="COMMENT", root={"rootId": "post-000001"})
    assert response.status_code == 201
    post, comment = tickets_of(tenant, custom_channel)
    assert comment.parent_id == post.pk and comment.type == "comment"


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer hbc_nope", "Token abc", "Bearer not-a-channel-token"])
def test_without_a_valid_token_nothing_is_stored(client, tenant, custom_channel, creds, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(PUBLIC, {"interaction": {"networkItemId": "item-000001"}}, format="json", **extra)
    assert response.status_code == 401 and response.json()["error"]["code"] == "CHANNEL_TOKEN_INVALID"
    assert tickets_of(tenant, custom_channel) == []


def test_a_replaced_or_disabled_token_stops_working(client, owner_client, tenant, custom_channel, creds):
    fresh = issue(owner_client, custom_channel)
    assert push(client, creds["token"]).status_code == 401
    assert push(client, fresh["token"]).status_code == 201
    with tenancy.tenant_context(tenant):
        custom_channel.inbox_enabled = False
        custom_channel.save()
    assert push(client, fresh["token"], item_id="other-000001").status_code == 401


def test_another_channel_or_tenant_token_cannot_touch_a_ticket(
    client, owner_client, tenant, other_tenant, make_member, api_client_for, custom_channel, creds
):
    ticket_id = push(client, creds["token"]).json()["id"]
    second = ChannelFactory(tenant=tenant, custom=True, config={"endpointUrl": ENDPOINT})
    same_tenant_token = issue(owner_client, second)["token"]
    foreign = ChannelFactory(tenant=other_tenant, custom=True, config={"endpointUrl": ENDPOINT})
    foreign_token = issue(api_client_for(make_member(other_tenant, Role.OWNER)), foreign)["token"]
    for token in (same_tenant_token, foreign_token):
        patched = client.patch(
            f"{PUBLIC}/{ticket_id}", {"interaction": {"message": "hijacked"}}, format="json", **bearer(token)
        )
        assert patched.status_code == 404
    [ticket] = tickets_of(tenant, custom_channel)
    assert ticket.text == "Where is my order?" and ticket.edit_history == []


def test_an_edit_is_kept_in_history_and_reset_reopens_an_archived_ticket(client, owner_client, tenant, creds):
    ticket_id = push(client, creds["token"]).json()["id"]
    assert owner_client.post(f"/api/v1/inbox/tickets/{ticket_id}/actions/archive", {}, format="json").status_code == 201
    response = client.patch(
        f"{PUBLIC}/{ticket_id}?reset=true",
        {"interaction": {"message": "Where is my order #77?", "rating": {"value": 1, "scale": 5}}},
        format="json",
        **bearer(creds["token"]),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["isEdited"] and response.json()["status"] == "open"
    with tenancy.tenant_context(tenant):
        ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.edit_history[0]["text"] == "Where is my order?" and ticket.rating == {"value": 1.0, "scale": 5}
    kinds = [e["kind"] for e in owner_client.get(f"/api/v1/inbox/tickets/{ticket_id}/history/").json()]
    assert "edited" in kinds and "reset" in kinds


def _verify(secret: str, request: httpx.Request) -> bool:
    headers = request.headers
    expected = signature(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), request.content)
    return expected in headers["webhook-signature"].split()


def reply(owner_client, ticket_id, django_capture_on_commit_callbacks, text="We are on it."):
    with django_capture_on_commit_callbacks(execute=True):
        return owner_client.post(f"/api/v1/inbox/tickets/{ticket_id}/actions/reply", {"text": text}, format="json")


def action_row(tenant, action_id) -> TicketAction:
    with tenancy.tenant_context(tenant):
        return TicketAction.objects.get(pk=action_id)


@respx.mock
def test_a_reply_is_a_signed_webhook_pending_until_the_integrator_confirms_it(
    client, owner_client, tenant, creds, custom_channel, django_capture_on_commit_callbacks
):
    ticket_id = push(client, creds["token"]).json()["id"]
    route = respx.post(ENDPOINT).mock(return_value=httpx.Response(202))
    response = reply(owner_client, ticket_id, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.json()
    action_id = response.json()["id"]
    assert route.call_count == 1
    request = route.calls.last.request
    assert _verify(creds["webhookSecret"], request)
    assert request.headers["webhook-id"] == f"msg_{action_id}"
    payload = json.loads(request.content)
    assert payload["type"] == "inbox.ticket.reply"
    assert payload["data"]["replyId"] == action_id and payload["data"]["networkItemId"] == "review-000123"
    assert payload["data"]["text"] == "We are on it."
    assert payload["data"]["successUrl"].endswith(
        f"/api/v1/public/inbox/tickets/{ticket_id}/replies/{action_id}/success"
    )
    accepted = action_row(tenant, action_id)
    assert accepted.status == ActionStatus.PENDING and accepted.sent_at and "acceptedAt" in accepted.result
    assert len(tickets_of(tenant, custom_channel)) == 1  # not in the thread before it is confirmed

    success = f"{PUBLIC}/{ticket_id}/replies/{action_id}/success"
    body = {"interaction": {"networkItemId": "answer-0042", "url": "https://shop.example.com/a/42"}}
    confirmed = client.post(success, body, format="json", **bearer(creds["token"]))
    assert confirmed.status_code == 201, confirmed.json()
    assert confirmed.json()["isOwn"] and confirmed.json()["networkItemId"] == "answer-0042"
    done = action_row(tenant, action_id)
    assert done.status == ActionStatus.DONE and done.result["networkItemId"] == "answer-0042"
    original, own = tickets_of(tenant, custom_channel)
    assert own.parent_id == original.pk and own.is_own and own.status == TicketStatus.ARCHIVED
    assert original.first_response_at is not None and not original.is_unread

    repeated = client.post(success, body, format="json", **bearer(creds["token"]))
    assert repeated.status_code == 200 and repeated.json()["id"] == confirmed.json()["id"]
    other_id = {"interaction": {"networkItemId": "answer-9999"}}
    conflict = client.post(success, other_id, format="json", **bearer(creds["token"]))
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "REPLY_NOT_DELIVERED"
    assert len(tickets_of(tenant, custom_channel)) == 2
    assert route.call_count == 1  # confirmed: never sent again


@respx.mock
def test_an_endpoint_error_fails_the_reply_and_cannot_be_confirmed(
    client, owner_client, tenant, creds, django_capture_on_commit_callbacks
):
    ticket_id = push(client, creds["token"]).json()["id"]
    respx.post(ENDPOINT).mock(return_value=httpx.Response(500, json={"error": "down"}))
    action_id = reply(owner_client, ticket_id, django_capture_on_commit_callbacks).json()["id"]
    failed = action_row(tenant, action_id)
    assert failed.status == ActionStatus.FAILED and failed.error_code == "NETWORK_DOWN"
    body = {"interaction": {"networkItemId": "answer-0042"}}
    response = client.post(
        f"{PUBLIC}/{ticket_id}/replies/{action_id}/success", body, format="json", **bearer(creds["token"])
    )
    assert response.status_code == 409
    assert action_row(tenant, action_id).status == ActionStatus.FAILED


@respx.mock
def test_a_timeout_leaves_the_reply_pending_with_an_unknown_outcome(
    client, owner_client, tenant, creds, django_capture_on_commit_callbacks
):
    ticket_id = push(client, creds["token"]).json()["id"]
    respx.post(ENDPOINT).mock(side_effect=httpx.ReadTimeout("slow"))
    action_id = reply(owner_client, ticket_id, django_capture_on_commit_callbacks).json()["id"]
    row = action_row(tenant, action_id)
    assert row.status == ActionStatus.PENDING and row.outcome_unknown


def test_a_reply_on_a_custom_channel_without_credentials_is_refused_before_anything_is_stored(
    owner_client, tenant, django_capture_on_commit_callbacks
):
    from inbox.tests.factories import TicketFactory

    channel = ChannelFactory(tenant=tenant, custom=True, config={"endpointUrl": ENDPOINT})
    ticket = TicketFactory(tenant=tenant, channel=channel, type="message")
    response = reply(owner_client, ticket.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_SUPPORTED"
    with tenancy.tenant_context(tenant):
        assert not TicketAction.objects.filter(ticket=ticket).exists()


def test_like_is_not_offered_on_custom_channels(client, owner_client, creds):
    ticket_id = push(client, creds["token"], type="COMMENT").json()["id"]
    response = owner_client.post(f"/api/v1/inbox/tickets/{ticket_id}/actions/like", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_SUPPORTED"


@respx.mock
def test_a_reply_carries_library_media_checked_against_the_channel_rules(
    client, owner_client, tenant, other_tenant, creds, django_capture_on_commit_callbacks
):
    from social.tests.factories import MediaFactory

    ticket_id = push(client, creds["token"]).json()["id"]
    route = respx.post(ENDPOINT).mock(return_value=httpx.Response(200))
    image = MediaFactory(tenant=tenant)
    foreign = MediaFactory(tenant=other_tenant)
    tiff = MediaFactory(tenant=tenant, mime_type="image/tiff")
    url = f"/api/v1/inbox/tickets/{ticket_id}/actions/reply"
    for media, code in ((foreign, 400), (tiff, 400)):
        refused = owner_client.post(url, {"text": "See", "mediaIds": [str(media.pk)]}, format="json")
        assert refused.status_code == code and "mediaIds" in refused.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not TicketAction.objects.exists()
    assert route.call_count == 0

    with django_capture_on_commit_callbacks(execute=True):
        sent = owner_client.post(url, {"mediaIds": [str(image.pk)]}, format="json")  # media alone is a reply
    assert sent.status_code == 202, sent.json()
    [media] = json.loads(route.calls.last.request.content)["data"]["media"]
    assert media["id"] == str(image.pk) and media["mimeType"] == "image/png" and media["url"].startswith("http")


def test_media_on_a_network_reply_is_refused_not_dropped(owner_client, tenant):
    from inbox.tests.factories import TicketFactory
    from social.tests.factories import MediaFactory

    ticket = TicketFactory(tenant=tenant)  # a sandbox comment: its adapter's reply takes text only
    image = MediaFactory(tenant=tenant)
    response = owner_client.post(
        f"/api/v1/inbox/tickets/{ticket.pk}/actions/reply", {"text": "Look", "mediaIds": [str(image.pk)]}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_SUPPORTED"
