"""Business hours through the API: the empty default, validation, who may read and change them, SLA seconds stamped
on the first reply and on archiving, and the auto-reply once per person per closed period."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core import tenancy
from core.models import AuditLogEntry
from inbox.incoming import IncomingItem
from inbox.models import ActionStatus, AutoReplySent, BusinessHours, Ticket, TicketAction
from inbox.services.ingestion import ingest
from inbox.tests.factories import TicketFactory
from social.models import SandboxPublication, TeamChannel
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory, TeamFactory, add_to_team
from tenants.roles import Role

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {
    "timezone": "Europe/Berlin",
    "periods": [
        {"day": day, "start": start, "end": end}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for start, end in (("09:00", "12:30"), ("13:30", "18:00"))
    ],
    "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}],
    "autoReply": {"enabled": True, "text": "Hi {{interactor.name}}, {{channel.name}} answers on weekdays."},
}


def url(channel) -> str:
    return f"/api/v1/inbox/channels/{channel.pk}/business-hours"


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-shop", name="Shop")


def stored(tenant, channel) -> BusinessHours | None:
    with tenancy.tenant_context(tenant):
        return BusinessHours.objects.filter(channel=channel).first()


def test_without_business_hours_get_answers_the_empty_default(owner_client, channel):
    response = owner_client.get(url(channel))
    assert response.status_code == 200
    assert response.json() == {
        "channelId": str(channel.pk),
        "isConfigured": False,
        "timezone": "UTC",
        "periods": [],
        "holidays": [],
        "autoReply": {"enabled": False, "text": ""},
        "updatedAt": None,
    }


def test_put_stores_the_schedule_sorted_and_get_returns_it(owner_client, tenant, channel):
    body = {
        **OFFICE,
        "periods": [*list(reversed(OFFICE["periods"])), {"day": "saturday", "start": "20:00", "end": "24:00"}],
    }
    response = owner_client.put(url(channel), body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["isConfigured"] is True and data["timezone"] == "Europe/Berlin"
    assert data["periods"][:2] == [
        {"day": "monday", "start": "09:00", "end": "12:30"},
        {"day": "monday", "start": "13:30", "end": "18:00"},
    ]
    assert data["periods"][-1] == {"day": "saturday", "start": "20:00", "end": "24:00"}
    assert data["holidays"] == [{"date": "2026-12-25", "name": "Christmas Day"}]
    assert owner_client.get(url(channel)).json() == data
    hours = stored(tenant, channel)
    assert hours.is_auto_reply_enabled and len(hours.periods) == 11
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="inbox.business_hours.set", object_id=str(channel.pk)).count() == 1


def test_empty_periods_remove_the_business_hours(owner_client, tenant, channel):
    owner_client.put(url(channel), OFFICE, format="json")
    response = owner_client.put(url(channel), {"timezone": "UTC", "periods": []}, format="json")
    assert response.status_code == 200 and response.json()["isConfigured"] is False
    assert stored(tenant, channel) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"periods": [{"day": "monday", "start": "10:00", "end": "09:00"}]}, "periods"),
        ({"periods": [{"day": "monday", "start": "10:00", "end": "10:00"}]}, "periods"),
        ({"periods": [{"day": "monday", "start": "9:00", "end": "17:00"}]}, "periods"),
        ({"periods": [{"day": "monday", "start": "24:00", "end": "24:00"}]}, "periods"),
        ({"periods": [{"day": "monday", "start": "09:00", "end": "24:30"}]}, "periods"),
        (
            {
                "periods": [
                    {"day": "monday", "start": "09:00", "end": "12:00"},
                    {"day": "monday", "start": "11:59", "end": "14:00"},
                ]
            },
            "periods",
        ),
        ({"periods": [{"day": "funday", "start": "09:00", "end": "12:00"}]}, "periods"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25", "name": "again"}]}, "holidays"),
        ({"holidays": [{"date": "2026-02-30"}]}, "holidays"),
        ({"autoReply": {"enabled": True, "text": "Hi {{customer.name}}"}}, "autoReply"),
        ({"autoReply": {"enabled": True, "text": "  "}}, "autoReply"),
        ({"periods": [], "autoReply": {"enabled": True, "text": "Closed"}}, "autoReply"),
    ],
)
def test_bad_schedules_are_400_naming_the_field_and_nothing_is_stored(owner_client, tenant, channel, change, field):
    response = owner_client.put(url(channel), {**OFFICE, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    assert stored(tenant, channel) is None


def test_back_to_back_periods_are_not_an_overlap(owner_client, channel):
    body = {
        "timezone": "America/New_York",
        "periods": [
            {"day": "sunday", "start": "00:00", "end": "08:00"},
            {"day": "sunday", "start": "08:00", "end": "24:00"},
        ],
    }
    assert owner_client.put(url(channel), body, format="json").status_code == 200


def test_agents_read_but_only_managers_change_and_a_denial_changes_nothing(
    tenant, channel, make_member, api_client_for
):
    team = TeamFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        TeamChannel.objects.create(team=team, channel=channel)
    agent, viewer, manager = (make_member(tenant, role) for role in (Role.AGENT, Role.VIEWER, Role.MANAGER))
    add_to_team(team, agent, viewer, manager)
    assert api_client_for(agent).get(url(channel)).status_code == 200
    for member in (agent, viewer):
        response = api_client_for(member).put(url(channel), OFFICE, format="json")
        assert response.status_code == 403
        assert stored(tenant, channel) is None
    assert api_client_for(manager).put(url(channel), OFFICE, format="json").status_code == 200


def test_a_channel_of_another_team_or_tenant_is_404_and_stays_unchanged(
    tenant, other_tenant, channel, owner_client, make_member, api_client_for
):
    theirs = ChannelFactory(tenant=other_tenant)
    manager_elsewhere = make_member(tenant, Role.MANAGER)  # in no team that has `channel`
    for client, target in ((owner_client, theirs), (api_client_for(manager_elsewhere), channel)):
        assert client.get(url(target)).status_code == 404
        assert client.put(url(target), OFFICE, format="json").status_code == 404
    assert stored(other_tenant, theirs) is None and stored(tenant, channel) is None


# --- SLA seconds -----------------------------------------------------------------------------------------------------
@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def post(client, path, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data or {}, format="json")

    return post


@pytest.fixture
def owner_at(owner, api_client_for):
    """The owner's client at a frozen time (a token minted then: one from the real clock is not valid yet)."""

    @contextmanager
    def at(when: datetime):
        with time_machine.travel(when, tick=False):
            yield api_client_for(owner)

    return at


