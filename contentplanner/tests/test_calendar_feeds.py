"""ICS calendar feeds: secret URL per member or team, revocable, scoped to what the owner sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from contentplanner.models import PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/calendar-feeds/"


@pytest.fixture
def world(tenant, make_member, api_client_for):
    member = make_member(tenant, Role.EDITOR)
    mine, other = ChannelFactory(tenant=tenant, name="Mine"), ChannelFactory(tenant=tenant, name="Other")
    team = share_with(mine, member)
    soon = timezone.now() + timedelta(days=2)
    return {
        "member": member,
        "client": api_client_for(member),
        "team": team,
        "scheduled": PostFactory(channel=mine, state=PostState.SCHEDULED, publish_at=soon, text="Visible post"),
        "draft": PostFactory(channel=mine, state=PostState.DRAFT, text="A draft"),
        "hidden": PostFactory(channel=other, state=PostState.SCHEDULED, publish_at=soon, text="Hidden post"),
        "published": PostFactory(channel=mine, published=True, text="Out already"),
    }


def read_feed(url: str):
    path = url.split("://", 1)[1].split("/", 1)[1]
    return APIClient().get(f"/{path}")


def summaries(response) -> set[str]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]) for event in calendar.walk("VEVENT")}


def test_member_feed_lists_their_scheduled_and_published_posts(world):
    created = world["client"].post(URL, {"name": "My posts"}, format="json")
    assert created.status_code == 201, created.json()
    response = read_feed(created.json()["url"])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    found = summaries(response)
    assert any("Visible post" in s for s in found) and any("Out already" in s for s in found)
    assert not any("Hidden post" in s or "A draft" in s for s in found)
    listed = world["client"].get(URL).json()["results"]
    assert [feed["name"] for feed in listed] == ["My posts"] and "url" not in listed[0]


def test_team_feed_and_revocation(world):
    created = world["client"].post(URL, {"teamId": str(world["team"].pk)}, format="json").json()
    assert read_feed(created["url"]).status_code == 200
    assert world["client"].delete(f"{URL}{created['id']}/").status_code == 204
    gone = read_feed(created["url"])
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "CALENDAR_FEED_INVALID"


def test_team_feed_refused_for_a_team_the_member_is_not_in(tenant, world, make_member, api_client_for):
    outsider = make_member(tenant, Role.EDITOR)
    response = api_client_for(outsider).post(URL, {"teamId": str(world["team"].pk)}, format="json")
    assert response.status_code == 403


def test_forged_token_and_departed_owner(world):
    created = world["client"].post(URL, {}, format="json").json()
    token = created["url"].rsplit("/", 1)[1]
    assert read_feed(created["url"].replace(token, "x" + token)).status_code == 404
    with tenancy.tenant_context(world["member"].tenant):
        world["member"].is_active = False
        world["member"].save(update_fields=["is_active"])
    assert read_feed(created["url"]).status_code == 404


def test_feeds_are_private_to_their_owner(tenant, world, make_member, api_client_for, other_tenant):
    feed_id = world["client"].post(URL, {}, format="json").json()["id"]
    colleague = api_client_for(make_member(tenant, Role.ADMIN))
    assert colleague.get(URL).json()["results"] == []
    assert colleague.delete(f"{URL}{feed_id}/").status_code == 404
    stranger = api_client_for(make_member(other_tenant, Role.OWNER))
    assert stranger.delete(f"{URL}{feed_id}/").status_code == 404
    assert len(world["client"].get(URL).json()["results"]) == 1


def test_list_is_bounded(world, django_assert_max_num_queries):
    for _ in range(5):
        world["client"].post(URL, {}, format="json")
    with django_assert_max_num_queries(10):
        response = world["client"].get(URL)
    assert response.json()["count"] == 5
