"""Ticket writes other than actions: PATCH with optimistic concurrency, notes, snooze wake-up, bulk jobs, and the
interactor's block/unblock and erasure."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from inbox.errors import ActionNotSupported, CategoryRequired, PreconditionFailed
from inbox.models import (
    BulkJob,
    BulkJobStatus,
    Interactor,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from inbox.services.actions import perform_action
from social.networks.base import NetworkError
from social.services.listening import adapter_for

BULK_ACTIONS = (
    "archive",
    "unarchive",
    "assign",
    "markRead",
    "markUnread",
    "sentiment",
    "priority",
    "unpriority",
    "categorize",
)
BULK_ERRORS_KEPT = 100
ERASED_NAME = "Erased user"


def update_ticket(ticket: Ticket, *, actor: Principal, changes: dict, if_match: datetime | None) -> Ticket:
    """Apply PATCH `changes` (each a local action, so each is in the history). `if_match` is the `updatedAt` the
    client read: when the ticket changed since, nothing is applied and 412 says so."""
    mapping = {
        "sentiment": lambda v: ("sentiment", {"value": v}),
        "is_priority": lambda v: ("priority" if v else "unpriority", {}),
        "is_unread": lambda v: ("markUnread" if v else "markRead", {}),
        "status": lambda v: ("archive" if v == TicketStatus.ARCHIVED else "unarchive", {}),
    }
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if if_match is not None and current.updated_at != if_match:
            raise PreconditionFailed(details={"updatedAt": current.updated_at.isoformat()})
        for field, value in changes.items():
            if field == "assignee" or field == "team":
                perform_action(
                    current, "assign", actor=actor, params={("user" if field == "assignee" else "team"): value}
                )
            else:
                action, params = mapping[field](value)
                perform_action(current, action, actor=actor, params=params)
    return Ticket.objects.get(pk=ticket.pk)


def add_note(ticket: Ticket, *, actor: Principal, text: str) -> TicketNote:
    with transaction.atomic():
        note = TicketNote.objects.create(ticket=ticket, author=actor.user, author_label=actor.label, text=text)
        TicketEvent.objects.create(
            ticket=ticket,
            kind="note",
            actor_user=actor.user,
            actor_label=actor.label,
            data={"noteId": str(note.pk)},
        )
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    return note


def wake_snoozed(*, now: datetime | None = None) -> int:
    """Across tenants: snoozed tickets whose time has come are open (and unread) again. One UPDATE."""
    now = now or timezone.now()
    with tenancy.platform_access():
        return Ticket.all_tenants.filter(status=TicketStatus.SNOOZED, snoozed_until__lte=now).update(
            status=TicketStatus.OPEN, snoozed_until=None, is_unread=True, updated_at=now
        )


# --- bulk ----------------------------------------------------------------------------------------------------------
def start_bulk_job(*, actor: Principal, action: str, ticket_ids: list, params: dict) -> BulkJob:
    """Record a bulk job over `ticket_ids` (already resolved to the caller's visible tickets) and queue it."""
    if action not in BULK_ACTIONS:
        raise ValidationFailed(details={"action": [f"One of {', '.join(BULK_ACTIONS)}."]})
    with transaction.atomic():
        job = BulkJob.objects.create(
            action=action,
            params=_storable(params),
            ticket_ids=[str(i) for i in ticket_ids],
            total_count=len(ticket_ids),
            actor_user=actor.user,
            actor_api_key=actor.api_key,
            actor_label=actor.label,
        )
        transaction.on_commit(lambda: _enqueue_bulk(job))
    return job


def _storable(params: dict) -> dict:
    return {k: (str(v.pk) if hasattr(v, "pk") else v) for k, v in params.items()}


def _enqueue_bulk(job: BulkJob) -> None:
    from inbox.tasks import run_bulk_job

    run_bulk_job.delay(job_id=str(job.pk), tenant_id=str(job.tenant_id))


def bulk_job_requester(job: BulkJob) -> Principal | None:
    """Who asked for `job`, as they are now: the member (with their current role) or the API key. None when they
    are gone (membership ended, key deleted): nobody may act in their name any more."""
    from tenants.roles import api_key_principal, member_principal
    from tenants.selectors import api_keys, members

    if job.actor_api_key_id:
        key = api_keys().filter(pk=job.actor_api_key_id).first()
        return api_key_principal(key) if key is not None else None
    if job.actor_user_id:
        membership = members().filter(user_id=job.actor_user_id, is_active=True).first()
        return member_principal(membership) if membership is not None else None
    return None


def abandon_bulk_job(job_id) -> BulkJob:
    """End a job whose requester is gone: the tickets not yet done are counted failed, nothing more is applied."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job_id)
        if job.status != BulkJobStatus.DONE:
            left = job.total_count - job.done_count - job.failed_count
            job.errors = [
                *job.errors,
                {"ticketId": None, "code": "REQUESTER_GONE", "message": "The requester no longer has access."},
            ]
            job.failed_count += max(left, 0)
            job.status = BulkJobStatus.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["errors", "failed_count", "status", "finished_at", "updated_at"])
    return job


def run_bulk_job(job_id, *, actor: Principal) -> BulkJob:
    """Apply the job's action to each ticket not yet done (a rerun continues where it stopped)."""
    from tenants.selectors import members, teams

    job = BulkJob.objects.get(pk=job_id)
    if job.status == BulkJobStatus.DONE:
        return job
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING, updated_at=timezone.now())
    params = dict(job.params)
    if job.action == "assign":
        if params.get("user"):
            params["user"] = members().get(user_id=params["user"]).user
        if params.get("team"):
            params["team"] = teams().get(pk=params["team"])
    already = set(TicketAction.objects.filter(bulk_job=job).values_list("ticket_id", flat=True))
    tickets = Ticket.objects.filter(pk__in=job.ticket_ids).exclude(pk__in=already).order_by("created_at", "id")
    done, failed, errors = job.done_count, job.failed_count, list(job.errors)
    for ticket in tickets.iterator(chunk_size=200):
        try:
            perform_action(ticket, job.action, actor=actor, params=params, bulk_job=job)
            done += 1
        except (ValidationFailed, ActionNotSupported, CategoryRequired) as exc:
            failed += 1
            if len(errors) < BULK_ERRORS_KEPT:
                errors.append({"ticketId": str(ticket.pk), "code": exc.code, "message": exc.message})
        BulkJob.objects.filter(pk=job.pk).update(done_count=done, failed_count=failed, errors=errors)
    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJobStatus.DONE, done_count=done, failed_count=failed, errors=errors, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


