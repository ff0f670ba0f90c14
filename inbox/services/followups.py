"""Follow-ups: a reminder for one user to come back to a ticket at a time.

When one is due, `fire_due_followups` (beat) makes the ticket open and unread again and tells the user, exactly
once: the follow-up is claimed by a conditional UPDATE of `fired_at` in the same transaction as the ticket change
and the notice (sent after commit, with a stable notice id), so a second run, or a rolled-back one, sends nothing
twice. Moving `dueAt` of a fired follow-up arms it again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from core.notify import notify
from inbox.models import Followup, Ticket, TicketEvent, TicketStatus
from inbox.services import report_summary

FIRE_BATCH = 500


def _future(due_at: datetime) -> datetime:
    if due_at <= timezone.now():
        raise ValidationFailed(details={"dueAt": ["A time in the future."]})
    return due_at


def create_followup(ticket: Ticket, *, actor: Principal, user, due_at: datetime, note: str = "") -> Followup:
    """Remind `user` (a member of the tenant) of `ticket` at `due_at`."""
    with transaction.atomic():
        followup = Followup.objects.create(
            ticket=ticket, user=user, due_at=_future(due_at), note=note, created_by_label=actor.label
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind="followupSet",
            actor_user=actor.user,
            actor_label=actor.label,
            data={"followupId": str(followup.pk), "dueAt": due_at.isoformat(), "userId": str(user.pk)},
        )
        audit.record("inbox.followup.create", followup, actor=actor, changes={"dueAt": due_at.isoformat()})
    return followup


def update_followup(followup: Followup, *, actor: Principal, changes: dict) -> Followup:
    """Change `due_at`, `note` or `user`; a new `due_at` (in the future) arms a fired follow-up again."""
    with transaction.atomic():
        current = Followup.objects.select_for_update().get(pk=followup.pk)
        if "due_at" in changes:
            current.due_at = _future(changes["due_at"])
            current.fired_at = None
        for field in ("note", "user"):
            if field in changes:
                setattr(current, field, changes[field])
        current.save()
        audit.record("inbox.followup.update", current, actor=actor, changes={"fields": sorted(changes)})
    return current


def delete_followup(followup: Followup, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("inbox.followup.delete", followup, actor=actor)
        followup.delete()


def due_followup_refs(*, now: datetime | None = None, limit: int = FIRE_BATCH) -> list[tuple]:
    """Across tenants: (followup id, tenant id) of due, unfired follow-ups, oldest first (partial index)."""
    now = now or timezone.now()
    with tenancy.platform_access():
        return list(
            Followup.all_tenants.filter(fired_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("pk", "tenant_id")[:limit]
        )


def fire_followup(followup_id, *, now: datetime | None = None) -> bool:
    """Fire one due follow-up in the current tenant. Returns False when it is not due or was fired already."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Followup.objects.filter(pk=followup_id, fired_at__isnull=True, due_at__lte=now).update(
            fired_at=now, updated_at=now
        )
        if not claimed:
            return False
        followup = Followup.objects.select_related("ticket", "user").get(pk=followup_id)
        ticket = followup.ticket
        reopen = {"status": TicketStatus.OPEN, "archive_reason": "", "archived_at": None, "snoozed_until": None}
        fields = {"is_unread": True, "updated_at": now}
        if ticket.status in (TicketStatus.ARCHIVED, TicketStatus.SNOOZED):
            fields.update(reopen, resolved_at=None)
        with report_summary.tracking([ticket.pk]):
            Ticket.objects.filter(pk=ticket.pk).update(**fields)
        TicketEvent.objects.create(
            ticket=ticket,
            kind="followupDue",
            actor_label="followup",
            data={"followupId": str(followup.pk), "userId": str(followup.user_id), "reopened": "status" in fields},
        )
        notify(
            "inbox.followup.due",
            to=[followup.user.email],
            subject=f"Follow up: {ticket.type} on {ticket.network}",
            body=f"You asked to come back to this {ticket.type}:\n\n{ticket.text[:500]}\n\n{followup.note}".strip(),
            tenant_id=ticket.tenant_id,
            data={"ticketId": str(ticket.pk), "followupId": str(followup.pk), "note": followup.note},
            notice_id=f"inbox.followup.{followup.pk}.{now.isoformat()}",
        )
    return True
