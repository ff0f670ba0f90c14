"""Celery tasks of the social app: thin wrappers around services, on the `sync` queue (network work).

Each task takes ids as keyword arguments (with `tenant_id=` when it acts for one tenant: `core.celery_tasks.TenantTask`
enters that tenant) and is safe to run twice.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from core import tenancy
from social import selectors
from social.models import Channel
from social.networks.base import NetworkError
from social.services import tokens

OAUTH_STATE_RETENTION = timedelta(days=1)


@shared_task(name="social.tasks.dispatch_token_refreshes", queue="sync", soft_time_limit=60, time_limit=90)
def dispatch_token_refreshes() -> int:
    """Beat, every 10 minutes: one refresh task per channel whose token expires within 24 h (all tenants)."""
    with tenancy.platform_access():
        due = list(selectors.channels_due_for_refresh(window=tokens.REFRESH_WINDOW))
    for channel_id, tenant_id in due:
        refresh_channel_token.delay(channel_id=str(channel_id), tenant_id=str(tenant_id))
    return len(due)


@shared_task(name="social.tasks.refresh_channel_token", queue="sync", soft_time_limit=90, time_limit=120)
def refresh_channel_token(*, channel_id: str, tenant_id: str) -> str:
    """Refresh one channel's token (single-flight; idempotent: a fresh token is left alone). Returns "ok",
    "missing" or the network's error code."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return "missing"
    try:
        tokens.refresh_channel_token(channel)
    except NetworkError as exc:
        return exc.code
    return "ok"


@shared_task(name="social.tasks.purge_oauth_states", queue="sync", soft_time_limit=60, time_limit=90)
def purge_oauth_states() -> int:
    """Beat, daily: forget connect attempts older than a day and account choices used or expired (platform job)."""
    with tenancy.platform_access():
        deleted, _ = selectors.stale_oauth_states(older_than=OAUTH_STATE_RETENTION).delete()
        grants, _ = selectors.stale_connect_grants().delete()
    return deleted + grants
