"""POST /cp/posts/{id}/publish, /retry and GET /cp/posts/{id}/attempts, end to end through the pipeline."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contentplanner import publishing, tasks
from contentplanner.models import FeedItem, PostState, PublishAttempt
from contentplanner.tests.factories import ChannelFactory, PostFactory, attempts_of, publications_of, reload, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/posts/"


@pytest.fixture
def manager(tenant, make_member):
    return make_member(tenant, Role.MANAGER)


@pytest.fixture
def editor(tenant, make_member):
    return make_member(tenant, Role.EDITOR)


def fail_five_times(tenant, post, time_machine, django_capture_on_commit_callbacks):
    """Drive the post through 5 temporary failures (NETWORK_DOWN) with the clock moved past each backoff gate."""
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(publishing.MAX_ATTEMPTS):
        with django_capture_on_commit_callbacks(execute=True):
            assert publishing.dispatch(enqueue=tasks.enqueue).claimed == 1
        post = reload(post)
        if post.next_attempt_at:
            time_machine.move_to(post.next_attempt_at, tick=False)
    assert post.state == PostState.FAILED
    return post


def test_publish_now_publishes_and_exposes_the_attempt(
    tenant, owner, channel_for_api, api_client_for, django_capture_on_commit_callbacks
):
    post = PostFactory(channel=channel_for_api, due=True, state=PostState.APPROVED, author=owner.user)
    client = api_client_for(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{post.pk}/publish")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == str(post.pk)
    assert body["state"] == "publishing" and body["attemptCount"] == 1
    assert body["publishAt"] is not None  # "now" is recorded as its publish time
    post = reload(post)
    assert post.state == PostState.PUBLISHED
    [publication] = publications_of(post)

    attempts = client.get(f"{URL}{post.pk}/attempts")
    assert attempts.status_code == 200
    [attempt] = attempts.json()["results"]  # paginated, as documented (issue 8)
    assert attempt["number"] == 1 and attempt["outcome"] == "published"
    assert attempt["networkRequestId"] == f"req-{publication.pk}"
    assert attempt["latencyMs"] is not None and attempt["finishedAt"] is not None
    with tenancy.tenant_context(tenant):
        keys = list(FeedItem.objects.filter(post=post).values_list("key", flat=True))
    assert keys == ["publishNow", "publishing", "published"]


@pytest.fixture
def channel_for_api(tenant):
    return ChannelFactory(tenant=tenant)


def test_publish_now_of_a_draft_needing_approval_is_409(tenant, manager, editor, channel_for_api, api_client_for):
    tenant.settings = {"approval_required": True}
    tenant.save(update_fields=["settings"])
    share_with(channel_for_api, manager, editor)
    post = PostFactory(channel=channel_for_api, due=True, state=PostState.DRAFT, author=editor.user)

    response = api_client_for(manager).post(f"{URL}{post.pk}/publish")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "APPROVAL_REQUIRED"
    post = reload(post)
    assert post.state == PostState.DRAFT and post.attempt_count == 0
    assert attempts_of(post) == []


def test_publish_now_from_scheduled_is_invalid_state(tenant, owner, channel_for_api, api_client_for):
    post = PostFactory(channel=channel_for_api, due=True, state=PostState.SCHEDULED, publish_at=timezone.now())
    response = api_client_for(owner).post(f"{URL}{post.pk}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_STATE"
    assert reload(post).state == PostState.SCHEDULED


def test_publish_needs_the_publish_permission(tenant, editor, channel_for_api, make_member, api_client_for):
    analyst = make_member(tenant, Role.ANALYST)
    share_with(channel_for_api, editor, analyst)
    post = PostFactory(channel=channel_for_api, due=True, state=PostState.APPROVED, author=editor.user)
    response = api_client_for(analyst).post(f"{URL}{post.pk}/publish")
    assert response.status_code == 403
    assert reload(post).state == PostState.APPROVED


def test_other_tenant_and_other_team_get_404(
    tenant, other_tenant, manager, make_member, channel_for_api, api_client_for
):
    post = PostFactory(channel=channel_for_api, due=True, state=PostState.APPROVED)
    stranger = make_member(other_tenant, Role.OWNER)
    for client in (api_client_for(stranger), api_client_for(manager)):  # the manager is in no team of the channel
        assert client.post(f"{URL}{post.pk}/publish").status_code == 404
        assert client.post(f"{URL}{post.pk}/retry").status_code == 404
        assert client.get(f"{URL}{post.pk}/attempts").status_code == 404
    post = reload(post)
    assert post.state == PostState.APPROVED and post.attempt_count == 0


def test_failure_reason_is_visible_in_post_feed_and_attempts(
    tenant, owner, api_client_for, time_machine, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "NETWORK_DOWN"})
    post = fail_five_times(
        tenant, PostFactory(channel=channel, due=True), time_machine, django_capture_on_commit_callbacks
    )
    client = api_client_for(owner)

    detail = client.get(f"{URL}{post.pk}").json()
    assert detail["state"] == "failed"
    assert detail["errorCode"] == "NETWORK_DOWN"
    assert detail["errorMessage"] == "Gave up after 5 attempts: sandbox: injected NETWORK_DOWN"
    assert detail["attemptCount"] == 5 and detail["nextAttemptAt"] is None

    feed = client.get(f"{URL}{post.pk}/feed").json()
    items = feed.get("data", feed.get("results"))
    failure = [item for item in items if item["key"] == "failedToPublishNetworkDown"]
    assert len(failure) == 1 and "Gave up after 5 attempts" in failure[0]["message"]

    attempts = client.get(f"{URL}{post.pk}/attempts").json()["results"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4, 5]
    assert {(a["outcome"], a["errorCode"], a["networkStatusCode"]) for a in attempts} == {
        ("failed", "NETWORK_DOWN", 503)
    }


def test_retry_through_the_api_is_idempotent_and_publishes(
    tenant, owner, api_client_for, time_machine, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "NETWORK_DOWN", "times": 5})
    post = fail_five_times(
        tenant, PostFactory(channel=channel, due=True), time_machine, django_capture_on_commit_callbacks
    )
    client = api_client_for(owner)
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}

    first = client.post(f"{URL}{post.pk}/retry", **headers)
    again = client.post(f"{URL}{post.pk}/retry", **headers)

    assert first.status_code == 200, first.json()
    assert first.json()["state"] == "scheduled" and first.json()["errorCode"] == ""
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    with tenancy.tenant_context(tenant):
        assert FeedItem.objects.filter(post=post, key="scheduled", data__retry=True).count() == 1
    # Retrying a post that is not failed is refused.
    assert client.post(f"{URL}{post.pk}/retry").json()["error"]["code"] == "INVALID_STATE"

    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.dispatch(enqueue=tasks.enqueue).claimed == 1

    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.attempt_count == 6  # attempt numbers continue
    assert len(publications_of(post)) == 1
    with tenancy.tenant_context(tenant):
        assert PublishAttempt.objects.get(post=post, number=6).outcome == "published"


def test_retry_gets_a_fresh_budget_of_automatic_attempts(
    tenant, owner, api_client_for, time_machine, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "NETWORK_DOWN", "times": 6})
    post = fail_five_times(
        tenant, PostFactory(channel=channel, due=True), time_machine, django_capture_on_commit_callbacks
    )
    assert api_client_for(owner).post(f"{URL}{post.pk}/retry").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(
            enqueue=tasks.enqueue
        )  # attempt 6 fails (the 6th injected failure): back to scheduled, not failed
    post = reload(post)
    assert post.state == PostState.SCHEDULED and post.attempt_count == 6

    time_machine.move_to(post.next_attempt_at, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue)
    assert reload(post).state == PostState.PUBLISHED
