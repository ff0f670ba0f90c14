"""Inbox tasks (queue `sync` for network work, `default` for bulk jobs). Thin: the services decide what happens,
and every task is safe to run twice (claims are conditional UPDATEs, ingestion dedupes on the unique key)."""

from __future__ import annotations

from celery import shared_task

from core import tenancy
from inbox.services import actions, assignment, counters, followups, polling, tickets


@shared_task(name="inbox.tasks.sweep_ingestion", queue="sync", soft_time_limit=50, time_limit=60)
def sweep_ingestion() -> dict:
    """Beat: create cursors for new channels, claim the due ones, enqueue one poll per claim."""
    created = polling.ensure_cursors_everywhere()
    claims = polling.claim_due_cursors()
    for claim in claims:
        poll_cursor.delay(cursor_id=claim.cursor_id, tenant_id=claim.tenant_id)
    return {"cursorsCreated": created, "claimed": len(claims)}


@shared_task(name="inbox.tasks.poll_cursor", queue="sync", soft_time_limit=100, time_limit=120)
def poll_cursor(*, cursor_id: str, tenant_id: str) -> int:
    """Poll one channel and kind (runs in the tenant's context, see core.celery_tasks.TenantTask)."""
    return polling.poll(cursor_id)


@shared_task(name="inbox.tasks.run_ticket_action", queue="sync", soft_time_limit=75, time_limit=90)
def run_ticket_action(*, action_id: str, tenant_id: str) -> str:
    """Send one pending network action, exactly once."""
    return str(actions.execute_action(action_id))


@shared_task(name="inbox.tasks.sweep_actions", queue="sync", soft_time_limit=50, time_limit=60)
def sweep_actions() -> dict:
    """Beat: per tenant with pending actions, re-enqueue lost ones and fail the unconfirmed (see the service)."""
    from inbox.models import ActionStatus, TicketAction
    from tenants.models import Tenant

    with tenancy.platform_access():
        tenant_ids = set(
            TicketAction.all_tenants.filter(status=ActionStatus.PENDING).values_list("tenant_id", flat=True)
        )
        tenants = list(Tenant.objects.filter(pk__in=tenant_ids))
    totals = {"requeued": 0, "unknownFailed": 0}
    for tenant in tenants:
        with tenancy.tenant_context(tenant):
            for key, value in actions.sweep_stale_actions().items():
                totals[key] += value
    return totals


@shared_task(name="inbox.tasks.wake_snoozed", queue="sync", soft_time_limit=50, time_limit=60)
def wake_snoozed() -> int:
    """Beat: snoozed tickets whose time has come are open again."""
    return tickets.wake_snoozed()


@shared_task(name="inbox.tasks.run_bulk_job", queue="default", soft_time_limit=540, time_limit=600)
def run_bulk_job(*, job_id: str, tenant_id: str) -> str:
    """Apply a bulk job; a rerun continues where the last run stopped."""
    from inbox.models import BulkJob

    actor = tickets.bulk_job_requester(BulkJob.objects.get(pk=job_id))
    if actor is None:
        return tickets.abandon_bulk_job(job_id).status
    return tickets.run_bulk_job(job_id, actor=actor).status


@shared_task(name="inbox.tasks.sweep_followups", queue="notify", soft_time_limit=50, time_limit=60)
def sweep_followups() -> int:
    """Beat: enqueue one `fire_followup` per due follow-up (a follow-up enqueued twice still fires once)."""
    refs = followups.due_followup_refs()
    for followup_id, tenant_id in refs:
        fire_followup.delay(followup_id=str(followup_id), tenant_id=str(tenant_id))
    return len(refs)


@shared_task(name="inbox.tasks.fire_followup", queue="notify", soft_time_limit=50, time_limit=60)
def fire_followup(*, followup_id: str, tenant_id: str) -> bool:
    """Reopen the ticket of one due follow-up and tell its user, exactly once."""
    return followups.fire_followup(followup_id)


@shared_task(name="inbox.tasks.compact_ticket_counts", queue="default", soft_time_limit=50, time_limit=60)
def compact_ticket_counts() -> int:
    """Beat: fold the ticket counters appended by the triggers to one row per key."""
    return counters.compact_ticket_counts()


@shared_task(name="inbox.tasks.reconcile_ticket_counts", queue="default", soft_time_limit=540, time_limit=600)
def reconcile_ticket_counts() -> int:
    """Beat: correct any ticket counter that differs from a scan of the tickets."""
    return counters.reconcile_ticket_counts()


@shared_task(name="inbox.tasks.evaluate_alerts", queue="default", soft_time_limit=50, time_limit=60)
def evaluate_alerts() -> int:
    """Beat, every minute: evaluate each tenant's active alerts (open incidents, close the ones that stopped
    holding). Safe to run twice or concurrently: an incident opens through a unique index. Returns incidents
    opened."""
    from inbox.models import Alert, AlertIncident
    from inbox.services.alerts import evaluate_active_alerts
    from tenants.models import Tenant

    with tenancy.platform_access():
        tenant_ids = set(Alert.all_tenants.filter(is_active=True).values_list("tenant_id", flat=True)) | set(
            AlertIncident.all_tenants.filter(closed_at__isnull=True).values_list("tenant_id", flat=True)
        )
        tenants = list(Tenant.objects.filter(pk__in=tenant_ids))
    opened = 0
    for tenant in tenants:
        with tenancy.tenant_context(tenant):
            opened += evaluate_active_alerts()
    return opened


@shared_task(name="inbox.tasks.drain_team_backlog", queue="default", soft_time_limit=100, time_limit=120)
def drain_team_backlog(*, team_id: str, tenant_id: str) -> int:
    """Hand a team's backlog to its agents with room, oldest first; queues itself again while batches come full.
    Safe to run twice: a second run finds the tickets assigned (or no room) and does nothing."""
    from tenants.selectors import teams

    team = teams().filter(pk=team_id).first()
    if team is None:
        return 0
    assigned = assignment.drain_backlog(team)
    if assigned >= assignment.DRAIN_BATCH:
        drain_team_backlog.delay(team_id=team_id, tenant_id=tenant_id)
    return assigned
