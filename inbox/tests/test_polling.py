"""Polling: slots spread over the interval, claims taken once, network errors recorded on the cursor."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from core import tenancy
from inbox.models import IngestionCursor, Ticket
from inbox.services import polling
from social.models import Channel
from social.networks import sandbox
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory

INTERVAL = timedelta(seconds=120)


def test_slots_of_a_thousand_cursors_spread_over_the_interval():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    slots = [polling.next_slot(f"cursor-{i}", now, INTERVAL) for i in range(1000)]
    assert all(now < slot <= now + INTERVAL for slot in slots)
    per_second = Counter(int((slot - now).total_seconds()) for slot in slots)
    assert max(per_second.values()) <= 25  # ~8 per second expected; never all in the same second
    assert len(per_second) > 100


def test_a_cursor_keeps_its_phase_from_interval_to_interval():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    first = polling.next_slot("c", now, INTERVAL)
    assert polling.next_slot("c", first, INTERVAL) == first + INTERVAL
    assert polling.next_slot("c", first + timedelta(seconds=1), INTERVAL) == first + INTERVAL


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-page")


def make_due(tenant):
    with tenancy.tenant_context(tenant):
        IngestionCursor.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_sweep_creates_cursors_per_kind_and_a_claim_is_taken_once(tenant, channel):
    assert polling.ensure_cursors_everywhere() == 3
    assert polling.ensure_cursors_everywhere() == 0
    make_due(tenant)
    claims = polling.claim_due_cursors()
    assert len(claims) == 3 and {c.tenant_id for c in claims} == {str(tenant.pk)}
    assert polling.claim_due_cursors() == []  # moved to their next slot
    with tenancy.tenant_context(tenant):
        assert all(c.next_poll_at > timezone.now() for c in IngestionCursor.objects.all())


def cursor(tenant, channel, kind="comment"):
    with tenancy.tenant_context(tenant):
        return polling.ensure_cursors(channel) and IngestionCursor.objects.get(channel=channel, kind=kind)


def test_poll_ingests_the_sandbox_items_of_its_kind(tenant, channel):
    inject_inbound("sbx-page", kind="comment", text="c", author_id="a")
    inject_inbound("sbx-page", kind="mention", text="m", author_id="b")
    comments = cursor(tenant, channel)
    with tenancy.tenant_context(tenant):
        assert polling.poll(comments.pk) == 1
        assert polling.poll(comments.pk) == 0
        assert list(Ticket.objects.values_list("type", "text")) == [("comment", "c")]
        comments.refresh_from_db()
    assert comments.last_error == "" and comments.last_polled_at is not None and comments.position == ""


def test_a_backlog_longer_than_one_poll_continues_at_the_next(tenant, channel, monkeypatch):
    monkeypatch.setattr(sandbox, "PAGE_SIZE", 2)
    monkeypatch.setattr(polling, "MAX_PAGES_PER_POLL", 2)
    for i in range(7):
        inject_inbound("sbx-page", kind="comment", text=f"c{i}", author_id=f"a{i}")
    comments = cursor(tenant, channel)
    with tenancy.tenant_context(tenant):
        assert polling.poll(comments.pk) == 4
        comments.refresh_from_db()
        assert comments.position == "4"
        assert polling.poll(comments.pk) == 3
        comments.refresh_from_db()
        assert comments.position == ""


def test_expired_token_marks_the_channel_and_later_polls_skip_it(tenant, channel):
    comments = cursor(tenant, channel)
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(access_token="")
        polling.poll(comments.pk)
        comments.refresh_from_db()
        assert comments.last_error.startswith("AUTH_EXPIRED") and comments.consecutive_failures == 1
        assert Channel.objects.get(pk=channel.pk).status == "needsAttention"
        assert polling.poll(comments.pk) == 0
        comments.refresh_from_db()
        assert comments.consecutive_failures == 1  # not polled again


def test_rate_limit_pushes_the_next_poll_past_retry_after(tenant, channel):
    comments = cursor(tenant, channel)
    spec = {"sandbox": {"failWith": "RATE_LIMITED", "retryAfter": 900, "operations": ["fetch_items"]}}
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(config=spec)
        polling.poll(comments.pk)
        comments.refresh_from_db()
    assert comments.next_poll_at >= timezone.now() + timedelta(seconds=890)
    assert comments.last_error.startswith("RATE_LIMITED")


def test_a_kind_the_network_does_not_offer_is_switched_off(tenant):
    youtube = ChannelFactory(tenant=tenant, network="youtube", external_id="yt1")  # comments, no messages
    with tenancy.tenant_context(tenant):
        kinds = {c.kind for c in polling.ensure_cursors(youtube)}
    assert "message" not in kinds and "comment" in kinds
