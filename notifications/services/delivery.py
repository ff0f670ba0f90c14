"""Running jobs: each step of a workflow for one subscriber, exactly once.

Guards, all in the database:
- a job runs only after a guarded UPDATE (pending -> running) succeeds, so two workers never run it together; a
  worker that dies leaves a stale claim the sweep releases after `LEASE`;
- a channel step's `Message` is unique per (job, step) and is sent only after a guarded UPDATE (queued -> sending),
  so a re-run after a crash finds it and sends nothing (a message left in `sending` has an unknown outcome and is
  not resent);
- a delay moves the job past the step and sets `run_at`; a digest parks the first job until the window closes and
  folds later jobs into its batch under a row lock; the sweep resumes due jobs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, F, Field, JSONField, OuterRef, Value, When
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.db import bulk
from core.errors import InvalidState
from notifications import conditions as conditions_module
from notifications import templates
from notifications.models import (
    CHANNEL_STEP_TYPES,
    Channel,
    DigestBatch,
    Event,
    EventStatus,
    ExecutionDetail,
    Integration,
    Job,
    JobStatus,
    Message,
    MessageStatus,
    Preference,
    StepType,
    Subscriber,
    SubscriberCredential,
)
from notifications.providers import adapter_for
from notifications.providers.base import MissingAddress, OutboundMessage, SendResult, UnknownOutcome
from notifications.services import fanout, receipts, sweeps, webhooks
from notifications.services import integrations as integration_services
from notifications.services.triggers import enqueue_jobs
from notifications.services.workflows import step_seconds

LEASE = timedelta(minutes=5)
MAX_SEND_ATTEMPTS = 4
RETRY_BASE_SECONDS = 30
NEXT, WAIT, STOP = "next", "wait", "stop"


def claim(job_ids: list[str]) -> list[str]:
    """Claim the due, pending jobs among `job_ids` for this worker (pending -> running); the ids claimed. Rows
    another worker is claiming are skipped, not waited for, so two workers never run one job."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(pk__in=job_ids, status=JobStatus.PENDING, run_at__lte=now)
            .values_list("pk", flat=True)
        )
        if ids:
            Job.objects.filter(pk__in=ids).update(status=JobStatus.RUNNING, claimed_at=now)
    return [str(pk) for pk in ids]


def run_job(job_id: str) -> None:
    """Run one due job (see `run_jobs`)."""
    run_jobs([job_id])


def run_jobs(job_ids: list[str]) -> None:
    """Run due jobs' steps until each finishes or waits (delay, digest, retry); jobs not due or taken: no-op.

    A chunk costs a fixed number of queries for claiming, loading the jobs, their subscribers' preferences and
    finishing (completed jobs and their events in one UPDATE each), so a job's own cost is its steps' writes.
    """
    claimed = claim(job_ids)
    if not claimed:
        return
    # Lookups by primary key only: a join here is planned from statistics that a trigger of thousands of rows has
    # just made stale (a nested loop over every subscriber per job was seen). A chunk's jobs mostly share one
    # event, whose payload and steps are read once rather than once per job.
    jobs = list(Job.objects.filter(pk__in=claimed))
    subscribers = Subscriber.objects.in_bulk({job.subscriber_id for job in jobs})
    events = Event.objects.select_related("workflow").in_bulk({job.event_id for job in jobs})
    for job in jobs:
        job.subscriber, job.event = subscribers[job.subscriber_id], events[job.event_id]
    # One trigger's jobs share `created_at` (one INSERT): its recipients go out in the order they were created.
    jobs.sort(key=lambda job: (job.created_at, job.subscriber.created_at, str(job.subscriber_id)))
    preferences: dict[Any, dict[Any, dict]] = {job.subscriber_id: {} for job in jobs}
    for row in Preference.objects.filter(subscriber_id__in=list(preferences)).values(
        "subscriber_id", "workflow_id", "channels"
    ):
        preferences[row["subscriber_id"]][row["workflow_id"]] = row["channels"]
    completed, event_ids = [], set()
    for job in jobs:
        job.preference_cache = preferences[job.subscriber_id]  # type: ignore[attr-defined]
        event_ids.add(job.event_id)
    # The chunk advances step by step: the jobs at the same step of one workflow run it together (a channel step
    # set-wise). Progress is saved only when a job waits or ends: a re-run after a crash replays this run's channel
    # steps, whose messages already exist and are skipped, never sent again.
    active = [job for job in jobs if job.step_index < len(job.event.workflow.steps)]
    completed += [job.pk for job in jobs if job.step_index >= len(job.event.workflow.steps)]
    while active:
        at_step: dict[tuple, list[Job]] = {}
        for job in active:
            at_step.setdefault((job.event.workflow_id, job.step_index), []).append(job)
        active = []
        for group in at_step.values():
            step = group[0].event.workflow.steps[group[0].step_index]
            if step["type"] in CHANNEL_STEP_TYPES:
                outcomes = _channel_steps(group, step)
            else:
                outcomes = {job.pk: run_step(job, step) for job in group}
            for job in group:
                if outcomes[job.pk] == WAIT:
                    _park(job)
                elif outcomes[job.pk] == NEXT:
                    job.step_index += 1
                    if job.step_index < len(job.event.workflow.steps):
                        active.append(job)
                    else:
                        completed.append(job.pk)
    # A crash before this line leaves the jobs claimed: the sweep re-runs them after `LEASE`, and their messages,
    # which exist already, are not sent again.
    Job.objects.filter(pk__in=completed, status=JobStatus.RUNNING).update(status=JobStatus.COMPLETED, claimed_at=None)
    _finish_events(event_ids)


