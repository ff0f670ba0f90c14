"""Business hours of a channel: their configuration, the SLA durations stamped on tickets, and the auto-reply outside
hours.

Semantics (documented in the API too):
- A channel without business hours is open around the clock: its SLA durations are wall-clock seconds and it never
  auto-replies. PUT with an empty `periods` list removes the business hours (back to that default).
- SLA durations run from the ticket's `created_at` (when it reached Hubbub, the first moment an agent could answer;
  `network_created_at` of a backlog fetched on a channel's first poll can be months old) to our first reply done on
  the network (first response; an auto-reply does not count) and to its archiving (resolution).
- The auto-reply goes to each interactor once per closed period (unique `(channel, interactor, period_start)`), on
  their newest item of the batch, through the ordinary network-action pipeline (a pending `reply` action + task).
  Items written on the network before the closed period began (a backlog) get none.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from zoneinfo import available_timezones

from django.db import transaction

from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from inbox.business_hours import Schedule, business_seconds_between, closed_since
from inbox.errors import ActionNotSupported
from inbox.models import WEEKDAYS, AutoReplySent, BusinessHours, Ticket, TicketAction
from inbox.services import report_summary
from inbox.services.templates import check_template_text, render_template

logger = logging.getLogger(__name__)
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_PERIODS_PER_DAY = 12
MAX_HOLIDAYS = 500
AUTO_REPLY_ACTOR_KIND = "autoReply"


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _minute(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def normalise_hours(
    *, timezone: str, periods: list[dict], holidays: list[dict], auto_reply_enabled: bool, auto_reply_text: str
) -> dict:
    """Validate a business-hours document (400 naming every bad field) and return it in its stored form: periods
    sorted by day and start, holidays by date."""
    errors: dict[str, list[str]] = {}
    if timezone not in _timezones():
        errors["timezone"] = [f"Unknown IANA timezone {timezone!r}."]
    by_day: dict[str, list[tuple[int, int]]] = {}
    for index, period in enumerate(periods):
        day, start, end = period.get("day"), period.get("start", ""), period.get("end", "")
        if day not in WEEKDAYS:
            errors.setdefault("periods", []).append(f"[{index}] day: one of {', '.join(WEEKDAYS)}.")
            continue
        if not TIME_OF_DAY.match(start) or start == "24:00" or not TIME_OF_DAY.match(end):
            errors.setdefault("periods", []).append(f"[{index}] start and end: HH:MM (end may be 24:00).")
            continue
        if _minute(start) >= _minute(end):
            errors.setdefault("periods", []).append(f"[{index}] start must be before end.")
            continue
        by_day.setdefault(day, []).append((_minute(start), _minute(end)))
    for day, spans in by_day.items():
        spans.sort()
        if len(spans) > MAX_PERIODS_PER_DAY:
            errors.setdefault("periods", []).append(f"{day}: at most {MAX_PERIODS_PER_DAY} periods.")
        for (_s1, e1), (s2, _e2) in pairwise(spans):
            if s2 < e1:
                errors.setdefault("periods", []).append(f"{day}: periods overlap.")
                break
    seen: set[date] = set()
    for holiday in holidays:
        if holiday["date"] in seen:
            errors.setdefault("holidays", []).append(f"{holiday['date'].isoformat()} is listed twice.")
        seen.add(holiday["date"])
    if len(holidays) > MAX_HOLIDAYS:
        errors.setdefault("holidays", []).append(f"At most {MAX_HOLIDAYS} holidays.")
    if auto_reply_enabled and not auto_reply_text.strip():
        errors.setdefault("autoReply", []).append("text: required when the auto-reply is enabled.")
    if auto_reply_enabled and not periods:
        errors.setdefault("autoReply", []).append("An auto-reply outside hours needs business hours.")
    if errors:
        raise ValidationFailed(details=errors)
    check_template_text(auto_reply_text, field="autoReply")
    return {
        "timezone": timezone,
        "periods": [
            {"day": day, "start": f"{s // 60:02d}:{s % 60:02d}", "end": f"{e // 60:02d}:{e % 60:02d}"}
            for day in WEEKDAYS
            for s, e in sorted(by_day.get(day, []))
        ],
        "holidays": [
            {"date": h["date"].isoformat(), "name": h.get("name", "")}
            for h in sorted(holidays, key=lambda h: h["date"])
        ],
        "is_auto_reply_enabled": auto_reply_enabled,
        "auto_reply_text": auto_reply_text,
    }


def set_business_hours(channel, *, actor: Principal, document: dict) -> BusinessHours | None:
    """Replace the channel's business hours with `document` (validated by `normalise_hours`); an empty `periods`
    removes them. Returns the stored hours, or None when removed. Audited."""
    with transaction.atomic():
        current = BusinessHours.objects.select_for_update().filter(channel=channel).first()
        if not document["periods"]:
            if current is not None:
                current.delete()
                audit.record("inbox.business_hours.removed", channel, actor=actor, changes={})
            return None
        if current is None:
            current = BusinessHours(channel=channel)
        for field, value in document.items():
            setattr(current, field, value)
        current.save()
        audit.record(
            "inbox.business_hours.set",
            channel,
            actor=actor,
            changes={
                "timezone": document["timezone"],
                "periods": len(document["periods"]),
                "holidays": len(document["holidays"]),
                "autoReply": document["is_auto_reply_enabled"],
            },
        )
    return current


# --- SLA durations -------------------------------------------------------------------------------------------------
def schedule_of_channel(channel_id) -> Schedule | None:
    hours = BusinessHours.objects.filter(channel_id=channel_id).first()
    return hours.schedule() if hours is not None else None


def sla_seconds(schedule: Schedule | None, start: datetime, end: datetime) -> int:
    """Seconds from `start` to `end` inside business hours; wall-clock seconds when the channel has none."""
    if schedule is None:
        return max(0, int((end - start).total_seconds()))
    return business_seconds_between(schedule, start, end)


def reply_done(action: TicketAction, at: datetime) -> dict:
    """Our reply `action` succeeded on the network at `at`: stamp the ticket's first response (time and business
    seconds) unless it was answered before or this is the auto-reply. Returns the ticket fields the reply changes
    besides (an agent's reply marks the ticket read; the auto-reply leaves it for an agent)."""
    if action.params.get("autoReply"):
        return {}
    ticket = action.ticket
    seconds = sla_seconds(schedule_of_channel(ticket.channel_id), ticket.created_at, at)
    with report_summary.tracking([ticket.pk]):
        Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
            first_response_at=at, first_response_business_seconds=seconds
        )
    return {"is_unread": False}


