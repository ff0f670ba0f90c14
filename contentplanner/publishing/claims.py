"""Claiming: the one guard that moves a post to `publishing`, for the dispatcher and for "publish now".

A claim is a conditional UPDATE (`state IN <from> AND attempt_count=<seen>`) that succeeds for exactly one caller
on every backend; on PostgreSQL the dispatcher also reads due rows with `select_for_update(skip_locked=True)`, so
concurrent dispatchers skip each other's rows instead of waiting. Claiming never enqueues anything: it returns the
claims, and the caller (the dispatcher task, or the publish-now service) enqueues them after commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from contentplanner.models import Post, PostState, PublishAttempt
from core import tenancy

PostId = uuid.UUID | str  # a post's id as the tasks pass it (text) or the ORM holds it

DISPATCH_BATCH = 200  # posts claimed per transaction


@dataclass(frozen=True)
class Claim:
    """A post moved to `publishing`: the publish task's arguments."""

    post_id: str
    attempt: int
    tenant_id: str
    channel_id: str = ""  # known to the dispatcher: batches are ordered by channel


def claim_post(
    post_id: PostId, *, seen_attempts: int, from_states: tuple[str, ...], now: datetime, extra: dict | None = None
) -> bool:
    """Move one post to `publishing` if it is still in `from_states` with `seen_attempts` attempts. True when this
    caller won the claim."""
    return _claim_update(Post.all_tenants.filter(pk=post_id, state__in=from_states), seen_attempts, now, extra) == 1


def _claim_update(queryset, seen_attempts: int, now: datetime, extra: dict | None = None) -> int:
    """The claim's UPDATE (guarded on the attempt count the caller saw); returns the number of rows it changed."""
    return queryset.filter(attempt_count=seen_attempts).update(
        state=PostState.PUBLISHING,
        attempt_count=seen_attempts + 1,
        publishing_started_at=now,
        next_attempt_at=None,
        updated_at=now,
        **(extra or {}),
    )


class _PartialClaim(Exception):
    """Rolls back a group claim that did not change every row it was meant to."""


def claim_rows(rows: list[tuple], *, now: datetime) -> list[Claim]:
    """Claim (id, tenant_id, seen attempt_count, channel_id) rows: one conditional UPDATE per distinct seen count
    (few: 0..4).

    The UPDATE is the guard (`state='scheduled' AND attempt_count=<seen>`). When it changes every row of the group,
    each was claimed by us; when it changes fewer (another dispatcher got there first: impossible under our row
    locks on PostgreSQL, possible in principle elsewhere) it is rolled back and the group is claimed row by row.
    """
    groups: dict[int, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[2], []).append(row)
    claims: list[Claim] = []

    def claim_of(row: tuple) -> Claim:
        post_id, tenant_id, seen, *rest = row
        return Claim(
            post_id=str(post_id), attempt=seen + 1, tenant_id=str(tenant_id), channel_id=str(rest[0]) if rest else ""
        )

    for seen, group in groups.items():
        ids = [row[0] for row in group]
        try:
            with transaction.atomic():
                scheduled = Post.all_tenants.filter(pk__in=ids, state=PostState.SCHEDULED)
                if _claim_update(scheduled, seen, now) != len(ids):
                    raise _PartialClaim
            claims.extend(claim_of(row) for row in group)
        except _PartialClaim:
            for row in group:
                if claim_post(row[0], seen_attempts=seen, from_states=(PostState.SCHEDULED,), now=now):
                    claims.append(claim_of(row))
    return claims


def claim_due_posts(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[Claim]:
    """Claim up to `limit` due posts of all tenants in one transaction and return the claims (the caller enqueues
    them once this has committed).

    Due: `scheduled`, `publish_at <= now` and the backoff gate `next_attempt_at` open. Oldest first, so a backlog
    drains in publish order.
    """
    now = now or timezone.now()
    with tenancy.platform_access(), transaction.atomic():
        due = (
            Post.all_tenants.filter(state=PostState.SCHEDULED, publish_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("publish_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("id", "tenant_id", "attempt_count", "channel_id")[:limit])
        claims = claim_rows(rows, now=now)
        PublishAttempt.all_tenants.bulk_create(
            [PublishAttempt(tenant_id=c.tenant_id, post_id=c.post_id, number=c.attempt, started_at=now) for c in claims]
        )
    return claims
