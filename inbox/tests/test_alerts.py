"""Alerts: CRUD through the API (validation, roles, other tenants), and incidents told once: a burst fires once,
not again while it lasts, again after it closed; unanswered priority tickets count business hours only."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from core import tenancy
from core.models import AuditLogEntry
from inbox.incoming import IncomingItem
from inbox.models import Alert, AlertIncident, BusinessHours
from inbox.services.ingestion import ingest
from inbox.tasks import evaluate_alerts
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory
from tenants.roles import Role

URL = "/api/v1/inbox/alerts/"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-alerts", name="Shop")


def burst_alert(channel, owner, **extra) -> dict:
    return {
        "name": "Busy shop",
        "kind": "volumeBurst",
        "channelId": str(channel.pk),
        "thresholdCount": 2,
        "windowMinutes": 10,
        "recipientUserIds": [str(owner.user.pk)],
        "recipientEmails": ["Oncall@Example.com"],
        **extra,
    }


def alerts_of(tenant) -> list[Alert]:
    with tenancy.tenant_context(tenant):
        return list(Alert.objects.order_by("created_at"))


def incidents_of(tenant) -> list[AlertIncident]:
    with tenancy.tenant_context(tenant):
        return list(AlertIncident.objects.order_by("opened_at"))


# --- CRUD ------------------------------------------------------------------------------------------------------------
def test_create_read_update_delete_an_alert(owner_client, owner, tenant, channel):
    created = owner_client.post(URL, burst_alert(channel, owner), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == "volumeBurst" and body["channel"]["id"] == str(channel.pk)
    assert body["thresholdCount"] == 2 and body["windowMinutes"] == 10 and body["isActive"] is True
    assert body["recipientUserIds"] == [str(owner.user.pk)] and body["recipientEmails"] == ["oncall@example.com"]
    alert_url = f"{URL}{body['id']}"
    assert owner_client.get(alert_url).json() == body
    changed = owner_client.patch(alert_url, {"windowMinutes": 5, "isNegativeOnly": True}, format="json")
    assert changed.status_code == 200
    assert changed.json()["windowMinutes"] == 5 and changed.json()["isNegativeOnly"] is True
    assert changed.json()["thresholdCount"] == 2
    assert owner_client.delete(alert_url).status_code == 204
    assert alerts_of(tenant) == []
    with tenancy.tenant_context(tenant):
        actions = set(AuditLogEntry.objects.filter(object_id=body["id"]).values_list("action", flat=True))
    assert actions == {"inbox.alert.created", "inbox.alert.updated", "inbox.alert.deleted"}


def test_the_list_costs_the_same_queries_for_many_alerts(
    owner_client, owner, tenant, channel, django_assert_max_num_queries
):
    for n in range(6):
        owner_client.post(URL, burst_alert(channel, owner, name=f"Alert {n}"), format="json")
    with django_assert_max_num_queries(8):
        response = owner_client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"thresholdCount": None}, "thresholdCount"),
        ({"windowMinutes": 0}, "windowMinutes"),
        ({"kind": "unansweredPriority"}, "unansweredMinutes"),
        ({"kind": "weather"}, "kind"),
        ({"recipientUserIds": [], "recipientEmails": []}, "recipients"),
        ({"recipientEmails": ["not-an-address"]}, "recipientEmails"),
        ({"recipientUserIds": ["6a1f9a52-5a0e-4c4e-9b7e-1f2d3c4b5a69"]}, "recipientUserIds"),
    ],
)
def test_bad_alerts_are_400_naming_the_field_and_nothing_is_stored(owner_client, owner, tenant, channel, change, field):
    response = owner_client.post(URL, burst_alert(channel, owner, **change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    assert alerts_of(tenant) == []


def test_another_tenants_channel_or_member_cannot_be_named(owner_client, owner, tenant, other_tenant, make_member):
    theirs = ChannelFactory(tenant=other_tenant)
    stranger = make_member(other_tenant, Role.OWNER)
    for change in ({"channelId": str(theirs.pk)}, {"recipientUserIds": [str(stranger.user.pk)]}):
        response = owner_client.post(URL, burst_alert(theirs, owner, **change), format="json")
        assert response.status_code == 400
    assert alerts_of(tenant) == []


def test_agents_and_viewers_may_not_see_or_change_alerts(
    owner_client, owner, tenant, channel, make_member, api_client_for
):
    alert_id = owner_client.post(URL, burst_alert(channel, owner), format="json").json()["id"]
    before = alerts_of(tenant)[0].updated_at
    for role in (Role.AGENT, Role.VIEWER):
        client = api_client_for(make_member(tenant, role))
        assert client.get(URL).status_code == 403
        assert client.post(URL, burst_alert(channel, owner, name="Mine"), format="json").status_code == 403
        assert client.patch(f"{URL}{alert_id}", {"isActive": False}, format="json").status_code == 403
        assert client.delete(f"{URL}{alert_id}").status_code == 403
    [alert] = alerts_of(tenant)
    assert alert.is_active and alert.updated_at == before
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert manager.patch(f"{URL}{alert_id}", {"isActive": False}, format="json").status_code == 200


def test_another_tenants_alert_is_404_and_stays(owner_client, other_tenant, make_member, api_client_for):
    their_owner = make_member(other_tenant, Role.OWNER)
    their_channel = ChannelFactory(tenant=other_tenant)
    theirs = api_client_for(their_owner).post(URL, burst_alert(their_channel, their_owner), format="json").json()
    for method in ("get", "patch", "delete"):
        response = getattr(owner_client, method)(f"{URL}{theirs['id']}", {"name": "Hijacked"}, format="json")
        assert response.status_code == 404
    assert owner_client.get(f"{URL}{theirs['id']}/incidents").status_code == 404
    assert [a.name for a in alerts_of(other_tenant)] == ["Busy shop"]


# --- burst -----------------------------------------------------------------------------------------------------------
def comments(channel, count: int, at: datetime) -> list[IncomingItem]:
    stamp = at.strftime("%H%M%S")
    return [
        IncomingItem(
            network_item_id=f"burst-{stamp}-{n}",
            type="comment",
            text="Where is my parcel?",
            author_id=f"fan-{n}",
            created_at=at,
            parent_id="post-1",
        )
        for n in range(count)
    ]


@pytest.fixture
def at_time(tenant, django_capture_on_commit_callbacks):
    """Run `fn` at `when`, in the tenant, with on-commit work (the mail) done."""

    def run(when: datetime, fn, *args):
        travel, commits = time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True)
        with travel, tenancy.tenant_context(tenant), commits:
            return fn(*args)

    return run


def test_a_burst_fires_once_while_it_lasts_and_again_after_it_closed(owner_client, owner, tenant, channel, at_time):
    alert_id = owner_client.post(URL, burst_alert(channel, owner), format="json").json()["id"]
    t0 = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)
    at_time(t0, ingest, channel, comments(channel, 2, t0))  # two: not more than the threshold
    assert mail.outbox == [] and incidents_of(tenant) == []
    at_time(t0 + timedelta(minutes=1), ingest, channel, comments(channel, 1, t0 + timedelta(minutes=1)))
    # One notice for the incident, delivered to each recipient (the tenant's workflow sends one email per person).
    assert sorted(address for sent in mail.outbox for address in sent.to) == sorted(
        [owner.user.email, "oncall@example.com"]
    )
    notice = mail.outbox[0]
    assert all(sent.subject == "Inbox alert: Busy shop" for sent in mail.outbox)
    [incident] = incidents_of(tenant)
    assert incident.ticket_count == 3 and incident.closed_at is None
    assert all(f"/api/v1/inbox/tickets/{ticket_id}" in notice.body for ticket_id in incident.ticket_ids)
    # Still bursting: more tickets and the beat tell nobody again.
    at_time(t0 + timedelta(minutes=3), ingest, channel, comments(channel, 4, t0 + timedelta(minutes=3)))
    at_time(t0 + timedelta(minutes=4), evaluate_alerts)
    assert len(mail.outbox) == 2 and len(incidents_of(tenant)) == 1
    # Quiet for the window: the beat closes the incident, and a new burst opens another.
    at_time(t0 + timedelta(minutes=20), evaluate_alerts)
    assert incidents_of(tenant)[0].closed_at == t0 + timedelta(minutes=20)
    at_time(t0 + timedelta(minutes=30), ingest, channel, comments(channel, 3, t0 + timedelta(minutes=30)))
    assert len(mail.outbox) == 4
    listed = owner_client.get(f"{URL}{alert_id}/incidents").json()
    assert [i["closedAt"] is None for i in listed] == [True, False]
    assert listed[0]["ticketCount"] == 3


def test_a_negative_burst_counts_only_negative_tickets_on_any_channel(owner_client, owner, tenant, channel, at_time):
    other = ChannelFactory(tenant=tenant)
    body = burst_alert(channel, owner, channelId=None, isNegativeOnly=True, thresholdCount=1)
    assert owner_client.post(URL, body, format="json").status_code == 201
    t0 = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)
    with time_machine.travel(t0, tick=False):
        TicketFactory(tenant=tenant, channel=channel, sentiment="NEGATIVE")
        TicketFactory(tenant=tenant, channel=other, sentiment="POSITIVE")
        TicketFactory(tenant=tenant, channel=other)
    at_time(t0 + timedelta(minutes=1), evaluate_alerts)
    assert mail.outbox == []
    with time_machine.travel(t0 + timedelta(minutes=2), tick=False):
        TicketFactory(tenant=tenant, channel=other, sentiment="NEGATIVE")
    at_time(t0 + timedelta(minutes=2), evaluate_alerts)
    assert len(mail.outbox) == 2 and incidents_of(tenant)[0].ticket_count == 2  # one email per recipient


def test_an_old_backlog_arriving_at_once_is_no_burst(owner_client, owner, tenant, channel, at_time):
    owner_client.post(URL, burst_alert(channel, owner), format="json")
    t0 = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)
    at_time(t0, ingest, channel, comments(channel, 10, t0 - timedelta(days=30)))
    assert mail.outbox == [] and incidents_of(tenant) == []


def test_one_open_incident_per_alert_is_a_database_rule(owner_client, owner, tenant, channel):
    alert_id = owner_client.post(URL, burst_alert(channel, owner), format="json").json()["id"]
    now = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)
    with tenancy.tenant_context(tenant):
        AlertIncident.objects.create(alert_id=alert_id, opened_at=now, closed_at=now)
        AlertIncident.objects.create(alert_id=alert_id, opened_at=now)
        with pytest.raises(IntegrityError), transaction.atomic():
            AlertIncident.objects.create(alert_id=alert_id, opened_at=now)


# --- unanswered priority ---------------------------------------------------------------------------------------------
def test_unanswered_priority_counts_business_hours_only(owner_client, owner, tenant, channel, at_time):
    with tenancy.tenant_context(tenant):
        BusinessHours.objects.create(
            channel=channel,
            timezone="Europe/Berlin",
            periods=[{"day": d, "start": "09:00", "end": "18:00"} for d in ("monday", "friday")],
        )
    body = {
        "name": "Priority waiting",
        "kind": "unansweredPriority",
        "unansweredMinutes": 30,
        "recipientEmails": ["lead@example.com"],
    }
    alert_id = owner_client.post(URL, body, format="json").json()["id"]
    with time_machine.travel(datetime(2026, 6, 5, 17, 50, tzinfo=BERLIN), tick=False):  # Friday, 10 min to close
        urgent = TicketFactory(tenant=tenant, channel=channel, is_priority=True)
        TicketFactory(tenant=tenant, channel=channel)  # not priority: never counts
    for when in (datetime(2026, 6, 5, 18, 30), datetime(2026, 6, 7, 12, 0), datetime(2026, 6, 8, 9, 19)):
        at_time(when.replace(tzinfo=BERLIN), evaluate_alerts)  # 10, 10, then 29 business minutes
    assert mail.outbox == []
    at_time(datetime(2026, 6, 8, 9, 21, tzinfo=BERLIN), evaluate_alerts)
    at_time(datetime(2026, 6, 8, 9, 22, tzinfo=BERLIN), evaluate_alerts)  # the beat again: told once
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lead@example.com"]
    assert str(urgent.pk) in mail.outbox[0].body
    # Handled: the incident closes at the next tick.
    owner_client.post(f"/api/v1/inbox/tickets/{urgent.pk}/actions/archive")
    at_time(datetime(2026, 6, 8, 9, 23, tzinfo=BERLIN), evaluate_alerts)
    [incident] = owner_client.get(f"{URL}{alert_id}/incidents").json()
    assert incident["closedAt"] is not None and incident["ticketIds"] == [str(urgent.pk)]
