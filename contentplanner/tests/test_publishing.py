"""The publishing pipeline end to end on the sandbox network: claim, publish once, classify failures, reconcile.

Tasks run eagerly (conftest); the dispatcher's after-commit enqueue runs inside `django_capture_on_commit_callbacks`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from contentplanner import publishing, tasks
from contentplanner.models import FeedItem, PostState, PublishAttempt, PublishOutcome
from contentplanner.publishing import batch as batch_step
from contentplanner.publishing import claims
from contentplanner.tasks import publish_post
from contentplanner.tests.factories import ChannelFactory, PostFactory, attempts_of, feed_keys, publications_of, reload
from core import tenancy
from social.models import Channel, ChannelStatus, SandboxPublication
from social.networks.base import UnknownOutcome
from social.networks.sandbox import SandboxAdapter


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant)


@pytest.fixture
def run_dispatcher(django_capture_on_commit_callbacks):
    """run_dispatcher(now=None, **kwargs) -> DispatchReport, with the enqueued (eager) tasks executed."""

    def run(now=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return publishing.dispatch(enqueue=tasks.enqueue, now=now or timezone.now(), **kwargs)

    return run


# --- the happy path ------------------------------------------------------------------------------------------------
def test_due_post_is_claimed_published_and_recorded(tenant, owner, channel, run_dispatcher):
    post = PostFactory(channel=channel, due=True, author=owner.user, text="Hello from Hubbub", first_comment="First!")

    report = run_dispatcher()

    assert report.claimed == 1
    post = reload(post)
    assert post.state == PostState.PUBLISHED
    assert post.attempt_count == 1
    assert post.published_at is not None and post.error_code == ""
    [publication] = publications_of(post)
    assert publication.correlation_id == f"hb-{post.pk}-1"
    assert publication.text == "Hello from Hubbub"
    assert publication.channel_external_id == channel.external_id
    assert post.remote_id == publication.remote_id
    assert post.network_url.endswith(publication.remote_id)
    [attempt] = attempts_of(post)
    assert attempt.outcome == PublishOutcome.PUBLISHED
    assert attempt.finished_at is not None and attempt.latency_ms is not None
    assert attempt.network_request_id == f"req-{publication.pk}"
    # The first comment is published after the post, once, on the post.
    [comment] = SandboxPublication.objects.filter(kind="comment", parent_remote_id=publication.remote_id)
    assert comment.text == "First!"
    assert post.first_comment_failed is False
    assert feed_keys(post) == ["publishing", "published"]
    with tenancy.tenant_context(tenant):
        from core.models import AuditLogEntry

        assert AuditLogEntry.objects.filter(action="cp.post.published", object_id=str(post.pk)).count() == 1


def test_dispatcher_skips_future_posts_and_closed_backoff_gate(tenant, channel, run_dispatcher):
    now = timezone.now()
    future = PostFactory(channel=channel, due=True, publish_at=now + timedelta(minutes=5))
    gated = PostFactory(
        channel=channel, due=True, publish_at=now - timedelta(minutes=1), next_attempt_at=now + timedelta(seconds=30)
    )
    draft = PostFactory(channel=channel, due=True, state=PostState.DRAFT, publish_at=now - timedelta(minutes=1))

    report = run_dispatcher(now=now)

    assert report.claimed == 0
    for post in (future, gated, draft):
        fresh = reload(post)
        assert fresh.state == post.state and fresh.attempt_count == 0
    assert SandboxPublication.objects.count() == 0

    # Once the gate opens the gated post goes; the future one still waits.
    report = run_dispatcher(now=now + timedelta(seconds=31))
    assert report.claimed == 1
    assert reload(gated).state == PostState.PUBLISHED
    assert reload(future).state == PostState.SCHEDULED


def test_dispatcher_claims_across_tenants(tenant, other_tenant, run_dispatcher):
    ours = PostFactory(channel=ChannelFactory(tenant=tenant), due=True)
    theirs = PostFactory(channel=ChannelFactory(tenant=other_tenant), due=True)

    assert run_dispatcher().claimed == 2

    assert reload(ours).state == PostState.PUBLISHED
    assert reload(theirs).state == PostState.PUBLISHED
    with tenancy.tenant_context(other_tenant):
        assert PublishAttempt.objects.get(post_id=theirs.pk).tenant_id == other_tenant.pk


# --- exactly once --------------------------------------------------------------------------------------------------
def test_same_task_delivered_twice_publishes_once(tenant, channel, django_capture_on_commit_callbacks):
    post = PostFactory(channel=channel, due=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [claim] = publishing.claim_due_posts(now=timezone.now())
        tasks.enqueue([claim])  # what the dispatcher task does with its claims
    assert len(callbacks) == 1  # the enqueue waits for the commit

    kwargs = {"post_id": claim.post_id, "attempt": claim.attempt, "tenant_id": claim.tenant_id}
    first = publish_post.apply(kwargs=kwargs).get()
    second = publish_post.apply(kwargs=kwargs).get()

    assert (first, second) == (PublishOutcome.PUBLISHED, "skipped")
    assert len(publications_of(post)) == 1
    assert SandboxPublication.objects.get(correlation_id=f"hb-{post.pk}-1").submit_count == 1
    assert reload(post).state == PostState.PUBLISHED


def _claim_all() -> list:
    return publishing.claim_due_posts(now=timezone.now())


def test_a_batch_delivered_twice_publishes_each_post_once(tenant, channel):
    posts = [PostFactory(channel=channel, due=True) for _ in range(3)]
    [(tenant_id, batch)] = tasks.publish_batches(_claim_all())

    first = tasks.publish_posts.apply(kwargs={"posts": batch, "tenant_id": tenant_id}).get()
    second = tasks.publish_posts.apply(kwargs={"posts": batch, "tenant_id": tenant_id}).get()
    # A single-post task of the same attempt (queued before a deploy) finds it decided too.
    post_id, attempt = batch[0]
    single = publish_post.apply(kwargs={"post_id": post_id, "attempt": attempt, "tenant_id": tenant_id}).get()

    assert first == {str(post.pk): "published" for post in posts}
    assert second == {str(post.pk): "skipped" for post in posts} and single == "skipped"
    for post in posts:
        assert reload(post).state == PostState.PUBLISHED
        assert [p.submit_count for p in publications_of(post)] == [1]
        assert [a.outcome for a in attempts_of(post)] == [PublishOutcome.PUBLISHED]
        assert feed_keys(post) == ["publishing", "published"]
    with tenancy.tenant_context(tenant):
        from core.models import AuditLogEntry

        assert AuditLogEntry.objects.filter(action="cp.post.published").count() == 3


def test_claims_are_batched_per_tenant_by_channel_up_to_the_batch_size(
    tenant, other_tenant, monkeypatch, django_capture_on_commit_callbacks
):
    a, b = ChannelFactory(tenant=tenant), ChannelFactory(tenant=tenant)
    ours = [PostFactory(channel=channel, due=True) for channel in (a, b, a, b, a)]
    theirs = PostFactory(channel=ChannelFactory(tenant=other_tenant), due=True)

    batches = tasks.publish_batches(_claim_all(), size=2)

    assert sorted(len(posts) for _, posts in batches) == [1, 1, 2, 2]
    channel_of = {str(post.pk): str(post.channel_id) for post in [*ours, theirs]}
    by_tenant: dict[str, list[str]] = {}
    for tenant_id, posts in batches:
        by_tenant.setdefault(tenant_id, []).extend(post_id for post_id, _attempt in posts)
    assert sorted(by_tenant[str(tenant.pk)]) == sorted(str(post.pk) for post in ours)
    assert by_tenant[str(other_tenant.pk)] == [str(theirs.pk)]
    # A tenant's posts go channel by channel, so a batch spans as few channels as possible.
    channels = [channel_of[post_id] for post_id in by_tenant[str(tenant.pk)]]
    assert channels == sorted(channels)
    # One task per batch, sent after commit.
    sent = []
    monkeypatch.setattr(tasks.publish_posts, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue([publishing.Claim(post_id=str(ours[0].pk), attempt=1, tenant_id=str(tenant.pk))])
        assert sent == []
    assert sent == [{"posts": [[str(ours[0].pk), 1]], "tenant_id": str(tenant.pk)}]


def test_a_short_queue_is_spread_over_small_batches_a_long_one_goes_in_full_batches(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.publish_posts, "delay", lambda **kwargs: sent.append(kwargs))

    def enqueued_sizes(count: int) -> list[int]:
        sent.clear()
        claims = [
            publishing.Claim(post_id=str(uuid.uuid4()), attempt=1, tenant_id=str(tenant.pk)) for _ in range(count)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            tasks.enqueue(claims)
        assert sorted(post_id for task in sent for post_id, _ in task["posts"]) == sorted(c.post_id for c in claims)
        return [len(task["posts"]) for task in sent]

    assert enqueued_sizes(3) == [3]
    assert enqueued_sizes(40) == [5] * 8  # eight worker processes can take it at once
    assert enqueued_sizes(100) == [13] * 7 + [9]
    assert enqueued_sizes(1000) == [publishing.PUBLISH_BATCH] * 20  # a backlog: full batches, least overhead


def test_a_failing_post_never_fails_its_batch_mates(tenant, run_dispatcher, monkeypatch):
    good = ChannelFactory(tenant=tenant)
    fine = [PostFactory(channel=good, due=True) for _ in range(2)]
    limited = PostFactory(
        channel=ChannelFactory(tenant=tenant, sandbox={"failWith": "RATE_LIMITED", "times": 1, "retryAfter": 30}),
        due=True,
    )
    refused = PostFactory(channel=ChannelFactory(tenant=tenant, sandbox={"failWith": "AUTH_EXPIRED"}), due=True)
    inactive = PostFactory(channel=ChannelFactory(tenant=tenant, status=ChannelStatus.DISCONNECTED), due=True)
    crashing = PostFactory(channel=good, due=True, text="crash here")
    original = batch_step.social_publishing.publish

    def publish(channel, request):
        if request.text == "crash here":
            raise RuntimeError("adapter bug")
        return original(channel, request)

    monkeypatch.setattr(batch_step.social_publishing, "publish", publish)

    assert run_dispatcher().claimed == 6

    assert [reload(post).state for post in fine] == [PostState.PUBLISHED, PostState.PUBLISHED]
    assert reload(limited).state == PostState.SCHEDULED and reload(limited).error_code == "RATE_LIMITED"
    assert reload(refused).state == PostState.FAILED and reload(refused).error_code == "AUTH_EXPIRED"
    assert reload(inactive).state == PostState.FAILED and reload(inactive).error_code == "CHANNEL_UNAVAILABLE"
    # The unexpected error leaves the attempt unknown for reconciliation, never a blind retry.
    assert reload(crashing).state == PostState.PUBLISHING
    assert attempts_of(crashing)[0].outcome == PublishOutcome.UNKNOWN
    assert publications_of(inactive) == [] and publications_of(crashing) == []


def test_a_batch_costs_the_same_statements_whatever_its_size(tenant, channel, monkeypatch):
    """Set-wise: the batch's own statements do not grow with its posts (the fake network touches no database)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from social.networks.base import PublishResult

    counter = iter(range(10_000))
    monkeypatch.setattr(
        batch_step.social_publishing, "publish", lambda channel, request: PublishResult(remote_id=f"r{next(counter)}")
    )

    def statements_for(count: int) -> int:
        posts = [PostFactory(channel=channel, due=True) for _ in range(count)]
        [(_, batch)] = tasks.publish_batches(_claim_all())
        with tenancy.tenant_context(tenant), CaptureQueriesContext(connection) as queries:
            results = publishing.execute_publish_batch([(post_id, attempt) for post_id, attempt in batch])
        assert set(results.values()) == {"published"} and len(results) == count
        assert all(reload(post).state == PostState.PUBLISHED for post in posts)
        return len(queries)

    small, large = statements_for(2), statements_for(20)
    assert small == large <= 16


