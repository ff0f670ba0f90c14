"""Ticket actions: local ones applied at once, network ones sent exactly once through the adapter, failures with
the network's reason, retries, unknown outcomes never re-sent blindly, bad input refused before any network call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core import tenancy
from inbox.models import ActionStatus, Ticket, TicketAction
from inbox.services import actions as action_services
from inbox.services.tickets import wake_snoozed
from inbox.tests.factories import InteractorFactory, TicketFactory
from social.models import Channel, SandboxPublication
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory

URL = "/api/v1/inbox/tickets/"


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-page")


@pytest.fixture
def comment(tenant, channel):
    remote_id = inject_inbound("sbx-page", kind="comment", text="Hello?", author_id="fan-1")
    return TicketFactory(tenant=tenant, channel=channel, network_item_id=remote_id)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, format="json")

    return post


def act(client, ticket, name, data=None):
    return client.post(f"{URL}{ticket.pk}/actions/{name}", data or {}, format="json")


def reload(tenant, ticket) -> Ticket:
    with tenancy.tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def actions_of(tenant, ticket) -> list[TicketAction]:
    with tenancy.tenant_context(tenant):
        return list(TicketAction.objects.filter(ticket=ticket).order_by("created_at"))


def test_unknown_action_is_400_listing_the_valid_ones(owner_client, comment):
    response = act(owner_client, comment, "teleport")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "UNKNOWN_ACTION"
    assert "reply" in response.json()["error"]["details"]["valid"]


def test_like_on_a_dm_is_409_not_supported_and_nothing_is_stored(owner_client, tenant, channel):
    dm = TicketFactory(tenant=tenant, channel=channel, type="message")
    response = act(owner_client, dm, "like")
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_SUPPORTED"
    assert actions_of(tenant, dm) == []


def test_action_the_network_lacks_is_409_before_any_call(owner_client, tenant):
    youtube = ChannelFactory(tenant=tenant, network="youtube")
    ticket = TicketFactory(tenant=tenant, channel=youtube)
    assert act(owner_client, ticket, "like").status_code == 409  # YouTube has no likes of comments via API
    assert actions_of(tenant, ticket) == []


def test_reply_over_the_network_limit_is_400_with_the_limit(owner_client, tenant):
    x = ChannelFactory(tenant=tenant, network="x")
    ticket = TicketFactory(tenant=tenant, channel=x, type="mention")
    response = act(owner_client, ticket, "reply", {"text": "a" * 281})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["limit"] == 280
    assert act(owner_client, ticket, "reply", {}).status_code == 400  # no text


def test_reply_goes_out_once_and_joins_the_thread_as_own(owner_client, tenant, comment, run_on_commit):
    response = run_on_commit(owner_client, f"{URL}{comment.pk}/actions/reply", {"text": "Hi!"})
    assert response.status_code == 202 and response.json()["status"] == "pending"
    [action] = actions_of(tenant, comment)
    assert action.status == ActionStatus.DONE and action.sent_at is not None
    stored = SandboxPublication.objects.get(kind="reply")
    assert stored.parent_remote_id == comment.network_item_id and stored.text == "Hi!"
    with tenancy.tenant_context(tenant):
        own = Ticket.objects.get(network_item_id=stored.remote_id)
    assert own.is_own and own.parent_id == comment.pk and own.type == "reply"
    # The task running again (a redelivered message) sends nothing.
    with tenancy.tenant_context(tenant):
        assert action_services.execute_action(action.pk) == ActionStatus.DONE
    assert SandboxPublication.objects.filter(kind="reply").count() == 1


def test_a_claimed_action_is_never_sent_by_a_second_run(tenant, comment, owner):
    from core.auth import Principal

    actor = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user)
    with tenancy.tenant_context(tenant):
        action = action_services.perform_action(comment, "reply", actor=actor, params={"text": "once"})
        TicketAction.objects.filter(pk=action.pk).update(sent_at=timezone.now())  # another worker claimed it
        assert action_services.execute_action(action.pk) == ActionStatus.PENDING
    assert not SandboxPublication.objects.filter(kind="reply").exists()


def test_private_reply_to_a_comment_is_a_dm_on_sandbox_and_refused_on_x(owner_client, tenant, comment, run_on_commit):
    response = run_on_commit(owner_client, f"{URL}{comment.pk}/actions/reply", {"text": "psst", "private": True})
    assert response.status_code == 202
    dm = SandboxPublication.objects.get(kind="dm")
    assert dm.payload["privateReplyTo"] == comment.network_item_id
    x = ChannelFactory(tenant=tenant, network="x")
    tweet = TicketFactory(tenant=tenant, channel=x, type="mention")
    assert act(owner_client, tweet, "reply", {"text": "psst", "private": True}).status_code == 409


def test_reply_to_a_dm_is_a_message_in_the_conversation(owner_client, tenant, channel, run_on_commit):
    fan = InteractorFactory(tenant=tenant, network_user_id="fan-9")
    remote = inject_inbound("sbx-page", kind="message", text="hey", author_id="fan-9")
    dm = TicketFactory(
        tenant=tenant,
        channel=channel,
        type="message",
        interactor=fan,
        network_item_id=remote,
        parent_network_item_id="sbxconv_fan-9",
    )
    assert run_on_commit(owner_client, f"{URL}{dm.pk}/actions/reply", {"text": "hello"}).status_code == 202
    sent = SandboxPublication.objects.get(kind="dm")
    assert sent.parent_remote_id == "sbxconv_fan-9" and sent.payload["recipientId"] == "fan-9"
    with tenancy.tenant_context(tenant):
        own = Ticket.objects.get(network_item_id=sent.remote_id)
    assert own.type == "message" and own.is_own


def test_network_failure_is_failed_with_reason_then_retry_succeeds(
    owner_client, tenant, channel, comment, run_on_commit
):
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(
            config={"sandbox": {"failWith": "INVALID_CONTENT", "times": 1, "operations": ["reply"]}}
        )
    run_on_commit(owner_client, f"{URL}{comment.pk}/actions/reply", {"text": "Hi"})
    listed = owner_client.get(f"{URL}{comment.pk}/actions").json()
    assert listed[0]["status"] == "failed" and listed[0]["error"]["code"] == "INVALID_CONTENT"
    assert "sandbox" in listed[0]["error"]["message"]
    retried = run_on_commit(owner_client, f"{URL}{comment.pk}/actions/{listed[0]['id']}/retry")
    assert retried.status_code == 202 and retried.json()["attempt"] == 2
    assert owner_client.get(f"{URL}{comment.pk}/actions").json()[0]["status"] == "done"
    assert SandboxPublication.objects.filter(kind="reply").count() == 1
    again = owner_client.post(f"{URL}{comment.pk}/actions/{listed[0]['id']}/retry", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "NOT_RETRYABLE"


def test_unknown_outcome_is_confirmed_by_the_next_poll_never_resent(
    owner_client, tenant, channel, comment, run_on_commit
):
    from inbox.services import polling

    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(
            config={"sandbox": {"failWith": "UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": 1, "operations": ["reply"]}}
        )
    run_on_commit(owner_client, f"{URL}{comment.pk}/actions/reply", {"text": "Are you there?"})
    [action] = actions_of(tenant, comment)
    assert action.status == ActionStatus.PENDING and action.outcome_unknown
    with tenancy.tenant_context(tenant):
        assert action_services.execute_action(action.pk) == ActionStatus.PENDING  # a rerun sends nothing
        polling.ensure_cursors(Channel.objects.get(pk=channel.pk))
        from inbox.models import IngestionCursor

        polling.poll(IngestionCursor.objects.get(channel=channel, kind="comment").pk)
    [action] = actions_of(tenant, comment)
    assert action.status == ActionStatus.DONE and action.result["confirmedBy"] == "poll"
    assert SandboxPublication.objects.filter(kind="reply").count() == 1


def test_unconfirmed_unknown_outcome_fails_and_retry_needs_confirmation(owner_client, tenant, comment, owner):
    from core.auth import Principal

    actor = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user)
    with tenancy.tenant_context(tenant):
        action = action_services.perform_action(comment, "reply", actor=actor, params={"text": "x"})
        TicketAction.objects.filter(pk=action.pk).update(
            sent_at=timezone.now() - timedelta(hours=1), outcome_unknown=True
        )
        assert action_services.sweep_stale_actions()["unknownFailed"] == 1
    url = f"{URL}{comment.pk}/actions/{action.pk}/retry"
    refused = owner_client.post(url, {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "OUTCOME_UNKNOWN"
    assert owner_client.post(url, {"confirmNotSent": True}, format="json").status_code == 202


def test_like_hide_delete_update_the_ticket(owner_client, tenant, comment, run_on_commit):
    for name in ("like", "hide"):
        assert run_on_commit(owner_client, f"{URL}{comment.pk}/actions/{name}").status_code == 202
    ticket = reload(tenant, comment)
    assert ticket.is_liked and ticket.is_hidden
    for name in ("unlike", "unhide", "delete"):
        run_on_commit(owner_client, f"{URL}{comment.pk}/actions/{name}")
    ticket = reload(tenant, comment)
    assert not ticket.is_liked and not ticket.is_hidden and ticket.status == "deleted"
    assert [a.status for a in actions_of(tenant, comment)] == ["done"] * 5


def test_local_actions(owner_client, owner, tenant, comment):
    assert act(owner_client, comment, "archive").json()["status"] == "done"
    ticket = reload(tenant, comment)
    assert ticket.status == "archived" and ticket.archive_reason == "manual" and ticket.resolved_at
    act(owner_client, comment, "unarchive")
    act(owner_client, comment, "markRead")
    act(owner_client, comment, "priority")
    act(owner_client, comment, "sentiment", {"value": "NEGATIVE"})
    act(owner_client, comment, "assign", {"userId": str(owner.user_id)})
    ticket = reload(tenant, comment)
    assert (ticket.status, ticket.is_unread, ticket.is_priority, ticket.sentiment) == ("open", False, True, "NEGATIVE")
    assert ticket.assignee_id == owner.user_id and ticket.resolved_at is None
    assert act(owner_client, comment, "sentiment", {"value": "MEH"}).status_code == 400
    assert act(owner_client, comment, "snooze", {"until": "2001-01-01T00:00:00Z"}).status_code == 400


def test_snoozed_ticket_wakes_up_by_itself(owner_client, tenant, comment):
    until = timezone.now() + timedelta(hours=2)
    assert act(owner_client, comment, "snooze", {"until": until.isoformat()}).status_code == 201
    assert reload(tenant, comment).status == "snoozed"
    assert wake_snoozed(now=until - timedelta(minutes=1)) == 0
    assert wake_snoozed(now=until + timedelta(seconds=1)) == 1
    assert reload(tenant, comment).status == "open"


def test_forward_mails_after_commit(owner_client, tenant, comment, run_on_commit):
    response = run_on_commit(
        owner_client, f"{URL}{comment.pk}/actions/forward", {"emails": ["boss@example.com"], "note": "Look"}
    )
    assert response.status_code == 201
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]
    assert "Hello?" in mail.outbox[0].body or comment.text in mail.outbox[0].body


def test_agent_suggests_manager_approves_edited_reply_once(
    tenant, channel, comment, make_member, api_client_for, django_capture_on_commit_callbacks
):
    from social.models import TeamChannel
    from social.tests.factories import TeamFactory, add_to_team
    from tenants.roles import Role

    team = TeamFactory(tenant=tenant, name="Care")
    with tenancy.tenant_context(tenant):
        TeamChannel.objects.create(team=team, channel=channel)
    agent_member, manager_member = make_member(tenant, Role.AGENT), make_member(tenant, Role.MANAGER)
    add_to_team(team, agent_member)
    add_to_team(team, manager_member)
    agent, manager = api_client_for(agent_member), api_client_for(manager_member)
    suggested = agent.post(f"{URL}{comment.pk}/suggest", {"text": "Sorry!"}, format="json")
    assert suggested.status_code == 201 and suggested.json()["status"] == "suggested"
    sid = suggested.json()["id"]
    assert agent.post(f"{URL}{comment.pk}/suggestions/{sid}/approve", {}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        approved = manager.post(
            f"{URL}{comment.pk}/suggestions/{sid}/approve", {"text": "Sorry, fixed now!"}, format="json"
        )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["sentText"] == "Sorry, fixed now!"
    assert SandboxPublication.objects.get(kind="reply").text == "Sorry, fixed now!"
    again = manager.post(f"{URL}{comment.pk}/suggestions/{sid}/approve", {}, format="json")
    assert again.status_code == 409
    assert SandboxPublication.objects.filter(kind="reply").count() == 1
    kinds = [e["kind"] for e in agent.get(f"{URL}{comment.pk}/history").json()]
    assert kinds[:3] == ["suggested", "reply", "suggestionApproved"]


def test_rejected_suggestion_sends_nothing(tenant, comment, owner_client):
    sid = owner_client.post(f"{URL}{comment.pk}/suggest", {"text": "Meh"}, format="json").json()["id"]
    rejected = owner_client.post(f"{URL}{comment.pk}/suggestions/{sid}/reject", {"reason": "Tone"}, format="json")
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejectionReason"] == "Tone"
    assert owner_client.post(f"{URL}{comment.pk}/suggestions/{sid}/approve", {}, format="json").status_code == 409
    assert not SandboxPublication.objects.filter(kind="reply").exists()
    listed = owner_client.get(f"{URL}{comment.pk}/suggestions").json()
    assert [s["id"] for s in listed] == [sid]
