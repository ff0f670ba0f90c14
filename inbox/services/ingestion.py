"""The one way items from networks become tickets, for every source (polling, webhooks, the public API).

A batch is written in one transaction with a fixed number of queries whatever its size:
- interactors are upserted (`bulk_create(ignore_conflicts=True)` on the unique key, then read back);
- tickets are inserted with `ignore_conflicts=True` on `(channel, network_item_id)`, so two sources delivering the
  same item at the same moment (a poll and a webhook) create one ticket: the database decides, not luck;
- items we already have update their ticket: an edit keeps the old text in `edit_history`, a deletion on the
  network sets `is_deleted_in_network` (the ticket stays);
- thread links are made in both directions: a new reply finds its parent, and a new parent adopts the replies
  that arrived before it;
- our own items (written by the channel's account) come in `is_own`, read and archived; one that answers a reply
  whose outcome was unknown confirms that reply (it was sent), so it is never sent again;
- the smart rules run on the tickets the batch created, in the same transaction (inbox.services.rules).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from core import tenancy
from core.db import bulk
from inbox.incoming import IncomingItem
from inbox.models import (
    ActionStatus,
    ArchiveReason,
    Interactor,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
)
from inbox.services import report_summary
from inbox.services.arrivals import tickets_arrived
from inbox.services.business_hours import reply_done
from inbox.services.rules import apply_rules

logger = logging.getLogger(__name__)
BATCH_SIZE = 500
DEADLOCK_DETECTED = "40P01"
SYSTEM_LABEL = "network"


@dataclass(frozen=True)
class IngestReport:
    received: int
    created: int
    updated: int
    linked: int


def own_author_ids(channel) -> set[str]:
    """The network ids that mean "written by this channel" (the page, account or profile itself)."""
    ids = {str(channel.external_id)}
    config = channel.config or {}
    for key in ("page_id", "ig_user_id", "user_id"):
        if config.get(key):
            ids.add(str(config[key]))
    return ids


def ingest(channel, items: Sequence[IncomingItem]) -> IngestReport:
    """Create or update the tickets of `items` on `channel` (in the current tenant). Safe to call twice with the
    same items and concurrently from several processes."""
    unique: dict[str, IncomingItem] = {}
    for item in items:
        if item.network_item_id:
            unique[item.network_item_id] = item  # the last delivery of an item in a batch wins
    batch = list(unique.values())
    created = updated = linked = 0
    # Every writer takes row locks in the same order (sorted keys), so two deliveries of the same items in different
    # orders wait for each other instead of deadlocking.
    batch.sort(key=lambda item: item.network_item_id)
    for start in range(0, len(batch), BATCH_SIZE):
        c, u, n = _with_deadlock_retry(_ingest_batch, channel, batch[start : start + BATCH_SIZE])
        created, updated, linked = created + c, updated + u, linked + n
    return IngestReport(received=len(items), created=created, updated=updated, linked=linked)


def _with_deadlock_retry(fn, *args, attempts: int = 3):
    """Run `fn` (one whole transaction) again when PostgreSQL broke a deadlock by aborting it: nothing of it was
    written, so running it again is safe. Sorted keys make this rare; overlapping links can still cross."""
    attempt = 1
    while True:
        try:
            return fn(*args)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED or attempt >= attempts:
                raise
            logger.info("ingestion batch retried after a deadlock", extra={"attempt": attempt})
            attempt += 1


@transaction.atomic
@report_summary.tracking()
def _ingest_batch(channel, items: list[IncomingItem]) -> tuple[int, int, int]:
    tenant_id = tenancy.require_current_tenant().pk
    now = timezone.now()
    own_ids = own_author_ids(channel)
    interactors = _upsert_interactors(channel.network, [i for i in items if i.author_id not in own_ids], tenant_id)

    ids = [item.network_item_id for item in items]
    parent_ids = {item.parent_id for item in items if item.parent_id}
    known = {
        t.network_item_id: t
        for t in Ticket.objects.filter(channel=channel, network_item_id__in=set(ids) | parent_ids).only(
            "id", "network_item_id", "root_network_item_id", "text", "is_deleted_in_network", "edit_history"
        )
    }
    new_rows = []
    for item in items:
        if item.network_item_id in known or item.is_deleted:
            continue  # an unknown item reported deleted: nothing to keep
        parent = known.get(item.parent_id)
        is_own = item.author_id in own_ids
        new_rows.append(
            Ticket(
                tenant_id=tenant_id,
                channel=channel,
                network=channel.network,
                type=item.type,
                network_item_id=item.network_item_id,
                parent_network_item_id=item.parent_id,
                root_network_item_id=(parent.root_network_item_id if parent else item.parent_id)
                or item.network_item_id,
                parent=parent,
                interactor=interactors.get(item.author_id),
                text=item.text,
                attachments=list(item.attachments),
                url=item.url,
                rating=item.rating,
                is_own=is_own,
                is_unread=not is_own,
                status=TicketStatus.ARCHIVED if is_own else TicketStatus.OPEN,
                archive_reason=ArchiveReason.AUTO if is_own else "",
                archived_at=now if is_own else None,
                network_created_at=item.created_at,
                network_updated_at=item.edited_at,
            )
        )
    Ticket.objects.bulk_create(new_rows, ignore_conflicts=True)
    # Rows another process inserted first were ignored (their in-memory pk was never stored): count what is ours.
    ours = set(Ticket.objects.filter(pk__in=[row.pk for row in new_rows]).values_list("pk", flat=True))
    created = len(ours)
    report_summary.track_created(ours)

    updated = _apply_network_changes(channel, [i for i in items if i.network_item_id in known], known, now)
    linked = _link_threads(channel, ids)
    own_parents = {row.parent_network_item_id: row for row in new_rows if row.is_own and row.parent_network_item_id}
    if own_parents:
        _confirm_unknown_replies(channel, own_parents, now)
    apply_rules([row for row in new_rows if row.pk in ours])
    tickets_arrived(channel, [row.pk for row in new_rows if row.pk in ours and not row.is_own], now=now)
    return created, updated, linked


def _upsert_interactors(network: str, items: list[IncomingItem], tenant_id) -> dict[str, Interactor]:
    by_author: dict[str, IncomingItem] = {}
    for item in items:
        if item.author_id:
            by_author[item.author_id] = item
    if not by_author:
        return {}
    found = {
        i.network_user_id: i for i in Interactor.objects.filter(network=network, network_user_id__in=list(by_author))
    }
    missing = [author_id for author_id in by_author if author_id not in found]
    if missing:
        # People seen for the first time; a concurrent batch may insert the same person: the unique key decides.
        Interactor.objects.bulk_create(
            [
                Interactor(
                    tenant_id=tenant_id,
                    network=network,
                    network_user_id=author_id,
                    name=by_author[author_id].author_name[:255],
                    handle=by_author[author_id].author_handle[:255],
                    avatar_url=by_author[author_id].author_avatar_url,
                )
                for author_id in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        found.update(
            {i.network_user_id: i for i in Interactor.objects.filter(network=network, network_user_id__in=missing)}
        )
    changed = []
    for author_id, interactor in found.items():
        item = by_author[author_id]
        if interactor.erased_at is not None:
            continue  # erased on request: a later item does not bring the old profile back
        fresh = {"name": item.author_name[:255], "handle": item.author_handle[:255]}
        fresh = {k: v for k, v in fresh.items() if v and getattr(interactor, k) != v}
        if fresh:
            for key, value in fresh.items():
                setattr(interactor, key, value)
            changed.append(interactor)
    if changed:
        Interactor.objects.bulk_update(changed, ["name", "handle"])
    return found


def _apply_network_changes(channel, items: list[IncomingItem], known: dict[str, Ticket], now) -> int:
    """Edits and deletions reported for tickets we have. Returns how many tickets changed."""
    changed: list[Ticket] = []
    events: list[TicketEvent] = []
    for item in items:
        ticket = known[item.network_item_id]
        if item.is_deleted:
            if not ticket.is_deleted_in_network:
                ticket.is_deleted_in_network = True
                changed.append(ticket)
                events.append(_event(ticket, "deletedInNetwork", {}))
            continue
        if item.text and item.text != ticket.text:
            ticket.edit_history = [*ticket.edit_history, {"text": ticket.text, "replacedAt": now.isoformat()}]
            ticket.text = item.text
            ticket.is_edited = True
            ticket.network_updated_at = item.edited_at or now
            changed.append(ticket)
            events.append(_event(ticket, "edited", {"previousText": ticket.edit_history[-1]["text"]}))
    if changed:
        for ticket in changed:
            ticket.updated_at = now
        Ticket.objects.bulk_update(
            changed,
            ["is_deleted_in_network", "text", "edit_history", "is_edited", "network_updated_at", "updated_at"],
        )
        TicketEvent.objects.bulk_create(events)
    return len(changed)


def _event(ticket: Ticket, kind: str, data: dict) -> TicketEvent:
    return TicketEvent(tenant_id=ticket.tenant_id, ticket_id=ticket.pk, kind=kind, actor_label=SYSTEM_LABEL, data=data)


def _link_threads(channel, ids: list[str]) -> int:
    """Link every unlinked ticket of this batch to its parent, and every earlier orphan whose parent just came."""
    orphans = list(
        Ticket.objects.filter(channel=channel, parent__isnull=True)
        .exclude(parent_network_item_id="")
        .filter(Q(network_item_id__in=ids) | Q(parent_network_item_id__in=ids))
        .only("id", "parent_network_item_id", "root_network_item_id")
    )
    if not orphans:
        return 0
    parents = {
        t.network_item_id: t
        for t in Ticket.objects.filter(
            channel=channel, network_item_id__in={o.parent_network_item_id for o in orphans}
        ).only("id", "network_item_id", "root_network_item_id")
    }
    linked = []
    for orphan in orphans:
        parent = parents.get(orphan.parent_network_item_id)
        if parent is not None and parent.pk != orphan.pk:
            orphan.parent_id = parent.pk
            orphan.root_network_item_id = parent.root_network_item_id or parent.network_item_id
            linked.append(orphan)
    if linked:
        linked.sort(key=lambda t: str(t.pk))
        bulk.update_rows(
            Ticket, {t.pk: {"parent_id": t.parent_id, "root_network_item_id": t.root_network_item_id} for t in linked}
        )
    return len(linked)


def _confirm_unknown_replies(channel, own_by_parent: dict[str, Ticket], now) -> None:
    """Our reply showed up on the network: a reply action whose outcome was unknown did happen."""
    pending = TicketAction.objects.filter(
        action="reply",
        status=ActionStatus.PENDING,
        outcome_unknown=True,
        ticket__channel=channel,
        ticket__network_item_id__in=list(own_by_parent),
    ).select_related("ticket")
    for action in pending:
        own = own_by_parent[action.ticket.network_item_id]
        if (action.params.get("text") or "").strip() != own.text.strip():
            continue
        done = TicketAction.objects.filter(pk=action.pk, status=ActionStatus.PENDING).update(
            status=ActionStatus.DONE,
            outcome_unknown=False,
            completed_at=now,
            result={"networkItemId": own.network_item_id, "confirmedBy": "poll"},
            updated_at=now,
        )
        if done:
            reply_done(action, now)
            logger.info(
                "reply with unknown outcome confirmed by the network",
                extra={"action_id": str(action.pk), "tenant_id": str(action.tenant_id)},
            )


def ingest_push(network: str, batches) -> int:
    """Ingest parsed webhook batches into every tenant's channel for each pushed account. Returns tickets created."""
    from social.selectors import inbox_channels_for_push

    channels = inbox_channels_for_push(network, [batch.account_id for batch in batches])
    created = 0
    for batch in batches:
        for channel in channels:
            if channel.external_id == batch.account_id and batch.items:
                with tenancy.tenant_context(channel.tenant):
                    created += ingest(channel, batch.items).created
    return created