def test_duplicate_delivery_while_the_first_is_in_flight_does_not_call_the_network(tenant, channel, monkeypatch):
    """The second delivery arrives while the first waits for the network: the pending -> sent flip was taken."""
    post = PostFactory(channel=channel, due=True)
    [claim] = publishing.claim_due_posts(now=timezone.now())
    kwargs = {"post_id": claim.post_id, "attempt": claim.attempt, "tenant_id": claim.tenant_id}
    original = SandboxAdapter.publish
    nested = []

    def publish_with_redelivery(self, credentials, request):
        # The broker redelivers meanwhile (called directly: an eager nested task would reset the tenant context).
        nested.append(publishing.execute_publish_attempt(claim.post_id, claim.attempt))
        return original(self, credentials, request)

    monkeypatch.setattr(SandboxAdapter, "publish", publish_with_redelivery)
    assert publish_post.apply(kwargs=kwargs).get() == PublishOutcome.PUBLISHED
    assert nested == ["skipped"]
    assert len(publications_of(post)) == 1


def test_stale_attempt_number_is_a_no_op(tenant, channel):
    post = PostFactory(channel=channel, due=True)
    [claim] = publishing.claim_due_posts(now=timezone.now())
    with tenancy.tenant_context(tenant):
        assert publishing.execute_publish_attempt(claim.post_id, claim.attempt + 1) == "skipped"
        assert publishing.execute_publish_attempt(uuid.uuid4(), 1) == "skipped"
    assert publications_of(post) == []
    assert attempts_of(post)[0].outcome == PublishOutcome.PENDING


