"""Tickets API: list filters in page and cursor mode, counts, detail, PATCH with If-Match, tree, history, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import tenancy
from inbox.models import Category, Interactor, Ticket, TicketCategory, TicketEvent
from inbox.tests.factories import InteractorFactory, TicketFactory
from social.tests.factories import ChannelFactory, TeamFactory
from tenants.roles import Role

URL = "/api/v1/inbox/tickets/"


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-page")


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_list_filters(owner_client, owner, tenant, channel):
    other_channel = ChannelFactory(tenant=tenant, network="facebook")
    fan = InteractorFactory(tenant=tenant, name="Zelda Fan", handle="zfan")
    open_comment = TicketFactory(tenant=tenant, channel=channel, interactor=fan, text="Where is my parcel?")
    message = TicketFactory(tenant=tenant, channel=channel, type="message", is_unread=False, assignee=owner.user)
    archived = TicketFactory(
        tenant=tenant, channel=other_channel, status="archived", is_priority=True, sentiment="NEGATIVE"
    )
    everything = {str(t.pk) for t in (open_comment, message, archived)}
    assert ids(owner_client.get(URL)) == everything
    cases = [
        ({"status": "open"}, {open_comment, message}),
        ({"status": ["open", "archived"]}, {open_comment, message, archived}),
        ({"channel": str(other_channel.pk)}, {archived}),
        ({"network": "facebook"}, {archived}),
        ({"type": "message"}, {message}),
        ({"assignee": "me"}, {message}),
        ({"assignee": "none"}, {open_comment, archived}),
        ({"assignee": str(owner.user_id)}, {message}),
        ({"unread": "false"}, {message}),
        ({"priority": "true"}, {archived}),
        ({"sentiment": "NEGATIVE"}, {archived}),
        ({"interactor": str(fan.pk)}, {open_comment}),
        ({"search": "parcel"}, {open_comment}),
        ({"search": "zfan"}, {open_comment}),
        ({"createdFrom": (timezone.now() + timedelta(minutes=1)).isoformat()}, set()),
    ]
    for params, expected in cases:
        assert ids(owner_client.get(URL, params)) == {str(t.pk) for t in expected}, params


def test_bad_filter_is_400(owner_client):
    response = owner_client.get(URL, {"status": "lost", "assignee": "bob"})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"status", "assignee"}


def test_cursor_mode_pages_newest_first_without_count(owner_client, tenant, channel):
    made = [TicketFactory(tenant=tenant, channel=channel) for _ in range(5)]
    first = owner_client.get(URL, {"cursor": "", "pageSize": 2}).json()
    assert "count" not in first and first["hasMore"] is True
    seen = [row["id"] for row in first["results"]]
    cursor = first["nextCursor"]
    while cursor:
        page = owner_client.get(URL, {"cursor": cursor, "pageSize": 2}).json()
        seen += [row["id"] for row in page["results"]]
        cursor = page["nextCursor"]
    assert seen == [str(t.pk) for t in reversed(made)]
    paged = owner_client.get(URL, {"page": 2, "pageSize": 2}).json()
    assert paged["count"] == 5 and len(paged["results"]) == 2


def test_list_query_count_does_not_grow_with_rows(owner_client, tenant, channel, django_assert_max_num_queries):
    for _ in range(3):
        TicketFactory(tenant=tenant, channel=channel)
    # A cold principal cache (the session, the month's activity), the COUNT(*) (SQLite keeps no counters), the page
    # with its channels and interactors, its categories: 5 (was 8 with a prefetch query per relation).
    with django_assert_max_num_queries(5) as few:
        owner_client.get(URL)
    for _ in range(20):
        TicketFactory(tenant=tenant, channel=channel)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(owner_client.get(URL).json()["results"]) == 23


def test_list_rows_equal_the_detail_of_each_ticket(owner_client, owner, tenant, channel):
    """The list builds its rows from plain values (no model instances, no nested serializers): every field of every
    row is still exactly what TicketOutput (the detail, and the schema) gives, in page and cursor mode."""
    team = TeamFactory(tenant=tenant)
    moment = timezone.now().replace(microsecond=123456)
    with tenancy.tenant_context(tenant):
        later, first = Category.objects.create(name="Zed", position=2), Category.objects.create(name="Ada", position=1)
        parent = TicketFactory(tenant=tenant, channel=channel, interactor=None, text="No author")
        full = TicketFactory(
            tenant=tenant,
            channel=channel,
            parent=parent,
            parent_network_item_id=parent.network_item_id,
            root_network_item_id=parent.network_item_id,
            type="review",
            rating={"value": 4, "scale": 5},
            attachments=[{"type": "image", "url": "https://cdn.example/a.png", "alt_text": "x"}],
            edit_history=[{"text": "old", "replaced_at": moment.isoformat()}],
            status="snoozed",
            snoozed_until=moment + timedelta(days=1),
            archive_reason="",
            sentiment="NEGATIVE",
            is_priority=True,
            is_edited=True,
            assignee=owner.user,
            team=team,
            network_created_at=moment,
            network_updated_at=moment.replace(microsecond=0),
            first_response_at=moment,
            url="https://example.com/p/1",
        )
        Interactor.objects.filter(pk=full.interactor_id).update(follower_count=12, erased_at=moment, handle="h")
        TicketCategory.objects.bulk_create(
            [TicketCategory(tenant=tenant, ticket=full, category=c) for c in (later, first)]
        )
    theirs = f"/api/v1/inbox/interactors/{full.interactor_id}/tickets"
    for url, params in (
        (URL, {}),
        (URL, {"cursor": ""}),
        (URL, {"pageSize": 1}),
        (theirs, {}),
        (theirs, {"cursor": ""}),
    ):
        rows = owner_client.get(url, params).json()["results"]
        assert rows, (url, params)
        for row in rows:
            assert row == owner_client.get(f"{URL}{row['id']}").json(), (url, params)
    row = next(r for r in owner_client.get(URL).json()["results"] if r["id"] == str(full.pk))
    assert [c["name"] for c in row["categories"]] == ["Ada", "Zed"]
    assert row["interactor"]["followerCount"] == 12 and row["teamId"] == str(team.pk)
    assert row["attachments"][0]["altText"] == "x" and row["snoozedUntil"].endswith("Z")


def test_counts_per_status(owner_client, tenant, channel):
    TicketFactory(tenant=tenant, channel=channel)
    TicketFactory(tenant=tenant, channel=channel, is_unread=False)
    TicketFactory(tenant=tenant, channel=channel, status="archived")
    TicketFactory(tenant=tenant, channel=channel, status="snoozed", snoozed_until=timezone.now() + timedelta(hours=1))
    body = owner_client.get(URL + "counts").json()
    assert body == {"total": 4, "unread": 1, "open": 2, "snoozed": 1, "archived": 1, "deleted": 0}
    assert owner_client.get(URL + "counts", {"type": "message"}).json()["total"] == 0


def test_detail_and_patch_with_if_match(owner_client, tenant, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    detail = owner_client.get(f"{URL}{ticket.pk}").json()
    assert detail["networkItemId"] == ticket.network_item_id and detail["channel"]["id"] == str(channel.pk)
    ok = owner_client.patch(
        f"{URL}{ticket.pk}",
        {"sentiment": "POSITIVE", "isPriority": True},
        format="json",
        HTTP_IF_MATCH=f'"{detail["updatedAt"]}"',
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["sentiment"] == "POSITIVE" and ok.json()["isPriority"] is True
    stale = owner_client.patch(
        f"{URL}{ticket.pk}", {"sentiment": "NEGATIVE"}, format="json", HTTP_IF_MATCH=f'"{detail["updatedAt"]}"'
    )
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "PRECONDITION_FAILED"
    body_stale = owner_client.patch(
        f"{URL}{ticket.pk}", {"sentiment": "NEGATIVE", "updatedAt": detail["updatedAt"]}, format="json"
    )
    assert body_stale.status_code == 412
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.get(pk=ticket.pk).sentiment == "POSITIVE"
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["sentiment", "priority"]
    history = owner_client.get(f"{URL}{ticket.pk}/history").json()
    assert [entry["kind"] for entry in history] == ["sentiment", "priority"]


def test_patch_assignee_must_be_a_member(owner_client, tenant, other_tenant, make_member, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    stranger = make_member(other_tenant, Role.AGENT)
    response = owner_client.patch(f"{URL}{ticket.pk}", {"assigneeId": str(stranger.user_id)}, format="json")
    assert response.status_code == 400 and "assigneeId" in response.json()["error"]["details"]
    agent = make_member(tenant, Role.AGENT)
    response = owner_client.patch(f"{URL}{ticket.pk}", {"assigneeId": str(agent.user_id)}, format="json")
    assert response.status_code == 200 and response.json()["assigneeId"] == str(agent.user_id)


def test_tree_is_depth_first_from_the_top(owner_client, tenant, channel):
    top = TicketFactory(tenant=tenant, channel=channel, network_item_id="c1")
    reply = TicketFactory(tenant=tenant, channel=channel, network_item_id="r1", parent=top, type="reply")
    deeper = TicketFactory(tenant=tenant, channel=channel, network_item_id="r2", parent=reply, type="reply")
    sibling = TicketFactory(tenant=tenant, channel=channel, network_item_id="r3", parent=top, type="reply")
    tree = owner_client.get(f"{URL}{deeper.pk}/tree").json()
    assert [(node["id"], node["depth"]) for node in tree] == [
        (str(top.pk), 0),
        (str(reply.pk), 1),
        (str(deeper.pk), 2),
        (str(sibling.pk), 1),
    ]


def test_notes(owner_client, owner, tenant, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    created = owner_client.post(f"{URL}{ticket.pk}/notes", {"text": "VIP, be nice"}, format="json")
    assert created.status_code == 201 and created.json()["authorId"] == str(owner.user_id)
    assert [n["text"] for n in owner_client.get(f"{URL}{ticket.pk}/notes").json()] == ["VIP, be nice"]
    assert owner_client.post(f"{URL}{ticket.pk}/notes", {"text": ""}, format="json").status_code == 400


def test_csv_export_of_a_filter_is_streamed_and_safe(owner_client, tenant, channel):
    import csv
    import io

    TicketFactory(tenant=tenant, channel=channel, text="=HYPERLINK(evil)", sentiment="NEGATIVE")
    TicketFactory(tenant=tenant, channel=channel, text="fine", sentiment="POSITIVE")
    response = owner_client.post(URL + "export", {"sentiment": ["NEGATIVE"]}, format="json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 and rows[0]["text"] == "'=HYPERLINK(evil)" and rows[0]["sentiment"] == "NEGATIVE"
    assert owner_client.post(URL + "export", {"status": ["nope"]}, format="json").status_code == 400
