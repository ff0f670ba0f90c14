"""The publishing pipeline: claim due posts, publish each exactly once, classify failures, reconcile the unknown.

The database is the source of truth, the broker only a doorbell:

1. `claims`: due `scheduled` posts are claimed in one transaction per batch: each moves to `publishing` with
   `attempt_count + 1` and a `PublishAttempt(outcome=pending)`. The claim is a conditional UPDATE
   (`state='scheduled' AND attempt_count=<seen>`), with `select_for_update(skip_locked=True)` on PostgreSQL: a post
   is claimed once whatever runs concurrently. "Publish now" (services/posts.py) uses the same guard.
2. `attempt`: the publish task flips the attempt `pending -> unknown` ("sent") and commits BEFORE calling the
   network, once; no transaction is held across the network call; the outcome is recorded under a re-check.
3. `reconcile`: attempts whose outcome is unknown are decided by asking the network (`find_published` by our
   correlation marker), never by publishing again; claims whose task was lost are handed back for re-enqueueing.
4. `dispatch`: one beat run: reconcile first (before any retry of a stuck post can be claimed), then claim.

Every step RETURNS its claims; nothing here imports the tasks. The dispatcher task and the publish-now service
enqueue one `publish_posts` task per batch of up to PUBLISH_BATCH claims of one tenant after commit
(`contentplanner.tasks.enqueue`; smaller batches when few posts are enqueued, `batch_size_for`); `batch` runs such a
batch with set-wise statements (same guards as `attempt`).

Retries never use Celery countdown/ETA: a failed attempt puts the post back to `scheduled` with `next_attempt_at`
(jittered exponential backoff, or the network's retry-after) and the dispatcher picks it up. A manual retry starts
a new run (`Post.run_started_attempt`) with a fresh budget of MAX_ATTEMPTS automatic attempts.
"""

from contentplanner.publishing.attempt import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    AttemptResult,
    backoff_delay,
    correlation_id_for,
    execute_publish_attempt,
    failed_feed_key,
    publish_first_comment,
)
from contentplanner.publishing.batch import PUBLISH_BATCH, batch_size_for, execute_publish_batch
from contentplanner.publishing.claims import DISPATCH_BATCH, Claim, claim_due_posts, claim_post
from contentplanner.publishing.dispatch import DispatchReport, dispatch
from contentplanner.publishing.reconcile import IN_FLIGHT_STALE, PENDING_STALE, UNKNOWN_GRACE, reconcile_stuck

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DISPATCH_BATCH",
    "IN_FLIGHT_STALE",
    "MAX_ATTEMPTS",
    "PENDING_STALE",
    "PUBLISH_BATCH",
    "UNKNOWN_GRACE",
    "AttemptResult",
    "Claim",
    "DispatchReport",
    "backoff_delay",
    "batch_size_for",
    "claim_due_posts",
    "claim_post",
    "correlation_id_for",
    "dispatch",
    "execute_publish_attempt",
    "execute_publish_batch",
    "failed_feed_key",
    "publish_first_comment",
    "reconcile_stuck",
]
