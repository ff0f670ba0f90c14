"""Folders (saved ticket filters shared in the tenant) through the API, from a fresh tenant: filters validated when
saved, the ticket list's `folder` filter, per-folder counts in one query, reordering, roles and tenants."""

from __future__ import annotations

import pytest

from core import tenancy
from inbox.models import Folder
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory
from tenants.roles import Role

URL = "/api/v1/inbox/folders/"
TICKETS = "/api/v1/inbox/tickets/"
NEGATIVE_OPEN = {"status": ["open"], "sentiment": ["NEGATIVE"], "assignee": "none"}


def create(client, name, filters):
    response = client.post(URL, {"name": name, "filters": filters}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, network="sandbox")


@pytest.fixture
def tickets(tenant, channel):
    instagram = ChannelFactory(tenant=tenant, network="instagram")
    return {
        "negative": [TicketFactory(tenant=tenant, channel=channel, sentiment="NEGATIVE") for _ in range(3)],
        "negative_read": TicketFactory(tenant=tenant, channel=channel, sentiment="NEGATIVE", is_unread=False),
        "negative_archived": TicketFactory(tenant=tenant, channel=channel, sentiment="NEGATIVE", status="archived"),
        "positive": TicketFactory(tenant=tenant, channel=channel, sentiment="POSITIVE"),
        "instagram": TicketFactory(tenant=tenant, channel=instagram, network="instagram", type="message"),
    }


def test_create_stores_the_validated_filters_and_refuses_bad_ones(owner_client, tenant):
    created = create(owner_client, "Angry", {**NEGATIVE_OPEN, "createdFrom": "2026-01-01T00:00:00Z"})
    assert created["filters"]["sentiment"] == ["NEGATIVE"] and created["filters"]["assignee"] == "none"
    assert created["filters"]["createdFrom"].startswith("2026-01-01")
    for bad in ({"status": ["lost"]}, {"assignee": "someone"}, {"folder": created["id"]}, {"channel": ["nope"]}):
        response = owner_client.post(URL, {"name": "Bad", "filters": bad}, format="json")
        assert response.status_code == 400, bad
    with tenancy.tenant_context(tenant):
        assert Folder.objects.count() == 1


def test_the_ticket_list_applies_a_folders_filters_with_its_own(owner_client, tickets, django_assert_max_num_queries):
    folder = create(owner_client, "Angry", NEGATIVE_OPEN)
    with django_assert_max_num_queries(12):
        response = owner_client.get(TICKETS, {"folder": folder["id"]})
    assert response.status_code == 200
    expected = {str(t.pk) for t in tickets["negative"]} | {str(tickets["negative_read"].pk)}
    assert {row["id"] for row in response.json()["results"]} == expected
    unread = owner_client.get(TICKETS, {"folder": folder["id"], "unread": "true"}).json()["results"]
    assert {row["id"] for row in unread} == {str(t.pk) for t in tickets["negative"]}
    unknown = owner_client.get(TICKETS, {"folder": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 400 and "folder" in unknown.json()["error"]["details"]


def test_counts_per_folder_in_a_bounded_number_of_queries(owner_client, tickets, django_assert_max_num_queries):
    angry = create(owner_client, "Angry", NEGATIVE_OPEN)
    dms = create(owner_client, "DMs", {"type": ["message"]})
    everything = create(owner_client, "Everything", {})
    for index in range(5):
        create(owner_client, f"Extra {index}", {"priority": True})
    with django_assert_max_num_queries(8):
        response = owner_client.get(f"{TICKETS}counts", {"folders": "1"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == 7
    by_id = {row["id"]: row for row in body["folders"]}
    assert (by_id[angry["id"]]["count"], by_id[angry["id"]]["unread"]) == (4, 3)
    assert by_id[dms["id"]]["count"] == 1
    assert by_id[everything["id"]]["count"] == 7
    assert [row["name"] for row in body["folders"]][:3] == ["Angry", "DMs", "Everything"]
    assert "folders" not in owner_client.get(f"{TICKETS}counts").json()


def test_reorder_puts_every_folder_in_the_given_order(owner_client, tenant):
    first, second, third = (create(owner_client, name, {}) for name in ("A", "B", "C"))
    order = [third["id"], first["id"], second["id"]]
    response = owner_client.post(f"{URL}reorder/", {"ids": order}, format="json")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()] == order
    assert [row["id"] for row in owner_client.get(URL).json()["results"]] == order
    incomplete = owner_client.post(f"{URL}reorder/", {"ids": [first["id"]]}, format="json")
    assert incomplete.status_code == 400
    assert [row["id"] for row in owner_client.get(URL).json()["results"]] == order


def test_update_and_delete(owner_client, tenant):
    folder = create(owner_client, "Angry", NEGATIVE_OPEN)
    response = owner_client.patch(f"{URL}{folder['id']}/", {"filters": {"priority": True}}, format="json")
    assert response.status_code == 200 and response.json()["filters"] == {"priority": True}
    assert response.json()["name"] == "Angry"
    bad = owner_client.patch(f"{URL}{folder['id']}/", {"filters": {"type": ["fax"]}}, format="json")
    assert bad.status_code == 400
    assert owner_client.delete(f"{URL}{folder['id']}/").status_code == 204
    with tenancy.tenant_context(tenant):
        assert not Folder.objects.exists()


def test_folders_are_shared_read_by_agents_and_managed_by_managers(api_client_for, make_member, owner_client, tenant):
    folder = create(owner_client, "Angry", NEGATIVE_OPEN)
    agent = api_client_for(make_member(tenant, Role.AGENT))
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert [row["id"] for row in agent.get(URL).json()["results"]] == [folder["id"]]
    assert agent.post(URL, {"name": "Mine", "filters": {}}, format="json").status_code == 403
    assert agent.post(f"{URL}reorder/", {"ids": [folder["id"]]}, format="json").status_code == 403
    assert agent.delete(f"{URL}{folder['id']}/").status_code == 403
    assert manager.post(URL, {"name": "Managers'", "filters": {}}, format="json").status_code == 201
    with tenancy.tenant_context(tenant):
        assert sorted(Folder.objects.values_list("name", flat=True)) == ["Angry", "Managers'"]


def test_another_tenants_folder_is_refused(owner_client, other_tenant, tenant, tickets):
    with tenancy.tenant_context(other_tenant):
        theirs = Folder.objects.create(name="Theirs", filters={})
    assert owner_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert owner_client.patch(f"{URL}{theirs.pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert owner_client.get(TICKETS, {"folder": str(theirs.pk)}).status_code == 400
    assert owner_client.post(f"{URL}reorder/", {"ids": [str(theirs.pk)]}, format="json").status_code == 400
    with tenancy.tenant_context(other_tenant):
        assert Folder.objects.get(pk=theirs.pk).name == "Theirs"


def test_the_folder_list_takes_a_bounded_number_of_queries(owner_client, django_assert_max_num_queries):
    for index in range(8):
        create(owner_client, f"F{index}", NEGATIVE_OPEN)
    with django_assert_max_num_queries(8):
        response = owner_client.get(URL)
    assert [row["name"] for row in response.json()["results"]] == [f"F{index}" for index in range(8)]
