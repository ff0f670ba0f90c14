"""Publishing tasks (queue `publish`). Thin: the pipeline lives in contentplanner.publishing.

Both are idempotent and run with acks_late + reject_on_worker_lost (the TenantTask base): a redelivered message
is harmless because the database decides what still has to happen, never the broker.
"""

from __future__ import annotations

from celery import shared_task

from contentplanner import publishing

# Hard limit below the broker visibility timeout and below publishing.IN_FLIGHT_STALE, so no worker can still be
# waiting on the network when the dispatcher reconciles an unanswered attempt.
PUBLISH_SOFT_TIME_LIMIT = 75
PUBLISH_TIME_LIMIT = 90


@shared_task(name="contentplanner.tasks.dispatch_due_posts", soft_time_limit=50, time_limit=60)
def dispatch_due_posts() -> dict:
    """Beat, every few seconds: reconcile stuck posts, claim due ones and enqueue one publish task per post."""
    report = publishing.dispatch()
    return {"claimed": report.claimed, "reconciled": report.reconciled, "requeued": report.requeued}


@shared_task(
    name="contentplanner.tasks.publish_post", soft_time_limit=PUBLISH_SOFT_TIME_LIMIT, time_limit=PUBLISH_TIME_LIMIT
)
def publish_post(*, post_id: str, attempt: int, tenant_id: str) -> str:
    """Run one claimed attempt (runs in the tenant's context, see core.celery_tasks.TenantTask)."""
    return publishing.execute_publish_attempt(post_id, attempt)
