"""Token owners: several people's tokens on one channel, one of them in use, the others kept as fallbacks.

The token in use lives on the channel row (where the single-flight refresher reads and writes it); each owner's
own copy lives on its `ChannelTokenOwner` row, kept in step whenever the channel's token changes. A new grant by
another person adds an owner and becomes the one in use; nobody's refresh token is ever overwritten by someone
else's. When the network refuses the token in use, the channel falls back to another owner whose token is still
valid before anyone is told it needs attention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.auth import Principal
from core.errors import NotFound
from social.models import Channel, ChannelStatus, ChannelTokenOwner
from social.networks.base import TokenSet

logger = logging.getLogger(__name__)

LAST_OWNER_REMOVED = "The last token owner was removed: the channel is disconnected until someone connects it again."
NO_VALID_OWNER_LEFT = (
    "The token owner in use was removed and no other owner has a valid token: someone must reconnect the channel."
)


@dataclass(frozen=True)
class OwnerRemoval:
    channel: Channel
    disconnected: bool
    message: str


def record_owner(channel: Channel, user, tokens: TokenSet) -> ChannelTokenOwner:
    """Store `user`'s (None: an API key's) new grant on saved `channel` as that owner's token. An empty refresh
    token keeps the owner's previous one (Facebook and LinkedIn send none); a new grant makes a refused token valid
    again."""
    owner, _created = ChannelTokenOwner.objects.select_for_update().get_or_create(
        channel=channel, user=user, defaults={"tenant_id": channel.tenant_id}
    )
    owner.access_token = tokens.access_token
    if tokens.refresh_token:
        owner.refresh_token = tokens.refresh_token
    owner.token_expires_at = tokens.expires_at
    if tokens.scopes:
        owner.scopes = list(tokens.scopes)
    owner.network_user_id = tokens.token_owner_id or owner.network_user_id
    owner.invalid_reason, owner.invalidated_at = "", None
    owner.save()
    return owner


def use_owner(channel: Channel, owner: ChannelTokenOwner) -> None:
    """Make `owner`'s token the channel's token in use (unsaved). Every field is copied, the empty ones too, so no
    token of the previous owner survives under the new one's name."""
    channel.access_token = owner.access_token
    channel.refresh_token = owner.refresh_token
    channel.token_expires_at = owner.token_expires_at
    channel.scopes = list(owner.scopes)
    channel.token_owner_external_id = owner.network_user_id
    channel.token_owner_id = owner.user_id


def _owner_in_use(channel: Channel):
    return ChannelTokenOwner.objects.filter(channel=channel, user_id=channel.token_owner_id)


def sync_owner_in_use(channel: Channel) -> None:
    """The channel's token was refreshed in place: the owner in use keeps the same copy (a rotated refresh token
    must not be lost when the channel later switches owners and back)."""
    _owner_in_use(channel).update(
        access_token=channel.access_token,
        refresh_token=channel.refresh_token,
        token_expires_at=channel.token_expires_at,
        scopes=list(channel.scopes or []),
        updated_at=timezone.now(),
    )


def _fallback_owner(channel: Channel) -> ChannelTokenOwner | None:
    """Another owner whose token is present, not refused and not expired; the most recently granted first."""
    now = timezone.now()
    return (
        ChannelTokenOwner.objects.filter(channel=channel, invalidated_at__isnull=True)
        .exclude(access_token="")
        .exclude(**({"user__isnull": True} if channel.token_owner_id is None else {"user_id": channel.token_owner_id}))
        .filter(Q(token_expires_at__isnull=True) | Q(token_expires_at__gt=now))
        .order_by("-updated_at", "id")
        .first()
    )


def fall_back_to_another_owner(locked: Channel, *, reason: str, actor: Principal | None) -> bool:
    """The network refused `locked`'s token in use (the caller holds the row lock): mark that owner's token
    refused and, when another owner's token is valid, switch to it (saved, audit-logged). True when switched."""
    _owner_in_use(locked).update(invalid_reason=reason[:500], invalidated_at=timezone.now(), updated_at=timezone.now())
    fallback = _fallback_owner(locked)
    if fallback is None:
        return False
    previous = locked.token_owner_id
    use_owner(locked, fallback)
    locked.save()
    audit.record(
        "channel.token_owner_switched",
        locked,
        changes={"tokenOwnerId": [str(previous) if previous else None, str(fallback.user_id or "") or None]},
        actor=actor,
    )
    logger.info(
        "channel token refused, using another owner's token",
        extra={"channel_id": str(locked.pk), "network": locked.network},
    )
    return True


@transaction.atomic
def remove_owner(channel: Channel, user_id, *, actor: Principal) -> OwnerRemoval:
    """Forget `user_id`'s token on `channel`. Removing the owner in use switches to another valid owner; when none
    is left the channel is disconnected (no owners) or needs attention (owners whose tokens were refused). The
    grant is not revoked at the network: a user token may serve this person's other channels too."""
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    owner = ChannelTokenOwner.objects.filter(channel=locked, user_id=user_id).first()
    if owner is None:
        raise NotFound("This user holds no token on this channel.")
    was_in_use = owner.user_id == locked.token_owner_id
    owner.delete()
    before = {"status": locked.status, "tokenOwnerId": str(locked.token_owner_id or "") or None}
    disconnected, message = False, "The token owner was removed."
    if was_in_use:
        fallback = _fallback_owner(locked)
        if fallback is not None:
            use_owner(locked, fallback)
            message = "The token owner was removed; the channel now uses another owner's token."
        else:
            locked.access_token = locked.refresh_token = ""
            locked.token_expires_at, locked.token_owner = None, None
            if ChannelTokenOwner.objects.filter(channel=locked).exists():
                locked.status, locked.status_reason = ChannelStatus.NEEDS_ATTENTION, NO_VALID_OWNER_LEFT
                message = NO_VALID_OWNER_LEFT
            else:
                locked.status, locked.status_reason = ChannelStatus.DISCONNECTED, LAST_OWNER_REMOVED
                locked.disconnected_at = timezone.now()
                disconnected, message = True, LAST_OWNER_REMOVED
        locked.save()
    after = {"status": locked.status, "tokenOwnerId": str(locked.token_owner_id or "") or None}
    audit.record(
        "channel.token_owner_removed",
        locked,
        changes={"removedUserId": str(user_id), **audit.diff(before, after)},
        actor=actor,
    )
    return OwnerRemoval(channel=locked, disconnected=disconnected, message=message)
