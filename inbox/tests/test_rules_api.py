"""Rules, keyword lists and interactor lists through the API: validation on save (unknown keys, other tenants' ids,
missing templates), administrators only, cross-tenant 404s, reorder, the dry run (which writes nothing), lists in use,
and the interactor search that fills interactor lists."""

from __future__ import annotations

import pytest

from core import tenancy
from core.models import AuditLogEntry
from inbox.models import (
    Category,
    InteractorList,
    InteractorListEntry,
    KeywordList,
    Rule,
    RuleApplication,
    Template,
    Ticket,
    TicketAction,
    TicketEvent,
)
from inbox.tests.factories import InteractorFactory, TicketFactory
from inbox.tests.rules_helpers import INTERACTOR_LISTS, KEYWORD_LISTS, RULES, keyword_list, rule
from social.tests.factories import ChannelFactory
from tenants.roles import Role


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant)


def count(tenant, model) -> int:
    with tenancy.tenant_context(tenant):
        return model.objects.count()


def test_a_rule_is_created_listed_updated_and_deleted(tenant, owner_client, channel):
    words = keyword_list(owner_client, ["refund"])
    made = rule(
        owner_client,
        "Refunds",
        [{"type": "markAsPriority"}, {"type": "forwardByMail", "recipients": ["boss@example.com"], "subject": "Look"}],
        {"messageHasKeyword": words, "type": ["comment"], "channel": [str(channel.pk)], "messageHasMention": False},
    )
    assert made["conditions"] == {
        "messageHasKeyword": words,
        "messageHasMention": False,
        "type": ["comment"],
        "channel": [str(channel.pk)],
    }
    assert made["actions"] == [
        {"type": "markAsPriority"},
        {"type": "forwardByMail", "recipients": ["boss@example.com"], "subject": "Look"},
    ]
    assert (made["isActive"], made["position"], made["trigger"]) == (True, 0, "ticketCreated")
    with tenancy.tenant_context(tenant):
        stored = Rule.objects.get()
        assert stored.conditions["message_has_keyword"] == words

    response = owner_client.patch(f"{RULES}{made['id']}/", {"isActive": False, "name": "Old refunds"}, format="json")
    assert response.status_code == 200
    assert (response.json()["isActive"], response.json()["name"]) == (False, "Old refunds")
    assert response.json()["actions"] == made["actions"]  # untouched by a PATCH that does not name them

    assert [r["id"] for r in owner_client.get(RULES).json()["results"]] == [made["id"]]
    assert owner_client.delete(f"{RULES}{made['id']}/").status_code == 204
    assert count(tenant, Rule) == 0


