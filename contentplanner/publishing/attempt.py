"""One publish attempt: call the network once, then record what it answered.

`execute_publish_attempt()` (the publish task) flips the attempt `pending -> unknown` ("sent, answer not yet
known") with a conditional UPDATE and commits BEFORE calling the network, once. A second delivery of the same task
finds the attempt no longer pending and does nothing; a worker that dies after this point leaves an `unknown`
attempt that only reconciliation resolves. No transaction is held across the network call. The outcome is recorded
in a transaction that re-checks post state and attempt, so a late answer never overwrites what reconciliation (or
another path) decided.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.models import Post, PostMedia, PostState, PublishAttempt, PublishOutcome
from contentplanner.publishing.claims import PostId
from contentplanner.services import feed
from core import audit
from social.networks.base import (
    AuthExpired,
    InvalidContent,
    NetworkError,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    UnknownOutcome,
)
from social.services import publishing as social_publishing

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # automatic attempts per run (a manual retry starts a new run)
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 60 s, 120 s, 240 s before attempts 2..5 (jittered)
BACKOFF_CAP = timedelta(minutes=30)
FAILED_KEY_PREFIX = "failedToPublish"


class AttemptResult(enum.StrEnum):
    """What one step of the pipeline did with an attempt (the publish task's return value)."""

    PUBLISHED = PublishOutcome.PUBLISHED.value
    RECONCILED = PublishOutcome.RECONCILED.value
    RETRY = "retry"  # failed, back to `scheduled` behind the backoff gate
    FAILED = "failed"  # failed for good: the post is `failed`
    UNKNOWN = "unknown"  # sent, the answer is unknown: reconciliation decides
    SKIPPED = "skipped"  # not the live attempt any more (duplicate delivery, stale, decided elsewhere)


@dataclass(frozen=True)
class LiveAttempt:
    """A post locked for update with its live attempt."""

    post: Post
    record: PublishAttempt


def correlation_id_for(post_id: PostId, attempt: int) -> str:
    """Our marker on the network for one attempt: what `find_published` looks up when the outcome is unknown."""
    return f"hb-{post_id}-{attempt}"


def backoff_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Jittered exponential backoff after failed attempt number `attempt` (1-based): 50-100% of base * 2^(n-1)."""
    rng = rng or random
    ceiling = min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)
    return ceiling * rng.uniform(0.5, 1.0)


def rate_limit_delay(retry_after: int, *, rng: random.Random | None = None) -> timedelta:
    """The network's retry-after plus up to 10%: posts of one channel must not come back at the same instant."""
    rng = rng or random
    wait = timedelta(seconds=retry_after)
    return wait + wait * rng.uniform(0, 0.1)


def failed_feed_key(error_code: str) -> str:
    """`AUTH_EXPIRED` -> `failedToPublishAuthExpired` (the feed keys the spec lists)."""
    return FAILED_KEY_PREFIX + "".join(part.capitalize() for part in error_code.lower().split("_"))


def build_publish_request(post: Post, attempt: int, *, media: list[PostMedia] | None = None) -> PublishRequest:
    """What the adapter sends. The first comment is not part of it: it is published after the post, separately,
    so its failure cannot fail the post. `media`: the post's PostMedia (with `media`, in position order) when the
    caller read them for a whole batch."""
    if media is None:
        media = list(PostMedia.objects.filter(post=post).select_related("media").order_by("position"))
    items = tuple(social_publishing.media_item_for(item.media, alt_text=item.alt_text) for item in media)
    return PublishRequest(
        correlation_id=correlation_id_for(post.pk, attempt),
        text=post.text,
        title=post.title,
        post_type=post.post_type,
        media=items,
        link=post.link_url,
        link_title=post.link_title,
        link_description=post.link_description,
        link_image_url=post.link_image_url,
        options=_network_options(post),
    )


def _network_options(post: Post) -> dict:
    """The post's options for its network: either keyed by network (`{"pinterest": {...}}`) or already flat."""
    options = post.network_options or {}
    scoped = options.get(post.channel.network)
    return dict(scoped) if isinstance(scoped, dict) else dict(options)


def lock_live(post_id: PostId, attempt: int, *, outcome: str | None = None) -> LiveAttempt | None:
    """Lock the post and return it with the attempt if `attempt` is still the live one (and, when given, still has
    `outcome`); else None. One query."""
    record = (
        PublishAttempt.objects.select_for_update(of=("post",))
        .select_related("post__channel")
        .filter(post_id=post_id, number=attempt)
        .first()
    )
    if record is None or record.post.state != PostState.PUBLISHING or record.post.attempt_count != attempt:
        return None
    if outcome is not None and record.outcome != outcome:
        return None
    return LiveAttempt(post=record.post, record=record)


def execute_publish_attempt(post_id: PostId, attempt: int) -> AttemptResult:
    """Run attempt number `attempt` of the post: call the network once, record the outcome. Idempotent: a duplicate
    delivery, a stale attempt or a post that moved on returns SKIPPED without touching the network."""
    now = timezone.now()
    with transaction.atomic():
        live = lock_live(post_id, attempt)
        if live is None:
            return AttemptResult.SKIPPED
        post, record = live.post, live.record
        # The guard against a second delivery: only one caller turns this attempt from pending to sent.
        sent = PublishAttempt.objects.filter(pk=record.pk, outcome=PublishOutcome.PENDING).update(
            outcome=PublishOutcome.UNKNOWN, started_at=now, updated_at=now
        )
        if not sent:
            return AttemptResult.SKIPPED
        channel = post.channel
        blocker = social_publishing.publish_blocker(channel)
        if blocker is not None:
            _fail_now(post, record, code="CHANNEL_UNAVAILABLE", message=blocker, now=now)
            return AttemptResult.FAILED
        if not social_publishing.is_supported(channel.network):
            message = f"Posts cannot be published to {channel.network} channels."
            _fail_now(post, record, code="NETWORK_UNSUPPORTED", message=message, now=now)
            return AttemptResult.FAILED
        feed.add_history(post, "publishing", data={"attempt": attempt})
        request = build_publish_request(post, attempt)

    started = time.monotonic()
    try:
        result = social_publishing.publish(channel, request)
    except NetworkError as exc:
        return record_failure(post_id, attempt, exc, latency_ms=_elapsed_ms(started))
    except Exception:
        # We cannot know whether the request reached the network: leave the attempt `unknown` (finished) so the
        # dispatcher reconciles it instead of publishing again.
        logger.exception("publish: unexpected error", extra={"post_id": str(post_id), "attempt": attempt})
        return record_failure(
            post_id,
            attempt,
            UnknownOutcome("Unexpected error during the network call."),
            latency_ms=_elapsed_ms(started),
        )
    return record_success(post_id, attempt, result, latency_ms=_elapsed_ms(started), outcome=PublishOutcome.PUBLISHED)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def record_success(
    post_id: PostId, attempt: int, result: PublishResult, *, latency_ms: int | None, outcome: str
) -> AttemptResult:
    """The network has the post: the attempt gets `outcome` (published, or reconciled), the post `published`; then
    its first comment goes out."""
    now = timezone.now()
    with transaction.atomic():
        live = lock_live(post_id, attempt, outcome=PublishOutcome.UNKNOWN)
        if live is None:
            # Reconciliation (or a duplicate) already decided this attempt; the network has one post either way.
            return AttemptResult.SKIPPED
        post, record = live.post, live.record
        states.assert_transition(post, PostState.PUBLISHED)
        record.outcome = outcome
        record.finished_at = now
        record.latency_ms = latency_ms if latency_ms is not None else record.latency_ms
        record.network_request_id = result.request_id[:255]
        record.error_code = record.error_message = ""
        record.save(
            update_fields=[
                "outcome",
                "finished_at",
                "latency_ms",
                "network_request_id",
                "error_code",
                "error_message",
                "updated_at",
            ]
        )
        post.state = PostState.PUBLISHED
        post.remote_id = result.remote_id[:255]
        post.network_url = result.url[:2000]
        post.published_at = now
        post.error_code = post.error_message = ""
        post.next_attempt_at = None
        post.save(
            update_fields=[
                "state",
                "remote_id",
                "network_url",
                "published_at",
                "error_code",
                "error_message",
                "next_attempt_at",
                "updated_at",
            ]
        )
        feed.add_history(
            post,
            "published",
            data={"attempt": attempt, "remoteId": post.remote_id, "url": post.network_url, "outcome": outcome},
        )
        audit.record(
            "cp.post.published",
            post,
            actor=None,  # the pipeline acts, not a person
            changes={"state": [PostState.PUBLISHING, PostState.PUBLISHED], "remoteId": post.remote_id},
        )
    if post.first_comment:
        publish_first_comment(post)
    return AttemptResult(outcome)


def publish_first_comment(post: Post) -> None:
    """After the post (and when a person sends a failed one again): a failure flags the post and explains it in the
    feed, the post stays published."""
    try:
        social_publishing.publish_comment(post.channel, remote_id=post.remote_id, text=post.first_comment)
    except NetworkError as exc:
        logger.info("first comment failed", extra={"post_id": str(post.pk), "error_code": exc.code})
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(first_comment_failed=True, updated_at=timezone.now())
            feed.add_system_message(
                post,
                "firstCommentFailed",
                message=f"The post was published, but its first comment was refused: {exc.message}",
                data={"errorCode": exc.code, "statusCode": exc.status_code},
            )
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            social_publishing.flag_channel(post.channel, reason=f"{exc.code}: {exc.message}")


def record_failure(post_id: PostId, attempt: int, exc: NetworkError, *, latency_ms: int | None) -> AttemptResult:
    """Classify a failed call: unknown -> wait for reconciliation; auth/permission/content -> failed at once;
    rate limited / temporary -> back to `scheduled` behind the backoff gate, until the attempts run out."""
    now = timezone.now()
    flag_channel = None
    with transaction.atomic():
        live = lock_live(post_id, attempt, outcome=PublishOutcome.UNKNOWN)
        if live is None:
            return AttemptResult.SKIPPED
        post, record = live.post, live.record
        record.finished_at = now
        record.latency_ms = latency_ms
        record.error_code = exc.code
        record.error_message = message_of(exc)
        record.network_status_code = exc.status_code
        if isinstance(exc, UnknownOutcome):
            # Stays `publishing` with an unknown attempt: the dispatcher reconciles it, never a blind retry.
            record.save(
                update_fields=[
                    "finished_at",
                    "latency_ms",
                    "error_code",
                    "error_message",
                    "network_status_code",
                    "updated_at",
                ]
            )
            return AttemptResult.UNKNOWN
        result = fail_or_retry(post, record, exc, now=now)
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            flag_channel = post.channel
    if flag_channel is not None:
        social_publishing.flag_channel(flag_channel, reason=f"{exc.code}: {exc.message}")
    return result


def message_of(exc: NetworkError) -> str:
    if isinstance(exc, InvalidContent) and exc.details:
        details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in exc.details.items())
        return f"{exc.message} ({details})"
    return exc.message


