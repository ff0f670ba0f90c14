"""Alerts: their configuration, and their evaluation into incidents told once to the recipients.

An incident opens when an alert's condition starts to hold and closes when it stops holding. Opening is an INSERT
that a partial unique index (one open incident per alert) lets through once, however many evaluations race (an
ingestion hook and the beat task, two workers): only the evaluation whose row was stored notifies, with the
incident's id as the notice id. Closing is a conditional UPDATE. Both are safe to run twice.

- `volumeBurst` alerts are evaluated after each ingestion batch for its channel (one aggregate query per alert) and
  every minute by the beat (which is what closes them once the burst is over);
- `unansweredPriority` alerts are evaluated every minute by the beat; a ticket counts from its `created_at`, in its
  channel's business hours (wall-clock for a channel without).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import audit
from core.auth import Principal
from core.errors import ValidationFailed
from core.notify import notify
from inbox.models import Alert, AlertIncident, AlertKind, BusinessHours, Sentiment, Ticket, TicketStatus
from inbox.services.business_hours import sla_seconds

logger = logging.getLogger(__name__)
TICKETS_LISTED = 20  # ticket ids kept on an incident and listed in its notice
UNANSWERED_CANDIDATES = 500
ALERT_FIELDS = (
    "name",
    "kind",
    "is_active",
    "channel",
    "threshold_count",
    "window_minutes",
    "is_negative_only",
    "unanswered_minutes",
    "recipient_user_ids",
    "recipient_emails",
)
REQUIRED_BY_KIND = {
    AlertKind.VOLUME_BURST: ("threshold_count", "window_minutes"),
    AlertKind.UNANSWERED_PRIORITY: ("unanswered_minutes",),
}
WIRE_NAMES = {
    "threshold_count": "thresholdCount",
    "window_minutes": "windowMinutes",
    "unanswered_minutes": "unansweredMinutes",
}


# --- configuration -------------------------------------------------------------------------------------------------
def _check(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    for field in REQUIRED_BY_KIND[values["kind"]]:
        if values.get(field) is None:
            errors[WIRE_NAMES[field]] = [f"Required for a {values['kind']} alert."]
    if not values.get("recipient_user_ids") and not values.get("recipient_emails"):
        errors["recipients"] = ["At least one recipient (recipientUserIds or recipientEmails)."]
    if errors:
        raise ValidationFailed(details=errors)


def create_alert(*, actor: Principal, values: dict) -> Alert:
    """Create an alert from validated `values` (ALERT_FIELDS; members already resolved to user ids). Audited."""
    _check(values)
    with transaction.atomic():
        alert = Alert.objects.create(created_by=actor.user, **{k: v for k, v in values.items() if k in ALERT_FIELDS})
        audit.record("inbox.alert.created", alert, actor=actor, changes={"name": alert.name, "kind": alert.kind})
    return alert


def update_alert(alert: Alert, *, actor: Principal, changes: dict) -> Alert:
    """Apply validated `changes`; a changed condition closes the open incident (it was about the old one)."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        values = {field: getattr(locked, field) for field in ALERT_FIELDS} | changes
        _check(values)
        changed = {k: v for k, v in changes.items() if k in ALERT_FIELDS and getattr(locked, k) != v}
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save()
        if set(changed) - {"name", "recipient_user_ids", "recipient_emails"}:
            _close(locked, timezone.now())
        audit.record("inbox.alert.updated", locked, actor=actor, changes={"fields": sorted(changed)})
    return locked