def test_claim_is_a_conditional_update(tenant, channel):
    """A dispatcher holding a stale view of the row (SQLite has no row locks) cannot claim it a second time."""
    post = PostFactory(channel=channel, due=True)
    now = timezone.now()
    with tenancy.platform_access():
        assert claims.claim_post(post.pk, seen_attempts=0, from_states=(PostState.SCHEDULED,), now=now) is True
        assert claims.claim_post(post.pk, seen_attempts=0, from_states=(PostState.SCHEDULED,), now=now) is False
    assert reload(post).attempt_count == 1


def test_group_claim_falls_back_to_rows_when_another_dispatcher_got_one_first(tenant, channel):
    """The rows were read, then another dispatcher claimed one: the bulk guard notices and claims only the rest."""
    posts = [PostFactory(channel=channel, due=True) for _ in range(3)]
    rows = [(p.pk, tenant.pk, 0) for p in posts]
    now = timezone.now()
    with tenancy.platform_access():
        assert claims.claim_post(posts[1].pk, seen_attempts=0, from_states=(PostState.SCHEDULED,), now=now)
        won = claims.claim_rows(rows, now=now)
    assert {c.post_id for c in won} == {str(posts[0].pk), str(posts[2].pk)}
    assert [reload(p).attempt_count for p in posts] == [1, 1, 1]  # the stolen one was not claimed twice