@pytest.mark.parametrize(
    ("conditions", "actions", "field"),
    [
        ({"messageHasKeywords": "x"}, [{"type": "archive"}], "conditions"),
        ({}, [{"type": "teleport"}], "actions"),
        ({}, [{"type": "archive", "value": "NEGATIVE"}], "actions"),
        ({}, [{"type": "assign"}], "actions"),
        ({}, [{"type": "reply"}], "actions"),
        ({}, [{"type": "reply", "templateId": "00000000-0000-0000-0000-000000000001"}], "actions"),
        ({}, [], "actions"),
        ({"type": ["carrierPigeon"]}, [{"type": "archive"}], "conditions"),
    ],
)
def test_bad_conditions_or_actions_are_refused_on_save(tenant, owner_client, conditions, actions, field):
    payload = {"name": "Bad", "conditions": conditions, "actions": actions}
    response = owner_client.post(RULES, payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    assert count(tenant, Rule) == 0


def test_ids_of_another_tenant_are_refused_in_conditions_and_actions(
    tenant, other_tenant, owner_client, make_member, api_client_for
):
    other_client = api_client_for(make_member(other_tenant, Role.OWNER))
    their_words = keyword_list(other_client, ["secret"])
    their_channel = ChannelFactory(tenant=other_tenant)
    with tenancy.tenant_context(other_tenant):
        their_template = Template.objects.create(name="T", text="Hi")
        their_category = Category.objects.create(name="C")
        their_list = InteractorList.objects.create(name="L")
    their_user = make_member(other_tenant, Role.AGENT).user_id
    cases = [
        ({"messageHasKeyword": their_words}, [{"type": "archive"}]),
        ({"channel": [str(their_channel.pk)]}, [{"type": "archive"}]),
        ({"interactorInList": str(their_list.pk)}, [{"type": "archive"}]),
        ({}, [{"type": "reply", "templateId": str(their_template.pk)}]),
        ({}, [{"type": "categorize", "categoryIds": [str(their_category.pk)]}]),
        ({}, [{"type": "assign", "userId": str(their_user)}]),
    ]
    for conditions, actions in cases:
        response = owner_client.post(RULES, {"name": "X", "conditions": conditions, "actions": actions}, format="json")
        assert response.status_code == 400, (conditions, actions, response.json())
    assert count(tenant, Rule) == 0


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_administrators_manage_rules_and_lists(tenant, owner_client, make_member, api_client_for, role):
    made = rule(owner_client, "Mine", [{"type": "archive"}])
    client = api_client_for(make_member(tenant, role))
    assert client.get(RULES).status_code == 403
    assert client.post(RULES, {"name": "X", "actions": [{"type": "archive"}]}, format="json").status_code == 403
    assert client.post(f"{RULES}{made['id']}/test", {"text": "x"}, format="json").status_code == 403
    assert client.post(KEYWORD_LISTS, {"name": "X", "keywords": ["a"]}, format="json").status_code == 403
    assert client.post(INTERACTOR_LISTS, {"name": "X"}, format="json").status_code == 403
    assert (count(tenant, Rule), count(tenant, KeywordList), count(tenant, InteractorList)) == (1, 0, 0)
    admin = api_client_for(make_member(tenant, Role.ADMIN))
    assert admin.get(RULES).status_code == 200


def test_another_tenants_rule_is_a_404_and_stays_as_it_was(
    tenant, other_tenant, owner_client, make_member, api_client_for
):
    theirs = rule(api_client_for(make_member(other_tenant, Role.OWNER)), "Theirs", [{"type": "archive"}])
    url = f"{RULES}{theirs['id']}/"
    assert owner_client.get(url).status_code == 404
    assert owner_client.patch(url, {"name": "Mine now"}, format="json").status_code == 404
    assert owner_client.delete(url).status_code == 404
    assert owner_client.post(f"{url}test", {"text": "x"}, format="json").status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert Rule.objects.get().name == "Theirs"


def test_reorder_puts_the_named_rules_first(tenant, owner_client):
    a, b, c = (rule(owner_client, name, [{"type": "archive"}])["id"] for name in "abc")
    response = owner_client.post(f"{RULES}reorder", {"ids": [c, a]}, format="json")
    assert response.status_code == 200
    assert [(r["id"], r["position"]) for r in response.json()] == [(c, 0), (a, 1), (b, 2)]
    unknown = owner_client.post(f"{RULES}reorder", {"ids": [b, "00000000-0000-0000-0000-000000000009"]}, format="json")
    assert unknown.status_code == 400
    assert [r["id"] for r in owner_client.get(RULES).json()["results"]] == [c, a, b]


def test_the_rule_list_has_a_bounded_number_of_queries(tenant, owner_client, django_assert_max_num_queries):
    for n in range(8):
        rule(owner_client, f"Rule {n}", [{"type": "archive"}, {"type": "markAsPriority"}])
    with django_assert_max_num_queries(12):
        response = owner_client.get(RULES)
    assert len(response.json()["results"]) == 8


def test_the_dry_run_explains_each_condition_and_writes_nothing(tenant, owner_client, channel):
    words = keyword_list(owner_client, ["refund", "money back"])
    made = rule(
        owner_client,
        "Refunds",
        [{"type": "archive"}, {"type": "markAsPriority"}],
        {"messageHasKeyword": words, "type": ["comment"], "sentiment": "NEGATIVE"},
    )
    stored = TicketFactory(tenant=tenant, channel=channel, text="I want my MONEY  back")
    before = {
        model: count(tenant, model) for model in (RuleApplication, TicketEvent, TicketAction, Ticket, AuditLogEntry)
    }

    response = owner_client.post(f"{RULES}{made['id']}/test", {"ticketId": str(stored.pk)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "matches": False,
        "conditions": [
            {"condition": "type", "matched": True, "detail": "Type is comment.", "keyword": None},
            {"condition": "sentiment", "matched": False, "detail": "Sentiment is not set.", "keyword": None},
            {
                "condition": "messageHasKeyword",
                "matched": True,
                "detail": "The message contains 'money back'.",
                "keyword": "money back",
            },
        ],
        "actions": [{"type": "archive"}, {"type": "markAsPriority"}],
    }
    sample = {"text": "Refund please", "type": "comment", "channelId": str(channel.pk), "sentiment": "NEGATIVE"}
    assert owner_client.post(f"{RULES}{made['id']}/test", sample, format="json").json()["matches"] is True

    after = {model: count(tenant, model) for model in before}
    assert after == before
    with tenancy.tenant_context(tenant):
        fresh = Ticket.objects.get(pk=stored.pk)
    assert (fresh.status, fresh.is_priority, fresh.updated_at) == ("open", False, stored.updated_at)


def test_the_dry_run_refuses_a_ticket_of_another_tenant(tenant, other_tenant, owner_client):
    made = rule(owner_client, "Any", [{"type": "archive"}])
    theirs = TicketFactory(tenant=other_tenant)
    response = owner_client.post(f"{RULES}{made['id']}/test", {"ticketId": str(theirs.pk)}, format="json")
    assert response.status_code == 400
    assert "ticketId" in response.json()["error"]["details"]


def test_keyword_lists_are_cleaned_and_refused_deletion_while_a_rule_uses_them(tenant, owner_client):
    response = owner_client.post(
        KEYWORD_LISTS, {"name": "Thanks", "keywords": [" thank   you ", "Thank you", "merci", ""]}, format="json"
    )
    assert response.status_code == 400  # a blank keyword
    made = owner_client.post(
        KEYWORD_LISTS, {"name": "Thanks", "keywords": [" thank   you ", "Thank you", "merci"]}, format="json"
    ).json()
    assert (made["keywords"], made["keywordCount"]) == (["thank you", "merci"], 2)
    used = rule(owner_client, "Polite", [{"type": "markAsPriority"}], {"messageHasKeyword": made["id"]})

    refused = owner_client.delete(f"{KEYWORD_LISTS}{made['id']}/")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == ("LIST_IN_USE", {"rules": ["Polite"]})
    patched = owner_client.patch(f"{KEYWORD_LISTS}{made['id']}/", {"keywords": ["danke"]}, format="json")
    assert patched.json()["keywords"] == ["danke"]

    assert owner_client.delete(f"{RULES}{used['id']}/").status_code == 204
    assert owner_client.delete(f"{KEYWORD_LISTS}{made['id']}/").status_code == 204
    assert count(tenant, KeywordList) == 0


def test_interactor_lists_hold_people_per_channel(tenant, other_tenant, owner_client, channel):
    ann = InteractorFactory(tenant=tenant, name="Ann")
    bob = InteractorFactory(tenant=tenant, name="Bob")
    stranger = InteractorFactory(tenant=other_tenant)
    on_youtube = InteractorFactory(tenant=tenant, network="youtube")
    made = owner_client.post(INTERACTOR_LISTS, {"name": "VIPs"}, format="json").json()
    url = f"{INTERACTOR_LISTS}{made['id']}/interactors/"
    entries = [{"channelId": str(channel.pk), "interactorId": str(p.pk)} for p in (ann, bob, ann)]

    assert owner_client.post(url, {"entries": entries}, format="json").json() == {"changed": 2}
    assert owner_client.post(url, {"entries": entries[:1]}, format="json").json() == {"changed": 0}
    for person in (stranger, on_youtube):
        bad = [{"channelId": str(channel.pk), "interactorId": str(person.pk)}]
        assert owner_client.post(url, {"entries": bad}, format="json").status_code == 400
    listed = owner_client.get(url).json()["results"]
    assert [(e["channelId"], e["interactor"]["name"]) for e in listed] == [
        (str(channel.pk), "Ann"),
        (str(channel.pk), "Bob"),
    ]
    assert owner_client.get(f"{INTERACTOR_LISTS}{made['id']}/").json()["entryCount"] == 2

    assert owner_client.delete(url, {"entries": entries[:1]}, format="json").json() == {"changed": 1}
    with tenancy.tenant_context(tenant):
        assert list(InteractorListEntry.objects.values_list("interactor_id", flat=True)) == [bob.pk]

    rule(owner_client, "VIP", [{"type": "markAsPriority"}], {"interactorInList": made["id"]})
    assert owner_client.delete(f"{INTERACTOR_LISTS}{made['id']}/").status_code == 409


def test_interactors_are_searched_per_channel(tenant, owner_client, channel):
    elsewhere = ChannelFactory(tenant=tenant)
    TicketFactory(tenant=tenant, channel=channel, interactor=InteractorFactory(tenant=tenant, name="Anna Karenina"))
    TicketFactory(tenant=tenant, channel=channel, interactor=InteractorFactory(tenant=tenant, name="Boris"))
    TicketFactory(tenant=tenant, channel=elsewhere, interactor=InteractorFactory(tenant=tenant, name="Anna Other"))

    response = owner_client.get("/api/v1/inbox/interactors/", {"channel": str(channel.pk), "search": "anna"})
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Anna Karenina"]
    everyone = owner_client.get("/api/v1/inbox/interactors/", {"search": "anna"}).json()["results"]
    assert [p["name"] for p in everyone] == ["Anna Karenina", "Anna Other"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/inbox/keyword-lists/", {"name": "Refunds", "keywords": ["refund"]}),
        ("/api/v1/inbox/interactor-lists/", {"name": "Refunds"}),
    ],
)
def test_a_list_name_in_use_is_a_409_on_create_and_rename(owner_client, path, body):
    assert owner_client.post(path, body, format="json").status_code == 201
    again = owner_client.post(path, body, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "LIST_NAME_TAKEN"
    other = owner_client.post(path, {**body, "name": "Other"}, format="json").json()
    renamed = owner_client.patch(f"{path}{other['id']}/", {"name": "Refunds"}, format="json")
    assert renamed.status_code == 409
    assert owner_client.get(f"{path}{other['id']}/").json()["name"] == "Other"
