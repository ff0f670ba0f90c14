"""Publishing a batch of claimed attempts of one tenant in one task, set-wise.

The same pipeline as `attempt.execute_publish_attempt`, with the per-post round trips folded into statements over
the batch:

1. "sent": one transaction locks the batch's posts (`FOR UPDATE`), re-reads their attempts under that lock, flips
   every still-pending live attempt `pending -> unknown` in one UPDATE and appends the "publishing" history in one
   INSERT, then commits BEFORE any network call. Every `pending -> unknown` flip happens under the post's lock (here
   and in `execute_publish_attempt`), so the re-read is exact and a second delivery of the batch (or of a single
   post's task) finds nothing pending and calls nothing.
2. the network: one adapter call per post, on the process's bounded thread pool (settings.PUBLISH_NETWORK_CONCURRENCY)
   when the caller holds no transaction (the threads have their own connections and could not see uncommitted
   rows), else in order on this thread.
3. outcomes: successes are recorded together (posts and attempts locked and re-checked, one UPDATE per table, one
   INSERT each for the feed and the audit log); failures go through `record_failure` one by one (rare, and each
   keeps its exact retry classification). A post whose recording fails keeps its `unknown` attempt, which
   reconciliation decides; its batch-mates are unaffected.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.models import FeedItem, FeedItemType, Post, PostMedia, PostState, PublishAttempt, PublishOutcome
from contentplanner.publishing.attempt import (
    AttemptResult,
    _elapsed_ms,
    _fail_now,
    build_publish_request,
    publish_first_comment,
    record_failure,
)
from contentplanner.publishing.claims import PostId
from core import audit
from core.db.bulk import update_objects
from social.networks.base import NetworkError, PublishRequest, PublishResult, UnknownOutcome
from social.services import publishing as social_publishing

logger = logging.getLogger(__name__)

PUBLISH_BATCH = 50  # posts of one tenant per publish task, at most
# A short queue is spread over at least this many tasks (so that many worker processes, not one, publish it: lower
# lag), in batches of no fewer than PUBLISH_BATCH_MIN posts; a long one goes in full batches (less overhead per post).
PUBLISH_SPREAD = 8
PUBLISH_BATCH_MIN = 5


def batch_size_for(claimed: int) -> int:
    """Posts per publish task when `claimed` posts are enqueued together."""
    return max(PUBLISH_BATCH_MIN, min(PUBLISH_BATCH, -(-claimed // PUBLISH_SPREAD)))


@dataclass(frozen=True)
class _Sent:
    post: Post
    record: PublishAttempt
    request: PublishRequest


@dataclass(frozen=True)
class _Answer:
    sent: _Sent
    latency_ms: int
    result: PublishResult | None = None
    error: NetworkError | None = None


def execute_publish_batch(items: Sequence[tuple[PostId, int]]) -> dict[str, AttemptResult]:
    """Run the attempts `(post_id, attempt)` of the current tenant; returns each post's result (SKIPPED for an
    attempt that is not live and pending any more). Idempotent like `execute_publish_attempt`."""
    wanted = {str(post_id): attempt for post_id, attempt in items}
    results = dict.fromkeys(wanted, AttemptResult.SKIPPED)
    sent = _mark_sent(wanted, results)
    answers = _call_network(sent)
    results.update(_record_successes([a for a in answers if a.error is None]))
    for answer in answers:
        if answer.error is None:
            continue
        post_id = str(answer.sent.post.pk)
        try:
            results[post_id] = record_failure(
                answer.sent.post.pk, answer.sent.record.number, answer.error, latency_ms=answer.latency_ms
            )
        except Exception:
            # The attempt stays `unknown`: reconciliation decides it; the batch-mates go on.
            logger.exception("publish: recording a failure failed", extra={"post_id": post_id})
            results[post_id] = AttemptResult.UNKNOWN
    return results


def _mark_sent(wanted: dict[str, int], results: dict[str, AttemptResult]) -> list[_Sent]:
    """Flip every live pending attempt of the batch to `unknown` ("sent") and commit; returns what to send."""
    now = timezone.now()
    with transaction.atomic():
        posts = {
            str(post.pk): post
            for post in Post.objects.select_for_update(of=("self",))
            .select_related("channel")
            .filter(pk__in=list(wanted), state=PostState.PUBLISHING)
            if wanted[str(post.pk)] == post.attempt_count
        }
        records = [
            record
            for record in PublishAttempt.objects.filter(post_id__in=list(posts), outcome=PublishOutcome.PENDING)
            if record.number == wanted[str(record.post_id)]
        ]
        if not records:
            return []
        PublishAttempt.objects.filter(pk__in=[r.pk for r in records]).update(
            outcome=PublishOutcome.UNKNOWN, started_at=now, updated_at=now
        )
        media: dict[str, list[PostMedia]] = {}
        for item in (
            PostMedia.objects.filter(post_id__in=[r.post_id for r in records])
            .select_related("media")
            .order_by("position")
        ):
            media.setdefault(str(item.post_id), []).append(item)
        to_send: list[_Sent] = []
        history: list[FeedItem] = []
        for record in records:
            post = posts[str(record.post_id)]
            record.outcome, record.started_at = PublishOutcome.UNKNOWN, now
            channel = post.channel
            blocker = social_publishing.publish_blocker(channel)
            if blocker is None and not social_publishing.is_supported(channel.network):
                blocker = f"Posts cannot be published to {channel.network} channels."
                code = "NETWORK_UNSUPPORTED"
            else:
                code = "CHANNEL_UNAVAILABLE"
            if blocker is not None:
                _fail_now(post, record, code=code, message=blocker, now=now)
                results[str(post.pk)] = AttemptResult.FAILED
                continue
            history.append(
                FeedItem(
                    tenant_id=post.tenant_id,
                    post=post,
                    type=FeedItemType.HISTORY,
                    key="publishing",
                    data={"attempt": record.number},
                )
            )
            request = build_publish_request(post, record.number, media=media.get(str(post.pk), []))
            to_send.append(_Sent(post=post, record=record, request=request))
        FeedItem.objects.bulk_create(history)
    return to_send


def _call_one(sent: _Sent) -> _Answer:
    started = time.monotonic()
    try:
        result = social_publishing.publish(sent.post.channel, sent.request)
    except NetworkError as exc:
        return _Answer(sent=sent, latency_ms=_elapsed_ms(started), error=exc)
    except Exception:
        # We cannot know whether the request reached the network: `unknown`, reconciliation decides.
        logger.exception("publish: unexpected error", extra={"post_id": str(sent.post.pk)})
        error = UnknownOutcome("Unexpected error during the network call.")
        return _Answer(sent=sent, latency_ms=_elapsed_ms(started), error=error)
    return _Answer(sent=sent, latency_ms=_elapsed_ms(started), result=result)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_thread_connections: set = set()


def _network_pool(workers: int) -> ThreadPoolExecutor:
    """The process's pool for network calls, created on first use (after the worker forked). Its threads live as
    long as the process, so a database connection an adapter opens (the sandbox stores what it publishes) is kept
    like the worker's own instead of being opened per task."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish")
        return _pool


