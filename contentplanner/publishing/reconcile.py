"""Reconciliation: decide attempts whose outcome is unknown by asking the network, and find lost claims.

An attempt stays `unknown` when the network call timed out after sending, or the worker died after the "sent"
commit. We never publish again blind: `find_published` looks for our correlation marker; found -> published
(`reconciled`), not found -> a failed attempt retried under the normal rules, cannot tell -> the post fails with an
explanation. Attempts claimed but never sent (the broker lost the message) are returned as claims to enqueue again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from contentplanner.models import PostState, PublishAttempt, PublishOutcome
from contentplanner.publishing.attempt import (
    AttemptResult,
    correlation_id_for,
    fail_or_retry,
    lock_live,
    mark_failed,
    record_success,
)
from contentplanner.publishing.claims import Claim, PostId
from core import tenancy
from social.networks.base import AuthExpired, NetworkError, NotSupported, PermissionMissing, UnknownOutcome
from social.services import publishing as social_publishing
from tenants import selectors as tenant_selectors

logger = logging.getLogger(__name__)

RECONCILE_MAX_PER_RUN = 100
REQUEUE_MAX_PER_RUN = 5000
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


@dataclass(frozen=True)
class ReconcileReport:
    reconciled: int
    requeue: list[Claim]  # claimed, never sent: the caller enqueues them again


def reconcile_stuck(
    *,
    now: datetime | None = None,
    in_flight_stale: timedelta = IN_FLIGHT_STALE,
    pending_stale: timedelta = PENDING_STALE,
) -> ReconcileReport:
    """Resolve posts stuck in `publishing`.

    - outcome `unknown` and finished (UnknownOutcome) after a short grace, or unknown and unfinished (sent, then
      the worker died) after `in_flight_stale`: ask the network by correlation marker.
    - outcome `pending` (claimed, never sent) after `pending_stale`: returned for the same attempt to be enqueued
      again; the pending -> sent guard makes a late original delivery harmless.
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
            )[:REQUEUE_MAX_PER_RUN]
        )
        requeue: list[Claim] = []
        with transaction.atomic():
            for attempt_id, post_id, number, tenant_id, seen_started in pending:
                # A lease: the conditional update lets one dispatcher re-enqueue it per `pending_stale` window.
                if PublishAttempt.all_tenants.filter(
                    pk=attempt_id, outcome=PublishOutcome.PENDING, started_at=seen_started
                ).update(started_at=now, updated_at=now):
                    requeue.append(Claim(post_id=str(post_id), attempt=number, tenant_id=str(tenant_id)))
        tenants = tenant_selectors.tenants_by_ids({tenant_id for _, tenant_id in unknown})
    reconciled = 0
    for attempt_id, tenant_id in unknown:
        with tenancy.tenant_context(tenants[tenant_id]):
            try:
                if reconcile_attempt(attempt_id):
                    reconciled += 1
            except Exception:
                # One broken channel must not stop the dispatcher: the attempt stays unknown, asked again next run.
                logger.exception("reconcile failed", extra={"attempt_id": str(attempt_id)})
    return ReconcileReport(reconciled=reconciled, requeue=requeue)


def _give_up_unknown(post_id: PostId, attempt: int, exc: NetworkError) -> bool:
    """The outcome can never be known: the attempt stays `unknown`, the post fails with an explanation."""
    with transaction.atomic():
        live = lock_live(post_id, attempt, outcome=PublishOutcome.UNKNOWN)
        if live is None:
            return False
        record = live.record
        record.finished_at = record.finished_at or timezone.now()
        record.error_code = record.error_code or UnknownOutcome.code
        record.error_message = f"The network cannot confirm whether it was published ({exc.message})."
        record.save(update_fields=["finished_at", "error_code", "error_message", "updated_at"])
        message = (
            "The network did not answer and cannot tell us whether the post was published. "
            "Check the channel before retrying, or the post may appear twice."
        )
        mark_failed(live.post, code=UnknownOutcome.code, message=message, data=None)
    return True


def reconcile_attempt(attempt_id: uuid.UUID | str) -> bool:
    """Ask the network whether an attempt with an unknown outcome published the post; record the answer.
    Returns True when the attempt was resolved (published or failed), False when it stays unknown."""
    record = PublishAttempt.objects.select_related("post__channel").filter(pk=attempt_id).first()
    if record is None or record.outcome != PublishOutcome.UNKNOWN:
        return False
    post = record.post
    if post.state != PostState.PUBLISHING or post.attempt_count != record.number:
        return False
    channel = post.channel
    try:
        found = social_publishing.find_published(
            channel,
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
        logger.warning("reconcile: cannot ask the network", extra={"post_id": str(post.pk), "error_code": exc.code})
        PublishAttempt.objects.filter(pk=record.pk, outcome=PublishOutcome.UNKNOWN).update(
            finished_at=timezone.now(), error_message=f"Reconciliation pending: {exc.message}"
        )
        if isinstance(exc, (AuthExpired, PermissionMissing)):
            social_publishing.flag_channel(channel, reason=f"{exc.code}: {exc.message}")
        return False
    if found is not None:
        result = record_success(post.pk, record.number, found, latency_ms=None, outcome=PublishOutcome.RECONCILED)
        return result != AttemptResult.SKIPPED
    not_published = UnknownOutcome("The network has no post for this attempt; it will be retried.")
    with transaction.atomic():
        live = lock_live(post.pk, record.number, outcome=PublishOutcome.UNKNOWN)
        if live is None:
            return False
        locked = live.record
        locked.finished_at = locked.finished_at or timezone.now()
        if not locked.error_code:
            locked.error_code = UnknownOutcome.code
        locked.error_message = not_published.message
        fail_or_retry(live.post, locked, not_published, now=timezone.now())
    return True
