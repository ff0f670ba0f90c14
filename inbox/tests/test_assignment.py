"""Round-robin assignment inside a team, with each agent's capacity and availability, through the API: the manual
`assign` with a team only, the backlog drained oldest first when capacity frees, and the agents' settings endpoints
(who may change what, denials that change nothing, bounded queries)."""

from __future__ import annotations

import pytest

from core import tenancy
from core.models import AuditLogEntry
from inbox.models import InboxAgent, Ticket, TicketEvent
from inbox.services.assignment import drain_backlog, route_to_team
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory
from tenants.models import Team
from tenants.roles import Role

TICKETS = "/api/v1/inbox/tickets/"
AGENTS = "/api/v1/inbox/agents/"


@pytest.fixture
def team(tenant):
    with tenancy.tenant_context(tenant):
        return Team.objects.create(name="Care")


@pytest.fixture
def agents(tenant, team, make_member):
    """Ann (room for 1), Bob (room for 2), Cy (unavailable), all in the team; a VIEWER in it never gets tickets."""
    members = {
        name: make_member(tenant, role, first_name=name)
        for name, role in (("Ann", Role.AGENT), ("Bob", Role.AGENT), ("Cy", Role.AGENT), ("Vi", Role.VIEWER))
    }
    settings = {"Ann": (1, True), "Bob": (2, True), "Cy": (None, False)}
    with tenancy.tenant_context(tenant):
        for name, member in members.items():
            team.members.create(user=member.user)
            if name in settings:
                capacity, available = settings[name]
                InboxAgent.objects.create(user=member.user, max_open_tickets=capacity, is_available=available)
    return members


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant)


def new_tickets(tenant, channel, count: int) -> list[Ticket]:
    return [TicketFactory(tenant=tenant, channel=channel) for _ in range(count)]


def assignees(tenant, tickets) -> list:
    with tenancy.tenant_context(tenant):
        by_id = dict(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("pk", "assignee_id"))
    return [by_id[t.pk] for t in tickets]


def assign_to_team(client, ticket, team):
    return client.post(f"{TICKETS}{ticket.pk}/actions/assign", {"teamId": str(team.pk)}, format="json")


def test_assigning_to_a_team_goes_round_robin_within_capacity_and_the_rest_waits(
    tenant, owner_client, team, agents, channel
):
    tickets = new_tickets(tenant, channel, 4)

    for row in tickets:
        response = assign_to_team(owner_client, row, team)
        assert response.status_code == 201, response.json()

    ann, bob = agents["Ann"].user.pk, agents["Bob"].user.pk
    # Never-assigned first (Ann, Bob by id order, whichever is first), then the one who waited longest; Cy is away
    # and Vi may not work tickets; the fourth ticket finds no room and stays in the team's backlog.
    got = assignees(tenant, tickets)
    assert sorted(got[:3], key=str) == sorted([ann, bob, bob], key=str)
    assert got[3] is None
    with tenancy.tenant_context(tenant):
        assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("team_id", flat=True)) == {team.pk}
        events = TicketEvent.objects.filter(ticket=tickets[3], kind="roundRobin").values_list("data", flat=True)
        assert list(events) == [{"teamId": str(team.pk), "assigneeId": None}]


def test_round_robin_rotates_between_agents_with_room(tenant, team, agents, channel):
    with tenancy.tenant_context(tenant):
        InboxAgent.objects.update(max_open_tickets=None, is_available=True)
        tickets = new_tickets(tenant, channel, 6)
        route_to_team(tickets, team=team)
    got = assignees(tenant, tickets)
    # Three agents, six tickets: each gets two, in a repeating order.
    assert got[:3] == got[3:]
    assert len(set(got)) == 3
    assert agents["Vi"].user.pk not in got


def test_archiving_frees_capacity_and_the_backlog_drains_oldest_first(
    tenant, owner_client, team, agents, channel, django_capture_on_commit_callbacks
):
    tickets = new_tickets(tenant, channel, 5)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
    got = assignees(tenant, tickets)
    assert got[3:] == [None, None]
    ann = agents["Ann"].user.pk
    anns_ticket = tickets[got.index(ann)]

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{TICKETS}{anns_ticket.pk}/actions/archive", {}, format="json")

    assert response.status_code == 201
    # Ann has room again: the oldest waiting ticket is hers, the newest still waits.
    assert assignees(tenant, tickets[3:]) == [ann, None]


