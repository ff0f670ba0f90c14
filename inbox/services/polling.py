"""Polling: one `IngestionCursor` per (channel, kind), claimed by the beat sweep, polled by a task.

Spreading: each cursor has a fixed phase inside the poll interval derived from a hash of its id, and its next poll
is always the next slot of that phase. 1,000 channels therefore fire evenly over the interval, not in one second,
and a late sweep does not bunch them up again.

Claiming: the sweep moves a due cursor's `next_poll_at` to its next slot with a conditional UPDATE that names the
old value, so two sweeps (or a sweep and a retry) never both enqueue the same poll. A worker that dies mid-poll
costs one interval; the next slot polls again and ingestion dedupes whatever was already stored.

A poll walks at most `MAX_PAGES_PER_POLL` pages from the newest; when it stops with pages left, the position is
kept so the next poll continues the backlog (a viral post), then starts from the newest again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core import tenancy
from inbox.incoming import from_remote_item
from inbox.models import IngestionCursor, PollKind
from inbox.services.ingestion import ingest
from social.networks.base import AuthExpired, NetworkError, NotSupported, PermissionMissing, RateLimited
from social.services.listening import adapter_for

logger = logging.getLogger(__name__)

MAX_PAGES_PER_POLL = 5
CLAIM_LIMIT = 1000
KIND_CAPABILITY = {"comment": "fetch_comments", "message": "fetch_messages", "mention": "fetch_mentions"}


def poll_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "INBOX_POLL_INTERVAL_SECONDS", 120)))


def phase_seconds(key: str, interval: timedelta) -> float:
    """A stable offset in [0, interval) for `key` (a cursor id): where in each interval this cursor polls."""
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
    return (digest % int(interval.total_seconds() * 1000)) / 1000


def next_slot(key: str, after: datetime, interval: timedelta) -> datetime:
    """The first time strictly after `after` that falls on `key`'s phase."""
    period = interval.total_seconds()
    phase = phase_seconds(key, interval)
    epoch = after.timestamp()
    elapsed = (epoch - phase) % period
    return after + timedelta(seconds=period - elapsed)


def supported_kinds(network: str) -> list[str]:
    """Kinds the network's adapter can fetch (adapters without `capabilities`, the sandbox, fetch every kind)."""
    adapter = adapter_for(network)
    if adapter is None:
        return []
    capabilities = getattr(adapter, "capabilities", None)
    return [kind for kind in PollKind.values if capabilities is None or KIND_CAPABILITY[kind] in capabilities]


def ensure_cursors(channel) -> list[IngestionCursor]:
    """The channel's cursors, created for every kind its network can fetch (first poll at the cursor's slot)."""
    existing = {c.kind: c for c in IngestionCursor.objects.filter(channel=channel)}
    now = timezone.now()
    for kind in supported_kinds(channel.network):
        if kind not in existing:
            cursor = IngestionCursor(channel=channel, kind=kind, next_poll_at=now)
            cursor.next_poll_at = next_slot(str(cursor.pk), now, poll_interval())
            cursor.save()
            existing[kind] = cursor
    return list(existing.values())


def ensure_cursors_everywhere() -> int:
    """Across tenants: create the missing cursors of every inbox channel, so new channels join the sweep.
    Returns how many cursors were created."""
    from social.selectors import inbox_channel_refs_all_tenants

    now, interval = timezone.now(), poll_interval()
    with tenancy.platform_access():
        have = set(IngestionCursor.all_tenants.values_list("channel_id", "kind"))
        rows = []
        for channel_id, tenant_id, network in inbox_channel_refs_all_tenants():
            for kind in supported_kinds(network):
                if (channel_id, kind) not in have:
                    cursor = IngestionCursor(tenant_id=tenant_id, channel_id=channel_id, kind=kind, next_poll_at=now)
                    cursor.next_poll_at = next_slot(str(cursor.pk), now, interval)
                    rows.append(cursor)
        IngestionCursor.all_tenants.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass(frozen=True)
class Claim:
    cursor_id: str
    tenant_id: str