def _park(job: Job) -> None:
    """A job that waits (delay, digest window, retry): pending again until `run_at`."""
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.PENDING, step_index=job.step_index, run_at=job.run_at, claimed_at=None, digest=job.digest
    )


def _finish_events(event_ids: set) -> None:
    unfinished = Job.objects.filter(event_id=OuterRef("pk"), status__in=[JobStatus.PENDING, JobStatus.RUNNING])
    Event.objects.filter(pk__in=list(event_ids), status=EventStatus.PROCESSING).exclude(Exists(unfinished)).update(
        status=EventStatus.COMPLETED
    )


def _detail(
    job: Job, status: str, detail: str, *, message: Message | None = None, integration=None, raw: Any = None
) -> None:
    _detail_row(job, status, detail, message=message, integration=integration, raw=raw).save()


def _detail_row(
    job: Job, status: str, detail: str, *, message: Message | None = None, integration=None, raw: Any = None
) -> ExecutionDetail:
    """An execution detail not saved yet (a channel step saves its rows in one insert)."""
    return ExecutionDetail(
        tenant_id=job.tenant_id,
        job=job,
        message=message,
        step_index=job.step_index,
        status=status,
        detail=detail[:500],
        integration=integration,
        provider_id=integration.provider_id if integration is not None else "",
        raw=raw,
    )


def context_for_subscriber(subscriber: Subscriber | None) -> dict[str, Any]:
    """What templates and conditions see as `subscriber`."""
    if subscriber is None:
        return {}
    return {
        "subscriber_id": subscriber.subscriber_id,
        "email": subscriber.email,
        "phone": subscriber.phone,
        "first_name": subscriber.first_name,
        "last_name": subscriber.last_name,
        "locale": subscriber.locale,
        "data": subscriber.data,
    }


def context_for(job: Job, digest: dict[str, Any] | None = None) -> dict[str, Any]:
    tenant = tenancy.get_current_tenant()
    return {
        "payload": job.event.payload,
        "subscriber": context_for_subscriber(job.subscriber),
        "step": digest or {},
        "tenant": {"name": tenant.name if tenant is not None else ""},
    }


def run_step(job: Job, step: dict[str, Any]) -> str:
    """One job's delay or digest step (channel steps run set-wise: `_channel_steps`)."""
    kind = step["type"]
    if kind == StepType.DELAY:
        job.step_index += 1  # the step is done once the job is due again
        job.run_at = timezone.now() + timedelta(seconds=step_seconds(step))
        _detail(job, "pending", f"Delayed until {job.run_at.isoformat()}.")
        return WAIT
    assert kind == StepType.DIGEST
    return _digest_step(job, step)


