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

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
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
from notifications.providers.base import MissingAddress, OutboundMessage, ProviderError, UnknownOutcome
from notifications.services import integrations as integration_services
from notifications.services import receipts, sweeps, webhooks
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
    jobs = list(Job.objects.select_related("event__workflow", "subscriber").filter(pk__in=claimed))
    preferences: dict[Any, dict[Any, dict]] = {job.subscriber_id: {} for job in jobs}
    for row in Preference.objects.filter(subscriber_id__in=list(preferences)).values(
        "subscriber_id", "workflow_id", "channels"
    ):
        preferences[row["subscriber_id"]][row["workflow_id"]] = row["channels"]
    completed, event_ids = [], set()
    for job in jobs:
        job.preference_cache = preferences[job.subscriber_id]  # type: ignore[attr-defined]
        if _run_claimed(job):
            completed.append(job.pk)
        event_ids.add(job.event_id)
    # A crash before this line leaves the jobs claimed: the sweep re-runs them after `LEASE`, and their messages,
    # which exist already, are not sent again.
    Job.objects.filter(pk__in=completed, status=JobStatus.RUNNING).update(status=JobStatus.COMPLETED, claimed_at=None)
    _finish_events(event_ids)


def _run_claimed(job: Job) -> bool:
    """Run a claimed job's steps; True when it completed (its status is saved by the caller), False when it waits
    or was folded into a digest (saved here)."""
    steps = job.event.workflow.steps
    while job.step_index < len(steps):
        outcome = run_step(job, steps[job.step_index])
        if outcome == WAIT:
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.PENDING,
                step_index=job.step_index,
                run_at=job.run_at,
                claimed_at=None,
                digest=job.digest,
            )
            return False
        if outcome == STOP:
            return False
        # Progress is saved only when the job waits or ends: a re-run after a crash replays this run's channel
        # steps, whose messages already exist and are skipped, never sent again.
        job.step_index += 1
    return True


def _finish_events(event_ids: set) -> None:
    unfinished = Job.objects.filter(event_id=OuterRef("pk"), status__in=[JobStatus.PENDING, JobStatus.RUNNING])
    Event.objects.filter(pk__in=list(event_ids), status=EventStatus.PROCESSING).exclude(Exists(unfinished)).update(
        status=EventStatus.COMPLETED
    )


def _detail(
    job: Job, status: str, detail: str, *, message: Message | None = None, integration=None, raw: Any = None
) -> None:
    ExecutionDetail.objects.create(
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
    kind = step["type"]
    if kind == StepType.DELAY:
        job.step_index += 1  # the step is done once the job is due again
        job.run_at = timezone.now() + timedelta(seconds=step_seconds(step))
        _detail(job, "pending", f"Delayed until {job.run_at.isoformat()}.")
        return WAIT
    if kind == StepType.DIGEST:
        return _digest_step(job, step)
    return _channel_step(job, step)


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


def _outbound(job: Job, message: Message, integration: Integration, html: str) -> OutboundMessage:
    subscriber = job.subscriber
    creds: dict[str, Any] = {}
    if message.channel in (Channel.PUSH, Channel.CHAT):  # only these address a subscriber by stored credentials
        row = SubscriberCredential.objects.filter(subscriber=subscriber, provider_id=integration.provider_id).first()
        creds = row.credentials if row is not None else {}
    return OutboundMessage(
        subject=message.subject,
        body=message.content,
        html=html,
        to_email=subscriber.email,
        to_phone=subscriber.phone,
        device_tokens=tuple(creds.get("device_tokens") or creds.get("deviceTokens") or ()),
        webhook_url=str(creds.get("webhook_url") or creds.get("webhookUrl") or ""),
        push_subscriptions=tuple(creds.get("subscriptions") or ()),
        data={"transactionId": job.event.transaction_id},
        status_callback=receipts.receipt_url(integration) if integration.provider_id in receipts.PER_MESSAGE else "",
    )


def _channel_step(job: Job, step: dict[str, Any]) -> str:
    channel = step["type"]
    assert channel in CHANNEL_STEP_TYPES
    digest = getattr(job, "digest_context", None)
    if digest is None and job.digest_id is not None and job.digest.owner_job_id == job.pk:
        digest = digest_context(job.digest)  # resumed after the digest step (a delay or a retry came between)
    context = context_for(job, digest)
    passed, trace = conditions_module.evaluate(step.get("conditions") or [], context)
    if not passed:
        _detail(job, "skipped", "Step conditions not met.", raw=trace)
        return NEXT
    if not _allowed_by_preferences(job, channel):
        _detail(job, "skipped", f"The subscriber turned {channel} off.")
        return NEXT
    is_in_app = channel == Channel.IN_APP
    try:
        # Inserting the row is the claim (unique per job and step); an in-app item is delivered by being stored.
        with transaction.atomic():
            message = Message.objects.create(
                job=job,
                step_index=job.step_index,
                event=job.event,
                subscriber=job.subscriber,
                channel=channel,
                subject=templates.render(step.get("subject", ""), context)[:500],
                content=templates.render(step.get("body", ""), context),
                actions=[{**a, "status": "pending"} for a in step.get("actions") or []],
                feed_identifier=step.get("feed_identifier", ""),
                status=MessageStatus.SENT if is_in_app else MessageStatus.SENDING,
                provider_id="hubbub_inapp" if is_in_app else "",
                sent_at=timezone.now() if is_in_app else None,
                provider_response={"stored": True} if is_in_app else None,
                attempt_count=1,
            )
    except IntegrityError:
        # A re-run: only a message queued for a retry may be claimed again.
        message = Message.objects.get(job=job, step_index=job.step_index)
        claimed = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempt_count=F("attempt_count") + 1
        )
        if not claimed:
            _detail(job, "skipped", f"Message already {message.status}: not sent again.", message=message)
            return NEXT
        message.attempt_count += 1
        if is_in_app:
            _mark_sent(message, None, "", {"stored": True})
    if is_in_app:
        _detail(job, "success", "Added to the in-app feed.", message=message)
        return NEXT
    return _send_with_fallback(job, message, templates.render(step.get("html", ""), context), context)