def mark_resolved(ticket: Ticket, at: datetime) -> None:
    """Set `resolved_at` and the resolution's business seconds on `ticket` (in memory; the caller saves), unless it
    was resolved before."""
    if ticket.resolved_at is not None:
        return
    ticket.resolved_at = at
    ticket.resolution_business_seconds = sla_seconds(schedule_of_channel(ticket.channel_id), ticket.created_at, at)


# --- auto-reply ----------------------------------------------------------------------------------------------------
def auto_reply_principal() -> Principal:
    """Who the auto-reply acts as: the system, in the current tenant (shown as "autoReply" in the history)."""
    return Principal(
        tenant=tenancy.require_current_tenant(),
        permissions=frozenset(),
        kind=AUTO_REPLY_ACTOR_KIND,
        is_tenant_admin=False,
        sees_all_channels=True,
    )


def send_auto_replies(channel, ticket_ids: list, *, now: datetime) -> int:
    """Queue the auto-reply for the interactors of the new tickets `ticket_ids` on `channel` when it is outside
    business hours, once per interactor per closed period. Returns how many were queued."""
    hours = BusinessHours.objects.filter(channel=channel, is_auto_reply_enabled=True).first()
    if hours is None:
        return 0
    period_start = closed_since(hours.schedule(), now)
    if period_start is None:
        return 0
    newest: dict = {}
    for ticket in (
        Ticket.objects.filter(pk__in=ticket_ids, is_own=False, interactor__isnull=False, interactor__is_blocked=False)
        .select_related("interactor", "channel")
        .order_by("created_at", "network_created_at", "id")
    ):
        if ticket.network_created_at is None or ticket.network_created_at >= period_start:
            newest[ticket.interactor_id] = ticket
    if not newest:
        return 0
    tenant_id = tenancy.require_current_tenant().pk  # bulk_create skips the save() that fills it
    rows = [
        AutoReplySent(
            tenant_id=tenant_id, channel=channel, interactor_id=interactor_id, period_start=period_start, ticket=ticket
        )
        for interactor_id, ticket in sorted(newest.items(), key=lambda pair: str(pair[0]))
    ]
    AutoReplySent.objects.bulk_create(rows, ignore_conflicts=True)
    # Rows a concurrent ingestion inserted first were ignored: only ours are sent.
    ours = AutoReplySent.objects.filter(pk__in=[row.pk for row in rows]).select_related("ticket")
    from inbox.services.actions import perform_action  # actions imports this module for its hooks

    actor, queued = auto_reply_principal(), 0
    for row in ours:
        text = render_template(hours.auto_reply_text, ticket=newest[row.interactor_id])
        try:
            with transaction.atomic():
                action = perform_action(row.ticket, "reply", actor=actor, params={"text": text, "autoReply": True})
        except (ActionNotSupported, ValidationFailed) as exc:
            # The item cannot be answered (a mention on a network without replies, text over the limit): free the
            # period's slot so the person's next item may get it.
            logger.info(
                "auto-reply not possible",
                extra={"ticket_id": str(row.ticket_id), "tenant_id": str(row.tenant_id), "code": exc.code},
            )
            row.delete()
            continue
        AutoReplySent.objects.filter(pk=row.pk).update(action=action)
        queued += 1
    return queued