# --- digest --------------------------------------------------------------------------------------------------------
def _digest_step(job: Job, step: dict[str, Any]) -> str:
    if job.digest_id is not None and job.digest.step_index == job.step_index and job.digest.owner_job_id == job.pk:
        return _close_digest(job)
    key = ""
    if step.get("digest_key"):
        key = templates.render("{{" + step["digest_key"] + "}}", context_for(job))[:200]
    workflow = job.event.workflow
    for _attempt in range(3):
        with transaction.atomic():
            batch = (
                DigestBatch.objects.select_for_update()
                .filter(
                    workflow=workflow,
                    subscriber=job.subscriber,
                    step_index=job.step_index,
                    digest_key=key,
                    is_open=True,
                )
                .first()
            )
            if batch is not None:
                Job.objects.filter(pk=job.pk).update(status=JobStatus.MERGED, digest=batch, claimed_at=None)
                _detail(job, "success", "Added to an open digest.", raw={"digestId": str(batch.pk)})
                return STOP
            try:
                with transaction.atomic():
                    batch = DigestBatch.objects.create(
                        workflow=workflow,
                        subscriber=job.subscriber,
                        step_index=job.step_index,
                        digest_key=key,
                        closes_at=timezone.now() + timedelta(seconds=step_seconds(step)),
                        owner_job=job,
                    )
            except IntegrityError:  # another job opened the batch first: join it
                continue
        job.digest = batch
        job.run_at = batch.closes_at
        _detail(job, "pending", f"Digest open until {batch.closes_at.isoformat()}.", raw={"digestId": str(batch.pk)})
        return WAIT
    raise RuntimeError("Could not open or join a digest batch.")


def _close_digest(job: Job) -> str:
    with transaction.atomic():
        batch = DigestBatch.objects.select_for_update().get(pk=job.digest_id)
        if batch.is_open:
            batch.is_open = False
            batch.save(update_fields=["is_open", "updated_at"])
    job.digest_context = digest_context(batch)  # type: ignore[attr-defined]
    count = job.digest_context["digest_count"]  # type: ignore[attr-defined]
    _detail(job, "success", f"Digest closed with {count} events.", raw={"digestId": str(batch.pk)})
    return NEXT


def digest_context(batch: DigestBatch) -> dict[str, Any]:
    """`{{step.digestCount}}` and `{{step.events}}`: every event folded into the batch, oldest first."""
    payloads = list(
        Event.objects.filter(jobs__digest=batch).order_by("created_at", "id").values_list("payload", flat=True)
    )
    return {"digest_count": len(payloads), "events": payloads}


# --- channel steps -------------------------------------------------------------------------------------------------
def _allowed_by_preferences(job: Job, channel: str) -> bool:
    workflow = job.event.workflow
    if workflow.is_critical or workflow.preference_settings.get(channel) is False:
        return True  # critical workflows and channels the workflow keeps on ignore what the subscriber set
    preferences = job.preference_cache  # type: ignore[attr-defined]  # loaded for the whole chunk by run_jobs
    for scope in (workflow.pk, None):
        if scope in preferences and channel in preferences[scope]:
            return bool(preferences[scope][channel])
    return True


@dataclass
class _Claimed:
    """A message this run claimed, with what sending it needs (`index`: its recipient in the step's content)."""

    job: Job
    message: Message
    index: int
    context: dict[str, Any]


def _digest_of(job: Job) -> dict[str, Any] | None:
    digest = getattr(job, "digest_context", None)
    if digest is None and job.digest_id is not None and job.digest.owner_job_id == job.pk:
        digest = digest_context(job.digest)  # resumed after the digest step (a delay or a retry came between)
    return digest


def _channel_steps(jobs: list[Job], step: dict[str, Any]) -> dict[Any, str]:
    """Run one channel step for the jobs at it, set-wise: conditions and preferences per job; the templates rendered
    once for all of them (`templates.personalize`); one insert that claims their messages; the provider called in
    batches; outcomes and execution details written set-wise. The outcome (NEXT or WAIT) per job id."""
    channel = step["type"]
    details: list[ExecutionDetail] = []
    ready: list[tuple[Job, dict[str, Any]]] = []
    for job in jobs:
        context = context_for(job, _digest_of(job))
        passed, trace = conditions_module.evaluate(step.get("conditions") or [], context)
        if not passed:
            details.append(_detail_row(job, "skipped", "Step conditions not met.", raw=trace))
        elif not _allowed_by_preferences(job, channel):
            details.append(_detail_row(job, "skipped", fanout.TURNED_OFF.format(channel=channel)))
        else:
            ready.append((job, context))
    outcomes = dict.fromkeys((job.pk for job in jobs), NEXT)
    if ready:
        content = templates.personalize(
            {name: step.get(name, "") for name in ("subject", "body", "html")}, [context for _, context in ready]
        )
        claimed = _claim_messages(ready, step, content, details)
        if channel == Channel.IN_APP:
            details += [_detail_row(c.job, "success", fanout.ADDED_TO_FEED, message=c.message) for c in claimed]
        elif claimed:
            outcomes.update(_send(claimed, content, details))
    _save_details(details)
    return outcomes


