"""Inbox reports through the API: volumes per local day in the tenant's time zone, business-hours medians and p90
(from the summary's histograms: within one bucket of the exact figure), per agent / category / channel / sentiment,
CSV, range validation, permissions, tenant isolation and bounded queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from core import tenancy
from inbox.models import Category, Ticket, TicketCategory
from inbox.report_histogram import bucket_of
from inbox.services import report_summary
from inbox.tests.factories import TicketFactory
from social.models import TeamChannel
from social.tests.factories import ChannelFactory
from tenants.models import Team, Tenant
from tenants.roles import Role

URL = "/api/v1/inbox/reports/"
RANGE = {"from": "2026-03-01", "to": "2026-03-03"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def ticket(tenant, *, created, answered=None, fr=None, resolved=None, res=None, archived=None, **fields) -> Ticket:
    """A ticket whose moments (UTC) and business-hours durations are set directly (inbox-hours computes them), in
    the summary as the services would put it."""
    with tenancy.tenant_context(tenant), report_summary.tracking():
        row = TicketFactory(tenant=tenant, **fields)
        report_summary.track_created([row.pk])
        Ticket.objects.filter(pk=row.pk).update(
            created_at=created,
            first_response_at=answered,
            first_response_business_seconds=fr,
            resolved_at=resolved,
            resolution_business_seconds=res,
            archived_at=archived,
        )
    return row


def near(value: float | None, low: int, high: int | None = None) -> bool:
    """`value` lies within the histogram buckets of the exact percentile's neighbouring values `low`..`high` (the
    documented precision)."""
    return value is not None and bucket_of(low) <= bucket_of(value) <= bucket_of(high if high is not None else low)


@pytest.fixture
def paris(tenant):
    with tenancy.platform_access():
        Tenant.objects.filter(pk=tenant.pk).update(timezone="Europe/Paris")
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, name="Main page")


@pytest.fixture
def other_channel(tenant):
    return ChannelFactory(tenant=tenant, name="Second page")


def first_responses(tenant, channel, **fields):
    """Five tickets answered on March 2nd after 60, 120, 180, 240 and 3600 business seconds: median 180, p90
    240 + 0.6 * (3600 - 240) = 2256 (linear interpolation, as percentile_cont)."""
    return [
        ticket(tenant, channel=channel, created=at(2, 8), answered=at(2, 10), fr=seconds, **fields)
        for seconds in (3600, 60, 240, 120, 180)
    ]


def test_overview_buckets_days_in_the_tenants_time_zone_with_medians_and_p90(paris, owner_client, channel):
    tenant = paris
    first_responses(tenant, channel)
    # 23:30 UTC on March 1st is 00:30 on March 2nd in Paris.
    ticket(tenant, channel=channel, created=at(1, 23, 30))
    ticket(tenant, channel=channel, created=at(1, 9), resolved=at(3, 9), res=100, archived=at(3, 9))
    ticket(tenant, channel=channel, created=at(1, 9), resolved=at(3, 10), res=300, archived=at(3, 10))
    ticket(tenant, channel=channel, created=at(1, 9), is_own=True)  # our own item: never counted
    ticket(tenant, channel=channel, created=at(4, 9))  # March 4th: outside the range

    response = owner_client.get(URL + "overview", RANGE)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["from"], body["to"], body["timezone"]) == ("2026-03-01", "2026-03-03", "Europe/Paris")
    days = {day["date"]: day for day in body["days"]}
    assert list(days) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert [days[d]["created"] for d in days] == [2, 6, 0]
    assert days["2026-03-02"]["answered"] == 5
    # Exact: median 180, p90 2256 (between 240 and 3600): the histograms answer within those values' buckets.
    assert near(days["2026-03-02"]["firstResponseMedianSeconds"], 180)
    assert near(days["2026-03-02"]["firstResponseP90Seconds"], 240, 3600)
    assert days["2026-03-01"]["firstResponseMedianSeconds"] is None
    assert (days["2026-03-03"]["resolved"], days["2026-03-03"]["archived"]) == (2, 2)
    assert near(days["2026-03-03"]["resolutionMedianSeconds"], 100, 300)  # exact 200
    assert near(days["2026-03-03"]["resolutionP90Seconds"], 100, 300)  # exact 280
    totals = body["totals"]
    assert (totals["created"], totals["answered"], totals["resolved"], totals["archived"]) == (8, 5, 2, 2)
    for name in ("firstResponseMedianSeconds", "firstResponseP90Seconds", "resolutionMedianSeconds"):
        assert totals[name] == days["2026-03-02" if name.startswith("first") else "2026-03-03"][name]
    assert totals["resolutionP90Seconds"] == days["2026-03-03"]["resolutionP90Seconds"]


def test_an_empty_range_gives_zeros_and_nulls_for_every_day(owner_client):
    response = owner_client.get(URL + "overview", {"from": "2026-02-27", "to": "2026-03-01"})

    assert response.status_code == 200
    body = response.json()
    assert [day["date"] for day in body["days"]] == ["2026-02-27", "2026-02-28", "2026-03-01"]
    assert all(day["created"] == day["answered"] == 0 for day in body["days"])
    assert body["totals"]["created"] == 0
    assert body["totals"]["firstResponseMedianSeconds"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"channel": "not-a-uuid"}, "channel"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_ranges_and_filters_are_400_in_the_documented_shape(owner_client, params, field):
    response = owner_client.get(URL + "channels", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]


def test_agents_report_has_a_row_per_assignee_and_one_for_the_unassigned(tenant, owner_client, make_member, channel):
    ann = make_member(tenant, Role.AGENT, first_name="Ann", last_name="Lee")
    bob = make_member(tenant, Role.AGENT, first_name="Bob", last_name="Ray")
    first_responses(tenant, channel, assignee=ann.user)
    ticket(tenant, channel=channel, created=at(2, 9), answered=at(2, 9, 30), fr=30, assignee=bob.user)
    ticket(tenant, channel=channel, created=at(2, 9))

    response = owner_client.get(URL + "agents", RANGE)

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"Ann Lee", "Bob Ray", ""}
    assert rows["Ann Lee"]["id"] == str(ann.user.pk)
    assert (rows["Ann Lee"]["created"], rows["Ann Lee"]["answered"]) == (5, 5)
    assert near(rows["Ann Lee"]["firstResponseP90Seconds"], 240, 3600)
    assert near(rows["Bob Ray"]["firstResponseMedianSeconds"], 30)
    assert rows[""]["id"] is None
    assert (rows[""]["created"], rows[""]["answered"]) == (1, 0)


def test_a_ticket_counts_in_each_of_its_categories(tenant, owner_client, channel):
    with tenancy.tenant_context(tenant):
        billing = Category.objects.create(name="Billing")
        urgent = Category.objects.create(name="Urgent")
    both = ticket(tenant, channel=channel, created=at(2, 9), answered=at(2, 10), fr=50)
    only_billing = ticket(tenant, channel=channel, created=at(2, 9), answered=at(2, 10), fr=150)
    ticket(tenant, channel=channel, created=at(2, 9))
    with tenancy.tenant_context(tenant), report_summary.tracking([both.pk, only_billing.pk]):
        TicketCategory.objects.create(ticket=both, category=billing)
        TicketCategory.objects.create(ticket=both, category=urgent)
        TicketCategory.objects.create(ticket=only_billing, category=billing)

    response = owner_client.get(URL + "categories", RANGE)

    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"Billing", "Urgent", ""}
    assert rows["Billing"]["created"] == 2 and near(rows["Billing"]["firstResponseMedianSeconds"], 50, 150)
    assert rows["Urgent"]["created"] == 1 and near(rows["Urgent"]["firstResponseMedianSeconds"], 50)
    assert (rows[""]["id"], rows[""]["created"]) == (None, 1)


def test_channels_and_sentiments_reports_and_the_channel_filter(tenant, owner_client, channel, other_channel):
    first_responses(tenant, channel, sentiment="NEGATIVE")
    ticket(tenant, channel=other_channel, created=at(2, 9), sentiment="POSITIVE")

    channels = owner_client.get(URL + "channels", RANGE).json()["results"]
    sentiments = owner_client.get(URL + "sentiments", RANGE).json()["results"]
    filtered = owner_client.get(URL + "sentiments", {**RANGE, "channel": str(other_channel.pk)}).json()["results"]

    assert [(row["name"], row["created"]) for row in channels] == [("Main page", 5), ("Second page", 1)]
    assert channels[0]["id"] == str(channel.pk)
    assert [(row["id"], row["created"]) for row in sentiments] == [("NEGATIVE", 5), ("POSITIVE", 1)]
    assert near(sentiments[0]["firstResponseMedianSeconds"], 180)
    assert sentiments[1]["firstResponseMedianSeconds"] is None
    assert [(row["id"], row["created"]) for row in filtered] == [("POSITIVE", 1)]


def test_the_team_filter_keeps_the_teams_tickets(tenant, owner_client, channel):
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Care")
    ticket(tenant, channel=channel, created=at(2, 9), team=team)
    ticket(tenant, channel=channel, created=at(2, 9))

    totals = owner_client.get(URL + "overview", {**RANGE, "team": str(team.pk)}).json()["totals"]

    assert totals["created"] == 1


def test_csv_gives_the_same_rows(tenant, owner_client, channel):
    first_responses(tenant, channel)

    overview = owner_client.get(URL + "overview", {**RANGE, "format": "csv"})
    channels = owner_client.get(URL + "channels", {**RANGE, "format": "csv"})

    assert overview.status_code == 200
    assert overview["Content-Type"].startswith("text/csv")
    assert 'filename="inbox-overview-2026-03-01-2026-03-03.csv"' in overview["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(overview.content.decode())))
    assert [row["date"] for row in rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    json_day = owner_client.get(URL + "overview", RANGE).json()["days"][1]
    assert (rows[1]["created"], rows[0]["firstResponseMedianSeconds"]) == ("5", "")
    assert float(rows[1]["firstResponseP90Seconds"]) == json_day["firstResponseP90Seconds"]
    channel_rows = list(csv.DictReader(io.StringIO(channels.content.decode())))
    assert [(r["id"], r["name"], r["answered"]) for r in channel_rows] == [(str(channel.pk), "Main page", "5")]


def test_reports_are_for_managers_and_analysts_not_agents_or_viewers(tenant, make_member, api_client_for):
    allowed = {Role.MANAGER: 200, Role.ANALYST: 200, Role.AGENT: 403, Role.VIEWER: 403}
    for role, status in allowed.items():
        client = api_client_for(make_member(tenant, role))
        response = client.get(URL + "agents", RANGE)
        assert response.status_code == status, role
        if status == 403:
            assert response.json()["error"]["code"] == "FORBIDDEN"


def test_another_tenants_tickets_never_count(tenant, other_tenant, owner_client, channel):
    theirs = ChannelFactory(tenant=other_tenant)
    first_responses(other_tenant, theirs)
    ticket(tenant, channel=channel, created=at(2, 9))

    mine = owner_client.get(URL + "overview", RANGE).json()["totals"]
    by_their_channel = owner_client.get(URL + "channels", {**RANGE, "channel": str(theirs.pk)}).json()["results"]

    assert (mine["created"], mine["answered"]) == (1, 0)
    assert by_their_channel == []


def test_a_member_sees_only_their_teams_channels(tenant, make_member, api_client_for, channel, other_channel):
    manager = make_member(tenant, Role.MANAGER)
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Care")
        team.members.create(user=manager.user)
    _attach(tenant, team, channel)
    first_responses(tenant, channel)
    ticket(tenant, channel=other_channel, created=at(2, 9))

    rows = api_client_for(manager).get(URL + "channels", RANGE).json()["results"]

    assert [(row["id"], row["created"]) for row in rows] == [(str(channel.pk), 5)]


def _attach(tenant, team, channel) -> None:
    with tenancy.tenant_context(tenant):
        TeamChannel.objects.create(team=team, channel=channel)


def test_reports_run_a_bounded_number_of_queries(tenant, owner_client, make_member, django_assert_max_num_queries):
    for i in range(6):
        member = make_member(tenant, Role.AGENT)
        first_responses(tenant, ChannelFactory(tenant=tenant, name=f"C{i}"), assignee=member.user)

    # Authentication and tenancy take a handful; the report itself 6 (overview) or 5 (per dimension) on
    # PostgreSQL, a couple more on SQLite (the window queries).
    with django_assert_max_num_queries(16):
        assert owner_client.get(URL + "overview", RANGE).status_code == 200
    with django_assert_max_num_queries(15):
        assert len(owner_client.get(URL + "agents", RANGE).json()["results"]) == 6
    with django_assert_max_num_queries(15):
        assert len(owner_client.get(URL + "channels", RANGE).json()["results"]) == 6
