"""Ticket counters kept on write by PostgreSQL triggers: whatever path changes a ticket (ingestion, actions, bulk
jobs, sweeps, a raw UPDATE), the counts endpoint answers from them what a scan would; compaction keeps the sums;
reconciliation repairs drift; visibility and filters are respected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from core import tenancy
from inbox import selectors
from inbox.incoming import IncomingItem
from inbox.models import Ticket, TicketCount, TicketStatus
from inbox.services import counters
from inbox.services.ingestion import ingest
from inbox.services.tickets import wake_snoozed
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory, TeamFactory, add_to_team
from tenants.roles import Role

pytestmark = requires_postgres
URL = "/api/v1/inbox/tickets/counts"


def scanned(tenant, **filters) -> dict:
    with tenancy.tenant_context(tenant):
        return selectors.status_counts(Ticket.objects.filter(**filters))


def counted(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.json()


def test_every_write_path_keeps_the_counters_equal_to_a_scan(owner_client, tenant, django_capture_on_commit_callbacks):
    channel = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        ingest(
            channel,
            [IncomingItem(network_item_id=f"c-{i}", type="comment", text="hi", author_id=f"a{i}") for i in range(7)],
        )
    TicketFactory(tenant=tenant, channel=channel, status="archived", is_unread=False)
    TicketFactory(tenant=tenant, channel=channel, status="snoozed", snoozed_until=timezone.now() - timedelta(minutes=1))
    assert counted(owner_client) == scanned(tenant)
    assert counted(owner_client)["unread"] == 7

    with tenancy.tenant_context(tenant):
        first, second = Ticket.objects.filter(status="open").order_by("network_item_id")[:2]
    assert owner_client.post(f"/api/v1/inbox/tickets/{first.pk}/actions/archive", {}, format="json").status_code == 201
    assert (
        owner_client.post(f"/api/v1/inbox/tickets/{second.pk}/actions/markRead", {}, format="json").status_code == 201
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = owner_client.post(
            "/api/v1/inbox/tickets/bulk/", {"action": "archive", "filter": {"status": ["open"]}}, format="json"
        )
    assert job.status_code == 202
    wake_snoozed()  # one UPDATE across tenants, no Python per ticket
    with tenancy.tenant_context(tenant):
        Ticket.objects.filter(status="archived").update(status=TicketStatus.DELETED)  # a raw UPDATE is counted too
    body = counted(owner_client)
    assert body == scanned(tenant)
    assert body["deleted"] == 8 and body["open"] == 1 and body["total"] == 9


def test_compaction_keeps_the_sums_and_reconciliation_repairs_drift(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant)
    for _ in range(3):
        TicketFactory(tenant=tenant, channel=channel)
    before = counted(owner_client)
    with tenancy.tenant_context(tenant):
        Ticket.objects.update(is_unread=False)
        Ticket.objects.update(is_unread=True)
        rows_before = TicketCount.objects.count()
    assert counters.compact_ticket_counts() >= 1
    with tenancy.tenant_context(tenant):
        assert TicketCount.objects.count() < rows_before
    assert counted(owner_client) == before == scanned(tenant)

    with tenancy.tenant_context(tenant):
        TicketCount.objects.create(channel_id=channel.pk, status="open", is_unread=True, delta=40)  # drift
    assert counted(owner_client)["open"] == 43
    assert counters.reconcile_ticket_counts() == 1
    assert counted(owner_client) == scanned(tenant)
    assert counters.reconcile_ticket_counts() == 0


def test_counts_follow_visibility_and_scan_for_filters_counters_do_not_hold(
    tenant, make_member, api_client_for, owner_client
):
    team = TeamFactory(tenant=tenant)
    mine = ChannelFactory(tenant=tenant, teams=[team], network="sandbox")
    other = ChannelFactory(tenant=tenant, network="x")
    TicketFactory(tenant=tenant, channel=mine)
    TicketFactory(tenant=tenant, channel=other)
    TicketFactory(tenant=tenant, channel=other, status="archived")
    member = make_member(tenant, Role.AGENT)
    add_to_team(team, member)
    assert counted(api_client_for(member))["total"] == 1
    assert counted(owner_client)["total"] == 3
    assert counted(owner_client, network="x") == scanned(tenant, network="x")
    assert counted(owner_client, channel=str(mine.pk))["total"] == 1
    assert counted(owner_client, type="message")["total"] == 0
    assert counted(owner_client, sentiment="NEGATIVE")["total"] == 0  # not a counter key: scanned
    with tenancy.tenant_context(tenant):
        other.delete()  # its tickets go with it (not counted as changes): the read ignores its rows
    assert counted(owner_client) == scanned(tenant)
    counters.compact_ticket_counts()
    with tenancy.tenant_context(tenant):
        assert not TicketCount.objects.filter(channel_id=other.pk).exists()


@pytest.mark.parametrize("tickets", [3, 30])
def test_counts_take_a_fixed_number_of_queries(owner_client, tenant, django_assert_max_num_queries, tickets):
    channel = ChannelFactory(tenant=tenant)
    for _ in range(tickets):
        TicketFactory(tenant=tenant, channel=channel)
    with django_assert_max_num_queries(12):
        assert counted(owner_client)["total"] == tickets


def test_type_and_read_state_are_counted_from_the_counters_like_a_scan(
    owner_client, tenant, django_assert_max_num_queries
):
    channel = ChannelFactory(tenant=tenant)
    for kind, status, unread in [
        ("comment", "open", True),
        ("comment", "open", False),
        ("comment", "archived", False),
        ("message", "open", True),
        ("mention", "deleted", False),
    ]:
        TicketFactory(tenant=tenant, channel=channel, type=kind, status=status, is_unread=unread)
    with tenancy.tenant_context(tenant):
        Ticket.objects.filter(type="message").update(status="archived", is_unread=False)  # a type keeps its key
    for params, filters in [
        ({"type": "comment"}, {"type": "comment"}),
        ({"type": ["comment", "message"]}, {"type__in": ["comment", "message"]}),
        ({"type": "comment", "unread": "true"}, {"type": "comment", "is_unread": True}),
        ({"unread": "false"}, {"is_unread": False}),
        ({"type": "review"}, {"type": "review"}),
    ]:
        with django_assert_max_num_queries(12):
            assert counted(owner_client, **params) == scanned(tenant, **filters), params
    assert counted(owner_client, type="comment") == {
        "open": 2,
        "snoozed": 0,
        "archived": 1,
        "deleted": 0,
        "total": 3,
        "unread": 1,
    }


def test_page_mode_counts_from_the_counters_without_counting_rows(
    owner_client, tenant, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    channel, other = ChannelFactory(tenant=tenant), ChannelFactory(tenant=tenant)
    for i in range(7):
        TicketFactory(tenant=tenant, channel=channel if i % 2 else other, type="comment" if i < 5 else "message")
    TicketFactory(tenant=tenant, channel=channel, status="archived", is_unread=False)
    for params, expected in [
        ({}, 8),
        ({"status": "open"}, 7),
        ({"type": "message", "channel": str(channel.pk)}, 1),
        ({"status": "archived", "unread": "false"}, 1),
        ({"pageSize": 3, "page": 3}, 8),
        ({"page": 9}, 8),  # past the end: an empty page, the same count
    ]:
        with CaptureQueriesContext(connection) as queries:
            body = owner_client.get("/api/v1/inbox/tickets/", params).json()
        assert body["count"] == expected, params
        assert not [q for q in queries.captured_queries if "COUNT(*)" in q["sql"]], params
    body = owner_client.get("/api/v1/inbox/tickets/", {"pageSize": 3, "page": 3}).json()
    assert len(body["results"]) == 2 and body["hasMore"] is False
    assert owner_client.get("/api/v1/inbox/tickets/", {"sentiment": "NEGATIVE"}).json()["count"] == 0  # scanned


def test_folders_the_counters_hold_are_counted_from_them_the_others_scanned(owner_client, tenant):
    channel, other = ChannelFactory(tenant=tenant), ChannelFactory(tenant=tenant, network="x")
    for kind, status, unread, sentiment, where in [
        ("comment", "open", True, "NEGATIVE", channel),
        ("comment", "open", False, "", channel),
        ("message", "open", True, "", other),
        ("mention", "archived", False, "NEGATIVE", other),
    ]:
        TicketFactory(tenant=tenant, channel=where, type=kind, status=status, is_unread=unread, sentiment=sentiment)
    folders = {
        "comments": {"type": ["comment"]},
        "unread on x": {"network": ["x"], "unread": True},
        "open on one channel": {"status": ["open"], "channel": [str(channel.pk)]},
        "angry": {"sentiment": ["NEGATIVE"]},  # not a counter key: the aggregate
    }
    ids = {}
    for name, filters in folders.items():
        response = owner_client.post("/api/v1/inbox/folders/", {"name": name, "filters": filters}, format="json")
        assert response.status_code == 201, response.json()
        ids[response.json()["id"]] = name
    body = counted(owner_client, folders="1")
    got = {ids[row["id"]]: (row["count"], row["unread"]) for row in body["folders"]}
    assert got == {"comments": (2, 1), "unread on x": (1, 1), "open on one channel": (2, 1), "angry": (2, 1)}
