"""Celery tasks of the ads app (queue `sync`): thin wrappers around ads.services.sync."""

from __future__ import annotations

from celery import shared_task

from ads.services import sync
from core import tenancy


@shared_task(name="ads.tasks.sync_ad_account", queue="sync", soft_time_limit=540, time_limit=600)
def sync_ad_account(*, account_id: str, tenant_id: str, full: bool = False) -> dict:
    """Pull one account into the mirror (idempotent: upserts on platform ids; one sync per account at a time)."""
    report = sync.sync_account(account_id, full=full)
    return {"status": report.status, "counts": report.counts, "requests": report.requests}


@shared_task(name="ads.tasks.dispatch_ad_syncs", queue="sync", soft_time_limit=50, time_limit=60)
def dispatch_ad_syncs() -> int:
    """Beat: one sync task per active account that is due and not paused by a rate limit (all tenants)."""
    with tenancy.platform_access():
        due = sync.accounts_due_for_sync()
    for account_id, tenant_id in due:
        sync_ad_account.delay(account_id=account_id, tenant_id=tenant_id)
    return len(due)
