"""Bulk actions as pollable jobs; interactors: detail, their tickets, block/unblock on the network, GDPR erasure."""

from __future__ import annotations

import pytest

from core import tenancy
from core.models import AuditLogEntry
from inbox.models import BulkJob, Interactor, Ticket, TicketAction
from inbox.tests.factories import InteractorFactory, TicketFactory
from social.models import Channel
from social.tests.factories import ChannelFactory
from tenants.roles import Role

URL = "/api/v1/inbox/"


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-page")


def statuses(tenant) -> dict[str, str]:
    with tenancy.tenant_context(tenant):
        return {str(t.pk): t.status for t in Ticket.objects.all()}


def test_bulk_archive_on_a_filter_is_a_job_with_progress(
    owner_client, tenant, channel, django_capture_on_commit_callbacks
):
    negative = [TicketFactory(tenant=tenant, channel=channel, sentiment="NEGATIVE") for _ in range(3)]
    keep = TicketFactory(tenant=tenant, channel=channel, sentiment="POSITIVE")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            URL + "tickets/bulk", {"action": "archive", "filter": {"sentiment": ["NEGATIVE"]}}, format="json"
        )
    assert response.status_code == 202 and response.json()["total"] == 3
    job = owner_client.get(f"{URL}jobs/{response.json()['id']}").json()
    assert (job["status"], job["done"], job["failed"]) == ("done", 3, 0)
    result = statuses(tenant)
    assert {result[str(t.pk)] for t in negative} == {"archived"} and result[str(keep.pk)] == "open"
    with tenancy.tenant_context(tenant):
        assert set(Ticket.objects.filter(status="archived").values_list("archive_reason", flat=True)) == {"mass"}
        assert TicketAction.objects.filter(bulk_job_id=job["id"]).count() == 3


def test_a_bulk_job_acts_as_the_api_key_that_asked(
    api_key_client_for, tenant, channel, django_capture_on_commit_callbacks
):
    tickets = [TicketFactory(tenant=tenant, channel=channel) for _ in range(2)]
    client = api_key_client_for(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL + "tickets/bulk", {"action": "archive", "ids": [str(t.pk) for t in tickets]}, format="json"
        )
    assert response.status_code == 202
    with tenancy.tenant_context(tenant):
        labels = set(
            TicketAction.objects.filter(bulk_job_id=response.json()["id"]).values_list("actor_label", flat=True)
        )
    assert len(labels) == 1 and labels.pop().startswith("api-key:")
    assert set(statuses(tenant).values()) == {"archived"}


