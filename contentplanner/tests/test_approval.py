"""Approval workflow: who is asked, policy any/all, reject, self-approval, APPROVAL_REQUIRED, edit sends back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from contentplanner.models import ApprovalRequest, ApprovalState, FeedItem, Post, PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory, future_iso, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/posts/"


@pytest.fixture
def setup(tenant, make_member):
    tenant.settings = {"approval_required": True}
    tenant.save(update_fields=["settings"])
    author = make_member(tenant, Role.EDITOR)
    approver_a = make_member(tenant, Role.APPROVER)
    approver_b = make_member(tenant, Role.MANAGER)
    unrelated_approver = make_member(tenant, Role.APPROVER)  # not in the channel's team: never asked
    viewer = make_member(tenant, Role.VIEWER)
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, author, approver_a, approver_b, viewer)
    post = PostFactory(channel=channel, author=author.user, publish_at=None)
    return {
        "author": author,
        "a": approver_a,
        "b": approver_b,
        "unrelated": unrelated_approver,
        "viewer": viewer,
        "channel": channel,
        "post": post,
        "owner": make_member(tenant, Role.OWNER),
    }


def state_of(tenant, post):
    with tenancy.tenant_context(tenant):
        return Post.objects.get(pk=post.pk)


def submit(setup, api_client_for):
    response = api_client_for(setup["author"]).post(f"{URL}{setup['post'].pk}/submit", format="json")
    assert response.status_code == 200, response.json()
    return response


def test_submit_asks_visible_approvers_and_emails_them(
    tenant, setup, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(setup, api_client_for)
    with tenancy.tenant_context(tenant):
        asked = set(ApprovalRequest.objects.filter(post=setup["post"]).values_list("approver_id", flat=True))
        keys = list(FeedItem.objects.filter(post=setup["post"]).values_list("key", flat=True))
    # Approvers who see the channel (team members with cp.post.approve, plus the owner who sees all).
    assert asked == {setup["a"].user_id, setup["b"].user_id, setup["owner"].user_id}
    assert setup["author"].user_id not in asked and setup["unrelated"].user_id not in asked
    assert keys == ["submitted"]
    assert state_of(tenant, setup["post"]).state == PostState.NEEDS_APPROVAL
    # One email per approver (the tenant's default workflow for the notice mails each subscriber on their own).
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [setup["a"].user.email, setup["b"].user.email, setup["owner"].user.email]
    )


def test_schedule_from_draft_needs_approval_for_editor_role(tenant, setup, api_client_for):
    response = api_client_for(setup["b"]).post(
        f"{URL}{setup['post'].pk}/schedule", {"publishAt": future_iso()}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "APPROVAL_REQUIRED"
    assert state_of(tenant, setup["post"]).state == PostState.DRAFT


def test_policy_any_first_accept_decides(tenant, setup, api_client_for):
    submit(setup, api_client_for)
    response = api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", {"comment": "ok"}, format="json")
    assert response.status_code == 200
    post = state_of(tenant, setup["post"])
    assert post.state == PostState.APPROVED and post.approved_at is not None


def test_policy_all_needs_every_approver(tenant, setup, api_client_for):
    tenant.settings = {"approval_required": True, "approval_policy": "all"}
    tenant.save(update_fields=["settings"])
    submit(setup, api_client_for)
    for member in (setup["a"], setup["b"]):
        assert api_client_for(member).post(f"{URL}{setup['post'].pk}/approve", format="json").status_code == 200
        assert state_of(tenant, setup["post"]).state == PostState.NEEDS_APPROVAL
    # Deciding twice is refused.
    again = api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_DECIDED"
    assert api_client_for(setup["owner"]).post(f"{URL}{setup['post'].pk}/approve", format="json").status_code == 200
    assert state_of(tenant, setup["post"]).state == PostState.APPROVED


def test_policy_all_one_reject_rejects(tenant, setup, api_client_for):
    tenant.settings = {"approval_required": True, "approval_policy": "all"}
    tenant.save(update_fields=["settings"])
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    response = api_client_for(setup["b"]).post(
        f"{URL}{setup['post'].pk}/reject", {"comment": "off brand"}, format="json"
    )
    assert response.status_code == 200
    post = state_of(tenant, setup["post"])
    assert post.state == PostState.REJECTED and post.needs_attention
    with tenancy.tenant_context(tenant):
        request = ApprovalRequest.objects.get(post=post, approver=setup["b"].user)
    assert request.state == ApprovalState.REJECTED and request.comment == "off brand"


def test_reject_needs_a_reason(tenant, setup, api_client_for):
    submit(setup, api_client_for)
    response = api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/reject", {"comment": ""}, format="json")
    assert response.status_code == 400
    assert state_of(tenant, setup["post"]).state == PostState.NEEDS_APPROVAL


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("author", 403, "FORBIDDEN"), ("viewer", 403, "FORBIDDEN"), ("unrelated", 404, "NOT_FOUND")],
)
def test_non_approvers_cannot_decide(who, status, code, tenant, setup, api_client_for):
    submit(setup, api_client_for)
    response = api_client_for(setup[who]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert state_of(tenant, setup["post"]).state == PostState.NEEDS_APPROVAL


def test_no_self_approval_for_approver_authors(tenant, setup, api_client_for):
    own = PostFactory(
        channel=setup["channel"], author=setup["a"].user, state=PostState.NEEDS_APPROVAL, approval_round=1
    )
    with tenancy.tenant_context(tenant):
        ApprovalRequest.objects.create(post=own, approver=setup["a"].user, round=1)
    response = api_client_for(setup["a"]).post(f"{URL}{own.pk}/approve", format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "SELF_APPROVAL"


def test_approval_with_future_publish_at_schedules(tenant, setup, api_client_for):
    with tenancy.tenant_context(tenant):
        Post.objects.filter(pk=setup["post"].pk).update(publish_at=timezone.now() + timedelta(days=3))
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    assert state_of(tenant, setup["post"]).state == PostState.SCHEDULED


def test_edit_by_non_approver_sends_scheduled_post_back(tenant, setup, api_client_for):
    with tenancy.tenant_context(tenant):
        Post.objects.filter(pk=setup["post"].pk).update(publish_at=timezone.now() + timedelta(days=3))
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    response = api_client_for(setup["author"]).patch(f"{URL}{setup['post'].pk}", {"text": "sneaky"}, format="json")
    assert response.status_code == 200
    post = state_of(tenant, setup["post"])
    assert post.state == PostState.NEEDS_APPROVAL and post.approval_round == 2 and post.approved_at is None
    with tenancy.tenant_context(tenant):
        assert ApprovalRequest.objects.filter(post=post, round=2, state=ApprovalState.PENDING).count() == 3
        feed = list(FeedItem.objects.filter(post=post).values_list("key", flat=True))
    assert feed[-2:] == ["edited", "submitted"]


def test_edit_by_approver_keeps_approval(tenant, setup, api_client_for):
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    api_client_for(setup["b"]).patch(f"{URL}{setup['post'].pk}", {"text": "typo fixed"}, format="json")
    assert state_of(tenant, setup["post"]).state == PostState.APPROVED


def test_edit_of_rejected_post_returns_to_draft(tenant, setup, api_client_for):
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/reject", {"comment": "no"}, format="json")
    api_client_for(setup["author"]).patch(f"{URL}{setup['post'].pk}", {"text": "better"}, format="json")
    assert state_of(tenant, setup["post"]).state == PostState.DRAFT


def test_unschedule_returns_approved_post_to_approved(tenant, setup, api_client_for):
    with tenancy.tenant_context(tenant):
        Post.objects.filter(pk=setup["post"].pk).update(publish_at=timezone.now() + timedelta(days=3))
    submit(setup, api_client_for)
    api_client_for(setup["a"]).post(f"{URL}{setup['post'].pk}/approve", format="json")
    assert api_client_for(setup["b"]).post(f"{URL}{setup['post'].pk}/unschedule").status_code == 200
    assert state_of(tenant, setup["post"]).state == PostState.APPROVED


def test_approval_requests_and_feed_endpoints(tenant, setup, api_client_for, django_capture_on_commit_callbacks):
    submit(setup, api_client_for)
    client = api_client_for(setup["author"])
    requests = client.get(f"{URL}{setup['post'].pk}/approval-requests").json()
    assert {r["approverEmail"] for r in requests} == {
        setup["a"].user.email,
        setup["b"].user.email,
        setup["owner"].user.email,
    }
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment = client.post(
            f"{URL}{setup['post'].pk}/feed", {"message": f"@{setup['a'].user.email} please look"}, format="json"
        )
    assert comment.status_code == 201 and comment.json()["type"] == "COMMENT"
    assert comment.json()["data"]["mentions"] == [str(setup["a"].user_id)]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [setup["a"].user.email]
    page = client.get(f"{URL}{setup['post'].pk}/feed", {"cursor": "", "pageSize": 1}).json()
    assert page["hasMore"] is True and page["nextCursor"]


def test_approval_setting_changed_through_the_tenant_api_gates_the_editor(tenant, make_member, api_client_for):
    """The tenant API stores settings; the workflow reads the same keys (camelCase on the wire, snake_case stored)."""
    owner = api_client_for(make_member(tenant, Role.OWNER))
    editor = make_member(tenant, Role.EDITOR)
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, editor)
    first, second = (PostFactory(channel=channel, author=editor.user, publish_at=None) for _ in range(2))
    editor_client = api_client_for(editor)

    assert owner.patch("/api/v1/tenant", {"settings": {"approvalRequired": True}}, format="json").status_code == 200
    refused = editor_client.post(f"{URL}{first.pk}/schedule", {"publishAt": future_iso()}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "APPROVAL_REQUIRED"
    assert state_of(tenant, first).state == PostState.DRAFT

    assert owner.patch("/api/v1/tenant", {"settings": {"approvalRequired": False}}, format="json").status_code == 200
    accepted = editor_client.post(f"{URL}{second.pk}/schedule", {"publishAt": future_iso()}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert state_of(tenant, second).state == PostState.SCHEDULED