def claim_due_cursors(*, now: datetime | None = None, limit: int = CLAIM_LIMIT) -> list[Claim]:
    """Claim the cursors whose slot has come, across tenants; each claim moves the cursor to its next slot."""
    now = now or timezone.now()
    interval = poll_interval()
    claims = []
    with tenancy.platform_access():
        due = list(
            IngestionCursor.all_tenants.filter(next_poll_at__lte=now, is_supported=True)
            .order_by("next_poll_at")
            .values_list("id", "tenant_id", "next_poll_at")[:limit]
        )
        for cursor_id, tenant_id, slot in due:
            taken = IngestionCursor.all_tenants.filter(pk=cursor_id, next_poll_at=slot).update(
                next_poll_at=next_slot(str(cursor_id), now, interval)
            )
            if taken:
                claims.append(Claim(cursor_id=str(cursor_id), tenant_id=str(tenant_id)))
    return claims


def poll(cursor_id) -> int:
    """Fetch new items of one cursor's channel and kind and ingest them (current tenant). Returns tickets created.

    Network errors are recorded on the cursor, never raised: the next slot tries again. An expired grant marks the
    channel `needsAttention` (polling it stops until it is reconnected); a kind the network does not offer switches
    the cursor off; rate limits push the next poll past `Retry-After`."""
    from social.selectors import inbox_channels
    from social.services.channels import credentials_for, mark_needs_attention

    cursor = IngestionCursor.objects.filter(pk=cursor_id).first()
    if cursor is None:
        return 0
    channel = inbox_channels().filter(pk=cursor.channel_id).first()
    if channel is None:
        return 0  # disconnected, needs attention or inbox switched off: nothing to poll
    adapter = adapter_for(channel.network)
    if adapter is None:
        return 0  # no adapter reads this network (supported_kinds gives it no cursor either)
    credentials = credentials_for(channel)
    position, pages, created = cursor.position, 0, 0
    now = timezone.now()
    try:
        while True:
            page = adapter.fetch_items(credentials, kind=cursor.kind, cursor=position)
            report = ingest(channel, [from_remote_item(item) for item in page.items])
            created += report.created
            if page.items:
                newest = max(item.created_at for item in page.items)
                if cursor.last_item_at is None or newest > cursor.last_item_at:
                    cursor.last_item_at = newest
            pages += 1
            position = page.next_cursor
            if not position or pages >= MAX_PAGES_PER_POLL:
                break
    except NotSupported as exc:
        cursor.is_supported = False
        cursor.last_error = str(exc)
    except (AuthExpired, PermissionMissing) as exc:
        cursor.last_error = f"{exc.code}: {exc}"
        cursor.consecutive_failures += 1
        mark_needs_attention(channel, reason=f"Inbox sync: {exc}")
    except RateLimited as exc:
        cursor.last_error = f"{exc.code}: {exc}"
        cursor.consecutive_failures += 1
        cursor.next_poll_at = max(cursor.next_poll_at, now + timedelta(seconds=exc.retry_after or 60))
    except NetworkError as exc:
        cursor.last_error = f"{exc.code}: {exc}"
        cursor.consecutive_failures += 1
        logger.warning(
            "inbox poll failed",
            extra={"cursor_id": str(cursor.pk), "tenant_id": str(cursor.tenant_id), "code": exc.code},
        )
    else:
        cursor.last_error = ""
        cursor.consecutive_failures = 0
        # Stopped with pages left: continue the backlog next time; otherwise start from the newest again.
        cursor.position = position if pages >= MAX_PAGES_PER_POLL else ""
    cursor.last_polled_at = now
    # Only this task's fields: the sweep owns `next_poll_at` except for a rate-limit push-back.
    IngestionCursor.objects.filter(pk=cursor.pk).update(
        position=cursor.position,
        last_polled_at=now,
        last_item_at=cursor.last_item_at,
        last_error=cursor.last_error[:2000],
        consecutive_failures=cursor.consecutive_failures,
        is_supported=cursor.is_supported,
        updated_at=now,
        **({"next_poll_at": cursor.next_poll_at} if cursor.last_error.startswith("RATE_LIMITED") else {}),
    )
    return created
