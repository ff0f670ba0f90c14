"""The content planner's operator console: pages render, and post actions go through the services."""

import pytest
from django.urls import reverse

from contentplanner.models import (
    ApprovalRequest,
    CalendarFeed,
    Campaign,
    ExternalApproval,
    FeedItem,
    Post,
    PostImport,
    PostState,
    Tag,
)
from contentplanner.tests.factories import ChannelFactory, PostFactory
from core import tenancy
from core.models import AuditLogEntry
from tenants.models import User


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("root@hubbub.local", "admin-pass-123"))
    return client


def _reload(post) -> Post:
    with tenancy.platform_access():
        return Post.all_tenants.get(pk=post.pk)


@pytest.mark.parametrize(
    "model", [Post, ApprovalRequest, Campaign, Tag, FeedItem, ExternalApproval, CalendarFeed, PostImport]
)
def test_changelists_render(staff_client, tenant, model):
    PostFactory(channel=ChannelFactory(tenant=tenant), state=PostState.FAILED)
    url = reverse(f"admin:contentplanner_{model._meta.model_name}_changelist")
    assert staff_client.get(url).status_code == 200


def test_post_change_page_renders_with_attempts(staff_client, tenant):
    post = PostFactory(channel=ChannelFactory(tenant=tenant))
    assert staff_client.get(reverse("admin:contentplanner_post_change", args=[post.pk])).status_code == 200


def test_retry_action_reschedules_failed_posts_and_names_the_staff_user(staff_client, tenant, other_tenant):
    failed = PostFactory(channel=ChannelFactory(tenant=tenant), state=PostState.FAILED, error_code="NETWORK_DOWN")
    other_failed = PostFactory(channel=ChannelFactory(tenant=other_tenant), state=PostState.FAILED)
    draft = PostFactory(channel=ChannelFactory(tenant=tenant))
    response = staff_client.post(
        reverse("admin:contentplanner_post_changelist"),
        {"action": "retry_publishing", "_selected_action": [failed.pk, other_failed.pk, draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert _reload(failed).state == _reload(other_failed).state == PostState.SCHEDULED
    assert _reload(failed).error_code == ""
    assert _reload(draft).state == PostState.DRAFT  # refused, reported, unchanged
    assert any("refused" in str(m) for m in response.context["messages"])
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="cp.post.retry", object_id=str(failed.pk))
    assert entry.actor_label == "root@hubbub.local"


def test_unschedule_action(staff_client, tenant):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), state=PostState.SCHEDULED)
    staff_client.post(
        reverse("admin:contentplanner_post_changelist"), {"action": "unschedule", "_selected_action": [post.pk]}
    )
    assert _reload(post).state == PostState.DRAFT


def test_withdraw_action_makes_a_client_link_unusable(staff_client, tenant):
    from datetime import timedelta

    from django.utils import timezone

    post = PostFactory(channel=ChannelFactory(tenant=tenant), state=PostState.NEEDS_APPROVAL)
    with tenancy.tenant_context(tenant):
        link = ExternalApproval.objects.create(
            post=post,
            email="c@x.com",
            token_digest="d" * 64,
            content_digest="c" * 64,
            round=post.approval_round,
            expires_at=timezone.now() + timedelta(days=1),
        )
    response = staff_client.post(
        reverse("admin:contentplanner_externalapproval_changelist"),
        {"action": "withdraw", "_selected_action": [str(link.pk)]},
    )
    assert response.status_code == 302
    with tenancy.platform_access():
        assert ExternalApproval.all_tenants.get(pk=link.pk).state == "WITHDRAWN"
        assert AuditLogEntry.all_tenants.filter(action="cp.post.external_approval_withdrawn").count() == 1