# --- crash and unknown outcome: reconciliation ---------------------------------------------------------------------
def test_unknown_outcome_after_accept_is_reconciled_not_republished(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": 1})
    post = PostFactory(channel=channel, due=True)
    now = timezone.now()

    run_dispatcher(now=now)

    post = reload(post)
    assert post.state == PostState.PUBLISHING  # never retried blind
    [attempt] = attempts_of(post)
    assert attempt.outcome == PublishOutcome.UNKNOWN and attempt.error_code == "UNKNOWN_OUTCOME"
    assert len(publications_of(post)) == 1

    # Within the grace period nothing happens; after it the dispatcher asks the network.
    assert run_dispatcher(now=now + timedelta(seconds=2)).reconciled == 0
    report = run_dispatcher(now=timezone.now() + publishing.UNKNOWN_GRACE + timedelta(seconds=1))

    assert report.reconciled == 1 and report.claimed == 0
    post = reload(post)
    assert post.state == PostState.PUBLISHED
    [publication] = publications_of(post)
    assert post.remote_id == publication.remote_id and publication.submit_count == 1
    [attempt] = attempts_of(post)
    assert attempt.outcome == PublishOutcome.RECONCILED
    assert feed_keys(post)[-1] == "published"


def test_worker_dies_after_network_accepted_before_commit(tenant, channel, run_dispatcher, monkeypatch):
    """The adapter returned, then the process died before our commit: the sent attempt stays unanswered."""
    post = PostFactory(channel=channel, due=True)

    class WorkerKilled(BaseException):
        pass

    def die(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(batch_step, "_record_successes", die)  # what the dispatcher's batch task records with
    with pytest.raises(WorkerKilled):
        run_dispatcher()
    monkeypatch.undo()

    post = reload(post)
    assert post.state == PostState.PUBLISHING
    [attempt] = attempts_of(post)
    assert attempt.outcome == PublishOutcome.UNKNOWN and attempt.finished_at is None
    assert len(publications_of(post)) == 1

    # Not before the in-flight threshold (a live worker could still be waiting for the network)...
    assert run_dispatcher(now=timezone.now() + timedelta(seconds=30)).reconciled == 0
    # ...then reconciled: published once, no second publication.
    report = run_dispatcher(now=timezone.now() + publishing.IN_FLIGHT_STALE + timedelta(seconds=1))
    assert report.reconciled == 1
    post = reload(post)
    assert post.state == PostState.PUBLISHED
    assert len(publications_of(post)) == 1
    assert attempts_of(post)[0].outcome == PublishOutcome.RECONCILED


def test_unknown_outcome_not_on_the_network_is_retried_as_a_new_attempt(tenant, channel, run_dispatcher, monkeypatch):
    post = PostFactory(channel=channel, due=True)

    def timeout_before_accept(self, credentials, request):
        raise UnknownOutcome("read timeout")

    monkeypatch.setattr(SandboxAdapter, "publish", timeout_before_accept)
    run_dispatcher()
    monkeypatch.undo()
    assert reload(post).state == PostState.PUBLISHING

    later = timezone.now() + publishing.UNKNOWN_GRACE + timedelta(seconds=1)
    report = run_dispatcher(now=later)

    assert report.reconciled == 1
    post = reload(post)
    assert post.state == PostState.SCHEDULED
    assert post.next_attempt_at > later - timedelta(seconds=5)
    [attempt] = attempts_of(post)
    assert attempt.outcome == PublishOutcome.FAILED and attempt.error_code == "UNKNOWN_OUTCOME"

    report = run_dispatcher(now=post.next_attempt_at + timedelta(seconds=1))
    assert report.claimed == 1
    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.attempt_count == 2
    [publication] = publications_of(post)
    assert publication.correlation_id == f"hb-{post.pk}-2"


def test_lost_task_of_a_claimed_post_is_enqueued_again(
    tenant, channel, run_dispatcher, django_capture_on_commit_callbacks
):
    post = PostFactory(channel=channel, due=True)
    with django_capture_on_commit_callbacks(execute=False):  # the broker loses the message
        publishing.claim_due_posts(now=timezone.now())
    assert reload(post).state == PostState.PUBLISHING

    assert run_dispatcher(now=timezone.now() + timedelta(seconds=10)).requeued == 0
    report = run_dispatcher(now=timezone.now() + publishing.PENDING_STALE + timedelta(seconds=1))

    assert report.requeued == 1
    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.attempt_count == 1  # the same attempt, not a new one
    assert len(publications_of(post)) == 1


def test_reconciliation_that_cannot_reach_the_network_keeps_waiting(tenant, run_dispatcher, monkeypatch):
    """Never publish blind: while the network cannot be asked, the attempt stays unknown and the post publishing."""
    from social.networks.base import TemporaryNetworkError

    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": 1})
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()

    def network_down(self, credentials, **kwargs):
        raise TemporaryNetworkError("sandbox: down", status_code=503)

    monkeypatch.setattr(SandboxAdapter, "find_published", network_down)
    later = timezone.now() + publishing.UNKNOWN_GRACE + timedelta(seconds=1)
    assert run_dispatcher(now=later).reconciled == 0
    post = reload(post)
    assert post.state == PostState.PUBLISHING and post.attempt_count == 1
    assert attempts_of(post)[0].outcome == PublishOutcome.UNKNOWN

    monkeypatch.undo()
    assert run_dispatcher(now=later + publishing.UNKNOWN_GRACE + timedelta(seconds=1)).reconciled == 1
    assert reload(post).state == PostState.PUBLISHED
    assert len(publications_of(post)) == 1


def test_network_that_cannot_confirm_fails_the_post_without_retrying(tenant, run_dispatcher, monkeypatch):
    """NotSupported from find_published: nobody can know, so a person decides; no automatic second publication."""
    from social.networks.base import NotSupported

    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": 1})
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()

    def cannot_tell(self, credentials, **kwargs):
        raise NotSupported("no search by marker")

    monkeypatch.setattr(SandboxAdapter, "find_published", cannot_tell)
    later = timezone.now() + publishing.UNKNOWN_GRACE + timedelta(seconds=1)
    assert run_dispatcher(now=later).reconciled == 1
    post = reload(post)
    assert (post.state, post.error_code) == (PostState.FAILED, "UNKNOWN_OUTCOME")
    assert "Check the channel before retrying" in post.error_message
    assert attempts_of(post)[0].outcome == PublishOutcome.UNKNOWN
    assert run_dispatcher(now=later + timedelta(hours=1)).claimed == 0
    assert len(publications_of(post)) == 1


# --- failure classification ----------------------------------------------------------------------------------------
def test_rate_limited_waits_for_retry_after_then_publishes(tenant, run_dispatcher, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "RATE_LIMITED", "times": 1, "retryAfter": 120})
    post = PostFactory(channel=channel, due=True)

    run_dispatcher()

    post = reload(post)
    assert post.state == PostState.SCHEDULED and post.error_code == "RATE_LIMITED"
    assert start + timedelta(seconds=120) <= post.next_attempt_at <= start + timedelta(seconds=132)
    [attempt] = attempts_of(post)
    assert (attempt.outcome, attempt.error_code, attempt.network_status_code) == ("failed", "RATE_LIMITED", 429)

    time_machine.move_to(start + timedelta(seconds=119), tick=False)
    assert run_dispatcher().claimed == 0

    time_machine.move_to(post.next_attempt_at + timedelta(seconds=1), tick=False)
    assert run_dispatcher().claimed == 1
    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.attempt_count == 2 and post.error_code == ""
    assert [a.outcome for a in attempts_of(post)] == ["failed", "published"]
    assert len(publications_of(post)) == 1


def test_auth_expired_fails_at_once_and_flags_the_channel(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "AUTH_EXPIRED"})
    post = PostFactory(channel=channel, due=True)

    run_dispatcher()

    post = reload(post)
    assert post.state == PostState.FAILED and post.attempt_count == 1
    assert post.error_code == "AUTH_EXPIRED" and "injected AUTH_EXPIRED" in post.error_message
    assert post.next_attempt_at is None
    assert "failedToPublishAuthExpired" in feed_keys(post)
    with tenancy.tenant_context(tenant):
        channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_ATTENTION
    assert "AUTH_EXPIRED" in channel.status_reason
    # Nothing left to retry automatically.
    assert run_dispatcher(now=timezone.now() + timedelta(hours=1)).claimed == 0
    assert publications_of(post) == []


