"""The exhaustive transition table: every (state, action) pair through the API; allowed ones work, all others are
409 INVALID_STATE with nothing changed."""

from __future__ import annotations

import pytest

from contentplanner import states
from contentplanner.models import ApprovalRequest, FeedItem, Post, PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory
from core import tenancy
from core.models import AuditLogEntry
from tenants.roles import Role

ACTIONS = ["submit", "approve", "reject", "schedule", "unschedule", "delete", "edit"]
EXPECTED = {  # action -> (source states, resulting state)
    "submit": ({"draft"}, "needsApproval"),
    "approve": ({"needsApproval"}, "scheduled"),  # its publishAt is in the future
    "reject": ({"needsApproval"}, "rejected"),
    "schedule": ({"preDraft", "draft", "approved"}, "scheduled"),
    "unschedule": ({"scheduled"}, "draft"),
    "delete": ({"preDraft", "draft", "approved", "rejected", "failed"}, "deleted"),
    "edit": ({"preDraft", "draft", "needsApproval", "approved", "rejected", "scheduled", "failed"}, None),
}
# Another member's preDraft post (a working draft) is private: 404 to the approver here, test_working_drafts.py.
VISIBLE_STATES = [s for s in PostState.values if s not in (PostState.DELETED, PostState.PRE_DRAFT)]


def test_action_sources_match_spec():
    for action, (sources, _) in EXPECTED.items():
        assert states.ACTION_SOURCES[action] == sources, action
    # Every action's target is reachable from every allowed source in the one table.
    for sources, target in EXPECTED.values():
        for source in sources:
            if target:
                assert states.can_transition(source, target), (source, target)


def _call(client, post, action):
    base = f"/api/v1/cp/posts/{post.pk}"
    if action == "delete":
        return client.delete(base)
    if action == "edit":
        return client.patch(base, {"text": "changed"}, format="json")
    body = {"comment": "no"} if action in ("approve", "reject") else {}
    return client.post(f"{base}/{action}", body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("state", VISIBLE_STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table(state, action, tenant, make_member, api_client_for):
    author = make_member(tenant, Role.EDITOR)
    approver = make_member(tenant, Role.ADMIN)
    channel = ChannelFactory(tenant=tenant)
    post = PostFactory(channel=channel, state=state, author=author.user, approval_round=1)
    with tenancy.tenant_context(tenant):
        ApprovalRequest.objects.create(post=post, approver=approver.user, round=1)
        before_feed = FeedItem.objects.count()
        before_audit = AuditLogEntry.objects.count()
    response = _call(api_client_for(approver), post, action)
    sources, target = EXPECTED[action]
    with tenancy.tenant_context(tenant):
        fresh = Post.objects.get(pk=post.pk)
        if state in sources:
            assert response.status_code in (200, 204), response.json()
            if target:
                assert fresh.state == target
            assert FeedItem.objects.count() > before_feed
            assert AuditLogEntry.objects.count() > before_audit
        else:
            assert response.status_code == 409, response.content
            expected_code = "POST_PUBLISHED" if (action, state) == ("edit", "published") else "INVALID_STATE"
            assert response.json()["error"]["code"] == expected_code
            assert fresh.state == state and fresh.text == "Hello world"
            assert FeedItem.objects.count() == before_feed
            assert AuditLogEntry.objects.count() == before_audit


@pytest.mark.django_db
def test_assert_transition_refuses_unknown_moves(tenant):
    channel = ChannelFactory(tenant=tenant)
    post = PostFactory(channel=channel, state=PostState.PUBLISHED)
    with pytest.raises(states.InvalidPostState):
        states.assert_transition(post, PostState.DRAFT)
    post.state = PostState.PUBLISHING
    states.assert_transition(post, PostState.PUBLISHED)