def _save_details(details: list[ExecutionDetail]) -> None:
    """One INSERT; a microsecond apart, so a job's log lines keep their order (details are read by `created_at`)."""
    fields = ("job_id", "message_id", "step_index", "status", "detail", "integration_id", "provider_id", "raw")
    now = timezone.now()
    bulk.insert_rows(
        ExecutionDetail,
        [
            {**{name: getattr(d, name) for name in fields}, "created_at": now + timedelta(microseconds=index)}
            for index, d in enumerate(details)
        ],
    )


def _claim_messages(
    ready: list[tuple[Job, dict[str, Any]]],
    step: dict[str, Any],
    content: templates.Personalized,
    details: list[ExecutionDetail],
) -> list[_Claimed]:
    """Insert the step's messages; the rows this insert created are this run's claim (unique per job and step). A
    row that existed is another run's: claimed again only when it is queued for a retry, else never sent again."""
    channel, step_index = step["type"], ready[0][0].step_index
    is_in_app = channel == Channel.IN_APP
    now = timezone.now()
    fields = (
        {**fanout.in_app_fields(step), "sent_at": now}
        if is_in_app
        else {
            "actions": [{**a, "status": "pending"} for a in step.get("actions") or []],
            "feed_identifier": step.get("feed_identifier", ""),
            "status": MessageStatus.SENDING,
            "attempt_count": 1,
        }
    )
    rows = [
        Message(
            tenant_id=job.tenant_id,
            job=job,
            step_index=step_index,
            event=job.event,
            subscriber=job.subscriber,
            channel=channel,
            subject=content.text("subject", index)[:500],
            content=content.text("body", index),
            **fields,
        )
        for index, (job, _context) in enumerate(ready)
    ]
    fields = [f.attname for f in Message._meta.concrete_fields if f.attname not in ("created_at", "updated_at")]
    inserted = {
        job_id: pk
        for job_id, pk in bulk.insert_rows(
            Message,
            [{name: getattr(row, name) for name in fields} for row in rows],
            skip_conflicts_on=("job", "step_index"),
            returning=("job", "id"),
        )
    }
    claimed = []
    for index, ((job, context), row) in enumerate(zip(ready, rows, strict=True)):
        if job.pk in inserted:
            row.pk = inserted[job.pk]
            claimed.append(_Claimed(job, row, index, context))
            continue
        message = Message.objects.get(job=job, step_index=step_index)
        if not Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempt_count=F("attempt_count") + 1
        ):
            details.append(
                _detail_row(job, "skipped", f"Message already {message.status}: not sent again.", message=message)
            )
            continue
        message.attempt_count += 1
        if is_in_app:
            _mark_sent([message], None, [SendResult(response=fanout.STORED)])
        claimed.append(_Claimed(job, message, index, context))
    return claimed


def _outbound(claimed: _Claimed, integration: Integration, content: templates.Personalized) -> OutboundMessage:
    subscriber, channel = claimed.job.subscriber, claimed.message.channel
    creds: dict[str, Any] = {}
    if channel in (Channel.PUSH, Channel.CHAT):  # only these address a subscriber by stored credentials
        row = SubscriberCredential.objects.filter(subscriber=subscriber, provider_id=integration.provider_id).first()
        creds = row.credentials if row is not None else {}
    return OutboundMessage(
        subject=content.text("subject", claimed.index)[:500],
        body=content.text("body", claimed.index),
        html=content.text("html", claimed.index),
        to_email=subscriber.email,
        to_phone=subscriber.phone,
        device_tokens=tuple(creds.get("device_tokens") or creds.get("deviceTokens") or ()),
        webhook_url=str(creds.get("webhook_url") or creds.get("webhookUrl") or ""),
        sender_channel_id=str(creds.get("channel_id") or creds.get("channelId") or ""),
        recipient_id=str(creds.get("recipient_id") or creds.get("recipientId") or ""),
        push_subscriptions=tuple(creds.get("subscriptions") or ()),
        data={"transactionId": claimed.job.event.transaction_id},
        status_callback=receipts.receipt_url(integration) if integration.provider_id in receipts.PER_MESSAGE else "",
        variables=content.variables[claimed.index],
    )


