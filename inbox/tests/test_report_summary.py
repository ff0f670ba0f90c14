"""The report summary against the tickets, over randomised data (fixed seeds) in Europe/Paris across the March 2026
DST change: tickets created, answered, resolved and archived at random moments with random durations, owners,
teams, sentiments and categories, then changed through the services (assign, sentiment, categorize, archive,
unarchive, a category deleted with reassignment). The summary the services kept equals a rebuild from the tickets;
every report from it has the exact counts of the computation straight from the tickets (inbox.tests.exact_reports)
and percentiles within one histogram bucket of the exact ones."""

from __future__ import annotations

import importlib
import itertools
import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from core import tenancy
from core.auth import Principal
from core.dates import LocalRange
from core.models import AuditLogEntry
from inbox import reports
from inbox.incoming import IncomingItem
from inbox.models import SUMMARY_COLUMNS, ActionStatus, Category, Ticket, TicketCategory, TicketDaySummary
from inbox.report_histogram import EDGES, bucket_of, percentile
from inbox.services import report_summary
from inbox.services.actions import execute_action, perform_action
from inbox.services.business_hours import normalise_hours, set_business_hours
from inbox.services.categories import delete_category
from inbox.services.ingestion import ingest
from inbox.tests import exact_reports
from inbox.tests.factories import TicketFactory
from social.models import TeamChannel
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory
from tenants.models import Team, Tenant, User
from tenants.roles import Role

FIRST, LAST = date(2026, 3, 27), date(2026, 3, 31)  # Paris moves to summer time on Sunday March 29th
START = datetime(2026, 3, 26, 18, tzinfo=UTC)
SENTIMENTS = ("", "", "POSITIVE", "NEGATIVE", "NEUTRAL")
DIMENSIONS = ("agents", "categories", "channels", "sentiments")


def test_histogram_buckets_are_sqrt2_wide_above_a_minute_and_percentiles_interpolate_inside():
    assert (bucket_of(0), bucket_of(59), bucket_of(60), bucket_of(84), bucket_of(85)) == (0, 0, 1, 1, 2)
    assert all(1.41 <= high / low <= 1.42 for low, high in itertools.pairwise(EDGES))
    assert bucket_of(10**9) == len(EDGES)  # the open last bucket
    counts = [0] * (len(EDGES) + 1)
    counts[bucket_of(100)] = 3
    assert percentile(counts, 0.5) == pytest.approx(100, rel=0.2)
    assert percentile([0] * len(counts), 0.5) is None


@pytest.fixture
def world(tenant, make_member):
    with tenancy.platform_access():
        Tenant.objects.filter(pk=tenant.pk).update(timezone="Europe/Paris")
    tenant.refresh_from_db()
    owner = make_member(tenant, Role.OWNER)
    agents = [make_member(tenant, Role.AGENT).user for _ in range(3)]
    with tenancy.tenant_context(tenant):
        teams = [Team.objects.create(name=f"Team {i}") for i in range(2)]
        categories = [Category.objects.create(name=f"Category {i}") for i in range(3)]
    channels = [ChannelFactory(tenant=tenant, name=f"Page {i}") for i in range(2)]
    return {
        "tenant": tenant,
        "actor": Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user, is_tenant_admin=True),
        "agents": agents,
        "teams": teams,
        "categories": categories,
        "channels": channels,
    }


def _seconds(rng: random.Random) -> int:
    return int(rng.lognormvariate(7.5, 1.6)) if rng.random() < 0.95 else rng.randrange(60)