def test_permission_missing_fails_at_once_and_flags_the_channel(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "PERMISSION_MISSING"})
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()
    post = reload(post)
    assert (post.state, post.error_code) == (PostState.FAILED, "PERMISSION_MISSING")
    with tenancy.tenant_context(tenant):
        assert Channel.objects.get(pk=channel.pk).status == ChannelStatus.NEEDS_ATTENTION


def test_invalid_content_fails_at_once_with_details(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "INVALID_CONTENT"})
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()
    post = reload(post)
    assert (post.state, post.error_code, post.attempt_count) == (PostState.FAILED, "INVALID_CONTENT", 1)
    assert "text: Refused by the sandbox (injected)." in post.error_message
    with tenancy.tenant_context(tenant):
        item = FeedItem.objects.get(post=post, key="failedToPublishInvalidContent")
        assert item.data["details"] == {"text": ["Refused by the sandbox (injected)."]}
        assert Channel.objects.get(pk=channel.pk).status == ChannelStatus.ACTIVE  # content, not the channel


def test_inactive_channel_fails_without_calling_the_network(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, status=ChannelStatus.NEEDS_ATTENTION)
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()
    post = reload(post)
    assert (post.state, post.error_code) == (PostState.FAILED, "CHANNEL_UNAVAILABLE")
    assert publications_of(post) == []


