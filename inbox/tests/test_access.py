"""Who sees and works which tickets: anonymous 401, role matrix generated from the URLconf, cross-tenant and
cross-team 404 on every ticket and interactor route, and a denial changes nothing."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from core import tenancy
from inbox.api.urls import router
from inbox.models import BulkJob, ReplySuggestion, Ticket, TicketAction, TicketNote
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory, TeamFactory, add_to_team
from tenants.roles import Role

URL = "/api/v1/inbox/"


def detail_routes():
    """(method, path template) of every inbox route with an id in it, from the router."""
    routes = []
    for pattern in router.urls:
        regex = str(pattern.pattern)
        if "(?P<pk>" not in regex:
            continue
        view = pattern.callback
        for method, action_name in view.actions.items():
            path = regex.lstrip("^").rstrip("$").replace("/?", "")
            path = re.sub(r"\(\?P<(pk|ticket_id)>[^)]*\)", "{pk}", path)
            path = re.sub(r"\(\?P<action_name>[^)]*\)", "archive", path)
            path = re.sub(r"\(\?P<action_id>[^)]*\)", "{action_id}", path)
            path = re.sub(r"\(\?P<suggestion_id>[^)]*\)", "{suggestion_id}", path)
            path = path.replace("\\.", ".")
            routes.append((method, path, action_name))
    return routes


ROUTES = detail_routes()


def test_the_route_list_covers_tickets_and_interactors():
    paths = {path for _, path, _ in ROUTES}
    assert {"tickets/{pk}", "tickets/{pk}/actions/archive", "tickets/{pk}/tree", "interactors/{pk}/block"} <= paths


@pytest.fixture
def foreign_ticket(other_tenant):
    return TicketFactory(tenant=other_tenant)


@pytest.mark.parametrize(("method", "path", "action_name"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_another_tenants_ticket_or_interactor_is_404_on_every_route(
    owner_client, other_tenant, foreign_ticket, method, path, action_name
):
    with tenancy.tenant_context(other_tenant):
        action = TicketAction.objects.create(ticket=foreign_ticket, action="like", status="failed")
        job = BulkJob.objects.create(action="archive", ticket_ids=[str(foreign_ticket.pk)], total_count=1)
        suggestion = ReplySuggestion.objects.create(ticket=foreign_ticket, text="theirs")
    target = {"interactors": foreign_ticket.interactor_id, "jobs": job.pk}.get(path.split("/")[0], foreign_ticket.pk)
    url = URL + path.format(pk=target, action_id=action.pk, suggestion_id=suggestion.pk)
    response = getattr(owner_client, method)(url, {}, format="json")
    assert response.status_code == 404, (url, response.status_code)
    with tenancy.tenant_context(other_tenant):
        after = Ticket.objects.get(pk=foreign_ticket.pk)
        assert after.status == "open" and after.text == foreign_ticket.text
        assert TicketAction.objects.count() == 1 and not TicketNote.objects.exists()
        assert ReplySuggestion.objects.get().status == "suggested"


def test_anonymous_is_401(db):
    assert APIClient().get(URL + "tickets/").status_code == 401
    assert APIClient().get(URL + "tickets/counts").status_code == 401


@pytest.fixture
def team_setup(tenant, make_member, api_client_for):
    support = TeamFactory(tenant=tenant, name="Support")
    sales = TeamFactory(tenant=tenant, name="Sales")
    ours = ChannelFactory(tenant=tenant, teams=[support], external_id="ours")
    theirs = ChannelFactory(tenant=tenant, teams=[sales], external_id="theirs")
    agent = make_member(tenant, Role.AGENT)
    viewer = make_member(tenant, Role.VIEWER)
    add_to_team(support, agent)
    add_to_team(support, viewer)
    return {
        "ours": TicketFactory(tenant=tenant, channel=ours),
        "theirs": TicketFactory(tenant=tenant, channel=theirs),
        "agent": api_client_for(agent),
        "viewer": api_client_for(viewer),
    }


def test_an_agent_sees_and_works_only_their_teams_channels(team_setup, tenant):
    agent, ours, theirs = team_setup["agent"], team_setup["ours"], team_setup["theirs"]
    listed = agent.get(URL + "tickets/").json()["results"]
    assert [row["id"] for row in listed] == [str(ours.pk)]
    assert agent.get(URL + "tickets/counts").json()["total"] == 1
    assert agent.get(f"{URL}tickets/{theirs.pk}").status_code == 404
    assert agent.post(f"{URL}tickets/{theirs.pk}/actions/archive", {}, format="json").status_code == 404
    assert agent.post(f"{URL}tickets/{ours.pk}/actions/archive", {}, format="json").status_code == 201
    assert agent.get(f"{URL}interactors/{theirs.interactor_id}").status_code == 404
    bulk = agent.post(URL + "tickets/bulk", {"action": "archive", "ids": [str(theirs.pk)]}, format="json")
    assert bulk.status_code == 400
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.get(pk=theirs.pk).status == "open"


def test_a_viewer_reads_but_every_write_is_403_and_changes_nothing(team_setup, tenant):
    viewer, ours = team_setup["viewer"], team_setup["ours"]
    assert viewer.get(URL + "tickets/").status_code == 200
    assert viewer.get(f"{URL}tickets/{ours.pk}/history").status_code == 200
    writes = [
        ("post", f"{URL}tickets/{ours.pk}/actions/archive", {}),
        ("post", f"{URL}tickets/{ours.pk}/actions/reply", {"text": "hi"}),
        ("post", f"{URL}tickets/{ours.pk}/notes", {"text": "n"}),
        ("patch", f"{URL}tickets/{ours.pk}", {"sentiment": "NEGATIVE"}),
        ("post", URL + "tickets/bulk", {"action": "archive", "ids": [str(ours.pk)]}),
        ("post", f"{URL}interactors/{ours.interactor_id}/block", {}),
        ("delete", f"{URL}interactors/{ours.interactor_id}", {}),
    ]
    for method, url, data in writes:
        assert getattr(viewer, method)(url, data, format="json").status_code == 403, url
    with tenancy.tenant_context(tenant):
        ticket = Ticket.objects.get(pk=ours.pk)
        assert (ticket.status, ticket.sentiment) == ("open", "")
        assert not TicketAction.objects.exists() and not TicketNote.objects.exists()


def test_an_agent_cannot_erase_personal_data(team_setup):
    ours = team_setup["ours"]
    assert team_setup["agent"].delete(f"{URL}interactors/{ours.interactor_id}").status_code == 403


def all_routes():
    """(method, path, action, viewset) of every inbox route from the router, ids left as placeholders."""
    routes = []
    for pattern in router.urls:
        regex = str(pattern.pattern).lstrip("^").rstrip("$").replace("/?", "").replace("\\.", ".")
        regex = re.sub(r"\(\?P<(pk|ticket_id)>[^)]*\)", "{pk}", regex)
        regex = re.sub(r"\(\?P<action_name>[^)]*\)", "archive", regex)
        regex = re.sub(r"\(\?P<(action_id|suggestion_id)>[^)]*\)", r"{\1}", regex)
        regex = re.sub(r"\(\?P<user_id>[^)]*\)", "{user_id}", regex)
        if "(?P<format>" in regex:
            continue
        for method, action_name in pattern.callback.actions.items():
            routes.append((method, regex, action_name, pattern.callback.cls))
    return routes


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_role_matrix_from_the_urlconf(tenant, make_member, api_client_for, role):
    """Every route: a role without the route's permission gets 403 and nothing changes; with it, never 403."""
    from inbox.api.views import ACTION_PERMISSIONS, WORK
    from tenants.roles import ROLE_PERMISSIONS

    channel = ChannelFactory(tenant=tenant)
    member = make_member(tenant, role)
    with tenancy.tenant_context(tenant):
        from social.models import TeamChannel
        from tenants.models import Team

        team = Team.objects.get(is_default=True)
        TeamChannel.objects.create(team=team, channel=channel)
    add_to_team(team, member)
    client = api_client_for(member)
    granted = ROLE_PERMISSIONS[role]
    checked, denied = 0, set()
    for method, path, action_name, viewset in all_routes():
        ticket = TicketFactory(tenant=tenant, channel=channel)
        with tenancy.tenant_context(tenant):
            failed = TicketAction.objects.create(ticket=ticket, action="like", status="failed")
            suggestion = ReplySuggestion.objects.create(ticket=ticket, text="s")
            job = BulkJob.objects.create(action="archive")
        target = {"interactors": ticket.interactor_id, "jobs": job.pk}.get(path.split("/")[0], ticket.pk)
        url = URL + path.format(pk=target, action_id=failed.pk, suggestion_id=suggestion.pk, user_id=member.user_id)
        needed = viewset.required_permissions.get(action_name)
        if action_name == "perform":
            needed = ACTION_PERMISSIONS.get("archive", WORK)
        response = getattr(client, method)(url, {}, format="json")
        if needed in granted:
            assert response.status_code != 403, (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
            denied.add(action_name)
            with tenancy.tenant_context(tenant):
                fresh = Ticket.objects.get(pk=ticket.pk)
                assert (fresh.status, fresh.sentiment, fresh.is_unread) == ("open", "", True)
                assert ReplySuggestion.objects.get(pk=suggestion.pk).status == "suggested"
        checked += 1
    assert checked >= 20
    expected_denied = {"approve", "reject", "destroy"} if role == Role.AGENT else {"perform", "partial_update", "bulk"}
    assert expected_denied <= denied
