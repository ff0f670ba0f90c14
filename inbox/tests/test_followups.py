"""Follow-ups: set, moved and removed through the API; when due the ticket is open and unread again and the user
is told exactly once by the beat sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core import tenancy
from inbox.models import Followup, Ticket, TicketStatus
from inbox.tasks import sweep_followups
from inbox.tests.factories import TicketFactory
from tenants.roles import Role


@pytest.fixture
def ticket(tenant):
    return TicketFactory(tenant=tenant, status=TicketStatus.ARCHIVED, is_unread=False, archive_reason="manual")


def url(ticket, followup_id=None) -> str:
    base = f"/api/v1/inbox/tickets/{ticket.pk}/followups/"
    return f"{base}{followup_id}/" if followup_id else base


def reload(tenant, ticket) -> Ticket:
    with tenancy.tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def sweep(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return sweep_followups()


def test_a_due_followup_reopens_the_ticket_and_tells_the_user_once(
    owner_client, owner, tenant, ticket, django_capture_on_commit_callbacks
):
    due = timezone.now() + timedelta(hours=2)
    response = owner_client.post(url(ticket), {"dueAt": due.isoformat(), "note": "Call back"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["userId"] == str(owner.user.pk) and body["note"] == "Call back" and body["firedAt"] is None
    assert [f["id"] for f in owner_client.get(url(ticket)).json()] == [body["id"]]

    assert sweep(django_capture_on_commit_callbacks) == 0  # not due yet
    assert reload(tenant, ticket).status == TicketStatus.ARCHIVED and mail.outbox == []

    with time_machine.travel(due + timedelta(minutes=1)):
        assert sweep(django_capture_on_commit_callbacks) == 1
        assert sweep(django_capture_on_commit_callbacks) == 0  # fired: a second sweep finds nothing
    after = reload(tenant, ticket)
    assert after.status == TicketStatus.OPEN and after.is_unread and after.archive_reason == ""
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    assert "Call back" in mail.outbox[0].body
    kinds = [e["kind"] for e in owner_client.get(f"/api/v1/inbox/tickets/{ticket.pk}/history/").json()]
    assert kinds[-2:] == ["followupSet", "followupDue"]
    assert owner_client.get(url(ticket)).json()[0]["firedAt"] is not None


def test_firing_the_same_followup_twice_notifies_once(tenant, owner, ticket, django_capture_on_commit_callbacks):
    from inbox.services.followups import fire_followup

    with tenancy.tenant_context(tenant):
        followup = Followup.objects.create(ticket=ticket, user=owner.user, due_at=timezone.now() - timedelta(seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert fire_followup(followup.pk) is True
            assert fire_followup(followup.pk) is False
    assert len(mail.outbox) == 1


def test_moving_a_followup_rearms_it_and_deleting_it_means_it_never_fires(
    owner_client, tenant, ticket, django_capture_on_commit_callbacks
):
    first = timezone.now() + timedelta(hours=1)
    followup_id = owner_client.post(url(ticket), {"dueAt": first.isoformat()}, format="json").json()["id"]
    later = first + timedelta(days=1)
    moved = owner_client.put(url(ticket, followup_id), {"dueAt": later.isoformat()}, format="json")
    assert moved.status_code == 200 and moved.json()["dueAt"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    with time_machine.travel(first + timedelta(minutes=5)):
        assert sweep(django_capture_on_commit_callbacks) == 0
    assert owner_client.delete(url(ticket, followup_id)).status_code == 204
    with time_machine.travel(later + timedelta(minutes=5)):
        assert sweep(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == [] and reload(tenant, ticket).status == TicketStatus.ARCHIVED


def test_bad_input_and_denials_change_nothing(
    owner_client, tenant, other_tenant, make_member, api_client_for, api_key_client_for, ticket
):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert owner_client.post(url(ticket), {"dueAt": past}, format="json").status_code == 400
    assert owner_client.post(url(ticket), {"dueAt": "soon"}, format="json").status_code == 400
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    key_answer = api_key_client_for(tenant).post(url(ticket), {"dueAt": future}, format="json")
    assert key_answer.status_code == 400 and "userId" in key_answer.json()["error"]["details"]
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert viewer.post(url(ticket), {"dueAt": future}, format="json").status_code == 403
    stranger = api_client_for(make_member(other_tenant, Role.OWNER))
    assert stranger.post(url(ticket), {"dueAt": future}, format="json").status_code == 404
    with tenancy.tenant_context(tenant):
        assert not Followup.objects.exists()


def test_an_api_key_reminds_a_named_member(tenant, owner, api_key_client_for, ticket):
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api_key_client_for(tenant).post(
        url(ticket), {"dueAt": future, "userId": str(owner.user.pk)}, format="json"
    )
    assert response.status_code == 201 and response.json()["userId"] == str(owner.user.pk)