def _fill(world: dict, rng: random.Random, count: int = 120) -> list[Ticket]:
    """`count` tickets with random moments and attributes, written behind the services but tracked like them."""
    tenant = world["tenant"]
    tickets = []
    with tenancy.tenant_context(tenant), report_summary.tracking():
        for _ in range(count):
            created = START + timedelta(hours=rng.uniform(0, 24 * 5 + 12))
            answered = created + timedelta(minutes=rng.expovariate(1 / 200)) if rng.random() < 0.8 else None
            resolved = (answered or created) + timedelta(hours=rng.expovariate(1 / 15)) if rng.random() < 0.6 else None
            row = TicketFactory(
                tenant=tenant,
                channel=rng.choice(world["channels"]),
                assignee=rng.choice([*world["agents"], None]),
                team=rng.choice([*world["teams"], None]),
                sentiment=rng.choice(SENTIMENTS),
                is_own=rng.random() < 0.05,
            )
            report_summary.track_created([row.pk])
            Ticket.objects.filter(pk=row.pk).update(
                created_at=created,
                first_response_at=answered,
                first_response_business_seconds=_seconds(rng) if answered else None,
                resolved_at=resolved,
                resolution_business_seconds=_seconds(rng) * 10 if resolved else None,
                archived_at=resolved if resolved and rng.random() < 0.8 else None,
            )
            for category in rng.sample(world["categories"], rng.choice((0, 0, 1, 1, 2))):
                TicketCategory.objects.create(ticket=row, category=category)
            tickets.append(row)
    return tickets


def _act(world: dict, rng: random.Random, tickets: list[Ticket]) -> None:
    """Changes through the services, at moments inside the range."""
    actor = world["actor"]
    with tenancy.tenant_context(world["tenant"]):
        for step, ticket in enumerate(rng.sample(tickets, 40)):
            with time_machine.travel(START + timedelta(hours=30 + step * 2), tick=False):
                choice = step % 5
                if choice == 0:
                    perform_action(ticket, "assign", actor=actor, params={"user": rng.choice(world["agents"])})
                elif choice == 1:
                    perform_action(ticket, "sentiment", actor=actor, params={"value": rng.choice(SENTIMENTS)})
                elif choice == 2:
                    ids = [str(c.pk) for c in rng.sample(world["categories"], rng.choice((0, 1, 2)))]
                    perform_action(ticket, "categorize", actor=actor, params={"categoryIds": ids})
                elif choice == 3:
                    perform_action(Ticket.objects.get(pk=ticket.pk), "archive", actor=actor)
                else:
                    perform_action(Ticket.objects.get(pk=ticket.pk), "unarchive", actor=actor)
        gone, kept = world["categories"][0], world["categories"][1]
        delete_category(gone, actor=actor, reassign_to=kept)


def _zone(tenant) -> ZoneInfo:
    return ZoneInfo(tenant.timezone)


def _summary_rows() -> dict:
    rows = TicketDaySummary.objects.values_list("grain", "day", "channel_id", "team", "key", *SUMMARY_COLUMNS)
    return {row[:5]: row[5:] for row in rows if any(row[5:])}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_summary_kept_by_the_services_equals_a_rebuild_from_the_tickets(world, seed):
    rng = random.Random(seed)
    _act(world, rng, _fill(world, rng))
    with tenancy.tenant_context(world["tenant"]):
        kept = _summary_rows()
        assert kept, "the services wrote rows"

        written = report_summary.rebuild_summary(FIRST - timedelta(days=7), LAST + timedelta(days=14), actor=None)
        rebuilt = _summary_rows()
        again = report_summary.rebuild_summary(FIRST - timedelta(days=7), LAST + timedelta(days=14), actor=None)

        assert rebuilt == kept
        assert again == written
        assert _summary_rows() == kept  # idempotent


def _assert_close(summary: dict, exact: dict, where: str) -> None:
    for column in ("created", "answered", "resolved", "archived"):
        assert summary[column] == exact[column], (where, column)
    for column in reports.METRIC_COLUMNS[4:]:
        estimate, truth = summary[column], exact[column]
        assert (estimate is None) == (truth is None), (where, column)
        if truth is not None:
            assert abs(bucket_of(estimate) - bucket_of(truth)) <= 1, (where, column, estimate, truth)


