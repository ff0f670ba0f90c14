"""Token upkeep: refresh a channel's access token, single-flight per channel.

Twenty concurrent callers make one network call: a cache lock (`cache.add`, atomic in Redis and locmem) lets one
caller through while the others wait for it, and `select_for_update` on the channel row plus a re-check after
acquiring it covers callers without a shared cache (and a lock that expired mid-call).
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core import audit
from social.models import Channel, ChannelStatus
from social.networks.base import AuthExpired, NetworkError, PermissionMissing
from social.networks.registry import get_adapter
from social.services.channels import apply_tokens, credentials_for, mark_needs_attention

logger = logging.getLogger(__name__)

REFRESH_WINDOW = timedelta(hours=24)  # refresh tokens that expire within this window
LOCK_TIMEOUT = 60  # seconds; above the adapters' HTTP timeouts
WAIT_STEP = 0.05


def lock_key(channel_id) -> str:
    return f"social:token-refresh:{channel_id}"


def needs_refresh(channel: Channel, *, window: timedelta = REFRESH_WINDOW) -> bool:
    return channel.token_expires_at is not None and channel.token_expires_at <= timezone.now() + window


def refresh_channel_token(channel: Channel, *, force: bool = False) -> Channel:
    """Refresh `channel`'s token unless another caller just did (or, without `force`, it is not close to expiry).

    Keeps the old refresh token when the network sends none. On AuthExpired/PermissionMissing the channel is
    flagged `needsAttention` (admins emailed once) and the error is re-raised; other NetworkErrors are re-raised
    untouched (retry later). Returns the channel as stored afterwards.
    """
    seen_expiry = channel.token_expires_at
    key, owner = lock_key(channel.pk), secrets.token_hex(8)
    if not cache.add(key, owner, LOCK_TIMEOUT):
        _wait_for_release(key)
        return Channel.objects.get(pk=channel.pk)
    failure: NetworkError | None = None
    try:
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            if locked.token_expires_at != seen_expiry:
                return locked  # refreshed by someone else since the caller read it
            if not force and not needs_refresh(locked):
                return locked
            if locked.status == ChannelStatus.DISCONNECTED:
                return locked
            try:
                tokens = get_adapter(locked.network).refresh(credentials_for(locked))
            except NetworkError as exc:
                failure = exc
            else:
                before = {"tokenExpiresAt": locked.token_expires_at, "status": locked.status}
                apply_tokens(locked, tokens)
                if locked.status == ChannelStatus.NEEDS_ATTENTION:
                    locked.status, locked.status_reason = ChannelStatus.ACTIVE, ""
                locked.attention_notified_at = None
                locked.save()
                audit.record(
                    "channel.token_refreshed",
                    locked,
                    changes=audit.diff(before, {"tokenExpiresAt": locked.token_expires_at, "status": locked.status}),
                )
                return locked
    finally:
        if cache.get(key) == owner:
            cache.delete(key)
    assert failure is not None
    if isinstance(failure, AuthExpired | PermissionMissing):
        reason = f"Token refresh refused by {channel.network}: {failure.code} ({failure.message})"
        mark_needs_attention(channel, reason=reason)
    else:
        logger.warning("Token refresh of channel %s failed, will retry: %s", channel.pk, failure.code)
    raise failure


def _wait_for_release(key: str) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT
    while cache.get(key) is not None and time.monotonic() < deadline:
        time.sleep(WAIT_STEP)


def channels_due_for_refresh():
    """Across tenants (call inside `tenancy.platform_access()`): active channels with a token that expires within
    the window, on networks that have an adapter."""
    from social.networks.registry import ADAPTER_PATHS

    return (
        Channel.all_tenants.filter(
            status=ChannelStatus.ACTIVE,
            network__in=list(ADAPTER_PATHS),
            token_expires_at__isnull=False,
            token_expires_at__lte=timezone.now() + REFRESH_WINDOW,
        )
        .exclude(access_token="")
        .order_by("token_expires_at", "id")
        .values_list("id", "tenant_id")
    )