def attempts_in_run(post: Post) -> int:
    """Attempts since the run began (a manual retry starts a new run with a fresh budget)."""
    return post.attempt_count - post.run_started_attempt


def fail_or_retry(post: Post, record: PublishAttempt, exc: NetworkError, *, now: datetime) -> AttemptResult:
    """Record a failed attempt (already locked) and move the post to `scheduled` (retry) or `failed`."""
    record.outcome = PublishOutcome.FAILED
    record.save(
        update_fields=[
            "outcome",
            "finished_at",
            "latency_ms",
            "error_code",
            "error_message",
            "network_status_code",
            "updated_at",
        ]
    )
    retryable = exc.retryable or exc.code == UnknownOutcome.code  # an unknown outcome proven not published
    if retryable and attempts_in_run(post) < MAX_ATTEMPTS:
        if isinstance(exc, RateLimited) and exc.retry_after:
            wait = rate_limit_delay(exc.retry_after)
        else:
            wait = backoff_delay(post.attempt_count)
        states.assert_transition(post, PostState.SCHEDULED)
        post.state = PostState.SCHEDULED
        post.next_attempt_at = now + wait
        post.error_code = exc.code
        post.error_message = message_of(exc)
        post.save(update_fields=["state", "next_attempt_at", "error_code", "error_message", "updated_at"])
        feed.add_system_message(
            post,
            "retryScheduled",
            message=f"Attempt {record.number} failed ({exc.code}); retrying at {post.next_attempt_at.isoformat()}.",
            data={"attempt": record.number, "errorCode": exc.code, "nextAttemptAt": post.next_attempt_at.isoformat()},
        )
        return AttemptResult.RETRY
    message = message_of(exc)
    if retryable:
        message = f"Gave up after {attempts_in_run(post)} attempts: {message}"
    mark_failed(post, code=exc.code, message=message, data=getattr(exc, "details", None))
    return AttemptResult.FAILED


def _fail_now(post: Post, record: PublishAttempt, *, code: str, message: str, now: datetime) -> None:
    record.outcome = PublishOutcome.FAILED
    record.finished_at = now
    record.error_code = code
    record.error_message = message
    record.save(update_fields=["outcome", "finished_at", "error_code", "error_message", "updated_at"])
    mark_failed(post, code=code, message=message, data=None)


def mark_failed(post: Post, *, code: str, message: str, data: dict | None) -> None:
    """The post (locked by the caller) fails for good: explained in its feed, audit-logged."""
    states.assert_transition(post, PostState.FAILED)
    post.state = PostState.FAILED
    post.error_code = code
    post.error_message = message
    post.next_attempt_at = None
    post.save(update_fields=["state", "error_code", "error_message", "next_attempt_at", "updated_at"])
    feed.add_history(
        post,
        failed_feed_key(code),
        message=message,
        data={"attempt": post.attempt_count, "errorCode": code, "details": data or {}},
    )
    audit.record(
        "cp.post.publish_failed",
        post,
        actor=None,  # the pipeline acts, not a person
        changes={"state": [PostState.PUBLISHING, PostState.FAILED], "errorCode": code},
    )
