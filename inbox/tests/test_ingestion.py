"""The ingestion service: dedupe, threads in either order, own items, edits and deletions, interactor upsert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import tenancy
from inbox.incoming import IncomingItem
from inbox.models import ActionStatus, Interactor, Ticket, TicketAction, TicketEvent
from inbox.services.ingestion import ingest
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def item(item_id: str, *, parent: str = "", author: str = "fan-1", text: str = "", type: str = "comment", **kw):
    return IncomingItem(
        network_item_id=item_id,
        type=type,
        text=text or f"text of {item_id}",
        author_id=author,
        author_name=f"Name {author}",
        created_at=T0,
        parent_id=parent,
        **kw,
    )


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="page-1")


def tickets(tenant) -> dict[str, Ticket]:
    with tenancy.tenant_context(tenant):
        return {t.network_item_id: t for t in Ticket.objects.select_related("parent", "interactor")}


def test_the_same_items_twice_create_each_ticket_once(tenant, channel):
    batch = [item(f"c{i}", parent="post-1", author=f"fan-{i % 3}") for i in range(10)]
    with tenancy.tenant_context(tenant):
        first = ingest(channel, batch)
        second = ingest(channel, [*batch, item("c0", parent="post-1", author="fan-0")])
        assert (first.created, second.created) == (10, 0)
        assert Ticket.objects.count() == 10
        assert Interactor.objects.count() == 3


def test_a_reply_before_its_parent_is_linked_when_the_parent_arrives(tenant, channel):
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("r1", parent="c1", type="reply")])
        assert tickets(tenant)["r1"].parent is None
        report = ingest(channel, [item("c1", parent="post-1")])
    by_id = tickets(tenant)
    assert report.linked == 1
    assert by_id["r1"].parent == by_id["c1"]
    assert by_id["r1"].root_network_item_id == "post-1" == by_id["c1"].root_network_item_id


def test_a_reply_after_its_parent_and_in_the_same_batch_is_linked(tenant, channel):
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("c1", parent="post-1")])
        ingest(channel, [item("r1", parent="c1", type="reply"), item("c2", parent="post-1"), item("r2", parent="c2")])
    by_id = tickets(tenant)
    assert by_id["r1"].parent == by_id["c1"] and by_id["r2"].parent == by_id["c2"]
    assert by_id["c1"].parent is None  # its parent, the post, is not a ticket


def test_own_items_come_in_read_and_archived_without_an_interactor(tenant, channel):
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("mine", parent="c1", author="page-1"), item("theirs", parent="post")])
    by_id = tickets(tenant)
    mine, theirs = by_id["mine"], by_id["theirs"]
    assert (mine.is_own, mine.is_unread, mine.status, mine.archive_reason) == (True, False, "archived", "auto")
    assert mine.interactor is None
    assert (theirs.is_own, theirs.is_unread, theirs.status) == (False, True, "open")


def test_an_edit_keeps_the_old_text_and_a_deletion_flags_without_removing(tenant, channel):
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("c1", text="frist")])
        edited = ingest(channel, [item("c1", text="first")])
        deleted = ingest(channel, [item("c1", is_deleted=True)])
        again = ingest(channel, [item("c1", is_deleted=True)])
        ticket = Ticket.objects.get()
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert (edited.updated, deleted.updated, again.updated) == (1, 1, 0)
    assert ticket.text == "first" and ticket.is_edited and ticket.is_deleted_in_network
    assert [entry["text"] for entry in ticket.edit_history] == ["frist"]
    assert kinds == ["edited", "deletedInNetwork"]


def test_a_deletion_of_an_item_we_never_had_stores_nothing(tenant, channel):
    with tenancy.tenant_context(tenant):
        report = ingest(channel, [item("ghost", is_deleted=True)])
        assert report.created == 0 and not Ticket.objects.exists()


def test_interactor_is_upserted_per_network_and_kept_erased(tenant, channel):
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("c1", author="fan-1")])
        Interactor.objects.filter(network_user_id="fan-1").update(name="Old")
        ingest(channel, [item("c2", author="fan-1")])
        assert Interactor.objects.get().name == "Name fan-1"
        Interactor.objects.update(name="Erased user", erased_at=T0)
        ingest(channel, [item("c3", author="fan-1")])
        assert Interactor.objects.get().name == "Erased user"


def test_same_item_id_on_two_channels_is_two_tickets(tenant, channel):
    other = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        ingest(channel, [item("same")])
        ingest(other, [item("same")])
        assert Ticket.objects.count() == 2


def test_our_reply_seen_on_the_network_confirms_a_reply_whose_outcome_was_unknown(tenant, channel):
    parent = TicketFactory(tenant=tenant, channel=channel, network_item_id="c1")
    with tenancy.tenant_context(tenant):
        action = TicketAction.objects.create(
            ticket=parent, action="reply", params={"text": "On its way"}, sent_at=T0, outcome_unknown=True
        )
        ingest(channel, [item("our-reply", parent="c1", author="page-1", text="On its way")])
        action.refresh_from_db()
        parent.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.result["networkItemId"] == "our-reply"
    assert parent.first_response_at is not None


def test_ingest_queries_do_not_grow_with_the_batch(tenant, channel, django_assert_max_num_queries):
    from django.db import connection

    small = [item(f"s{i}", parent="post", author=f"a{i}") for i in range(5)]
    large = [item(f"l{i}", parent="post", author=f"b{i}") for i in range(300)]
    # SQLite caps the variables of one statement, so Django splits a bulk insert of many rows into several.
    split = 0 if connection.vendor == "postgresql" else 20
    arrivals = 2  # the channel's auto-reply settings and its burst alerts (inbox.services.arrivals)
    arrivals += 2  # the report summary: the new tickets' snapshot and one upsert (inbox.services.report_summary)
    with tenancy.tenant_context(tenant):
        # 10, one to find the tenant's active smart rules (none here; test_rules_* count the rest), and the arrivals'
        with django_assert_max_num_queries(11 + arrivals):
            ingest(channel, small)
        with django_assert_max_num_queries(11 + arrivals + split):
            ingest(channel, large)
