"""Triggering a workflow: one `Event` per `transactionId` (unique per tenant, so a repeated trigger starts nothing)
and one `Job` per recipient; jobs are enqueued after commit. Cancel stops jobs still waiting (delay, digest)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from core import tenancy
from core.db import bulk
from core.errors import ValidationFailed
from notifications import selectors
from notifications.errors import UnknownWorkflow, WorkflowInactive
from notifications.models import Event, EventStatus, Job, JobStatus, Subscriber, Topic, TopicSubscription, Workflow
from notifications.services import fanout
from notifications.services.subscribers import SUBSCRIBER_FIELDS

ENQUEUE_CHUNK = 200
MAX_RECIPIENTS = 100_000


@dataclass(frozen=True)
class TriggerResult:
    event: Event
    created: bool
    job_count: int


def _recipients(to: list[Any], topic_keys: list[str], subscribers: list[Subscriber]) -> QuerySet:
    """Subscriber ids (strings) or inline subscribers ({subscriberId, email, ...}: created or updated), plus every
    member of the named topics, as one query (each subscriber once)."""
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
    named = Q(pk__in=[s.pk for s in [*subscribers, *found.values()]])
    if topic_keys:
        topics = list(Topic.objects.filter(key__in=topic_keys))
        unknown = set(topic_keys) - {t.key for t in topics}
        if unknown:
            raise ValidationFailed(details={"topicKey": [f"Unknown topic: {', '.join(sorted(unknown))}."]})
        named |= Q(Exists(TopicSubscription.objects.filter(subscriber=OuterRef("pk"), topic__in=topics)))
    recipients = Subscriber.objects.filter(named)
    if recipients.count() > MAX_RECIPIENTS:
        raise ValidationFailed(details={"to": [f"At most {MAX_RECIPIENTS} recipients per trigger."]})
    return recipients


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
        recipients = _recipients(to or [], topic_keys or [], list(subscribers or []))
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    workflow=workflow,
                    transaction_id=transaction_id,
                    payload=payload or {},
                    recipients=list(
                        recipients.order_by("subscriber_id").values_list("subscriber_id", flat=True)[:1000]
                    ),
                    triggered_by=triggered_by[:255],
                )
        except IntegrityError:  # a concurrent trigger with the same transactionId won
            event = Event.objects.get(transaction_id=transaction_id)
            return TriggerResult(event, False, event.jobs.count())
        # The jobs (and, when the database can render it, the first in-app step) set-wise: one INSERT ... SELECT
        # from the recipients' query, never a row per recipient in Python.
        tenant = tenancy.require_current_tenant()
        in_app = fanout.in_app_step_in_sql(workflow, event.payload, tenant.name)
        first_step = 0 if in_app is None else 1
        finished = first_step >= len(workflow.steps)
        job_ids = [
            str(pk)
            for (pk,) in bulk.insert_select(
                Job,
                recipients,
                {
                    "event": Value(event.pk),
                    "subscriber": F("pk"),
                    "step_index": Value(first_step),
                    "status": Value(JobStatus.COMPLETED if finished else JobStatus.PENDING),
                    "run_at": Value(timezone.now()),
                },
                skip_conflicts_on=("event", "subscriber"),
                returning=("id",),
            )
        ]
        if in_app is not None:
            fanout.store_in_app_step(event, in_app)
        if finished or not job_ids:
            Event.objects.filter(pk=event.pk).update(status=EventStatus.COMPLETED)
            event.status = EventStatus.COMPLETED
        else:
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
