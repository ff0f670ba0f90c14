"""Celery tasks of the social app: thin wrappers around services (queue `sync`, see config/celery.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from core import tenancy
from social.models import Channel
from social.networks.base import NetworkError

logger = logging.getLogger(__name__)


@shared_task
def dispatch_token_refreshes() -> int:
    """Beat, every 10 minutes: one refresh task per channel whose token expires within 24 h (all tenants)."""
    from social.services.tokens import channels_due_for_refresh

    with tenancy.platform_access():
        due = list(channels_due_for_refresh())
    for channel_id, tenant_id in due:
        refresh_channel_token.delay(str(channel_id), tenant_id=str(tenant_id))
    return len(due)


@shared_task
def refresh_channel_token(channel_id: str, *, tenant_id: str) -> str:
    """Refresh one channel's token (single-flight; idempotent: a fresh token is left alone)."""
    from social.services.tokens import refresh_channel_token as refresh

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return "missing"
    try:
        refresh(channel)
    except NetworkError as exc:
        return exc.code
    return "ok"


@shared_task
def send_channel_attention_email(channel_id: str, *, reason: str, tenant_id: str) -> int:
    """Tell the tenant's owners and admins that a channel needs attention."""
    from social.services.channels import send_attention_email

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    return send_attention_email(channel, reason=reason)


__all__ = ["dispatch_token_refreshes", "refresh_channel_token", "send_channel_attention_email"]


@shared_task
def purge_oauth_states() -> int:
    """Beat, daily: forget connect attempts older than a day (used or expired long ago; platform job)."""
    from datetime import timedelta

    from django.utils import timezone

    from social.models import OAuthState

    with tenancy.platform_access():
        deleted, _ = OAuthState.all_tenants.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
