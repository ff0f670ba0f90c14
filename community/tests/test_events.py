"""Community events: one place, payload shape of seed 003, handed over after commit, never on rollback."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.db import transaction

from community import events
from community.services import members as member_services
from community.tests.factories import MemberFactory, member_actor
from core import tenancy, url_safety
from core.errors import DomainError
from notifications import webhook_events
from notifications.models import DeliveryStatus, WebhookDelivery, WebhookEvent

HOOK = "https://hooks.example.com/community"
OTHER_HOOK = "https://hooks.example.com/posts"
PUBLIC_IP = "93.184.216.34"


def test_member_joined_is_published_after_commit_with_the_seed_payload(
    tenant, owner_client, published_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(
            "/api/v1/community/members/",
            {"firstName": "Jo", "username": "jojo", "email": "jo@example.com", "emailVerified": True},
        )
        assert published_events == []  # not before commit
    assert response.status_code == 201, response.json()
    for callback in callbacks:
        callback()
    [(event, payload, tenant_id)] = published_events
    assert event == "community.member.joined" and tenant_id == str(tenant.pk)
    assert payload["event"] == "community.member.joined" and payload["jobId"]
    [user] = payload["entities"]["member"]
    assert (user["id"], user["username"], user["status"]) == (response.json()["id"], "jojo", "active")


def test_a_rolled_back_change_publishes_nothing(tenant, published_events, django_capture_on_commit_callbacks):
    with tenancy.tenant_context(tenant):
        member = MemberFactory()
        moderator = MemberFactory(role_kind="moderator")
    actor = member_actor(moderator)
    with (
        django_capture_on_commit_callbacks(execute=True),
        tenancy.acting_as(actor),
        pytest.raises(DomainError),
        transaction.atomic(),
    ):
        member_services.ban_member(member, actor=actor, reason="spam")
        raise DomainError("then something failed")
    assert published_events == []


@respx.mock
def test_a_community_event_reaches_a_subscribed_webhook_endpoint_after_commit(
    tenant, owner_client, monkeypatch, django_capture_on_commit_callbacks
):
    """The real hand-off: notifications' outgoing webhooks store the event, one delivery per subscribed endpoint,
    and send it signed once the change commits; an endpoint subscribed to other events gets nothing."""
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: [PUBLIC_IP])
    subscribed = owner_client.post("/api/v1/webhooks/", {"url": HOOK, "eventTypes": ["community.*"]}, format="json")
    assert subscribed.status_code == 201, subscribed.json()
    other = owner_client.post("/api/v1/webhooks/", {"url": OTHER_HOOK, "eventTypes": ["notification.*"]}, format="json")
    assert other.status_code == 201, other.json()
    route = respx.post(HOOK).mock(return_value=httpx.Response(204))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(
            "/api/v1/community/members/",
            {"firstName": "Jo", "username": "jojo", "email": "jo@example.com", "emailVerified": True},
        )
        assert response.status_code == 201, response.json()
    with tenancy.tenant_context(tenant):
        assert not WebhookEvent.objects.exists()  # nothing before commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    with tenancy.tenant_context(tenant):
        event = WebhookEvent.objects.get()
        [delivery] = WebhookDelivery.objects.filter(event=event)
    assert event.event_type == "community.member.joined"
    assert event.payload["entities"]["member"][0]["id"] == response.json()["id"]
    assert str(delivery.endpoint_id) == subscribed.json()["id"]
    assert delivery.status == DeliveryStatus.SUCCEEDED
    sent = json.loads(route.calls.last.request.content)
    assert (sent["type"], sent["data"]["event"]) == ("community.member.joined", "community.member.joined")
    assert route.calls.last.request.headers["webhook-id"]


def test_every_community_event_type_is_one_the_outgoing_webhooks_accept():
    assert all(webhook_events.is_known(event_type) for event_type in events.EVENT_TYPES)
    assert webhook_events.is_valid_filter("community.*")


def test_event_types_are_the_documented_ones():
    assert set(events.EVENT_TYPES) == {
        "community.member.joined", "community.member.updated", "community.post.created", "community.post.approved",
        "community.comment.created", "community.reply.created", "community.reaction.added",
    }  # fmt: skip
