"""Notification tasks (queue `notify`): run jobs, deliver webhooks, and the beat sweeps that resume due work.

Every task is safe to run twice: the services claim rows with guarded UPDATEs before doing anything.
"""

from __future__ import annotations

from celery import shared_task

from notifications.services import delivery, webhooks


@shared_task(name="notifications.run_jobs", queue="notify", soft_time_limit=240, time_limit=300)
def run_jobs(*, job_ids: list[str], tenant_id: str) -> None:
    """Run these jobs of one tenant (each only if still due and unclaimed)."""
    delivery.run_jobs(job_ids)


@shared_task(name="notifications.sweep_due_jobs", queue="notify", soft_time_limit=50, time_limit=60)
def sweep_due_jobs() -> int:
    """Beat: enqueue jobs whose delay, digest window or retry time has come, and jobs of dead workers."""
    grouped = delivery.due_jobs()
    for tenant_id, job_ids in grouped.items():
        for start in range(0, len(job_ids), 200):
            run_jobs.delay(job_ids=job_ids[start : start + 200], tenant_id=tenant_id)
    return sum(len(ids) for ids in grouped.values())


@shared_task(name="notifications.deliver_webhook", queue="notify", soft_time_limit=30, time_limit=45)
def deliver_webhook(*, delivery_id: str, tenant_id: str) -> None:
    """One attempt of one webhook delivery, if due."""
    webhooks.attempt_delivery(delivery_id)


@shared_task(name="notifications.sweep_webhook_deliveries", queue="notify", soft_time_limit=50, time_limit=60)
def sweep_webhook_deliveries() -> int:
    """Beat: enqueue webhook deliveries whose retry time has come."""
    grouped = webhooks.due_deliveries()
    for tenant_id, ids in grouped.items():
        for delivery_id in ids:
            deliver_webhook.delay(delivery_id=delivery_id, tenant_id=tenant_id)
    return sum(len(ids) for ids in grouped.values())