def _per_message(messages: list[Message], values: list[Any], field: Field) -> Any:
    """One value for an UPDATE of `messages`: a constant when they share it, else a CASE on the primary key."""
    if all(value == values[0] for value in values):
        return Value(values[0], output_field=field)
    whens = [When(pk=m.pk, then=Value(v, output_field=field)) for m, v in zip(messages, values, strict=True)]
    return Case(*whens, output_field=field)


def _mark_sent(messages: list[Message], integration: Integration | None, results: list[SendResult]) -> None:
    """The provider accepted these messages: sent, each with its provider id and answer, in one UPDATE."""
    Message.objects.filter(pk__in=[m.pk for m in messages], status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        integration=integration,
        provider_id=integration.provider_id if integration is not None else fanout.IN_APP_PROVIDER,
        provider_message_id=_per_message(messages, [r.provider_message_id[:255] for r in results], CharField()),
        provider_response=_per_message(messages, [r.response for r in results], JSONField()),
        error=None,
        sent_at=timezone.now(),
    )


def _fail(failures: list[tuple[Message, dict[str, Any]]], *, status: str = MessageStatus.FAILED) -> None:
    """Failed (or queued for a retry) with their errors: one UPDATE per distinct error."""
    by_error: dict[str, tuple[dict[str, Any], list[Message]]] = {}
    for message, error in failures:
        by_error.setdefault(json.dumps(error, sort_keys=True, default=str), (error, []))[1].append(message)
    for error, messages in by_error.values():
        Message.objects.filter(pk__in=[m.pk for m in messages], status=MessageStatus.SENDING).update(
            status=status, error=error
        )
        if status == MessageStatus.FAILED:
            for message in messages:  # each was ours (sending), so each just failed
                webhooks.emit_notification_failed(message, error)


def _send(claimed: list[_Claimed], content: templates.Personalized, details: list[ExecutionDetail]) -> dict[Any, str]:
    """Route each message (integration conditions see its context), then send the messages that share their
    eligible integrations together, with fallback."""
    channel = claimed[0].message.channel
    groups: dict[tuple, tuple[list[Integration], list[_Claimed]]] = {}
    unroutable = []
    routes = integration_services.route_many(channel, [c.context for c in claimed])
    for item, candidates in zip(claimed, routes, strict=True):
        details += [
            _detail_row(
                item.job,
                "skipped",
                f"{c.integration.identifier}: {c.reason}.",
                message=item.message,
                integration=c.integration,
            )
            for c in candidates
            if not c.eligible
        ]
        eligible = [c.integration for c in candidates if c.eligible]
        if eligible:
            groups.setdefault(tuple(i.pk for i in eligible), (eligible, []))[1].append(item)
        else:
            unroutable.append(item)
    if unroutable:
        error = {"code": "NO_INTEGRATION", "message": f"No active {channel} integration applies."}
        _fail([(item.message, error) for item in unroutable])
        details += [_detail_row(item.job, "failed", error["message"], message=item.message) for item in unroutable]
    outcomes: dict[Any, str] = {}
    for eligible, items in groups.values():
        outcomes.update(_send_with_fallback(eligible, items, content, details))
    return outcomes


