"""Smart rules inside ingestion: every matching rule, in weight order, exactly once per ticket (also when the same
items are ingested twice), each application in the ticket's history; a rule whose template was deleted or whose
assignee left skips that action (logged, in the history) and the ticket is still created."""

from __future__ import annotations

import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import tenancy
from inbox.models import ActionStatus, RuleApplication, Template, Ticket, TicketAction, TicketCategory, TicketEvent
from inbox.services.rules import apply_rules
from inbox.tests.rules_helpers import (
    created,
    ingest_items,
    item,
    keyword_list,
    rule,
    rule_events,
    ticket,
)
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory
from tenants.models import Membership
from tenants.roles import Role


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-rules")


@pytest.fixture
def agent(tenant, make_member):
    return make_member(tenant, Role.AGENT)


def test_rules_run_once_when_the_same_items_are_ingested_twice(tenant, owner_client, channel):
    words = keyword_list(owner_client, ["refund"])
    made = rule(
        owner_client,
        "Refunds",
        [{"type": "markAsPriority"}, {"type": "setSentiment", "value": "NEGATIVE"}],
        {"messageHasKeyword": words},
    )
    batch = [item("c1", "I want a REFUND now"), item("c2", "Nice picture")]
    first = ingest_items(tenant, channel, batch)
    second = ingest_items(tenant, channel, list(reversed(batch)))

    assert (first.created, second.created) == (2, 0)
    events = rule_events(tenant, "c1")
    assert events == [
        {"ruleId": made["id"], "ruleName": "Refunds", "applied": ["markAsPriority", "setSentiment"], "skipped": []}
    ]
    assert rule_events(tenant, "c2") == []
    refund = ticket(tenant, "c1")
    assert (refund.is_priority, refund.sentiment) == (True, "NEGATIVE")
    assert (ticket(tenant, "c2").is_priority, ticket(tenant, "c2").sentiment) == (False, "")


def test_the_database_claim_stops_a_second_run_on_the_same_tickets(tenant, owner_client, channel):
    rule(owner_client, "Everything", [{"type": "markAsPriority"}])
    ingest_items(tenant, channel, [item("c1", "hello")])
    with tenancy.tenant_context(tenant):
        again = apply_rules(list(Ticket.objects.filter(network_item_id="c1")))
        assert again == 0
        assert RuleApplication.objects.count() == 1
        assert TicketEvent.objects.filter(kind="rule").count() == 1


def test_every_matching_rule_runs_in_weight_order_and_sees_earlier_changes(tenant, owner_client, channel):
    words = keyword_list(owner_client, ["broken"])
    late = rule(
        owner_client, "Late", [{"type": "setSentiment", "value": "NEGATIVE"}], {"messageHasKeyword": words}, position=5
    )
    early = rule(
        owner_client, "Early", [{"type": "setSentiment", "value": "POSITIVE"}], {"messageHasKeyword": words}, position=1
    )
    # Reads the sentiment the rules before it left: runs only because "Late" set NEGATIVE.
    follow_up = rule(owner_client, "Negative to priority", [{"type": "markAsPriority"}], {"sentiment": "NEGATIVE"})
    rule(owner_client, "Inactive", [{"type": "archive"}], isActive=False)
    rule(
        owner_client,
        "Other words",
        [{"type": "archive"}],
        {"messageHasKeyword": keyword_list(owner_client, ["x"], "X")},
    )

    ingest_items(tenant, channel, [item("c1", "My parcel arrived broken")])

    assert [e["ruleId"] for e in rule_events(tenant, "c1")] == [early["id"], late["id"], follow_up["id"]]
    result = ticket(tenant, "c1")
    assert (result.sentiment, result.is_priority, result.status) == ("NEGATIVE", True, "open")


