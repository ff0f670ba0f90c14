"""The moderation console: changelists load for staff; approve/hide/ban actions run the services per tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Board, ContentStatus, Member, MemberStatus, Post
from community.tests.factories import BoardFactory, CommentFactory, MemberFactory, PostFactory, TagFactory
from core import tenancy
from core.models import AuditLogEntry
from tenants.models import User

MODELS = ["communitysettings", "role", "member", "board", "post", "comment", "reply", "reaction", "revision", "tag"]


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_superuser("root@hubbub.local", "pw-for-admin-tests")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_changelists_load_with_rows_of_two_tenants(staff_client, tenant, other_tenant, model):
    for owner in (tenant, other_tenant):
        with tenancy.tenant_context(owner):
            CommentFactory()
            TagFactory()
    response = staff_client.get(reverse(f"admin:community_{model}_changelist"))
    assert response.status_code == 200


def test_approve_action_publishes_pending_posts_in_each_tenant(staff_client, tenant, other_tenant):
    posts = []
    for owner in (tenant, other_tenant):
        with tenancy.tenant_context(owner):
            posts.append(PostFactory(status=ContentStatus.PENDING, board=BoardFactory(needs_approval=True)))
    response = staff_client.post(
        reverse("admin:community_post_changelist"),
        {"action": "approve", "_selected_action": [str(post.pk) for post in posts]},
    )
    assert response.status_code == 302
    for post in posts:
        with tenancy.tenant_context(post.tenant):
            assert Post.objects.get(pk=post.pk).status == ContentStatus.PUBLISHED
            assert Board.objects.get(pk=post.board_id).post_count == 1
            assert AuditLogEntry.objects.get(action="community.post.approve").actor_label == "root@hubbub.local"


def test_ban_action_bans_members(staff_client, tenant):
    with tenancy.tenant_context(tenant):
        member = MemberFactory()
    staff_client.post(reverse("admin:community_member_changelist"),
                      {"action": "ban", "_selected_action": [str(member.pk)]})  # fmt: skip
    with tenancy.tenant_context(tenant):
        assert Member.objects.get(pk=member.pk).status == MemberStatus.BANNED