def test_unassigning_frees_capacity_for_the_backlog(
    tenant, owner_client, team, agents, channel, django_capture_on_commit_callbacks
):
    tickets = new_tickets(tenant, channel, 4)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
    bob = agents["Bob"].user.pk
    bobs_ticket = tickets[assignees(tenant, tickets).index(bob)]

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.patch(
            f"{TICKETS}{bobs_ticket.pk}/", {"assigneeId": None, "teamId": None}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert assignees(tenant, [bobs_ticket, tickets[3]]) == [None, bob]


def test_an_agent_coming_back_takes_the_backlog(
    tenant, api_client_for, team, agents, channel, django_capture_on_commit_callbacks
):
    tickets = new_tickets(tenant, channel, 5)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
    cy = agents["Cy"]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(cy).patch(f"{AGENTS}{cy.user.pk}", {"isAvailable": True}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["isAvailable"] is True
    # Cy has no limit: the whole backlog is theirs.
    assert assignees(tenant, tickets[3:]) == [cy.user.pk, cy.user.pk]
    assert response.json()["openTicketCount"] == 0  # read before the drain ran after commit
    assert api_client_for(cy).get(f"{AGENTS}{cy.user.pk}").json()["openTicketCount"] == 2


def test_more_capacity_drains_the_backlog_up_to_the_new_limit(
    tenant, owner_client, team, agents, channel, django_capture_on_commit_callbacks
):
    tickets = new_tickets(tenant, channel, 6)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
    ann = agents["Ann"].user.pk

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.patch(f"{AGENTS}{ann}", {"maxOpenTickets": 3}, format="json")

    assert response.status_code == 200
    assert response.json()["maxOpenTickets"] == 3
    assert assignees(tenant, tickets[3:]) == [ann, ann, None]
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="inbox.agent.updated")
    assert entry.changes == {"maxOpenTickets": [1, 3]}


def test_drain_does_nothing_without_room(tenant, team, agents, channel):
    tickets = new_tickets(tenant, channel, 4)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
        assert drain_backlog(team) == 0
    assert assignees(tenant, tickets)[3] is None


def test_an_agent_may_not_set_capacity_nor_someone_elses_availability(tenant, api_client_for, agents):
    ann, bob = agents["Ann"], agents["Bob"]
    client = api_client_for(ann)

    capacity = client.patch(f"{AGENTS}{ann.user.pk}", {"maxOpenTickets": 50}, format="json")
    others = client.patch(f"{AGENTS}{bob.user.pk}", {"isAvailable": False}, format="json")
    own = client.patch(f"{AGENTS}{ann.user.pk}", {"isAvailable": False}, format="json")

    assert (capacity.status_code, others.status_code, own.status_code) == (403, 403, 200)
    with tenancy.tenant_context(tenant):
        rows = {a.user_id: (a.max_open_tickets, a.is_available) for a in InboxAgent.objects.all()}
    assert rows[ann.user.pk] == (1, False)
    assert rows[bob.user.pk] == (2, True)


def test_a_viewer_may_read_agents_but_not_change_them(tenant, api_client_for, agents):
    viewer, ann = agents["Vi"], agents["Ann"]

    listed = api_client_for(viewer).get(AGENTS)
    changed = api_client_for(viewer).patch(f"{AGENTS}{ann.user.pk}", {"isAvailable": False}, format="json")

    assert listed.status_code == 200
    assert changed.status_code == 403
    with tenancy.tenant_context(tenant):
        assert InboxAgent.objects.get(user=ann.user).is_available is True


def test_bad_capacity_is_400(owner_client, agents):
    response = owner_client.patch(f"{AGENTS}{agents['Ann'].user.pk}", {"maxOpenTickets": -1}, format="json")

    assert response.status_code == 400
    assert "maxOpenTickets" in response.json()["error"]["details"]


def test_agents_list_shows_every_member_who_works_tickets_with_their_load(
    tenant, owner, owner_client, team, agents, channel, django_assert_max_num_queries
):
    with tenancy.tenant_context(tenant):
        route_to_team(new_tickets(tenant, channel, 3), team=team)

    with django_assert_max_num_queries(12):
        response = owner_client.get(AGENTS)

    assert response.status_code == 200
    rows = {row["name"].split()[0]: row for row in response.json()["results"]}
    # The owner may work tickets too (a row with the defaults); the viewer may not.
    assert set(rows) == {"Ann", "Bob", "Cy", owner.user.full_name.split()[0]}
    assert (rows["Ann"]["openTicketCount"], rows["Bob"]["openTicketCount"], rows["Cy"]["openTicketCount"]) == (1, 2, 0)
    assert (rows["Ann"]["maxOpenTickets"], rows["Cy"]["isAvailable"]) == (1, False)


def test_another_tenants_agent_is_404_and_unchanged(other_tenant, owner_client, make_member):
    theirs = make_member(other_tenant, Role.AGENT)
    with tenancy.tenant_context(other_tenant):
        InboxAgent.objects.create(user=theirs.user, max_open_tickets=4)

    response = owner_client.patch(f"{AGENTS}{theirs.user.pk}", {"maxOpenTickets": 99}, format="json")

    assert response.status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert InboxAgent.objects.get(user=theirs.user).max_open_tickets == 4


@pytest.fixture
def staff_client(client, db):
    from tenants.models import User

    client.force_login(User.objects.create_superuser("staff@hubbub.local", "pw"))
    return client


def test_admin_edits_capacity_through_the_service_and_drains(
    tenant, staff_client, team, agents, channel, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    tickets = new_tickets(tenant, channel, 4)
    with tenancy.tenant_context(tenant):
        route_to_team(tickets, team=team)
        ann = InboxAgent.objects.get(user=agents["Ann"].user)
    url = reverse("admin:inbox_inboxagent_change", args=[ann.pk])
    assert staff_client.get(reverse("admin:inbox_inboxagent_changelist"), {"q": "Ann"}).status_code == 200
    assert staff_client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"max_open_tickets": "2", "is_available": "on"})

    assert response.status_code == 302
    assert assignees(tenant, tickets[3:]) == [ann.user_id]
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="inbox.agent.updated")
    assert entry.changes == {"maxOpenTickets": [1, 2]}
    assert entry.actor_label == "staff@hubbub.local"