def comment_on(tenant, channel, text="Is my order lost?") -> Ticket:
    remote_id = inject_inbound(channel.external_id, kind="comment", text=text, author_id="fan-1")
    return TicketFactory(tenant=tenant, channel=channel, network_item_id=remote_id)


def reload(tenant, ticket) -> Ticket:
    with tenancy.tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def test_first_response_and_resolution_count_business_seconds_only(
    owner_client, owner_at, tenant, channel, run_on_commit
):
    assert owner_client.put(url(channel), OFFICE, format="json").status_code == 200
    with time_machine.travel(berlin(2026, 12, 24, 17, 0), tick=False):  # Thursday, 1h before closing
        ticket = comment_on(tenant, channel)
    reply = f"/api/v1/inbox/tickets/{ticket.pk}/actions/reply"
    # Replied on Monday 28th at 10:15 (Christmas Day and the weekend do not count): 1h + 1h15.
    with owner_at(berlin(2026, 12, 28, 10, 15)) as client:
        assert run_on_commit(client, reply, {"text": "Found!"}).status_code == 202
    ticket = reload(tenant, ticket)
    assert ticket.first_response_at == berlin(2026, 12, 28, 10, 15)
    assert ticket.first_response_business_seconds == 2 * 3600 + 15 * 60
    # A second reply does not move the first response.
    with owner_at(berlin(2026, 12, 28, 11, 0)) as client:
        assert run_on_commit(client, reply, {"text": "Shipped."}).status_code == 202
    assert reload(tenant, ticket).first_response_business_seconds == 2 * 3600 + 15 * 60
    with owner_at(berlin(2026, 12, 28, 14, 0)) as client:  # after lunch: 1h + 3h30 + 30min
        assert client.post(f"/api/v1/inbox/tickets/{ticket.pk}/actions/archive").status_code == 201
    ticket = reload(tenant, ticket)
    assert ticket.resolved_at == berlin(2026, 12, 28, 14, 0)
    assert ticket.resolution_business_seconds == 5 * 3600
    assert owner_client.post(f"/api/v1/inbox/tickets/{ticket.pk}/actions/unarchive").status_code == 201
    ticket = reload(tenant, ticket)
    assert ticket.resolved_at is None and ticket.resolution_business_seconds is None


def test_without_business_hours_sla_seconds_are_wall_clock(owner_at, tenant, channel, run_on_commit):
    with time_machine.travel(berlin(2026, 12, 24, 17, 0), tick=False):
        ticket = comment_on(tenant, channel)
    with owner_at(berlin(2026, 12, 25, 17, 30)) as client:
        assert (
            run_on_commit(client, f"/api/v1/inbox/tickets/{ticket.pk}/actions/reply", {"text": "Hi"}).status_code == 202
        )
        assert client.post(f"/api/v1/inbox/tickets/{ticket.pk}/actions/archive").status_code == 201
    ticket = reload(tenant, ticket)
    assert ticket.first_response_business_seconds == ticket.resolution_business_seconds == 24 * 3600 + 1800


