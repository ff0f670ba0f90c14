"""Round-robin under concurrent ingestion on PostgreSQL: real transactions, one connection per thread."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.db.models import Count

from conftest import requires_postgres
from core import tenancy
from inbox.models import InboxAgent, Ticket
from inbox.services.assignment import drain_backlog, route_to_team
from social.tests.factories import ChannelFactory
from tenants.models import Team
from tenants.roles import Role

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20
PER_THREAD = 5
CAPACITIES = (3, 7, 10)


def test_twenty_concurrent_ingestions_never_assign_beyond_capacity(tenant, make_member):
    channel = ChannelFactory(tenant=tenant)
    members = [make_member(tenant, Role.AGENT) for _ in CAPACITIES]
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Care")
        for member, capacity in zip(members, CAPACITIES, strict=True):
            team.members.create(user=member.user)
            InboxAgent.objects.create(user=member.user, max_open_tickets=capacity)
    start = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def ingest(n: int) -> None:
        try:
            start.wait()
            with tenancy.tenant_context(tenant), transaction.atomic():
                # As ingestion does: the new tickets and their routing commit together.
                tickets = [
                    Ticket.objects.create(
                        channel=channel, network=channel.network, type="comment", network_item_id=f"c-{n}-{i}"
                    )
                    for i in range(PER_THREAD)
                ]
                route_to_team(tickets, team=team)
        except Exception as exc:  # noqa: BLE001 - re-raised by the test through `errors`
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ingest, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with tenancy.tenant_context(tenant):
        tickets = Ticket.objects.filter(channel=channel)
        assert tickets.count() == THREADS * PER_THREAD
        assert not tickets.exclude(team=team).exists()
        load = dict(tickets.exclude(assignee=None).order_by().values_list("assignee_id").annotate(n=Count("id")))
        # Every agent filled exactly to capacity, never beyond; the rest wait in the team's backlog.
        assert load == {m.user_id: c for m, c in zip(members, CAPACITIES, strict=True)}
        assert tickets.filter(assignee=None).count() == THREADS * PER_THREAD - sum(CAPACITIES)


def test_concurrent_drains_hand_each_backlog_ticket_out_once(tenant, make_member):
    channel = ChannelFactory(tenant=tenant)
    members = [make_member(tenant, Role.AGENT) for _ in range(2)]
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Care")
        for member in members:
            team.members.create(user=member.user)
            InboxAgent.objects.create(user=member.user, max_open_tickets=4, is_available=False)
        tickets = [
            Ticket.objects.create(channel=channel, network=channel.network, type="comment", network_item_id=f"b-{i}")
            for i in range(12)
        ]
        route_to_team(tickets, team=team)  # nobody available: all twelve wait
        InboxAgent.objects.update(is_available=True)
    start = threading.Barrier(6)
    errors: list[Exception] = []

    def drain() -> None:
        try:
            start.wait()
            with tenancy.tenant_context(tenant):
                drain_backlog(team)
        except Exception as exc:  # noqa: BLE001 - re-raised by the test through `errors`
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with tenancy.tenant_context(tenant):
        rows = Ticket.objects.filter(channel=channel).order_by("created_at", "id")
        load = dict(rows.exclude(assignee=None).order_by().values_list("assignee_id").annotate(n=Count("id")))
        assert load == {m.user_id: 4 for m in members}
        # Oldest first: the eight oldest were handed out, the four newest still wait.
        assert [row.assignee_id is None for row in rows] == [False] * 8 + [True] * 4
