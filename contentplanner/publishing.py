"""The publishing pipeline: claim due posts, publish each exactly once, classify failures, reconcile the unknown.

The database is the source of truth, the broker only a doorbell:

1. `dispatch()` (beat, every few seconds) claims due `scheduled` posts in one transaction per batch: each moves to
   `publishing` with `attempt_count + 1` and a `PublishAttempt(outcome=pending)`; one `publish_post` task per post
   is enqueued after commit. The claim is a conditional UPDATE (`state='scheduled' AND attempt_count=<seen>`) on
   every backend, with `select_for_update(skip_locked=True)` on PostgreSQL so concurrent dispatchers skip each
   other's rows instead of waiting: a post is claimed once whatever runs concurrently.
2. `execute_publish_attempt()` (the task) flips the attempt `pending -> unknown` ("sent, answer not yet known") with
   a conditional UPDATE and commits BEFORE calling the adapter, once. A second delivery of the same task finds the
   attempt no longer pending and does nothing; a worker that dies after this point leaves an `unknown` attempt
   that only reconciliation resolves. No DB transaction is held across the network call.
3. The outcome is recorded in a transaction that re-checks post state and attempt, so a late answer can never
   overwrite what reconciliation (or another path) decided.
4. `reconcile_stuck()` (also run by the dispatcher) asks the network (`find_published` by our correlation marker)
   about attempts whose outcome is unknown: found -> published (`reconciled`), not found -> a failed attempt that
   is retried under the normal rules. Attempts claimed but never sent and forgotten by the broker are re-enqueued.

Retries never use Celery countdown/ETA: a failed attempt puts the post back to `scheduled` with
`next_attempt_at` (jittered exponential backoff, or the network's retry-after) and the dispatcher picks it up.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contentplanner import states
from contentplanner.errors import ContentRulesViolated, InvalidPostState
from contentplanner.models import FeedItem, Post, PostMedia, PostState, PublishAttempt, PublishOutcome
from contentplanner.services import approval, feed
from contentplanner.services.posts import assert_publishable_channel, content_errors_for
from core import audit, tenancy
from social.models import ChannelStatus
from social.networks import registry
from social.networks.base import (
    AuthExpired,
    InvalidContent,
    MediaItem,
    NetworkError,
    NotSupported,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    UnknownOutcome,
)
from social.services.channels import credentials_for, mark_needs_attention
from tenants.models import User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # automatic attempts per run (a manual retry starts a new run)
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 60 s, 120 s, 240 s before attempts 2..5 (jittered)
BACKOFF_CAP = timedelta(minutes=30)
DISPATCH_BATCH = 200  # posts claimed per transaction
DISPATCH_MAX_PER_RUN = 5000  # a run never takes so long that the next beat tick overlaps it much
RECONCILE_MAX_PER_RUN = 100
# An attempt that raised UnknownOutcome is reconciled after this grace (networks show new posts with some delay).
UNKNOWN_GRACE = timedelta(seconds=10)
# An attempt sent but never answered (the worker died). Longer than publish_post's hard time limit, so no live worker
# can still be waiting for the network when we ask it.
IN_FLIGHT_STALE = timedelta(minutes=2)
# A claimed attempt whose task never started (the broker lost it, or a killed worker had it prefetched: Redis would
# hand it back only after the visibility timeout). Generous, because a long queue backlog looks the same and every
# re-enqueue of a message that is merely waiting is a wasted (harmless) task run.
PENDING_STALE = timedelta(minutes=5)
FIND_PUBLISHED_MARGIN = timedelta(minutes=10)  # clock skew between us and the network

FAILED_KEY_PREFIX = "failedToPublish"


@dataclass(frozen=True)
class Claim:
    """A post moved to `publishing`: the publish task's arguments."""

    post_id: str
    attempt: int
    tenant_id: str


@dataclass(frozen=True)
class DispatchReport:
    claimed: int
    reconciled: int
    requeued: int


def correlation_id_for(post_id, attempt: int) -> str:
    """Our marker on the network for one attempt: what `find_published` looks up when the outcome is unknown."""
    return f"hb-{post_id}-{attempt}"