def test_a_bulk_job_whose_requester_left_applies_nothing(
    tenant, channel, make_member, api_client_for, django_capture_on_commit_callbacks
):
    from inbox.tasks import run_bulk_job

    manager = make_member(tenant, Role.ADMIN)  # sees every channel
    tickets = [TicketFactory(tenant=tenant, channel=channel) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not picked it up yet
        response = api_client_for(manager).post(
            URL + "tickets/bulk", {"action": "archive", "ids": [str(t.pk) for t in tickets]}, format="json"
        )
    assert response.status_code == 202
    with tenancy.tenant_context(tenant):
        type(manager).objects.filter(pk=manager.pk).update(is_active=False)
    assert run_bulk_job(job_id=response.json()["id"], tenant_id=str(tenant.pk)) == "done"
    assert set(statuses(tenant).values()) == {"open"}
    with tenancy.tenant_context(tenant):
        job = BulkJob.objects.get(pk=response.json()["id"])
        assert not TicketAction.objects.filter(bulk_job=job).exists()
    assert (job.done_count, job.failed_count, job.errors[-1]["code"]) == (0, 2, "REQUESTER_GONE")


def test_bulk_assign_by_ids_and_bad_input(owner_client, owner, tenant, channel, django_capture_on_commit_callbacks):
    tickets = [TicketFactory(tenant=tenant, channel=channel) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            URL + "tickets/bulk",
            {"action": "assign", "ids": [str(t.pk) for t in tickets], "params": {"userId": str(owner.user_id)}},
            format="json",
        )
    assert response.status_code == 202
    with tenancy.tenant_context(tenant):
        assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {owner.user_id}
    for body in (
        {"action": "reply", "ids": [str(tickets[0].pk)]},
        {"action": "archive"},
        {"action": "archive", "ids": [str(tickets[0].pk)], "filter": {}},
        {"action": "assign", "ids": [str(tickets[0].pk)], "params": {}},
    ):
        assert owner_client.post(URL + "tickets/bulk", body, format="json").status_code == 400, body


def test_interactor_detail_and_tickets(owner_client, tenant, channel):
    fan = InteractorFactory(tenant=tenant, name="Ann")
    mine = [TicketFactory(tenant=tenant, channel=channel, interactor=fan) for _ in range(2)]
    TicketFactory(tenant=tenant, channel=channel)
    assert owner_client.get(f"{URL}interactors/{fan.pk}").json()["name"] == "Ann"
    listed = owner_client.get(f"{URL}interactors/{fan.pk}/tickets").json()["results"]
    assert {row["id"] for row in listed} == {str(t.pk) for t in mine}


def test_block_and_unblock_through_the_channel(owner_client, tenant, channel):
    fan = InteractorFactory(tenant=tenant)
    TicketFactory(tenant=tenant, channel=channel, interactor=fan)
    blocked = owner_client.post(f"{URL}interactors/{fan.pk}/block", {}, format="json")
    assert blocked.status_code == 200 and blocked.json()["isBlocked"] is True
    assert owner_client.post(f"{URL}interactors/{fan.pk}/unblock", {}, format="json").json()["isBlocked"] is False
    with tenancy.tenant_context(tenant):
        actions = list(AuditLogEntry.objects.filter(object_id=str(fan.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["inbox.interactor.blocked", "inbox.interactor.unblocked"]


def test_block_where_the_network_cannot_is_409_and_nothing_changes(owner_client, tenant):
    youtube = ChannelFactory(tenant=tenant, network="youtube")
    fan = InteractorFactory(tenant=tenant, network="youtube")
    TicketFactory(tenant=tenant, channel=youtube, interactor=fan)
    response = owner_client.post(f"{URL}interactors/{fan.pk}/block", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_SUPPORTED"
    with tenancy.tenant_context(tenant):
        assert Interactor.objects.get(pk=fan.pk).is_blocked is False


def test_block_failure_on_the_network_changes_nothing(owner_client, tenant, channel):
    fan = InteractorFactory(tenant=tenant)
    TicketFactory(tenant=tenant, channel=channel, interactor=fan)
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(
            config={"sandbox": {"failWith": "NETWORK_DOWN", "operations": ["*"]}}
        )
    assert owner_client.post(f"{URL}interactors/{fan.pk}/block", {}, format="json").status_code == 409
    with tenancy.tenant_context(tenant):
        assert Interactor.objects.get(pk=fan.pk).is_blocked is False


def test_erase_blanks_the_person_and_their_texts_but_keeps_the_tickets(owner_client, tenant, channel):
    fan = InteractorFactory(tenant=tenant, name="Ann Example", handle="ann")
    ticket = TicketFactory(
        tenant=tenant, channel=channel, interactor=fan, text="my phone is 555", edit_history=[{"text": "x"}]
    )
    other = TicketFactory(tenant=tenant, channel=channel, text="unrelated")
    response = owner_client.delete(f"{URL}interactors/{fan.pk}")
    assert response.status_code == 200 and response.json()["erasedAt"] is not None
    assert response.json()["name"] == "Erased user" and response.json()["handle"] == ""
    with tenancy.tenant_context(tenant):
        erased = Ticket.objects.get(pk=ticket.pk)
        assert (erased.text, erased.edit_history) == ("", [])
        assert Ticket.objects.get(pk=other.pk).text == "unrelated"
        assert AuditLogEntry.objects.filter(action="inbox.interactor.erased").count() == 1