# --- interactors ---------------------------------------------------------------------------------------------------
def set_blocked(interactor: Interactor, *, actor: Principal, blocked: bool, channel) -> Interactor:
    """Block or unblock the person on the network through `channel` (one of the tenant's channels where they
    wrote), then record it. A network that cannot block: 409 NOT_SUPPORTED, nothing changes."""
    from social.services.channels import credentials_for

    adapter = adapter_for(channel.network)
    method = getattr(adapter, "block_user" if blocked else "unblock_user", None)
    if method is None:
        raise ActionNotSupported(f"{channel.network} does not support blocking people.")
    try:
        method(credentials_for(channel), user_id=interactor.network_user_id)
    except NetworkError as exc:
        raise ActionNotSupported(f"{channel.network} refused: {exc}", details={"code": exc.code}) from exc
    with transaction.atomic():
        Interactor.objects.filter(pk=interactor.pk).update(is_blocked=blocked, updated_at=timezone.now())
        audit.record(
            "inbox.interactor.blocked" if blocked else "inbox.interactor.unblocked",
            interactor,
            actor=actor,
            changes={"isBlocked": [not blocked, blocked], "channelId": str(channel.pk)},
        )
    interactor.refresh_from_db()
    return interactor


def erase_interactor(interactor: Interactor, *, actor: Principal) -> Interactor:
    """GDPR erasure: the person's profile is blanked and the text of their tickets removed (edit history too); the
    tickets stay so counts and reports hold. Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        Interactor.objects.filter(pk=interactor.pk).update(
            name=ERASED_NAME,
            handle="",
            avatar_url="",
            profile_url="",
            follower_count=None,
            erased_at=now,
            updated_at=now,
        )
        Ticket.objects.filter(interactor=interactor).update(
            text="", edit_history=[], attachments=[], url="", updated_at=now
        )
        TicketNote.objects.filter(ticket__interactor=interactor).update(text="(erased)", updated_at=now)
        audit.record("inbox.interactor.erased", interactor, actor=actor, changes={"erasedAt": now.isoformat()})
    interactor.refresh_from_db()
    return interactor