def backoff_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Jittered exponential backoff after failed attempt number `attempt` (1-based): 50-100% of base * 2^(n-1)."""
    rng = rng or random
    ceiling = min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)
    return ceiling * rng.uniform(0.5, 1.0)


def failed_feed_key(error_code: str) -> str:
    """`AUTH_EXPIRED` -> `failedToPublishAuthExpired` (the feed keys the spec lists)."""
    return FAILED_KEY_PREFIX + "".join(part.capitalize() for part in error_code.lower().split("_"))


# --- claiming ------------------------------------------------------------------------------------------------------
def _claim(
    post_id, *, seen_attempts: int, from_states: tuple[str, ...], now: datetime, extra: dict | None = None
) -> bool:
    """The one guard that moves a post to `publishing`: a conditional UPDATE that succeeds for exactly one caller."""
    claimed = Post.all_tenants.filter(pk=post_id, state__in=from_states, attempt_count=seen_attempts).update(
        state=PostState.PUBLISHING,
        attempt_count=seen_attempts + 1,
        publishing_started_at=now,
        next_attempt_at=None,
        updated_at=now,
        **(extra or {}),
    )
    return claimed == 1


def _enqueue(claims: list[Claim]) -> None:
    from contentplanner.tasks import publish_post

    for claim in claims:
        publish_post.delay(post_id=claim.post_id, attempt=claim.attempt, tenant_id=claim.tenant_id)


def _claim_rows(rows: list[tuple], *, now: datetime) -> list[Claim]:
    """Claim (id, tenant_id, seen attempt_count) rows: one conditional UPDATE per distinct seen count (few: 0..4).

    The UPDATE is the guard (`state='scheduled' AND attempt_count=<seen>`). When it changes every row of the group,
    each was claimed by us; when it changes fewer (another dispatcher got there first: impossible under our row
    locks on PostgreSQL, possible in principle elsewhere) it is rolled back and the group is claimed row by row.
    """
    groups: dict[int, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[2], []).append(row)
    claims: list[Claim] = []
    for seen, group in groups.items():
        ids = [post_id for post_id, _tenant, _seen in group]
        try:
            with transaction.atomic():
                updated = Post.all_tenants.filter(pk__in=ids, state=PostState.SCHEDULED, attempt_count=seen).update(
                    state=PostState.PUBLISHING,
                    attempt_count=seen + 1,
                    publishing_started_at=now,
                    next_attempt_at=None,
                    updated_at=now,
                )
                if updated != len(ids):
                    raise _PartialClaim
            claims.extend(Claim(post_id=str(pk), attempt=seen + 1, tenant_id=str(tenant)) for pk, tenant, _ in group)
        except _PartialClaim:
            for post_id, tenant_id, _seen in group:
                if _claim(post_id, seen_attempts=seen, from_states=(PostState.SCHEDULED,), now=now):
                    claims.append(Claim(post_id=str(post_id), attempt=seen + 1, tenant_id=str(tenant_id)))
    return claims


class _PartialClaim(Exception):
    """Rolls back a group claim that did not change every row it was meant to."""


def claim_due_posts(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[Claim]:
    """Claim up to `limit` due posts of all tenants in one transaction; their tasks are enqueued after commit.

    Due: `scheduled`, `publish_at <= now` and the backoff gate `next_attempt_at` open. Oldest first, so a backlog
    drains in publish order.
    """
    now = now or timezone.now()
    with tenancy.platform_access(), transaction.atomic():
        due = (
            Post.all_tenants.filter(state=PostState.SCHEDULED, publish_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("publish_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("id", "tenant_id", "attempt_count")[:limit])
        claims = _claim_rows(rows, now=now)
        PublishAttempt.all_tenants.bulk_create(
            [PublishAttempt(tenant_id=c.tenant_id, post_id=c.post_id, number=c.attempt, started_at=now) for c in claims]
        )
        if claims:
            transaction.on_commit(lambda: _enqueue(claims))
    return claims


def dispatch(
    *,
    now: datetime | None = None,
    max_posts: int = DISPATCH_MAX_PER_RUN,
    in_flight_stale: timedelta = IN_FLIGHT_STALE,
    pending_stale: timedelta = PENDING_STALE,
) -> DispatchReport:
    """One dispatcher run: reconcile what is stuck (before any retry of it can be claimed), then claim due posts."""
    now = now or timezone.now()
    reconciled, requeued = reconcile_stuck(now=now, in_flight_stale=in_flight_stale, pending_stale=pending_stale)
    claimed = 0
    while claimed < max_posts:
        batch = claim_due_posts(now=now, limit=min(DISPATCH_BATCH, max_posts - claimed))
        claimed += len(batch)
        if len(batch) < DISPATCH_BATCH:
            break
    if claimed or reconciled or requeued:
        logger.info("publish dispatch: claimed=%s reconciled=%s requeued=%s", claimed, reconciled, requeued)
    return DispatchReport(claimed=claimed, reconciled=reconciled, requeued=requeued)


# --- the attempt ---------------------------------------------------------------------------------------------------
def build_publish_request(post: Post, attempt: int) -> PublishRequest:
    """What the adapter sends. The first comment is not part of it: it is published after the post, separately,
    so its failure cannot fail the post."""
    media = []
    for item in PostMedia.objects.filter(post=post).select_related("media").order_by("position"):
        file = item.media.file
        url = item.media.source_url
        local_path = ""
        if file:
            url = file.url
            try:
                local_path = file.path
            except NotImplementedError:  # remote storage: the adapter fetches the URL
                local_path = ""
        media.append(
            MediaItem(
                url=url,
                mime_type=item.media.mime_type,
                kind=item.media.kind,
                alt_text=item.alt_text or item.media.alt_text,
                width=item.media.width,
                height=item.media.height,
                duration_seconds=item.media.duration_seconds,
                size_bytes=item.media.size_bytes,
                local_path=local_path,
            )
        )
    return PublishRequest(
        correlation_id=correlation_id_for(post.pk, attempt),
        text=post.text,
        title=post.title,
        post_type=post.post_type,
        media=tuple(media),
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


def _current(post_id, attempt: int) -> tuple[Post, PublishAttempt] | None:
    """Lock the post and return it with the attempt if `attempt` is still the live one; else None (one query)."""
    record = (
        PublishAttempt.objects.select_for_update(of=("post",))
        .select_related("post__channel")
        .filter(post_id=post_id, number=attempt)
        .first()
    )
    if record is None or record.post.state != PostState.PUBLISHING or record.post.attempt_count != attempt:
        return None
    return record.post, record


def execute_publish_attempt(post_id, attempt: int) -> str:
    """Run attempt number `attempt` of the post: call the network once, record the outcome. Idempotent: a duplicate
    delivery, a stale attempt or a post that moved on returns "skipped" without touching the network."""
    now = timezone.now()
    with transaction.atomic():
        current = _current(post_id, attempt)
        if current is None:
            return "skipped"
        post, record = current
        # The guard against a second delivery: only one caller turns this attempt from pending to sent.
        sent = PublishAttempt.objects.filter(pk=record.pk, outcome=PublishOutcome.PENDING).update(
            outcome=PublishOutcome.UNKNOWN, started_at=now, updated_at=now
        )
        if not sent:
            return "skipped"
        channel = post.channel
        if channel.status != ChannelStatus.ACTIVE or not channel.publishing_enabled:
            _fail_now(
                post,
                record,
                code="CHANNEL_UNAVAILABLE",
                message=f"The channel {channel.name} is {channel.status}"
                + ("" if channel.publishing_enabled else " and publishing is disabled for it")
                + ": reconnect or enable it, then retry.",
                now=now,
            )
            return "failed"
        try:
            adapter = registry.get_adapter(channel.network)
        except registry.UnknownNetwork:
            message = f"Posts cannot be published to {channel.network} channels."
            _fail_now(post, record, code="NETWORK_UNSUPPORTED", message=message, now=now)
            return "failed"
        feed.add_history(post, "publishing", data={"attempt": attempt})
        request = build_publish_request(post, attempt)
        credentials = credentials_for(channel)

    started = time.monotonic()
    try:
        result = adapter.publish(credentials, request)
    except NetworkError as exc:
        return _record_failure(post_id, attempt, exc, latency_ms=_elapsed_ms(started))
    except Exception:
        # We cannot know whether the request reached the network: leave the attempt `unknown` (finished) so the
        # dispatcher reconciles it instead of publishing again.
        logger.exception("publish: unexpected error on post %s attempt %s", post_id, attempt)
        return _record_failure(
            post_id,
            attempt,
            UnknownOutcome("Unexpected error during the network call."),
            latency_ms=_elapsed_ms(started),
        )
    return _record_success(post_id, attempt, result, latency_ms=_elapsed_ms(started), outcome=PublishOutcome.PUBLISHED)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _record_success(post_id, attempt: int, result: PublishResult, *, latency_ms: int | None, outcome: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        current = _current(post_id, attempt)
        if current is None or current[1].outcome != PublishOutcome.UNKNOWN:
            # Reconciliation (or a duplicate) already decided this attempt; the network has one post either way.
            return "skipped"
        post, record = current
        states.assert_transition(post, PostState.PUBLISHED)
        record.outcome = outcome
        record.finished_at = now
        record.latency_ms = latency_ms if latency_ms is not None else record.latency_ms
        record.network_request_id = result.request_id[:255]
        record.error_code = ""
        record.error_message = ""
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
        post.error_code = ""
        post.error_message = ""
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
            changes={"state": [PostState.PUBLISHING, PostState.PUBLISHED], "remoteId": post.remote_id},
        )
        channel = post.channel
        first_comment = post.first_comment
    if first_comment:
        _publish_first_comment(post, channel, first_comment)
    return outcome


def _publish_first_comment(post: Post, channel, text: str) -> None:
    """After the post: a failure flags the post and explains it in the feed, the post stays published."""
    try:
        registry.get_adapter(channel.network).publish_comment(
            credentials_for(channel), remote_id=post.remote_id, text=text
        )
    except NetworkError as exc:
        logger.info("first comment of post %s failed: %s", post.pk, exc.code)
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(first_comment_failed=True, updated_at=timezone.now())
            feed.add_system_message(
                post,
                "firstCommentFailed",
                message=f"The post was published, but its first comment was refused: {exc.message}",
                data={"errorCode": exc.code, "statusCode": exc.status_code},
            )
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            mark_needs_attention(channel, reason=f"{exc.code}: {exc.message}")


def _record_failure(post_id, attempt: int, exc: NetworkError, *, latency_ms: int | None) -> str:
    """Classify a failed call: unknown -> wait for reconciliation; auth/permission/content -> failed at once;
    rate limited / temporary -> back to `scheduled` behind the backoff gate, until the attempts run out."""
    now = timezone.now()
    flag_channel = None
    with transaction.atomic():
        current = _current(post_id, attempt)
        if current is None or current[1].outcome != PublishOutcome.UNKNOWN:
            return "skipped"
        post, record = current
        record.finished_at = now
        record.latency_ms = latency_ms
        record.error_code = exc.code
        record.error_message = _message_of(exc)
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
            return "unknown"
        outcome = _fail_or_retry(post, record, exc, now=now)
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            flag_channel = post.channel
    if flag_channel is not None:
        mark_needs_attention(flag_channel, reason=f"{exc.code}: {exc.message}")
    return outcome


def _message_of(exc: NetworkError) -> str:
    if isinstance(exc, InvalidContent) and exc.details:
        details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in exc.details.items())
        return f"{exc.message} ({details})"
    return exc.message


def _fail_or_retry(post: Post, record: PublishAttempt, exc: NetworkError, *, now: datetime) -> str:
    """Record a failed attempt (already locked) and move the post to `scheduled` (retry) or `failed`."""
    record.outcome = PublishOutcome.FAILED
    record.save()
    retryable = exc.retryable or exc.code == UnknownOutcome.code  # an unknown outcome proven not published
    if retryable and _attempts_in_run(post) < MAX_ATTEMPTS:
        if isinstance(exc, RateLimited) and exc.retry_after:
            wait = timedelta(seconds=exc.retry_after)
            wait += wait * random.uniform(0, 0.1)  # posts of one channel must not come back at the same instant
        else:
            wait = backoff_delay(post.attempt_count)
        states.assert_transition(post, PostState.SCHEDULED)
        post.state = PostState.SCHEDULED
        post.next_attempt_at = now + wait
        post.error_code = exc.code
        post.error_message = _message_of(exc)
        post.save(update_fields=["state", "next_attempt_at", "error_code", "error_message", "updated_at"])
        feed.add_system_message(
            post,
            "retryScheduled",
            message=f"Attempt {record.number} failed ({exc.code}); retrying at {post.next_attempt_at.isoformat()}.",
            data={"attempt": record.number, "errorCode": exc.code, "nextAttemptAt": post.next_attempt_at.isoformat()},
        )
        return "retry"
    message = _message_of(exc)
    if retryable:
        message = f"Gave up after {_attempts_in_run(post)} attempts: {message}"
    _mark_failed(post, code=exc.code, message=message, data=getattr(exc, "details", None), now=now)
    return "failed"


def _fail_now(post: Post, record: PublishAttempt, *, code: str, message: str, now: datetime) -> None:
    record.outcome = PublishOutcome.FAILED
    record.finished_at = now
    record.error_code = code
    record.error_message = message
    record.save()
    _mark_failed(post, code=code, message=message, data=None, now=now)


def _mark_failed(post: Post, *, code: str, message: str, data: dict | None, now: datetime) -> None:
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
        "cp.post.publish_failed", post, changes={"state": [PostState.PUBLISHING, PostState.FAILED], "errorCode": code}
    )


def _attempts_in_run(post: Post) -> int:
    """Attempts since the post last became `failed`: a manual retry keeps the attempt numbers but gets a new budget.
    The run's start is the highest attempt recorded in the post's `failedToPublish*` history entries."""
    failures = FeedItem.objects.filter(post=post, key__startswith=FAILED_KEY_PREFIX).values_list("data", flat=True)
    run_start = max((int((data or {}).get("attempt") or 0) for data in failures), default=0)
    return post.attempt_count - run_start


# --- reconciliation ------------------------------------------------------------------------------------------------
def reconcile_stuck(
    *,
    now: datetime | None = None,
    in_flight_stale: timedelta = IN_FLIGHT_STALE,
    pending_stale: timedelta = PENDING_STALE,
) -> tuple[int, int]:
    """Resolve posts stuck in `publishing`; returns (attempts reconciled, attempts re-enqueued).

    - outcome `unknown` and finished (UnknownOutcome) after a short grace, or unknown and unfinished (sent, then
      the worker died) after `in_flight_stale`: ask the network by correlation marker.
    - outcome `pending` (claimed, never sent) after `pending_stale`: enqueue the same attempt again; the
      pending -> sent guard makes a late original delivery harmless.
    """
    now = now or timezone.now()
    with tenancy.platform_access():
        live = PublishAttempt.all_tenants.filter(
            post__state=PostState.PUBLISHING, number=F("post__attempt_count")
        ).order_by("started_at")
        unknown = list(
            live.filter(outcome=PublishOutcome.UNKNOWN)
            .filter(
                Q(finished_at__isnull=False, finished_at__lte=now - UNKNOWN_GRACE)
                | Q(finished_at__isnull=True, started_at__lte=now - in_flight_stale)
            )
            .values_list("id", "tenant_id")[:RECONCILE_MAX_PER_RUN]
        )
        pending = list(
            live.filter(outcome=PublishOutcome.PENDING, started_at__lte=now - pending_stale).values_list(
                "id", "post_id", "number", "tenant_id", "started_at"
            )[:DISPATCH_MAX_PER_RUN]
        )
        requeue: list[Claim] = []
        with transaction.atomic():
            for attempt_id, post_id, number, tenant_id, seen_started in pending:
                # A lease: the conditional update lets one dispatcher re-enqueue it per `pending_stale` window.
                if PublishAttempt.all_tenants.filter(
                    pk=attempt_id, outcome=PublishOutcome.PENDING, started_at=seen_started
                ).update(started_at=now, updated_at=now):
                    requeue.append(Claim(post_id=str(post_id), attempt=number, tenant_id=str(tenant_id)))
            if requeue:
                transaction.on_commit(lambda: _enqueue(requeue))
        tenants = _tenants_by_id({tenant_id for _, tenant_id in unknown})
    reconciled = 0
    for attempt_id, tenant_id in unknown:
        with tenancy.tenant_context(tenants[tenant_id]):
            try:
                if reconcile_attempt(attempt_id):
                    reconciled += 1
            except Exception:
                # One broken channel must not stop the dispatcher: the attempt stays unknown, asked again next run.
                logger.exception("reconcile: attempt %s failed", attempt_id)
    return reconciled, len(requeue)


def _tenants_by_id(ids: set) -> dict:
    from tenants.models import Tenant

    return {tenant.pk: tenant for tenant in Tenant.objects.filter(pk__in=ids)}


def _give_up_unknown(post_id, attempt: int, exc: NetworkError) -> bool:
    """The outcome can never be known: the attempt stays `unknown`, the post fails with an explanation."""
    with transaction.atomic():
        current = _current(post_id, attempt)
        if current is None or current[1].outcome != PublishOutcome.UNKNOWN:
            return False
        post, record = current
        now = timezone.now()
        record.finished_at = record.finished_at or now
        record.error_code = record.error_code or UnknownOutcome.code
        record.error_message = f"The network cannot confirm whether it was published ({exc.message})."
        record.save(update_fields=["finished_at", "error_code", "error_message", "updated_at"])
        message = (
            "The network did not answer and cannot tell us whether the post was published. "
            "Check the channel before retrying, or the post may appear twice."
        )
        _mark_failed(post, code=UnknownOutcome.code, message=message, data=None, now=now)
    return True


def reconcile_attempt(attempt_id) -> bool:
    """Ask the network whether an attempt with an unknown outcome published the post; record the answer.
    Returns True when the attempt was resolved (published or failed), False when it stays unknown."""
    record = PublishAttempt.objects.select_related("post__channel").filter(pk=attempt_id).first()
    if record is None or record.outcome != PublishOutcome.UNKNOWN:
        return False
    post = record.post
    if post.state != PostState.PUBLISHING or post.attempt_count != record.number:
        return False
    channel = post.channel
    adapter = registry.get_adapter(channel.network)
    try:
        found = adapter.find_published(
            credentials_for(channel),
            correlation_id=correlation_id_for(post.pk, record.number),
            since=record.started_at - FIND_PUBLISHED_MARGIN,
            text=post.text,
            title=post.title,
        )
    except NotSupported as exc:
        # This network cannot tell: a person must look before anything is published again, so no automatic retry.
        return _give_up_unknown(post.pk, record.number, exc)
    except NetworkError as exc:
        # We still do not know: keep it unknown, look again after the grace period. Never publish blind.
        logger.warning("reconcile: cannot ask the network about post %s: %s", post.pk, exc.code)
        PublishAttempt.objects.filter(pk=record.pk, outcome=PublishOutcome.UNKNOWN).update(
            finished_at=timezone.now(), error_message=f"Reconciliation pending: {exc.message}"
        )
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            mark_needs_attention(channel, reason=f"{exc.code}: {exc.message}")
        return False
    if found is not None:
        return (
            _record_success(post.pk, record.number, found, latency_ms=None, outcome=PublishOutcome.RECONCILED)
            != "skipped"
        )
    not_published = UnknownOutcome("The network has no post for this attempt; it will be retried.")
    with transaction.atomic():
        current = _current(post.pk, record.number)
        if current is None or current[1].outcome != PublishOutcome.UNKNOWN:
            return False
        post, record = current
        record.finished_at = record.finished_at or timezone.now()
        if not record.error_code:
            record.error_code = UnknownOutcome.code
        record.error_message = not_published.message
        _fail_or_retry(post, record, not_published, now=timezone.now())
    return True


# --- user actions --------------------------------------------------------------------------------------------------
def request_publish_now(post: Post, *, actor: User | None) -> Post:
    """Publish a draft or approved post now, through the same claim as the dispatcher (409 when not allowed)."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel", "author").get(pk=post.pk)
        states.assert_action(post, "publish")
        states.assert_transition(post, PostState.PUBLISHING)
        approval.assert_may_skip_approval(post)
        assert_publishable_channel(post.channel)
        errors = content_errors_for(post)
        if errors:
            raise ContentRulesViolated(details=errors)
        now = timezone.now()
        previous = post.state
        extra = {} if post.publish_at else {"publish_at": now}
        if not _claim(post.pk, seen_attempts=post.attempt_count, from_states=(previous,), now=now, extra=extra):
            raise InvalidPostState("The post changed meanwhile; reload it.", details={"state": post.state})
        attempt = post.attempt_count + 1
        PublishAttempt.objects.create(post=post, number=attempt, started_at=now)
        post.refresh_from_db()
        feed.add_history(post, "publishNow", actor=actor, data={"from": previous, "attempt": attempt})
        audit.record("cp.post.publish_now", post, changes={"state": [previous, PostState.PUBLISHING]})
        claim = Claim(post_id=str(post.pk), attempt=attempt, tenant_id=str(post.tenant_id))
        transaction.on_commit(lambda: _enqueue([claim]))
    return post


def retry_post(post: Post, *, actor: User | None) -> Post:
    """A failed post goes back to `scheduled` (now, if its time has passed); attempt numbers continue."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel").get(pk=post.pk)
        states.assert_action(post, "retry")
        states.assert_transition(post, PostState.SCHEDULED)
        assert_publishable_channel(post.channel)
        now = timezone.now()
        before = {"state": post.state, "errorCode": post.error_code}
        post.state = PostState.SCHEDULED
        if post.publish_at is None or post.publish_at < now:
            post.publish_at = now
        post.next_attempt_at = None
        post.error_code = ""
        post.error_message = ""
        post.save(update_fields=["state", "publish_at", "next_attempt_at", "error_code", "error_message", "updated_at"])
        feed.add_history(post, "scheduled", actor=actor, data={"retry": True, "publishAt": post.publish_at.isoformat()})
        audit.record(
            "cp.post.retry",
            post,
            changes={"state": [before["state"], post.state], "errorCode": [before["errorCode"], ""]},
        )
    return post