def test_a_batch_writes_its_rule_effects_in_a_fixed_number_of_statements(tenant, owner_client, channel, agent):
    """Tickets with different changes (priority, sentiment, assignee, archive, categories) in one batch: one UPDATE
    of the tickets, one INSERT each of claims, history events and category links, whatever the batch's size."""
    category = created(owner_client.post("/api/v1/inbox/categories/", {"name": "Refunds"}, format="json"))
    rule(
        owner_client,
        "Priority",
        [{"type": "markAsPriority"}],
        {"messageHasKeyword": keyword_list(owner_client, ["urgent"])},
    )
    rule(
        owner_client,
        "Refunds",
        [{"type": "categorize", "categoryIds": [category["id"]]}, {"type": "setSentiment", "value": "NEGATIVE"}],
        {"messageHasKeyword": keyword_list(owner_client, ["refund"], "Refund words")},
    )
    rule(owner_client, "Agent", [{"type": "assign", "userId": str(agent.user_id)}], {"type": ["reply"]})
    rule(owner_client, "Spam", [{"type": "archive"}], {"messageHasKeyword": keyword_list(owner_client, ["spam"], "S")})
    texts = ["urgent please", "refund now", "urgent refund", "spam spam", "hello"]
    items = [item(f"c{n}", text, type="reply" if n % 2 else "comment") for n, text in enumerate(texts * 4)]

    with CaptureQueriesContext(connection) as queries:
        ingest_items(tenant, channel, items)

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if re.search(r"\b(INSERT (OR IGNORE )?INTO|UPDATE) \"?inbox_(ticket|rule)", q["sql"])
    ]
    if connection.vendor == "postgresql":  # SQLite updates through the ORM, one statement per set of fields
        assert len([w for w in writes if re.search(r"UPDATE \"?inbox_ticket\b", w)]) == 1
    for table in ("inbox_ruleapplication", "inbox_ticketevent", "inbox_ticketcategory"):
        assert len([w for w in writes if re.search(rf"INSERT (OR IGNORE )?INTO \"?{table}\b", w)]) == 1, table
    with tenancy.tenant_context(tenant):
        by_text = {t.network_item_id: t for t in Ticket.objects.filter(channel=channel)}
    assert (by_text["c0"].is_priority, by_text["c0"].sentiment) == (True, "")
    assert (by_text["c2"].is_priority, by_text["c2"].sentiment) == (True, "NEGATIVE")
    assert (by_text["c3"].status, by_text["c3"].archive_reason, by_text["c3"].assignee_id) == (
        "archived",
        "rule",
        agent.user_id,
    )
    assert (by_text["c4"].status, by_text["c4"].is_priority, by_text["c4"].assignee_id) == ("open", False, None)
    with tenancy.tenant_context(tenant):
        assert TicketCategory.objects.filter(category_id=category["id"]).count() == 8
        assert RuleApplication.objects.count() == TicketEvent.objects.filter(kind="rule").count() == 8 + 8 + 10 + 4


def test_local_actions_archive_with_reason_rule_assign_and_categorize(tenant, owner_client, channel, agent):
    with tenancy.tenant_context(tenant):
        from inbox.models import Category

        billing = Category.objects.create(name="Billing")
    rule(
        owner_client,
        "Billing",
        [
            {"type": "categorize", "categoryIds": [str(billing.pk)]},
            {"type": "assign", "userId": str(agent.user_id)},
            {"type": "archive"},
        ],
        {"type": ["comment"], "network": ["sandbox"], "channel": [str(channel.pk)]},
    )
    ingest_items(tenant, channel, [item("c1", "invoice?"), item("m1", "invoice?", type="message")])

    archived = ticket(tenant, "c1")
    assert (archived.status, archived.archive_reason, archived.assignee_id) == ("archived", "rule", agent.user_id)
    assert archived.archived_at is not None
    with tenancy.tenant_context(tenant):
        assert list(TicketCategory.objects.values_list("ticket__network_item_id", "category_id")) == [
            ("c1", billing.pk)
        ]
    assert ticket(tenant, "m1").status == "open"  # a message: the type condition does not hold