def delete_alert(alert: Alert, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("inbox.alert.deleted", alert, actor=actor, changes={"name": alert.name})
        alert.delete()


# --- evaluation ----------------------------------------------------------------------------------------------------
def _scope(alert: Alert):
    tickets = Ticket.objects.filter(is_own=False)
    return tickets.filter(channel_id=alert.channel_id) if alert.channel_id else tickets


def _burst_filter(alert: Alert, now: datetime) -> Q:
    since = now - timedelta(minutes=alert.window_minutes)
    # Arrival in the window, and written in it: a first poll's backlog of old items is not a burst.
    condition = Q(created_at__gte=since) & (Q(network_created_at__isnull=True) | Q(network_created_at__gte=since))
    if alert.is_negative_only:
        condition &= Q(sentiment=Sentiment.NEGATIVE)
    return condition


def _burst_state(alert: Alert, now: datetime) -> tuple[bool, list, int]:
    condition = _burst_filter(alert, now)
    count = _scope(alert).filter(condition).aggregate(n=Count("id"))["n"]
    if count <= alert.threshold_count:
        return False, [], count
    return True, _newest_ids(_scope(alert).filter(condition)), count


def _newest_ids(queryset) -> list:
    return list(queryset.order_by("-created_at", "-id").values_list("id", flat=True)[:TICKETS_LISTED])


def _unanswered_state(alert: Alert, now: datetime) -> tuple[bool, list, int]:
    limit = timedelta(minutes=alert.unanswered_minutes)
    # Business time never exceeds wall-clock time: only tickets older than the limit on the clock can qualify.
    candidates = list(
        _scope(alert)
        .filter(
            status=TicketStatus.OPEN,
            is_priority=True,
            first_response_at__isnull=True,
            created_at__lte=now - limit,
        )
        .order_by("created_at", "id")
        .only("id", "channel_id", "created_at")[:UNANSWERED_CANDIDATES]
    )
    schedules = {
        hours.channel_id: hours.schedule()
        for hours in BusinessHours.objects.filter(channel_id__in={t.channel_id for t in candidates})
    }
    late = [
        t.pk for t in candidates if sla_seconds(schedules.get(t.channel_id), t.created_at, now) >= limit.total_seconds()
    ]
    return bool(late), late[:TICKETS_LISTED], len(late)


STATE_OF_KIND = {AlertKind.VOLUME_BURST: _burst_state, AlertKind.UNANSWERED_PRIORITY: _unanswered_state}


def evaluate_alert(alert: Alert, *, now: datetime | None = None) -> AlertIncident | None:
    """Open an incident (and tell the recipients) when the condition starts to hold, close it when it stopped.
    Returns the incident this evaluation opened, if any."""
    now = now or timezone.now()
    holds, ticket_ids, count = STATE_OF_KIND[alert.kind](alert, now)
    if not holds:
        _close(alert, now)
        return None
    if AlertIncident.objects.filter(alert=alert, closed_at__isnull=True).exists():
        return None
    with transaction.atomic():
        incident = AlertIncident(
            tenant_id=alert.tenant_id,  # bulk_create skips the save() that fills it
            alert=alert,
            opened_at=now,
            ticket_count=count,
            ticket_ids=[str(i) for i in ticket_ids],
        )
        AlertIncident.objects.bulk_create([incident], ignore_conflicts=True)
        if not AlertIncident.objects.filter(pk=incident.pk).exists():
            return None  # another evaluation opened it first and told the recipients
        incident.notified_to = _notify(alert, incident)
        AlertIncident.objects.filter(pk=incident.pk).update(notified_to=incident.notified_to)
    logger.info("inbox alert fired", extra={"alert_id": str(alert.pk), "tenant_id": str(alert.tenant_id)})
    return incident


def _close(alert: Alert, now: datetime) -> int:
    return AlertIncident.objects.filter(alert=alert, closed_at__isnull=True).update(closed_at=now, updated_at=now)


def _recipients(alert: Alert) -> list[str]:
    from tenants.selectors import members

    emails = list(
        members()
        .filter(user_id__in=alert.recipient_user_ids, is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys([*emails, *alert.recipient_emails]))


def _notify(alert: Alert, incident: AlertIncident) -> list[str]:
    to = _recipients(alert)
    links = [f"{settings.PUBLIC_BASE_URL}/api/v1/inbox/tickets/{ticket_id}" for ticket_id in incident.ticket_ids]
    if alert.kind == AlertKind.VOLUME_BURST:
        what = "negative tickets" if alert.is_negative_only else "tickets"
        summary = f"{incident.ticket_count} {what} in the last {alert.window_minutes} minutes"
    else:
        summary = (
            f"{incident.ticket_count} priority tickets unanswered for more than {alert.unanswered_minutes} "
            "minutes of business hours"
        )
    notify(
        "inbox.alert.fired",
        to=to,
        subject=f"Inbox alert: {alert.name}",
        body=f"{summary}.\n\n" + "\n".join(links),
        tenant_id=alert.tenant_id,
        data={
            "alertId": str(alert.pk),
            "incidentId": str(incident.pk),
            "kind": alert.kind,
            "ticketCount": incident.ticket_count,
            "ticketIds": incident.ticket_ids,
            "ticketUrls": links,
        },
        notice_id=f"inbox-alert-incident-{incident.pk}",
    )
    return to


def evaluate_burst_alerts(channel_ids, *, now: datetime | None = None) -> int:
    """After ingestion: evaluate the active burst alerts watching these channels (or any channel). Returns how many
    incidents opened."""
    alerts = Alert.objects.filter(is_active=True, kind=AlertKind.VOLUME_BURST).filter(
        Q(channel__isnull=True) | Q(channel_id__in=list(channel_ids))
    )
    return sum(1 for alert in alerts if evaluate_alert(alert, now=now) is not None)


def evaluate_active_alerts(*, now: datetime | None = None) -> int:
    """Beat (current tenant): evaluate every active alert, and close the incidents of inactive ones."""
    now = now or timezone.now()
    AlertIncident.objects.filter(alert__is_active=False, closed_at__isnull=True).update(closed_at=now, updated_at=now)
    return sum(1 for alert in Alert.objects.filter(is_active=True) if evaluate_alert(alert, now=now) is not None)