def _assert_reports_match_the_exact_computation(world: dict, make_member) -> None:
    """Every report from the summary, for four scopes, has the exact counts and percentiles within one bucket."""
    tenant = world["tenant"]
    member = make_member(tenant, Role.MANAGER)
    with tenancy.tenant_context(tenant):
        world["teams"][0].members.create(user=member.user)
        TeamChannel.objects.create(team=world["teams"][0], channel=world["channels"][1])
    manager = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=member.user, is_tenant_admin=False)
    span = LocalRange(FIRST, LAST, _zone(tenant))
    scopes = [
        ("everything", world["actor"], {}),
        ("one channel", world["actor"], {"channel_ids": [world["channels"][0].pk]}),
        ("one team", world["actor"], {"team_id": world["teams"][1].pk}),
        ("a member's channels", manager, {}),
    ]
    with tenancy.tenant_context(tenant):
        for label, principal, filters in scopes:
            scope = reports.report_scope(principal, **filters)
            tickets = exact_reports.report_tickets(principal, **filters)
            summary, exact = reports.overview(scope, span), exact_reports.overview(tickets, span)
            assert exact["totals"]["created"] > 10 and exact["totals"]["resolutionP90Seconds"], label
            _assert_close(summary["totals"], exact["totals"], f"{label} totals")
            assert [d["date"] for d in summary["days"]] == [d["date"] for d in exact["days"]]
            for day, truth in zip(summary["days"], exact["days"], strict=True):
                _assert_close(day, truth, f"{label} {day['date']}")
            for dimension in DIMENSIONS:
                rows = reports.by_dimension(scope, span, dimension)["results"]
                truths = exact_reports.by_dimension(tickets, span, dimension, principal)["results"]
                assert [(r["id"], r["name"]) for r in rows] == [(r["id"], r["name"]) for r in truths], (
                    label,
                    dimension,
                )
                for row, truth in zip(rows, truths, strict=True):
                    _assert_close(row, truth, f"{label} {dimension} {row['name']}")


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_reports_from_the_summary_match_the_exact_computation(world, make_member, seed):
    rng = random.Random(seed)
    _act(world, rng, _fill(world, rng, count=160))
    _assert_reports_match_the_exact_computation(world, make_member)


# Channel 0 opens on weekdays in Paris, closed for lunch and on Monday March 30th (a holiday after the DST change).
OFFICE = normalise_hours(
    timezone="Europe/Paris",
    periods=[
        {"day": day, "start": start, "end": end}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for start, end in (("09:00", "12:30"), ("13:30", "18:00"))
    ],
    holidays=[{"date": date(2026, 3, 30), "name": "Closed"}],
    auto_reply_enabled=False,
    auto_reply_text="",
)


def _work_through_the_services(world: dict, rng: random.Random, count: int = 70) -> None:
    """Comments ingested from the sandbox network at random moments (most routed to a team), then, in time order,
    answered (the reply sent to the network stamps the first response and comes back as our own item), assigned to
    agents or routed to teams, given sentiments and categories, archived and some unarchived, all through the
    services."""
    tenant, actor, channels = world["tenant"], world["actor"], world["channels"]
    events = []
    for n in range(count):
        arrived = START + timedelta(hours=rng.uniform(0, 24 * 4))
        events.append((arrived, "arrive", n))
        answered = arrived + timedelta(minutes=rng.expovariate(1 / 300))
        if rng.random() < 0.75:
            events.append((answered, "reply", n))
        if rng.random() < 0.6:
            closed = answered + timedelta(hours=rng.expovariate(1 / 12))
            events.append((closed, "archive", n))
            if rng.random() < 0.2:
                events.append((closed + timedelta(hours=2), "unarchive", n))
        for _ in range(rng.choice((0, 1, 2))):
            events.append((arrived + timedelta(minutes=rng.uniform(1, 900)), rng.choice(CHANGES), n))
    events.append((START + timedelta(days=4), "delete category", None))
    events.sort(key=lambda event: (event[0], str(event[2])))
    tickets: dict[int, Ticket] = {}
    with tenancy.tenant_context(tenant):
        set_business_hours(channels[0], actor=actor, document=OFFICE)
        for at, kind, n in events:
            with time_machine.travel(at, tick=False):
                if kind == "arrive":
                    channel = rng.choice(channels)
                    remote = inject_inbound(channel.external_id, kind="comment", text="Where is it?", author_id=f"f{n}")
                    item = IncomingItem(
                        network_item_id=remote, type="comment", text="Where is it?", author_id=f"f{n}", created_at=at
                    )
                    ingest(channel, [item])
                    tickets[n] = Ticket.objects.get(channel=channel, network_item_id=remote)
                    if rng.random() < 0.7:
                        _change(world, rng, tickets[n], "route")
                elif kind == "delete category":
                    gone, kept = world["categories"][0], world["categories"][1]
                    delete_category(gone, actor=actor, reassign_to=kept)
                    world["categories"] = world["categories"][1:]
                else:
                    _change(world, rng, Ticket.objects.get(pk=tickets[n].pk), kind)