def test_channel_without_a_publishing_adapter_fails_cleanly(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, network="placeholder")
    post = PostFactory(channel=channel, due=True)
    run_dispatcher()
    post = reload(post)
    assert (post.state, post.error_code) == (PostState.FAILED, "NETWORK_UNSUPPORTED")
    assert attempts_of(post)[0].outcome == PublishOutcome.FAILED


def test_five_temporary_failures_then_failed_with_backoff(tenant, run_dispatcher, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "NETWORK_DOWN"})
    post = PostFactory(channel=channel, due=True)
    gates = []

    for _ in range(publishing.MAX_ATTEMPTS):
        assert run_dispatcher().claimed == 1
        post = reload(post)
        if post.state == PostState.SCHEDULED:
            gates.append(post.next_attempt_at - timezone.now())
            time_machine.move_to(post.next_attempt_at + timedelta(seconds=1), tick=False)

    assert post.state == PostState.FAILED and post.attempt_count == 5
    assert post.error_code == "NETWORK_DOWN"
    assert post.error_message.startswith("Gave up after 5 attempts")
    # Exponential with jitter: each wait within [50%, 100%] of 30 s * 2^(n-1).
    for number, gate in enumerate(gates, start=1):
        ceiling = publishing.BACKOFF_BASE * 2 ** (number - 1)
        assert ceiling * 0.5 <= gate <= ceiling
    assert [a.outcome for a in attempts_of(post)] == ["failed"] * 5
    assert [a.network_status_code for a in attempts_of(post)] == [503] * 5
    keys = feed_keys(post)
    assert keys.count("retryScheduled") == 4 and keys.count("failedToPublishNetworkDown") == 1
    time_machine.move_to(timezone.now() + timedelta(hours=2), tick=False)
    assert run_dispatcher().claimed == 0


