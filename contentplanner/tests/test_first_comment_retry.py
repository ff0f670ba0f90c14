"""POST /cp/posts/{id}/first-comment/retry: a refused first comment is sent again by a person, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contentplanner import publishing, tasks
from contentplanner.models import PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory, feed_keys, reload
from core import tenancy
from core.models import AuditLogEntry
from social.models import Channel, SandboxPublication
from tenants.roles import Role


@pytest.fixture
def published_with_failed_comment(tenant, django_capture_on_commit_callbacks):
    """A published post whose first comment the network refused once (the next comment call goes through)."""
    channel = ChannelFactory(
        tenant=tenant, sandbox={"failWith": "NETWORK_DOWN", "times": 1, "operations": ["publish_comment"]}
    )
    post = PostFactory(channel=channel, due=True, first_comment="Link in the comments")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue, now=timezone.now())
    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.first_comment_failed is True
    return post


def comments() -> list:
    return list(SandboxPublication.objects.filter(kind="comment"))


def retry_url(post) -> str:
    return f"/api/v1/cp/posts/{post.pk}/first-comment/retry"


def test_the_comment_goes_out_once_even_when_asked_twice(
    owner_client, published_with_failed_comment, django_capture_on_commit_callbacks
):
    post = published_with_failed_comment
    with django_capture_on_commit_callbacks(execute=True):
        first = owner_client.post(retry_url(post))
        second = owner_client.post(retry_url(post))

    assert first.status_code == 200, first.json()
    assert first.json()["firstCommentFailed"] is False
    assert second.status_code == 409 and second.json()["error"]["code"] == "INVALID_STATE"
    [comment] = comments()
    assert comment.text == "Link in the comments"
    assert reload(post).first_comment_failed is False
    assert "firstCommentRetried" in feed_keys(post)
    with tenancy.tenant_context(post.tenant):
        assert AuditLogEntry.objects.filter(action="cp.post.first_comment_retried").count() == 1


def test_a_new_refusal_flags_it_again(owner_client, published_with_failed_comment, django_capture_on_commit_callbacks):
    post = published_with_failed_comment
    with tenancy.platform_access():
        Channel.all_tenants.filter(pk=post.channel_id).update(
            config={"sandbox": {"failWith": "PERMISSION_MISSING", "operations": ["publish_comment"]}}
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(retry_url(post)).status_code == 200
    assert reload(post).first_comment_failed is True
    assert comments() == []
    assert feed_keys(post).count("firstCommentFailed") == 2


def test_a_comment_that_did_not_fail_cannot_be_sent_again(owner_client, tenant, django_capture_on_commit_callbacks):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), due=True, first_comment="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue, now=timezone.now())
        response = owner_client.post(retry_url(post))
    assert response.status_code == 409
    assert len(comments()) == 1  # the one sent with the post


def test_a_viewer_cannot_and_nothing_is_sent(tenant, make_member, api_client_for, published_with_failed_comment):
    post = published_with_failed_comment
    response = api_client_for(make_member(tenant, Role.VIEWER)).post(retry_url(post))
    assert response.status_code == 403
    assert reload(post).first_comment_failed is True and comments() == []