CHANGES = ("assign", "route", "sentiment", "categorize")


def _change(world: dict, rng: random.Random, ticket: Ticket, kind: str) -> None:
    actor = world["actor"]
    if kind == "reply":
        action = perform_action(ticket, "reply", actor=actor, params={"text": "On its way."})
        assert execute_action(action.pk) == ActionStatus.DONE
    elif kind in ("archive", "unarchive"):
        perform_action(ticket, kind, actor=actor)
    elif kind == "assign":
        perform_action(ticket, "assign", actor=actor, params={"user": rng.choice([*world["agents"], None])})
    elif kind == "route":
        perform_action(ticket, "assign", actor=actor, params={"team": rng.choice(world["teams"])})
    elif kind == "sentiment":
        perform_action(ticket, "sentiment", actor=actor, params={"value": rng.choice(SENTIMENTS)})
    else:
        ids = [str(c.pk) for c in rng.sample(world["categories"], rng.choice((0, 1, 2)))]
        perform_action(ticket, "categorize", actor=actor, params={"categoryIds": ids})


@pytest.mark.parametrize("seed", [31, 32])
def test_a_rebuild_of_tickets_worked_through_the_services_equals_the_kept_summary_and_the_exact_reports(
    world, make_member, other_tenant, seed
):
    rng = random.Random(seed)
    with tenancy.tenant_context(other_tenant):
        categories = [Category.objects.create(name=f"Theirs {i}") for i in range(2)]
    theirs = {"channels": [ChannelFactory(tenant=other_tenant)], "agents": [], "teams": [], "categories": categories}
    _fill({"tenant": other_tenant, **theirs}, rng, count=20)
    with tenancy.tenant_context(other_tenant):
        their_rows = _summary_rows()
    _work_through_the_services(world, rng)
    tenant = world["tenant"]
    span = (FIRST - timedelta(days=7), LAST + timedelta(days=14))
    with tenancy.tenant_context(tenant):
        tickets = list(Ticket.objects.all())
        # The data covers what the summary depends on: our own replies (never counted), every state, and business
        # hours that shorten the first response on channel 0 (nights, weekend, the holiday).
        assert {t.is_own for t in tickets} == {True, False}
        assert {t.status for t in tickets if not t.is_own} == {"open", "archived"}
        assert any(
            t.channel_id == world["channels"][0].pk
            and t.first_response_business_seconds < (t.first_response_at - t.created_at).total_seconds() - 3600
            for t in tickets
            if t.first_response_at
        )
        kept = _summary_rows()
        assert kept, "the services wrote rows"

        TicketDaySummary.objects.all().delete()  # from nothing: every row comes from the rebuild
        written = report_summary.rebuild_summary(*span, actor=None)
        assert _summary_rows() == kept
        assert report_summary.rebuild_summary(*span, actor=None) == written  # idempotent
        assert _summary_rows() == kept
        assert written == len(kept)
    with tenancy.tenant_context(other_tenant):
        assert _summary_rows() == their_rows  # another tenant's rows are not touched
    _assert_reports_match_the_exact_computation(world, make_member)