def _mark_sent(message: Message, integration, provider_message_id: str, response: Any) -> None:
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        integration=integration,
        provider_id=integration.provider_id if integration is not None else "hubbub_inapp",
        provider_message_id=provider_message_id[:255],
        provider_response=response,
        error=None,
        sent_at=timezone.now(),
    )


def _fail(message: Message, error: dict[str, Any], *, status: str = MessageStatus.FAILED) -> None:
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(status=status, error=error)
    if updated and status == MessageStatus.FAILED:
        webhooks.emit_notification_failed(message, error)


def _send_with_fallback(job: Job, message: Message, html: str, context: dict[str, Any]) -> str:
    """Try the channel's eligible integrations in order (primary first); the first success ends the step."""
    candidates = integration_services.route(message.channel, context)
    for candidate in candidates:
        if not candidate.eligible:
            _detail(
                job,
                "skipped",
                f"{candidate.integration.identifier}: {candidate.reason}.",
                message=message,
                integration=candidate.integration,
            )
    eligible = [c.integration for c in candidates if c.eligible]
    if not eligible:
        _fail(message, {"code": "NO_INTEGRATION", "message": f"No active {message.channel} integration applies."})
        _detail(job, "failed", f"No active {message.channel} integration applies.", message=message)
        return NEXT
    retry_after: int | None = None
    last_error: dict[str, Any] = {}
    for integration in eligible:
        if not integration_services.acquire(integration):
            _detail(
                job, "skipped", f"{integration.identifier}: circuit open.", message=message, integration=integration
            )
            continue
        try:
            result = adapter_for(integration.provider_id, integration.credentials).send(
                _outbound(job, message, integration, html)
            )
        except UnknownOutcome as exc:
            integration_services.record_failure(integration)
            _fail(message, exc.as_dict())
            _detail(
                job,
                "failed",
                f"{integration.identifier}: {exc.message} Not retried.",
                message=message,
                integration=integration,
                raw=exc.as_dict(),
            )
            return NEXT
        except ProviderError as exc:
            last_error = {**exc.as_dict(), "integration": integration.identifier}
            if not isinstance(exc, MissingAddress) and (exc.retryable or exc.code == "PROVIDER_AUTH_FAILED"):
                integration_services.record_failure(integration)
            if exc.retryable:
                retry_after = max(retry_after or 0, exc.retry_after or 0)
            _detail(
                job,
                "failed",
                f"{integration.identifier}: {exc.message}",
                message=message,
                integration=integration,
                raw=exc.as_dict(),
            )
            continue
        integration_services.record_success(integration)
        _mark_sent(message, integration, result.provider_message_id, result.response)
        _detail(
            job,
            "success",
            f"Sent through {integration.identifier}.",
            message=message,
            integration=integration,
            raw=result.response,
        )
        return NEXT
    if retry_after is not None and message.attempt_count < MAX_SEND_ATTEMPTS:
        delay = max(retry_after, RETRY_BASE_SECONDS * 2 ** (message.attempt_count - 1))
        _fail(message, last_error, status=MessageStatus.QUEUED)
        job.run_at = timezone.now() + timedelta(seconds=delay)
        _detail(job, "pending", f"Every provider failed; retrying in {delay} s.", message=message)
        return WAIT
    _fail(message, last_error or {"code": "ALL_PROVIDERS_FAILED"})
    return NEXT


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
