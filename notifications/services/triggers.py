"""Triggering a workflow: one `Event` per `transactionId` (unique per tenant, so a repeated trigger starts nothing)
and one `Job` per recipient; jobs are enqueued after commit. Cancel stops jobs still waiting (delay, digest)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ValidationFailed
from notifications import selectors
from notifications.errors import UnknownWorkflow, WorkflowInactive
from notifications.models import Event, EventStatus, Job, JobStatus, Subscriber, Topic, Workflow
from notifications.services.subscribers import SUBSCRIBER_FIELDS

ENQUEUE_CHUNK = 200
MAX_RECIPIENTS = 100_000


@dataclass(frozen=True)
class TriggerResult:
    event: Event
    created: bool
    job_count: int


def _recipients(to: list[Any], topic_keys: list[str]) -> list[Subscriber]:
    """Subscriber ids (strings) or inline subscribers ({subscriberId, email, ...}: created or updated), plus every
    member of the named topics; duplicates removed."""
    ids: list[str] = []
    for item in to:
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, dict) and item.get("subscriber_id"):
            fields = {k: v for k, v in item.items() if k in SUBSCRIBER_FIELDS}
            Subscriber.objects.update_or_create(subscriber_id=str(item["subscriber_id"]), defaults=fields)
            ids.append(str(item["subscriber_id"]))
        else:
            raise ValidationFailed(details={"to": ["Each recipient is a subscriberId or an object with one."]})
    found = selectors.subscribers_by_id(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(details={"to": [f"Unknown subscriber: {', '.join(missing[:20])}."]})
    recipients = {found[i].pk: found[i] for i in ids}
    if topic_keys:
        topics = list(Topic.objects.filter(key__in=topic_keys))
        unknown = set(topic_keys) - {t.key for t in topics}
        if unknown:
            raise ValidationFailed(details={"topicKey": [f"Unknown topic: {', '.join(sorted(unknown))}."]})
        for subscriber in Subscriber.objects.filter(topic_memberships__topic__in=topics).distinct().iterator(2000):
            recipients.setdefault(subscriber.pk, subscriber)
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationFailed(details={"to": [f"At most {MAX_RECIPIENTS} recipients per trigger."]})
    return list(recipients.values())


def resolve_workflow(identifier: str) -> Workflow:
    workflow = Workflow.objects.filter(identifier=identifier).first()
    if workflow is None:
        raise UnknownWorkflow(details={"workflowId": [f"Unknown workflow {identifier!r}."]})
    if not workflow.is_active:
        raise WorkflowInactive()
    return workflow


def trigger(
    workflow: Workflow,
    *,
    triggered_by: str,
    to: list[Any] | None = None,
    topic_keys: list[str] | None = None,
    subscribers: list[Subscriber] | None = None,
    payload: dict[str, Any] | None = None,
    transaction_id: str | None = None,
) -> TriggerResult:
    """Start `workflow` for the recipients; idempotent on `transaction_id` (the first trigger's event is returned)."""
    transaction_id = transaction_id or uuid.uuid4().hex
    existing = Event.objects.filter(transaction_id=transaction_id).first()
    if existing is not None:
        return TriggerResult(existing, False, existing.jobs.count())
    with transaction.atomic():
        recipients = list(subscribers or []) + _recipients(to or [], topic_keys or [])
        recipients = list({s.pk: s for s in recipients}.values())
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    workflow=workflow,
                    transaction_id=transaction_id,
                    payload=payload or {},
                    recipients=[s.subscriber_id for s in recipients[:1000]],
                    triggered_by=triggered_by[:255],
                    status=EventStatus.PROCESSING if recipients else EventStatus.COMPLETED,
                )
        except IntegrityError:  # a concurrent trigger with the same transactionId won
            event = Event.objects.get(transaction_id=transaction_id)
            return TriggerResult(event, False, event.jobs.count())
        now = timezone.now()
        jobs = Job.objects.bulk_create(
            [Job(event=event, subscriber=s, run_at=now, tenant_id=event.tenant_id) for s in recipients],
            batch_size=1000,
        )
        job_ids = [str(job.pk) for job in jobs]
        tenant_id = str(event.tenant_id)
        transaction.on_commit(lambda: enqueue_jobs(job_ids, tenant_id=tenant_id))
    return TriggerResult(event, True, len(job_ids))


def enqueue_jobs(job_ids: list[str], *, tenant_id: str) -> None:
    from notifications.tasks import run_jobs  # the service -> task edge, after commit only

    for start in range(0, len(job_ids), ENQUEUE_CHUNK):
        run_jobs.delay(job_ids=job_ids[start : start + ENQUEUE_CHUNK], tenant_id=tenant_id)


def cancel(event: Event) -> int:
    """Cancel what has not run yet (jobs waiting on a delay or digest). Returns how many jobs were cancelled."""
    with transaction.atomic():
        cancelled = Job.objects.filter(event=event, status=JobStatus.PENDING).update(
            status=JobStatus.CANCELLED, updated_at=timezone.now()
        )
        if not Job.objects.filter(event=event, status=JobStatus.RUNNING).exists():
            Event.objects.filter(pk=event.pk).update(status=EventStatus.CANCELLED)
    return cancelled