def test_the_command_rebuilds_a_tenant_after_its_time_zone_changed(world):
    tenant = world["tenant"]
    _fill(world, random.Random(5), count=40)
    with tenancy.platform_access():
        Tenant.objects.filter(pk=tenant.pk).update(timezone="America/New_York")
    tenant.refresh_from_db()
    span = LocalRange(FIRST, LAST, _zone(tenant))
    owner = world["actor"]
    with tenancy.tenant_context(tenant):
        exact = exact_reports.overview(exact_reports.report_tickets(owner), span)
        stale = reports.overview(reports.report_scope(owner), span)
        assert exact["totals"]["created"] > 10
        assert [d["created"] for d in stale["days"]] != [d["created"] for d in exact["days"]]  # Paris days still

    call_command("rebuild_inbox_report_summary", "--tenant", str(tenant.pk), "--from", "2026-03-20")

    with tenancy.tenant_context(tenant):
        fresh = reports.overview(reports.report_scope(owner), span)
    assert [d["created"] for d in fresh["days"]] == [d["created"] for d in exact["days"]]
    assert fresh["totals"]["created"] == exact["totals"]["created"]


def test_admin_lists_the_summary_and_rebuilds_the_selected_days_audited(client, world):
    tenant = world["tenant"]
    _fill(world, random.Random(7), count=30)
    with tenancy.tenant_context(tenant):
        kept = _summary_rows()
        row = TicketDaySummary.objects.filter(grain="channel", created_count__gt=0).order_by("day").first()
        TicketDaySummary.objects.filter(day=row.day).update(created_count=999)  # drifted
    client.force_login(User.objects.create_superuser("staff@hubbub.local", "pw"))
    changelist = reverse("admin:inbox_ticketdaysummary_changelist")

    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"grain": "agentTotal"}).status_code == 200
    response = client.post(changelist, {"action": "rebuild", "_selected_action": [row.pk]})

    assert response.status_code == 302
    with tenancy.tenant_context(tenant):
        assert _summary_rows() == kept
        entry = AuditLogEntry.objects.get(action="inbox.reportSummary.rebuilt")
    assert entry.changes["from"] == entry.changes["to"] == row.day.isoformat()


def test_ingestion_counts_new_tickets_once_and_never_our_own_items(world):
    tenant, channel = world["tenant"], world["channels"][0]
    page = channel.external_id
    items = [
        IncomingItem(network_item_id=f"c{i}", type="comment", text="hi", author_id=f"fan-{i}", created_at=START)
        for i in range(3)
    ]
    own = IncomingItem(network_item_id="own", type="reply", text="thanks", author_id=page, parent_id="c0")
    with tenancy.tenant_context(tenant):
        ingest(channel, [*items, own])
        ingest(channel, items)  # delivered twice: nothing new
        today = Ticket.objects.get(network_item_id="c0").created_at.astimezone(_zone(tenant)).date()
        kept = _summary_rows()
        report_summary.rebuild_summary(today, today, actor=None)

        assert _summary_rows() == kept
        row = TicketDaySummary.objects.get(grain="channel", day=today, channel_id=channel.pk)
    assert (row.created_count, row.archived_count) == (3, 0)


def test_the_migration_fills_the_sentiment_totals_from_the_sentiment_rows(world):
    migration = importlib.import_module("inbox.migrations.0011_report_summary_sentiment_total")
    _fill(world, random.Random(9), count=60)
    with tenancy.tenant_context(world["tenant"]):
        kept = _summary_rows()
        assert any(key[0] == "sentimentTotal" for key in kept)
        TicketDaySummary.objects.filter(grain="sentimentTotal").delete()  # as before the migration

        migration.fill_sentiment_totals(django_apps, SimpleNamespace(connection=connection))

        assert _summary_rows() == kept
