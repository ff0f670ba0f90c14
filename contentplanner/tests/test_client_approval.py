"""Client approval without an account: signed, expiring, single-use links; feed, audit, policy, edits restart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from contentplanner.models import ExternalApproval, ExternalApprovalState, PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory, feed_keys, reload, share_with
from core import tenancy
from core.models import AuditLogEntry
from tenants.roles import Role

URL = "/api/v1/cp/posts/"
LINK = re.compile(r"/api/v1/public/approvals/(\S+)")


@pytest.fixture
def client():
    """Anonymous: the client approver has no account (an APIClient, so JSON bodies go as JSON)."""
    return APIClient()


@pytest.fixture
def setup(tenant, make_member, api_client_for):
    author = make_member(tenant, Role.EDITOR)
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, author)
    post = PostFactory(channel=channel, author=author.user, publish_at=None, text="Launch day!")
    return {"author": author, "client": api_client_for(author), "post": post, "channel": channel}


def ask(setup, capture, emails=("client@example.com",), **extra) -> list[str]:
    """Request client approval through the API; the tokens, read from the emails that went out."""
    mail.outbox.clear()
    with capture(execute=True):
        response = setup["client"].post(
            f"{URL}{setup['post'].pk}/approval-requests", {"emails": list(emails), **extra}, format="json"
        )
    assert response.status_code == 201, response.json()
    return [LINK.search(message.body).group(1) for message in mail.outbox if LINK.search(message.body)]


def public(client, token, **kwargs):
    return client.get(f"/api/v1/public/approvals/{token}", **kwargs)


def decide(client, token, decision="approve", comment=""):
    return client.post(f"/api/v1/public/approvals/{token}", {"decision": decision, "comment": comment}, format="json")


def test_request_sends_one_link_per_client_and_moves_draft_to_approval(
    tenant, setup, django_capture_on_commit_callbacks
):
    tokens = ask(setup, django_capture_on_commit_callbacks, emails=["a@client.com", "b@client.com"], message="Hi")
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@client.com", "b@client.com"]
    post = reload(setup["post"])
    assert post.state == PostState.NEEDS_APPROVAL
    assert "clientApprovalRequested" in feed_keys(post)
    with tenancy.tenant_context(tenant):
        links = list(ExternalApproval.objects.filter(post=post))
    # Only digests are stored: no token appears in the database.
    assert all(token not in (link.token_digest, link.content_digest) for link in links for token in tokens)
    listing = setup["client"].get(f"{URL}{post.pk}/client-approvals").json()
    assert {item["email"] for item in listing} == {"a@client.com", "b@client.com"}
    assert all("token" not in str(item).lower() for item in listing)


def test_client_sees_preview_as_json_and_html_and_approves_once(
    tenant, setup, client, django_capture_on_commit_callbacks
):
    (token,) = ask(setup, django_capture_on_commit_callbacks)
    preview = public(client, token)
    assert preview.status_code == 200
    body = preview.json()
    assert body["text"] == "Launch day!" and body["usable"] is True and body["workspace"] == tenant.name
    assert "id" not in body and "channelId" not in body
    page = public(client, token, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"Launch day!" in page.content and b'name="decision"' in page.content
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, token, "approve", "Looks great")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "ACCEPTED"
    post = reload(setup["post"])
    assert post.state == PostState.APPROVED and post.approved_at is not None
    assert "approved" in feed_keys(post)
    assert [m.to for m in mail.outbox] == [[setup["author"].user.email]]  # the author hears about it
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.filter(action="cp.post.approve", object_id=str(post.pk)).get()
    assert entry.actor_label == "client:client@example.com"

    again = decide(client, token, "approve")
    assert again.status_code == 410 and again.json()["error"]["code"] == "APPROVAL_LINK_USED"
    assert reload(setup["post"]).state == PostState.APPROVED
    page = public(client, token, HTTP_ACCEPT="text/html")
    assert b"already used" in page.content and b'name="decision"' not in page.content


def test_html_form_post_records_the_decision(setup, client, django_capture_on_commit_callbacks):
    (token,) = ask(setup, django_capture_on_commit_callbacks)
    response = client.post(
        f"/api/v1/public/approvals/{token}", {"decision": "reject", "comment": "Wrong logo"}, format="multipart"
    )
    assert response.status_code == 200 and b"Thank you" in response.content
    post = reload(setup["post"])
    assert post.state == PostState.REJECTED and post.needs_attention


def test_reject_needs_a_comment_and_rejects(setup, client, django_capture_on_commit_callbacks):
    (token,) = ask(setup, django_capture_on_commit_callbacks)
    refused = decide(client, token, "reject", "")
    assert refused.status_code == 400
    assert reload(setup["post"]).state == PostState.NEEDS_APPROVAL  # nothing changed, link still usable
    response = decide(client, token, "reject", "Not on brand")
    assert response.status_code == 200
    assert reload(setup["post"]).state == PostState.REJECTED
    assert "rejected" in feed_keys(setup["post"])


def test_expired_link_is_refused(tenant, setup, client, django_capture_on_commit_callbacks):
    (token,) = ask(setup, django_capture_on_commit_callbacks, expiresInHours=1)
    with tenancy.tenant_context(tenant):
        ExternalApproval.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = decide(client, token)
    assert response.status_code == 410 and response.json()["error"]["code"] == "APPROVAL_LINK_EXPIRED"
    assert reload(setup["post"]).state == PostState.NEEDS_APPROVAL
    assert public(client, token).json()["problem"] == "APPROVAL_LINK_EXPIRED"


def test_editing_the_post_restarts_the_round_with_fresh_links(setup, client, django_capture_on_commit_callbacks):
    (old,) = ask(setup, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edit = setup["client"].patch(f"{URL}{setup['post'].pk}", {"text": "Launch day, v2"}, format="json")
    assert edit.status_code == 200, edit.json()
    fresh = [LINK.search(m.body).group(1) for m in mail.outbox if LINK.search(m.body)]
    assert len(fresh) == 1 and fresh[0] != old
    stale = decide(client, old)
    assert stale.status_code == 410 and stale.json()["error"]["code"] == "APPROVAL_LINK_OUTDATED"
    assert "approvalRestarted" in feed_keys(setup["post"])
    assert public(client, fresh[0]).json()["text"] == "Launch day, v2"
    assert decide(client, fresh[0]).status_code == 200
    assert reload(setup["post"]).state == PostState.APPROVED


def test_forged_and_unknown_tokens_are_404(setup, client, django_capture_on_commit_callbacks):
    (token,) = ask(setup, django_capture_on_commit_callbacks)
    secret, signature = token.rsplit(":", 1)
    for bad in ("nonsense", f"{secret}x:{signature}", f"{secret}:{signature[:-2]}"):
        response = decide(client, bad)
        assert response.status_code == 404 and response.json()["error"]["code"] == "APPROVAL_LINK_INVALID"
    assert reload(setup["post"]).state == PostState.NEEDS_APPROVAL


def test_policy_all_waits_for_every_client(tenant, setup, client, django_capture_on_commit_callbacks):
    tenant.settings = {"approval_policy": "all"}
    tenant.save(update_fields=["settings"])
    first, second = ask(setup, django_capture_on_commit_callbacks, emails=["a@client.com", "b@client.com"])
    assert decide(client, first).status_code == 200
    assert reload(setup["post"]).state == PostState.NEEDS_APPROVAL
    assert decide(client, second).status_code == 200
    assert reload(setup["post"]).state == PostState.APPROVED


def test_link_after_the_post_left_approval_is_closed(setup, client, django_capture_on_commit_callbacks):
    first, second = ask(setup, django_capture_on_commit_callbacks, emails=["a@client.com", "b@client.com"])
    assert decide(client, first, "reject", "No").status_code == 200
    response = decide(client, second)
    assert response.status_code == 409 and response.json()["error"]["code"] == "APPROVAL_CLOSED"


def test_request_refused_for_published_post_and_for_lower_roles(
    tenant, setup, make_member, api_client_for, other_tenant
):
    published = PostFactory(channel=setup["channel"], published=True)
    response = setup["client"].post(f"{URL}{published.pk}/approval-requests", {"emails": ["x@y.com"]}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "APPROVAL_CLOSED"
    viewer = make_member(tenant, Role.VIEWER)
    share_with(setup["channel"], viewer)
    denied = api_client_for(viewer).post(
        f"{URL}{setup['post'].pk}/approval-requests", {"emails": ["x@y.com"]}, format="json"
    )
    assert denied.status_code == 403
    stranger = api_client_for(make_member(other_tenant, Role.OWNER))
    missing = stranger.post(f"{URL}{setup['post'].pk}/approval-requests", {"emails": ["x@y.com"]}, format="json")
    assert missing.status_code == 404
    assert reload(setup["post"]).state == PostState.DRAFT
    with tenancy.tenant_context(tenant):
        assert not ExternalApproval.objects.exists()


def test_reminder_goes_out_once(tenant, setup, django_capture_on_commit_callbacks):
    from contentplanner.tasks import remind_client_approvals

    ask(setup, django_capture_on_commit_callbacks, expiresInHours=12)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_client_approvals() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_client_approvals() == 0
    assert [m.subject for m in mail.outbox] == ["Reminder: a post is waiting for your approval"]
    with tenancy.tenant_context(tenant):
        assert ExternalApproval.objects.get().reminded_at is not None
        assert ExternalApproval.objects.get().state == ExternalApprovalState.PENDING


def test_client_approvals_list_is_bounded(setup, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    ask(setup, django_capture_on_commit_callbacks, emails=[f"c{i}@client.com" for i in range(8)])
    with django_assert_max_num_queries(12):
        response = setup["client"].get(f"{URL}{setup['post'].pk}/client-approvals")
    assert len(response.json()) == 8