def test_team_assignment_leaves_the_ticket_in_the_team_backlog(tenant, owner_client, channel, agent):
    team = owner_client.post("/api/v1/teams/", {"name": "Care"}, format="json").json()
    rule(owner_client, "To care", [{"type": "assign", "teamId": team["id"]}])
    ingest_items(tenant, channel, [item("c1", "help")])
    routed = ticket(tenant, "c1")
    assert (str(routed.team_id), routed.assignee_id) == (team["id"], None)


def test_a_deleted_template_or_a_departed_assignee_is_skipped_and_the_ticket_still_created(
    tenant, owner_client, channel, agent, caplog
):
    with tenancy.tenant_context(tenant):
        template = Template.objects.create(name="Thanks", text="Thanks {{interactor.name}}!")
    made = rule(
        owner_client,
        "Answer and assign",
        [
            {"type": "reply", "templateId": str(template.pk)},
            {"type": "assign", "userId": str(agent.user_id)},
            {"type": "markAsPriority"},
        ],
    )
    with tenancy.tenant_context(tenant):
        template.delete()
        Membership.objects.filter(pk=agent.pk).update(is_active=False)

    with caplog.at_level(logging.WARNING, logger="inbox.services.rules"):
        report = ingest_items(tenant, channel, [item("c1", "hello")])

    assert report.created == 1
    created = ticket(tenant, "c1")
    assert (created.is_priority, created.assignee_id) == (True, None)
    assert rule_events(tenant, "c1") == [
        {
            "ruleId": made["id"],
            "ruleName": "Answer and assign",
            "applied": ["markAsPriority"],
            "skipped": [
                {"action": "reply", "reason": "The template was deleted."},
                {"action": "assign", "reason": "The assignee is no longer an active member."},
            ],
        }
    ]
    with tenancy.tenant_context(tenant):
        assert not TicketAction.objects.exists()
    skipped = [r for r in caplog.records if r.getMessage() == "rule action skipped"]
    assert [(r.action, r.ticket_id) for r in skipped] == [("reply", str(created.pk)), ("assign", str(created.pk))]


def test_network_actions_go_through_the_action_pipeline_once(
    tenant, owner_client, channel, django_capture_on_commit_callbacks
):
    with tenancy.tenant_context(tenant):
        template = Template.objects.create(name="Thanks", text="Thanks {{interactor.name}}, we love it too!")
    rule(
        owner_client,
        "Praise",
        [{"type": "like"}, {"type": "hide"}, {"type": "reply", "templateId": str(template.pk)}],
        {"messageHasKeyword": keyword_list(owner_client, ["love"])},
    )
    comment_id = inject_inbound("sbx-rules", kind="comment", text="I love it", author_id="fan-1", author_name="Ann")
    message_id = inject_inbound("sbx-rules", kind="message", text="love you", author_id="fan-2")
    batch = [item(comment_id, "I love it"), item(message_id, "love you", author="fan-2", type="message")]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_items(tenant, channel, batch)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_items(tenant, channel, batch)

    with tenancy.tenant_context(tenant):
        on_comment = {a.action: a for a in TicketAction.objects.filter(ticket__network_item_id=comment_id)}
        assert set(on_comment) == {"like", "hide", "reply"}
        assert {a.status for a in on_comment.values()} == {ActionStatus.DONE}
        assert on_comment["reply"].params["text"] == "Thanks Name fan-1, we love it too!"
        assert on_comment["reply"].actor_label == "rule"
        # Our reply came back as our own ticket: rules do not run on it.
        assert Ticket.objects.filter(is_own=True).count() == 2
        assert not TicketEvent.objects.filter(ticket__is_own=True, kind="rule").exists()
        on_message = TicketAction.objects.filter(ticket__network_item_id=message_id)
        assert sorted(a.action for a in on_message) == ["reply"]  # a DM cannot be liked or hidden
    [event] = rule_events(tenant, message_id)
    assert event["applied"] == ["reply"]
    assert [s["action"] for s in event["skipped"]] == ["like", "hide"]
    assert ticket(tenant, comment_id).is_liked and ticket(tenant, comment_id).is_hidden