def test_first_comment_failure_does_not_fail_the_post(tenant, run_dispatcher):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "NETWORK_DOWN", "operations": ["publish_comment"]})
    post = PostFactory(channel=channel, due=True, first_comment="Link in the comments")

    run_dispatcher()

    post = reload(post)
    assert post.state == PostState.PUBLISHED
    assert post.first_comment_failed is True
    assert len(publications_of(post)) == 1
    assert not SandboxPublication.objects.filter(kind="comment").exists()
    with tenancy.tenant_context(tenant):
        item = FeedItem.objects.get(post=post, key="firstCommentFailed")
    assert item.type == "SYSTEMMESSAGE" and item.data["errorCode"] == "NETWORK_DOWN"


def test_backoff_delay_is_jittered_exponential_and_capped():
    import random

    rng = random.Random(7)
    delays = [publishing.backoff_delay(n, rng=rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(publishing.BACKOFF_BASE * 2 ** (n - 1), publishing.BACKOFF_CAP)
        assert ceiling / 2 <= delay <= ceiling
    assert len({d.total_seconds() for d in delays[:5]}) == 5


def test_failed_feed_key_names_the_reason():
    assert publishing.failed_feed_key("AUTH_EXPIRED") == "failedToPublishAuthExpired"
    assert publishing.failed_feed_key("NETWORK_DOWN") == "failedToPublishNetworkDown"
