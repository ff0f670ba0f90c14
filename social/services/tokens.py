"""Token upkeep: refresh a channel's access token, single-flight per channel, with no lock held across the network.

Twenty concurrent callers make one network call: a cache lock (`cache.add`, atomic in Redis and locmem) lets one
caller through while the others wait for it and then read what it stored. The caller that holds the lock reads the
row, calls the network with no transaction open (a slow network must not pin a row lock or a connection in a
transaction), then locks the row only to store the answer, after re-checking that nobody else changed the tokens or
disconnected the channel meanwhile (callers without a shared cache, or a cache lock that expired mid-call).
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
from core.auth import Principal
from social.models import Channel, ChannelStatus
from social.networks.base import AuthExpired, NetworkError, PermissionMissing, TokenSet
from social.networks.registry import get_adapter
from social.services import token_owners
from social.services.channels import apply_tokens, credentials_for, mark_needs_attention

logger = logging.getLogger(__name__)

REFRESH_WINDOW = timedelta(hours=24)  # refresh tokens that expire within this window
LOCK_TIMEOUT = 60  # seconds; above the adapters' HTTP timeouts
WAIT_STEP = 0.05


def lock_key(channel_id) -> str:
    return f"social:token-refresh:{channel_id}"


def needs_refresh(channel: Channel, *, window: timedelta = REFRESH_WINDOW) -> bool:
    return channel.token_expires_at is not None and channel.token_expires_at <= timezone.now() + window


def refresh_channel_token(channel: Channel, *, actor: Principal | None = None, force: bool = False) -> Channel:
    """Refresh `channel`'s token unless another caller just did (or, without `force`, it is not close to expiry).

    Keeps the old refresh token when the network sends none. On AuthExpired/PermissionMissing the channel switches
    to another token owner's valid token when it has one (returned), else it is flagged `needsAttention` (admins
    told once) and the error is re-raised; other NetworkErrors are re-raised
    untouched (retry later). `actor` is None for the background refresher. Returns the channel as stored afterwards.
    """
    seen_expiry = channel.token_expires_at
    key, owner = lock_key(channel.pk), secrets.token_hex(8)
    if not cache.add(key, owner, LOCK_TIMEOUT):
        _wait_for_release(key)
        return Channel.objects.get(pk=channel.pk)
    try:
        current = Channel.objects.get(pk=channel.pk)
        if current.token_expires_at != seen_expiry:
            return current  # refreshed by someone else since the caller read it
        if (not force and not needs_refresh(current)) or current.status == ChannelStatus.DISCONNECTED:
            return current
        try:
            tokens = get_adapter(current.network).refresh(credentials_for(current))
        except NetworkError as exc:
            failure = exc
        else:
            return _store_tokens(current, tokens, actor=actor)
    finally:
        if cache.get(key) == owner:
            cache.delete(key)
    if isinstance(failure, AuthExpired | PermissionMissing):
        reason = f"Token refresh refused by {channel.network}: {failure.code} ({failure.message})"
        mark_needs_attention(current, reason=reason, actor=actor)
        stored = Channel.objects.get(pk=channel.pk)
        if stored.status == ChannelStatus.ACTIVE and stored.access_token != current.access_token:
            return stored  # another owner's token is in use now
    else:
        logger.warning(
            "token refresh failed, will retry",
            extra={"channel_id": str(channel.pk), "network": channel.network, "network_code": failure.code},
        )
    raise failure


def _store_tokens(read: Channel, tokens: TokenSet, *, actor: Principal | None) -> Channel:
    """Store the network's answer, unless the row changed while we were asking (then what is stored wins)."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=read.pk)
        changed_meanwhile = (
            locked.token_expires_at != read.token_expires_at
            or locked.access_token != read.access_token
            or locked.status == ChannelStatus.DISCONNECTED
        )
        if changed_meanwhile:
            logger.info(
                "token refresh answer dropped: the channel changed during the call",
                extra={"channel_id": str(locked.pk), "status": locked.status},
            )
            return locked
        before = {"tokenExpiresAt": locked.token_expires_at, "status": locked.status}
        apply_tokens(locked, tokens)
        token_owners.sync_owner_in_use(locked)
        if locked.status == ChannelStatus.NEEDS_ATTENTION:
            locked.status, locked.status_reason = ChannelStatus.ACTIVE, ""
        locked.attention_notified_at = None
        locked.save()
        audit.record(
            "channel.token_refreshed",
            locked,
            changes=audit.diff(before, {"tokenExpiresAt": locked.token_expires_at, "status": locked.status}),
            actor=actor,
        )
        return locked


def _wait_for_release(key: str) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT
    while cache.get(key) is not None and time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
