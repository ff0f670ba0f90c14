"""One dispatcher run: reconcile what is stuck (before any retry of it can be claimed), then claim due posts.

The dispatcher never enqueues itself: it hands the run's claims to `enqueue` (the task module's, which sends
one publish task per claim after commit), so nothing under `publishing/` imports the tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from contentplanner.publishing.claims import DISPATCH_BATCH, Claim, claim_due_posts
from contentplanner.publishing.reconcile import IN_FLIGHT_STALE, PENDING_STALE, reconcile_stuck

logger = logging.getLogger(__name__)

DISPATCH_MAX_PER_RUN = 5000  # a run never takes so long that the next beat tick overlaps it much


@dataclass(frozen=True)
class DispatchReport:
    claimed: int
    reconciled: int
    requeued: int


def dispatch(
    *,
    enqueue: Callable[[list[Claim]], None],
    now: datetime | None = None,
    max_posts: int = DISPATCH_MAX_PER_RUN,
    in_flight_stale: timedelta = IN_FLIGHT_STALE,
    pending_stale: timedelta = PENDING_STALE,
) -> DispatchReport:
    """Reconcile, then claim due posts batch by batch; `enqueue` receives the run's committed claims."""
    now = now or timezone.now()
    report = reconcile_stuck(now=now, in_flight_stale=in_flight_stale, pending_stale=pending_stale)
    if report.requeue:
        enqueue(report.requeue)
    claims: list[Claim] = []
    while len(claims) < max_posts:
        batch = claim_due_posts(now=now, limit=min(DISPATCH_BATCH, max_posts - len(claims)))
        claims.extend(batch)
        if len(batch) < DISPATCH_BATCH:
            break
    # Handed over together (each claim batch has committed): one tenant's posts from several claim batches then
    # share publish tasks. A dispatcher dying before this leaves pending claims, which reconciliation re-enqueues.
    if claims:
        enqueue(claims)
    claimed = len(claims)
    requeued = len(report.requeue)
    if claimed or report.reconciled or requeued:
        logger.info(
            "publish dispatch",
            extra={"claimed": claimed, "reconciled": report.reconciled, "requeued": requeued},
        )
    return DispatchReport(claimed=claimed, reconciled=report.reconciled, requeued=requeued)