def test_bulk_archive_stamps_the_resolution_too(owner_client, owner_at, tenant, channel, run_on_commit):
    owner_client.put(url(channel), OFFICE, format="json")
    with time_machine.travel(berlin(2026, 6, 1, 9, 0), tick=False):
        tickets = [comment_on(tenant, channel, f"Question {n}") for n in range(2)]
    with owner_at(berlin(2026, 6, 1, 9, 30)) as client:
        body = {"action": "archive", "ids": [str(t.pk) for t in tickets]}
        assert run_on_commit(client, "/api/v1/inbox/tickets/bulk", body).status_code == 202
    assert [reload(tenant, t).resolution_business_seconds for t in tickets] == [1800, 1800]


# --- auto-reply ------------------------------------------------------------------------------------------------------
def written(channel, author: str, at: datetime, kind: str = "comment") -> IncomingItem:
    """`author` wrote on the sandbox network at `at`; the item as ingestion receives it."""
    parent = "post-1" if kind == "comment" else f"sbxconv_{author}"
    remote_id = inject_inbound(
        channel.external_id,
        kind=kind,
        text=f"from {author}",
        author_id=author,
        author_name=f"Person {author}",
        parent_remote_id=parent,
    )
    return IncomingItem(
        network_item_id=remote_id,
        type=kind,
        text=f"from {author}",
        author_id=author,
        author_name=f"Person {author}",
        created_at=at,
        parent_id=parent,
    )


def auto_replies(tenant) -> list[TicketAction]:
    with tenancy.tenant_context(tenant):
        return list(TicketAction.objects.filter(params__autoReply=True).select_related("ticket").order_by("created_at"))


@pytest.fixture
def arrive(tenant, channel, django_capture_on_commit_callbacks):
    def run(at: datetime, *items: IncomingItem) -> None:
        travel, commits = time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True)
        with travel, tenancy.tenant_context(tenant), commits:
            ingest(channel, list(items))

    return run


def test_auto_reply_goes_once_per_person_per_closed_period_through_the_action_pipeline(
    owner_client, tenant, channel, arrive
):
    owner_client.put(url(channel), OFFICE, format="json")
    friday_night = berlin(2026, 6, 5, 20, 0)
    ann_first, ann_second = (
        written(channel, "ann", friday_night),
        written(channel, "ann", friday_night + timedelta(minutes=1)),
    )
    arrive(friday_night, ann_first, ann_second)
    bob = written(channel, "bob", friday_night, kind="message")
    arrive(friday_night + timedelta(hours=2), bob)
    arrive(berlin(2026, 6, 6, 11, 0), written(channel, "ann", berlin(2026, 6, 6, 11, 0)))  # Saturday: same period
    sent = auto_replies(tenant)
    assert [(a.ticket.network_item_id, a.status) for a in sent] == [
        (ann_second.network_item_id, ActionStatus.DONE),
        (bob.network_item_id, ActionStatus.DONE),
    ]
    assert sent[0].params["text"] == "Hi Person ann, Shop answers on weekdays."
    assert SandboxPublication.objects.filter(text__startswith="Hi Person").count() == 2
    with tenancy.tenant_context(tenant):
        assert AutoReplySent.objects.count() == 2
        answered = Ticket.objects.get(pk=sent[0].ticket_id)
    # The auto-reply is no answer from an agent: the ticket stays unread and unanswered.
    assert answered.is_unread and answered.first_response_at is None
    # Open on Monday: nothing; Monday's lunch break is a new closed period: Ann gets one again.
    arrive(berlin(2026, 6, 8, 10, 0), written(channel, "ann", berlin(2026, 6, 8, 10, 0)))
    lunch = written(channel, "ann", berlin(2026, 6, 8, 13, 0))
    arrive(berlin(2026, 6, 8, 13, 0), lunch)
    assert [a.ticket.network_item_id for a in auto_replies(tenant)][-1] == lunch.network_item_id
    assert len(auto_replies(tenant)) == 3


def test_no_auto_reply_to_a_backlog_written_before_the_closed_period(owner_client, tenant, channel, arrive):
    owner_client.put(url(channel), OFFICE, format="json")
    arrive(berlin(2026, 6, 5, 20, 0), written(channel, "cy", berlin(2026, 6, 5, 11, 0)))
    assert auto_replies(tenant) == []


def test_disabled_auto_reply_sends_nothing(owner_client, tenant, channel, arrive):
    owner_client.put(url(channel), {**OFFICE, "autoReply": {"enabled": False, "text": ""}}, format="json")
    at = berlin(2026, 6, 5, 20, 0)
    arrive(at, written(channel, "di", at))
    assert auto_replies(tenant) == []
