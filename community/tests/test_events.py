"""Community events: one place, payload shape of seed 003, handed over after commit, never on rollback."""

from __future__ import annotations

import sys
import types

import pytest
from django.db import transaction

from community import events
from community.services import members as member_services
from community.tests.factories import MemberFactory, member_actor
from core import tenancy
from core.errors import DomainError


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


def test_publish_event_hands_over_to_the_outgoing_webhooks_when_installed(monkeypatch):
    received = []
    fake = types.ModuleType(events.WEBHOOKS_MODULE)
    fake.emit = lambda event_type, payload, *, tenant_id: received.append((event_type, payload, tenant_id))
    monkeypatch.setitem(sys.modules, events.WEBHOOKS_MODULE, fake)
    events.publish_event("community.post.created", {"event": "community.post.created"}, tenant_id="t-1")
    assert received == [("community.post.created", {"event": "community.post.created"}, "t-1")]


def test_publish_event_does_nothing_without_the_webhooks_module(monkeypatch):
    monkeypatch.setitem(sys.modules, events.WEBHOOKS_MODULE, None)  # import raises ModuleNotFoundError
    events.publish_event("community.post.created", {}, tenant_id="t-1")


def test_event_types_are_the_documented_ones():
    assert set(events.EVENT_TYPES) == {
        "community.member.joined", "community.member.updated", "community.post.created", "community.post.approved",
        "community.comment.created", "community.reply.created", "community.reaction.added",
    }  # fmt: skip