def _send_with_fallback(
    eligible: list[Integration], items: list[_Claimed], content: templates.Personalized, details: list[ExecutionDetail]
) -> dict[Any, str]:
    """Try the integrations in order (primary first), each with one batch of the messages still unsent; a message
    leaves the loop when a provider accepted it or its outcome is unknown (never tried elsewhere). A batch counts as
    one call for the circuit breaker. Messages no provider took: queued for a retry when a failure was retryable,
    else failed."""
    last_error: dict[Any, dict[str, Any]] = {}
    retry_after: dict[Any, int] = {}
    left = items
    for integration in eligible:
        if not left:
            break
        if not integration_services.acquire(integration):
            details += [
                _detail_row(
                    i.job,
                    "skipped",
                    f"{integration.identifier}: circuit open.",
                    message=i.message,
                    integration=integration,
                )
                for i in left
            ]
            continue
        adapter = adapter_for(integration.provider_id, integration.credentials)
        results = adapter.send_batch([_outbound(i, integration, content) for i in left], content.parts)
        sent: list[tuple[_Claimed, SendResult]] = []
        unknown: list[tuple[Message, dict[str, Any]]] = []
        failed, provider_failed = [], False
        for item, result in zip(left, results, strict=True):
            if isinstance(result, SendResult):
                sent.append((item, result))
                continue
            detail = f"{integration.identifier}: {result.message}"
            if isinstance(result, UnknownOutcome):
                unknown.append((item.message, result.as_dict()))
                detail += " Not retried."
            else:
                failed.append(item)
                last_error[item.message.pk] = {**result.as_dict(), "integration": integration.identifier}
                if result.retryable:
                    retry_after[item.message.pk] = max(retry_after.get(item.message.pk, 0), result.retry_after or 0)
            provider_failed |= not isinstance(result, MissingAddress) and (
                isinstance(result, UnknownOutcome) or result.retryable or result.code == "PROVIDER_AUTH_FAILED"
            )
            details.append(
                _detail_row(
                    item.job, "failed", detail, message=item.message, integration=integration, raw=result.as_dict()
                )
            )
        if provider_failed:
            integration_services.record_failure(integration)
        elif sent:
            integration_services.record_success(integration)
        if sent:
            _mark_sent([i.message for i, _ in sent], integration, [r for _, r in sent])
            details += [
                _detail_row(
                    i.job,
                    "success",
                    f"Sent through {integration.identifier}.",
                    message=i.message,
                    integration=integration,
                    raw=r.response,
                )
                for i, r in sent
            ]
        _fail(unknown)
        left = failed
    outcomes: dict[Any, str] = {}
    retries, failures = [], []
    now = timezone.now()
    for item in left:
        message = item.message
        if message.pk not in retry_after or message.attempt_count >= MAX_SEND_ATTEMPTS:
            failures.append((message, last_error.get(message.pk) or {"code": "ALL_PROVIDERS_FAILED"}))
            continue
        delay = max(retry_after[message.pk], RETRY_BASE_SECONDS * 2 ** (message.attempt_count - 1))
        retries.append((message, last_error[message.pk]))
        item.job.run_at = now + timedelta(seconds=delay)
        details.append(
            _detail_row(item.job, "pending", f"Every provider failed; retrying in {delay} s.", message=message)
        )
        outcomes[item.job.pk] = WAIT
    _fail(retries, status=MessageStatus.QUEUED)
    _fail(failures)
    return outcomes


# --- the sweep -----------------------------------------------------------------------------------------------------
def due_jobs(*, limit: int = 5000) -> dict[str, list[str]]:
    """Release stale claims (a worker died mid-job), then the due pending jobs grouped by tenant id."""
    return sweeps.due_by_tenant(
        Job, running=JobStatus.RUNNING, pending=JobStatus.PENDING, due_field="run_at", lease=LEASE, limit=limit
    )


def retry_message(message: Message, *, actor: Principal) -> Message:
    """Send a failed message again: its job resumes at the message's step (later steps already done stay done:
    their messages exist and are never sent twice)."""
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
            status=MessageStatus.QUEUED, error=None
        )
        if not updated:
            raise InvalidState("Only failed messages can be sent again.")
        Job.objects.filter(pk=message.job_id).exclude(status=JobStatus.RUNNING).update(
            status=JobStatus.PENDING, step_index=message.step_index, run_at=timezone.now(), claimed_at=None
        )
        audit.record("notifications.message.retry", message, actor=actor)
        job_ids, tenant_id = [str(message.job_id)], str(message.tenant_id)
        transaction.on_commit(lambda: enqueue_jobs(job_ids, tenant_id=tenant_id))
    message.refresh_from_db()
    return message