def shutdown_network_pool() -> None:
    """Stop the pool and close the connections its threads opened (tests that drop their database need this)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        for wrapper in list(_thread_connections):
            wrapper.inc_thread_sharing()
            try:
                wrapper.close()
            finally:
                wrapper.dec_thread_sharing()
        _thread_connections.clear()


def _drain_in_thread(context: contextvars.Context, pending: queue.SimpleQueue) -> list[_Answer]:
    """One pool thread's share of a batch: calls until the batch's queue is empty (a slow call holds up only
    its own thread; the others take the rest)."""
    # What a worker does before each task, for this thread's connection: drop it if broken or too old.
    close_old_connections()
    answers = []
    try:
        while True:
            try:
                sent = pending.get_nowait()
            except queue.Empty:
                return answers
            answers.append(context.run(_call_one, sent))
    finally:
        wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own wrapper (`connection` is a proxy)
        if wrapper.connection is not None:
            _thread_connections.add(wrapper)


def _call_network(batch: list[_Sent]) -> list[_Answer]:
    size = getattr(settings, "PUBLISH_NETWORK_CONCURRENCY", 4)
    workers = min(size, len(batch))
    if workers <= 1 or connection.in_atomic_block:
        # Inside a transaction the threads' connections could not see its uncommitted rows: stay on this thread.
        return [_call_one(sent) for sent in batch]
    pool = _network_pool(size)
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for sent in batch:
        pending.put(sent)
    # Each thread runs in a copy of this thread's context: the tenancy state is a context variable.
    futures = [pool.submit(_drain_in_thread, contextvars.copy_context(), pending) for _ in range(workers)]
    return [answer for future in futures for answer in future.result()]


def _record_successes(answers: list[_Answer]) -> dict[str, AttemptResult]:
    """Record every published post of the batch at once, each re-checked under its lock (still `publishing` with
    this attempt `unknown`: reconciliation may have decided it meanwhile)."""
    if not answers:
        return {}
    now = timezone.now()
    by_post = {str(a.sent.post.pk): a for a in answers}
    results: dict[str, AttemptResult] = {}
    try:
        with transaction.atomic():
            # The re-check reads only what it compares: the rows are written from the objects read when sent.
            live_posts = [
                str(pk)
                for pk, attempt_count in Post.objects.select_for_update()
                .filter(pk__in=list(by_post), state=PostState.PUBLISHING)
                .values_list("pk", "attempt_count")
                if attempt_count == by_post[str(pk)].sent.record.number
            ]
            live = [
                by_post[str(post_id)]
                for post_id, number in PublishAttempt.objects.filter(
                    post_id__in=live_posts, outcome=PublishOutcome.UNKNOWN
                ).values_list("post_id", "number")
                if number == by_post[str(post_id)].sent.record.number
            ]
            records: list[PublishAttempt] = []
            posts: list[Post] = []
            history: list[FeedItem] = []
            for answer in live:
                post, record, result = answer.sent.post, answer.sent.record, answer.result
                records.append(record)
                states.assert_transition(post, PostState.PUBLISHED)
                record.outcome = PublishOutcome.PUBLISHED
                record.finished_at = record.updated_at = now
                record.latency_ms = answer.latency_ms
                record.network_request_id = result.request_id[:255]
                record.error_code = record.error_message = ""
                post.state = PostState.PUBLISHED
                post.remote_id = result.remote_id[:255]
                post.network_url = result.url[:2000]
                post.published_at = post.updated_at = now
                post.error_code = post.error_message = ""
                post.next_attempt_at = None
                posts.append(post)
                history.append(
                    FeedItem(
                        tenant_id=post.tenant_id,
                        post=post,
                        type=FeedItemType.HISTORY,
                        key="published",
                        data={
                            "attempt": record.number,
                            "remoteId": post.remote_id,
                            "url": post.network_url,
                            "outcome": PublishOutcome.PUBLISHED.value,
                        },
                    )
                )
            update_objects(
                records,
                [
                    "outcome",
                    "finished_at",
                    "latency_ms",
                    "network_request_id",
                    "error_code",
                    "error_message",
                    "updated_at",
                ],
            )
            update_objects(
                posts,
                [
                    "state",
                    "remote_id",
                    "network_url",
                    "published_at",
                    "error_code",
                    "error_message",
                    "next_attempt_at",
                    "updated_at",
                ],
            )
            FeedItem.objects.bulk_create(history)
            audit.record_many(
                "cp.post.published",
                [
                    (post, {"state": [PostState.PUBLISHING, PostState.PUBLISHED], "remoteId": post.remote_id})
                    for post in posts
                ],
                actor=None,  # the pipeline acts, not a person
            )
    except Exception:
        # Nothing of the batch was recorded: the attempts stay `unknown` and reconciliation finds them published.
        logger.exception("publish: recording a batch of successes failed", extra={"posts": len(answers)})
        return dict.fromkeys(by_post, AttemptResult.UNKNOWN)
    for post in posts:
        results[str(post.pk)] = AttemptResult.PUBLISHED
        if post.first_comment:
            try:
                publish_first_comment(post)
            except Exception:
                logger.exception("publish: first comment failed", extra={"post_id": str(post.pk)})
    return results
