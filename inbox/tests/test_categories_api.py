"""Categories through the API, from a fresh tenant: the tree (create, move, cycles refused), deletion with
reassignment (children move up), CSV import (idempotent, per-row results), ticket counts, the `categorize` action,
the ticket list's `category` filter, and the tenant setting that refuses archiving an uncategorized ticket."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import tenancy
from inbox.models import BulkJob, Category, Ticket, TicketCategory, TicketStatus
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory, TeamFactory, add_to_team
from tenants.roles import Role

URL = "/api/v1/inbox/categories/"
TICKETS = "/api/v1/inbox/tickets/"


def create(client, name, parent=None, **extra):
    response = client.post(URL, {"name": name, "parentId": parent, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def categories_of(tenant, ticket) -> set[str]:
    with tenancy.tenant_context(tenant):
        return {str(pk) for pk in TicketCategory.objects.filter(ticket=ticket).values_list("category_id", flat=True)}


def categorize(client, ticket, ids):
    return client.post(f"{TICKETS}{ticket.pk}/actions/categorize", {"categoryIds": ids}, format="json")


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant)


@pytest.fixture
def tree(owner_client):
    sales = create(owner_client, "Sales")
    leads = create(owner_client, "Leads", sales["id"])
    hot = create(owner_client, "Hot", leads["id"])
    support = create(owner_client, "Support")
    return {"sales": sales, "leads": leads, "hot": hot, "support": support}


def test_create_builds_a_tree_in_position_order_and_refuses_a_duplicate_sibling(owner_client, tree):
    assert tree["leads"]["parentId"] == tree["sales"]["id"] and tree["leads"]["position"] == 0
    second = create(owner_client, "Pricing", tree["sales"]["id"])
    assert second["position"] == 1  # last among its siblings
    duplicate = owner_client.post(URL, {"name": "Leads", "parentId": tree["sales"]["id"]}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "CATEGORY_NAME_TAKEN"
    assert owner_client.post(URL, {"name": "Leads"}, format="json").status_code == 201  # same name, other parent
    listed = owner_client.get(URL).json()["results"]
    assert {row["name"] for row in listed} == {"Sales", "Leads", "Hot", "Support", "Pricing"}


def test_patch_renames_hides_and_reorders(owner_client, tree):
    response = owner_client.patch(
        f"{URL}{tree['support']['id']}/", {"name": "Care", "isHidden": True, "position": 5}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["name"], body["isHidden"], body["position"]) == ("Care", True, 5)


def test_move_changes_the_parent_and_refuses_its_own_descendant(owner_client, tenant, tree):
    moved = owner_client.post(f"{URL}{tree['leads']['id']}/move/", {"parentId": tree["support"]["id"]}, format="json")
    assert moved.status_code == 200 and moved.json()["parentId"] == tree["support"]["id"]
    for target in (tree["hot"]["id"], tree["leads"]["id"]):  # a descendant, itself
        refused = owner_client.post(f"{URL}{tree['leads']['id']}/move/", {"parentId": target}, format="json")
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "CATEGORY_CYCLE"
    with tenancy.tenant_context(tenant):
        assert str(Category.objects.get(pk=tree["leads"]["id"]).parent_id) == tree["support"]["id"]
    root = owner_client.post(f"{URL}{tree['hot']['id']}/move/", {"parentId": None}, format="json")
    assert root.status_code == 200 and root.json()["parentId"] is None


def test_another_tenants_category_is_refused_everywhere(owner_client, tenant, other_tenant, tree, channel):
    with tenancy.tenant_context(other_tenant):
        theirs = Category.objects.create(name="Theirs")
    mine = tree["sales"]["id"]
    assert owner_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert owner_client.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert owner_client.post(f"{URL}{mine}/move/", {"parentId": str(theirs.pk)}, format="json").status_code == 400
    assert owner_client.post(URL, {"name": "X", "parentId": str(theirs.pk)}, format="json").status_code == 400
    assert owner_client.delete(f"{URL}{mine}/?reassignTo={theirs.pk}").status_code == 400
    ticket = TicketFactory(tenant=tenant, channel=channel)
    refused = categorize(owner_client, ticket, [str(theirs.pk)])
    assert refused.status_code == 400 and "categoryIds" in refused.json()["error"]["details"]
    assert categories_of(tenant, ticket) == set()
    with tenancy.tenant_context(other_tenant):
        assert Category.objects.filter(pk=theirs.pk).exists()


def test_delete_with_reassignment_moves_tickets_and_children_move_up(owner_client, tenant, tree, channel):
    first, second = TicketFactory(tenant=tenant, channel=channel), TicketFactory(tenant=tenant, channel=channel)
    assert categorize(owner_client, first, [tree["leads"]["id"]]).status_code == 201
    assert categorize(owner_client, second, [tree["leads"]["id"], tree["support"]["id"]]).status_code == 201
    response = owner_client.delete(f"{URL}{tree['leads']['id']}/?reassignTo={tree['support']['id']}")
    assert response.status_code == 200, response.json()
    assert response.json() == {"tickets": 2}
    assert categories_of(tenant, first) == {tree["support"]["id"]}
    assert categories_of(tenant, second) == {tree["support"]["id"]}  # no duplicate link
    with tenancy.tenant_context(tenant):
        assert not Category.objects.filter(pk=tree["leads"]["id"]).exists()
        assert str(Category.objects.get(pk=tree["hot"]["id"]).parent_id) == tree["sales"]["id"]


def test_delete_without_reassignment_uncategorizes_and_a_clash_refuses(owner_client, tenant, tree, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    categorize(owner_client, ticket, [tree["hot"]["id"]])
    create(owner_client, "Hot", tree["sales"]["id"])  # "Hot" one level up: moving Leads/Hot up would clash
    clash = owner_client.delete(f"{URL}{tree['leads']['id']}/")
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "CATEGORY_NAME_TAKEN"
    with tenancy.tenant_context(tenant):
        assert Category.objects.filter(pk=tree["leads"]["id"]).exists()
    assert owner_client.delete(f"{URL}{tree['hot']['id']}/").json() == {"tickets": 1}
    assert categories_of(tenant, ticket) == set()
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_reassign_moves_tickets_keeping_their_other_categories(owner_client, tenant, tree, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    categorize(owner_client, ticket, [tree["hot"]["id"], tree["sales"]["id"]])
    response = owner_client.post(
        f"{URL}{tree['hot']['id']}/reassign/", {"targetId": tree["support"]["id"]}, format="json"
    )
    assert response.status_code == 200 and response.json() == {"tickets": 1}
    assert categories_of(tenant, ticket) == {tree["sales"]["id"], tree["support"]["id"]}


def upload(client, text: str):
    file = SimpleUploadedFile("categories.csv", text.encode(), "text/csv")
    return client.post(f"{URL}import/", {"file": file}, format="multipart")


def test_csv_import_creates_missing_parents_reports_bad_rows_and_is_idempotent(owner_client, tenant):
    text = "path\nSales/Leads\nSupport/Orders/Returns\nSales//Broken\n\nSupport/Orders\n"
    response = upload(owner_client, text)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["existing"], body["errors"]) == (2, 1, 2)
    statuses = [(row["row"], row["status"]) for row in body["rows"]]
    assert statuses == [(1, "created"), (2, "created"), (3, "error"), (4, "error"), (5, "exists")]
    assert "Empty category name" in body["rows"][2]["message"]
    with tenancy.tenant_context(tenant):
        names = sorted(Category.objects.values_list("name", flat=True))
        returns = Category.objects.get(name="Returns")
        assert returns.parent.name == "Orders" and returns.parent.parent.name == "Support"
    assert names == ["Leads", "Orders", "Returns", "Sales", "Support"]
    again = upload(owner_client, text).json()
    assert (again["created"], again["existing"]) == (0, 3)
    with tenancy.tenant_context(tenant):
        assert Category.objects.count() == 5


def test_csv_import_refuses_a_file_that_is_not_utf8(owner_client, tenant):
    file = SimpleUploadedFile("categories.csv", b"Caf\xe9/Menu\n", "text/csv")
    response = owner_client.post(f"{URL}import/", {"file": file}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Category.objects.exists()


def test_ticket_count_counts_the_category_and_its_descendants(owner_client, tenant, tree, channel):
    for category in ("sales", "hot", "hot"):
        categorize(owner_client, TicketFactory(tenant=tenant, channel=channel), [tree[category]["id"]])
    body = owner_client.get(f"{URL}{tree['sales']['id']}/ticket-count").json()
    assert body == {"count": 1, "countWithDescendants": 3}


def test_categorize_replaces_the_set_and_shows_on_the_ticket(owner_client, tenant, tree, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    response = categorize(owner_client, ticket, [tree["sales"]["id"], tree["hot"]["id"]])
    assert response.status_code == 201 and response.json()["status"] == "done"
    response = categorize(owner_client, ticket, [tree["support"]["id"]])
    assert categories_of(tenant, ticket) == {tree["support"]["id"]}
    detail = owner_client.get(f"{TICKETS}{ticket.pk}/").json()
    assert detail["categories"] == [{"id": tree["support"]["id"], "name": "Support"}]
    history = owner_client.get(f"{TICKETS}{ticket.pk}/history/").json()
    assert [event["kind"] for event in history] == ["categorize", "categorize"]
    assert categorize(owner_client, ticket, []).status_code == 201
    assert categories_of(tenant, ticket) == set()
    assert owner_client.post(f"{TICKETS}{ticket.pk}/actions/categorize", {}, format="json").status_code == 400


def test_ticket_list_filters_by_category_subtree_with_bounded_queries(
    owner_client, tenant, tree, channel, django_assert_max_num_queries
):
    in_hot = [TicketFactory(tenant=tenant, channel=channel) for _ in range(3)]
    in_support = TicketFactory(tenant=tenant, channel=channel)
    TicketFactory(tenant=tenant, channel=channel)  # uncategorized
    for ticket in in_hot:
        categorize(owner_client, ticket, [tree["hot"]["id"], tree["support"]["id"]])
    categorize(owner_client, in_support, [tree["support"]["id"]])
    with django_assert_max_num_queries(12):
        response = owner_client.get(TICKETS, {"category": tree["sales"]["id"]})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {str(t.pk) for t in in_hot}
    assert all({c["name"] for c in row["categories"]} == {"Hot", "Support"} for row in rows)
    with django_assert_max_num_queries(12):
        assert len(owner_client.get(TICKETS).json()["results"]) == 5
    with django_assert_max_num_queries(8):
        assert owner_client.get(URL).status_code == 200


def test_roles_agents_read_and_categorize_but_only_managers_shape_the_tree(
    api_client_for, make_member, tenant, tree, channel
):
    agent_member = make_member(tenant, Role.AGENT)
    agent = api_client_for(agent_member)
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert agent.get(URL).status_code == 200 and viewer.get(URL).status_code == 200
    assert agent.post(URL, {"name": "Nope"}, format="json").status_code == 403
    assert agent.delete(f"{URL}{tree['hot']['id']}/").status_code == 403
    assert upload(agent, "A/B").status_code == 403
    team = TeamFactory(tenant=tenant)
    ticket = TicketFactory(tenant=tenant, channel=ChannelFactory(tenant=tenant, teams=[team]))
    assert categorize(agent, ticket, [tree["hot"]["id"]]).status_code == 404  # not their team's channel yet
    add_to_team(team, agent_member)
    assert categorize(agent, ticket, [tree["hot"]["id"]]).status_code == 201
    assert categories_of(tenant, ticket) == {tree["hot"]["id"]}
    assert categorize(viewer, ticket, [tree["hot"]["id"]]).status_code == 403
    assert manager.post(URL, {"name": "Managers' own"}, format="json").status_code == 201
    with tenancy.tenant_context(tenant):
        assert not Category.objects.filter(name="Nope").exists()
        assert not Category.objects.filter(name="A").exists()


def set_categorize_before_archive(owner_client, value: bool) -> None:
    response = owner_client.patch("/api/v1/tenant", {"settings": {"categorizeBeforeArchive": value}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["settings"]["categorizeBeforeArchive"] is value


def test_archive_is_refused_without_a_category_when_the_tenant_asks(owner_client, tenant, tree, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    set_categorize_before_archive(owner_client, True)
    refused = owner_client.post(f"{TICKETS}{ticket.pk}/actions/archive", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CATEGORY_REQUIRED"
    patched = owner_client.patch(f"{TICKETS}{ticket.pk}/", {"status": "archived"}, format="json")
    assert patched.status_code == 409
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN
    categorize(owner_client, ticket, [tree["hot"]["id"]])
    assert owner_client.post(f"{TICKETS}{ticket.pk}/actions/archive", {}, format="json").status_code == 201
    other = TicketFactory(tenant=tenant, channel=channel)
    set_categorize_before_archive(owner_client, False)
    assert owner_client.post(f"{TICKETS}{other.pk}/actions/archive", {}, format="json").status_code == 201


def test_bulk_archive_reports_each_uncategorized_ticket(
    owner_client, tenant, tree, channel, django_capture_on_commit_callbacks
):
    categorized, bare = TicketFactory(tenant=tenant, channel=channel), TicketFactory(tenant=tenant, channel=channel)
    categorize(owner_client, categorized, [tree["hot"]["id"]])
    set_categorize_before_archive(owner_client, True)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"{TICKETS}bulk/", {"action": "archive", "ids": [str(categorized.pk), str(bare.pk)]}, format="json"
        )
    assert response.status_code == 202, response.json()
    job = owner_client.get(f"/api/v1/inbox/jobs/{response.json()['id']}/").json()
    assert (job["status"], job["done"], job["failed"]) == ("done", 1, 1)
    [error] = job["errors"]
    assert (error["ticketId"], error["code"]) == (str(bare.pk), "CATEGORY_REQUIRED")
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.get(pk=categorized.pk).status == TicketStatus.ARCHIVED
        assert Ticket.objects.get(pk=bare.pk).status == TicketStatus.OPEN
        assert BulkJob.objects.count() == 1


def test_bulk_categorize_sets_the_categories_of_every_ticket(
    owner_client, tenant, tree, channel, django_capture_on_commit_callbacks
):
    tickets = [TicketFactory(tenant=tenant, channel=channel) for _ in range(3)]
    payload = {
        "action": "categorize",
        "ids": [str(t.pk) for t in tickets],
        "params": {"categoryIds": [tree["hot"]["id"]]},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{TICKETS}bulk/", payload, format="json")
    assert response.status_code == 202, response.json()
    assert all(categories_of(tenant, t) == {tree["hot"]["id"]} for t in tickets)


def test_the_tree_is_at_most_ten_levels_deep_also_when_moving(owner_client, tenant):
    parent = None
    chain = []
    for level in range(10):
        parent = create(owner_client, f"L{level}", parent and parent["id"])
        chain.append(parent)
    too_deep = owner_client.post(URL, {"name": "L10", "parentId": chain[-1]["id"]}, format="json")
    assert too_deep.status_code == 400
    branch = create(owner_client, "Branch")
    create(owner_client, "Leaf", branch["id"])
    refused = owner_client.post(f"{URL}{branch['id']}/move/", {"parentId": chain[8]["id"]}, format="json")
    assert refused.status_code == 400  # Branch/Leaf under level 9 would make 11 levels
    with tenancy.tenant_context(tenant):
        assert Category.objects.get(pk=branch["id"]).parent_id is None
    allowed = owner_client.post(f"{URL}{branch['id']}/move/", {"parentId": chain[7]["id"]}, format="json")
    assert allowed.status_code == 200
