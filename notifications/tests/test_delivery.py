"""Workflow execution: send-once guards, provider fallback with the circuit breaker, delays, digests, preferences."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.core import mail
from django.utils import timezone

from core import tenancy
from notifications.models import (
    DigestBatch,
    EventStatus,
    ExecutionDetail,
    Integration,
    Job,
    JobStatus,
    Message,
    MessageStatus,
    Preference,
)
from notifications.services import delivery
from notifications.services.integrations import CIRCUIT_FAILURE_THRESHOLD
from notifications.services.triggers import cancel, trigger
from notifications.tasks import run_jobs, sweep_due_jobs
from notifications.tests.factories import IntegrationFactory, SubscriberFactory, WorkflowFactory

SENDGRID = "https://api.sendgrid.com/v3/mail/send"
MAILGUN = "https://api.mailgun.net/v3/mg.acme.test/messages"

# Routing is tested against exactly the integrations each test creates.
pytestmark = pytest.mark.usefixtures("without_default_integrations")


def _trigger(tenant, workflow, subscribers, *, payload=None, transaction_id=None):
    with tenancy.tenant_context(tenant):
        return trigger(
            workflow,
            triggered_by="test",
            subscribers=subscribers,
            payload=payload or {"title": "Launch"},
            transaction_id=transaction_id,
        )


def _messages(tenant, **filters):
    with tenancy.tenant_context(tenant):
        return list(Message.objects.filter(**filters).select_related("event").order_by("step_index", "created_at"))


@pytest.fixture
def subscriber(tenant):
    return SubscriberFactory(tenant=tenant, first_name="Ada")


@pytest.fixture
def sendgrid(tenant):
    return IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)


@respx.mock
def test_trigger_renders_templates_and_sends_each_channel_once(tenant, subscriber, sendgrid, run_after_commit):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "sg-1"}))
    workflow = WorkflowFactory(tenant=tenant)
    with run_after_commit():
        result = _trigger(tenant, workflow, [subscriber], transaction_id="tx-1")
    in_app, email = _messages(tenant)
    assert (in_app.channel, in_app.status, in_app.content) == ("in_app", "sent", "Hello Ada: Launch")
    assert (email.status, email.subject, email.provider_message_id) == ("sent", "Launch", "sg-1")
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer SG.test"
    body = httpx.Response(200, content=sent.content).json()
    assert body["personalizations"] == [{"to": [{"email": subscriber.email}]}]
    assert body["content"][0] == {"type": "text/plain", "value": "Hi Ada"}
    with tenancy.tenant_context(tenant):
        result.event.refresh_from_db()
    assert result.event.status == EventStatus.COMPLETED


@respx.mock
def test_same_transaction_id_sends_once(tenant, subscriber, sendgrid, run_after_commit):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202))
    workflow = WorkflowFactory(tenant=tenant)
    with run_after_commit():
        first = _trigger(tenant, workflow, [subscriber], transaction_id="same")
    with run_after_commit():
        again = _trigger(tenant, workflow, [subscriber], transaction_id="same")
    assert first.created and not again.created
    assert again.event.pk == first.event.pk
    assert route.call_count == 1
    assert len(_messages(tenant)) == 2


@respx.mock
def test_a_task_executed_twice_sends_once(tenant, subscriber, sendgrid, run_after_commit):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202))
    workflow = WorkflowFactory(tenant=tenant)
    result = _trigger(tenant, workflow, [subscriber])  # after-commit enqueue not executed: we run the task by hand
    with tenancy.tenant_context(tenant):
        job_ids = [str(pk) for pk in Job.objects.filter(event=result.event).values_list("pk", flat=True)]
    run_jobs.apply(kwargs={"job_ids": job_ids, "tenant_id": str(tenant.pk)})
    run_jobs.apply(kwargs={"job_ids": job_ids, "tenant_id": str(tenant.pk)})
    assert route.call_count == 1
    assert [m.status for m in _messages(tenant)] == ["sent", "sent"]


@respx.mock
def test_a_job_rerun_after_a_crash_does_not_resend_a_claimed_message(tenant, subscriber, sendgrid):
    """A worker died after claiming the email (status `sending`): the released job skips it, never resends."""
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202))
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    result = _trigger(tenant, workflow, [subscriber])
    with tenancy.tenant_context(tenant):
        job = Job.objects.get(event=result.event)
        Message.objects.create(
            job=job, event=result.event, subscriber=subscriber, step_index=0, channel="email", status="sending"
        )
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, claimed_at=timezone.now() - timedelta(hours=1))
    assert sweep_due_jobs.apply().get() == 1  # the stale claim is released and the job re-run
    assert route.call_count == 0
    with tenancy.tenant_context(tenant):
        assert Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED
        assert ExecutionDetail.objects.filter(job=job, detail__contains="not sent again").exists()


@respx.mock
def test_provider_5xx_falls_back_to_the_next_integration_in_the_same_step(
    tenant, subscriber, sendgrid, run_after_commit
):
    respx.post(SENDGRID).mock(return_value=httpx.Response(503, json={"errors": [{"message": "down"}]}))
    mailgun = respx.post(MAILGUN).mock(return_value=httpx.Response(200, json={"id": "<mg-1>", "message": "Queued"}))
    IntegrationFactory(
        tenant=tenant,
        identifier="mailgun",
        provider_id="mailgun",
        credentials_encrypted='{"api_key": "key-1", "domain": "mg.acme.test", "from": "n@acme.test"}',
    )
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    with run_after_commit():
        _trigger(tenant, workflow, [subscriber])
    (message,) = _messages(tenant)
    assert (message.status, message.provider_id, message.provider_message_id) == ("sent", "mailgun", "<mg-1>")
    assert mailgun.calls.last.request.headers["Authorization"].startswith("Basic ")
    with tenancy.tenant_context(tenant):
        details = list(ExecutionDetail.objects.filter(message=message).values_list("status", "provider_id"))
        sendgrid.refresh_from_db()
    assert details == [("failed", "sendgrid"), ("success", "mailgun")]
    assert sendgrid.failure_count == 1


@respx.mock
def test_circuit_opens_after_repeated_failures_and_probes_after_the_open_period(tenant, sendgrid, run_after_commit):
    sendgrid_route = respx.post(SENDGRID).mock(return_value=httpx.Response(500))
    respx.post(MAILGUN).mock(return_value=httpx.Response(200, json={"id": "<mg>"}))
    IntegrationFactory(
        tenant=tenant,
        identifier="mailgun",
        provider_id="mailgun",
        credentials_encrypted='{"api_key": "k", "domain": "mg.acme.test", "from": "n@acme.test"}',
    )
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(CIRCUIT_FAILURE_THRESHOLD + 2):
            with run_after_commit():
                _trigger(tenant, workflow, [SubscriberFactory(tenant=tenant)])
    assert sendgrid_route.call_count == CIRCUIT_FAILURE_THRESHOLD  # then A was skipped
    with tenancy.tenant_context(tenant):
        assert ExecutionDetail.objects.filter(detail="sendgrid: circuit open.").count() == 2
        assert Message.objects.filter(status="sent", provider_id="mailgun").count() == CIRCUIT_FAILURE_THRESHOLD + 2
    sendgrid_route.mock(return_value=httpx.Response(202))
    with time_machine.travel(start + timedelta(minutes=2), tick=False), run_after_commit():
        _trigger(tenant, workflow, [SubscriberFactory(tenant=tenant)])
    assert sendgrid_route.call_count == CIRCUIT_FAILURE_THRESHOLD + 1  # the half-open probe, which succeeded
    with tenancy.tenant_context(tenant):
        sendgrid.refresh_from_db()
    assert (sendgrid.failure_count, sendgrid.circuit_open_until) == (0, None)


@respx.mock
def test_rate_limited_everywhere_retries_later_via_the_sweep(tenant, subscriber, sendgrid, run_after_commit):
    route = respx.post(SENDGRID).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(202)]
    )
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    start = timezone.now()
    with time_machine.travel(start, tick=False), run_after_commit():
        _trigger(tenant, workflow, [subscriber])
    (message,) = _messages(tenant)
    assert message.status == MessageStatus.QUEUED and message.error["code"] == "PROVIDER_RATE_LIMITED"
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert sweep_due_jobs.apply().get() == 0  # not before Retry-After
    with time_machine.travel(start + timedelta(seconds=121), tick=False):
        assert sweep_due_jobs.apply().get() == 1
    (message,) = _messages(tenant)
    assert (message.status, message.attempt_count, route.call_count) == ("sent", 2, 2)


def test_delay_step_waits_in_the_database_until_the_sweep(tenant, subscriber, run_after_commit):
    workflow = WorkflowFactory(
        tenant=tenant,
        steps=[{"type": "delay", "amount": 10, "unit": "minutes"}, {"type": "in_app", "body": "later"}],
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False), run_after_commit():
        _trigger(tenant, workflow, [subscriber])
    assert _messages(tenant) == []
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        sweep_due_jobs.apply()
    assert [m.content for m in _messages(tenant)] == ["later"]


def test_cancel_stops_a_delayed_trigger(tenant, subscriber, run_after_commit):
    workflow = WorkflowFactory(
        tenant=tenant,
        steps=[{"type": "delay", "amount": 1, "unit": "minutes"}, {"type": "in_app", "body": "later"}],
    )
    with run_after_commit():
        result = _trigger(tenant, workflow, [subscriber])
    with tenancy.tenant_context(tenant):
        assert cancel(result.event) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        sweep_due_jobs.apply()
    assert _messages(tenant) == []


def test_digest_collects_fifty_triggers_into_one_message_even_when_the_worker_dies(
    tenant, subscriber, run_after_commit
):
    workflow = WorkflowFactory(
        tenant=tenant,
        steps=[
            {"type": "digest", "amount": 5, "unit": "minutes"},
            {"type": "in_app", "body": "{{step.digestCount}} new comments, first: {{step.events.0.text}}"},
        ],
    )
    start = timezone.now()
    for n in range(50):
        with time_machine.travel(start + timedelta(seconds=n), tick=False), run_after_commit():
            _trigger(tenant, workflow, [subscriber], payload={"text": f"comment {n}"})
    with tenancy.tenant_context(tenant):
        (batch,) = DigestBatch.objects.all()
        owner = batch.owner_job
        assert Job.objects.filter(status=JobStatus.MERGED).count() == 49
        # The worker picking up the closed window dies mid-run: its claim goes stale.
        Job.objects.filter(pk=owner.pk).update(status=JobStatus.RUNNING, claimed_at=start)
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        sweep_due_jobs.apply()
    assert _messages(tenant) == []  # the window is still open
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        sweep_due_jobs.apply()
        sweep_due_jobs.apply()  # a second sweep (or a duplicate task) changes nothing
    (message,) = _messages(tenant)
    assert message.content == "50 new comments, first: comment 0"


def test_preferences_turn_a_channel_off_but_critical_workflows_ignore_them(tenant, subscriber, run_after_commit):
    steps = [{"type": "in_app", "body": "x"}]
    normal = WorkflowFactory(tenant=tenant, steps=steps)
    critical = WorkflowFactory(tenant=tenant, steps=steps, is_critical=True)
    with tenancy.tenant_context(tenant):
        Preference.objects.create(subscriber=subscriber, channels={"in_app": False})
    with run_after_commit():
        _trigger(tenant, normal, [subscriber])
        _trigger(tenant, critical, [subscriber])
    assert [m.event.workflow_id for m in _messages(tenant)] == [critical.pk]


def test_per_workflow_preference_beats_the_global_one(tenant, subscriber, run_after_commit):
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": "x"}])
    with tenancy.tenant_context(tenant):
        Preference.objects.create(subscriber=subscriber, channels={"in_app": False})
        Preference.objects.create(subscriber=subscriber, workflow=workflow, channels={"in_app": True})
    with run_after_commit():
        _trigger(tenant, workflow, [subscriber])
    assert len(_messages(tenant)) == 1


@respx.mock
def test_step_conditions_and_integration_conditions_route_by_payload(tenant, subscriber, run_after_commit):
    vip = IntegrationFactory(
        tenant=tenant,
        identifier="vip",
        is_primary=True,
        conditions=[
            {
                "type": "GROUP",
                "value": "AND",
                "children": [{"on": "payload", "field": "tier", "operator": "EQUAL", "value": "gold"}],
            }
        ],
    )
    IntegrationFactory(
        tenant=tenant,
        identifier="bulk",
        provider_id="mailgun",
        credentials_encrypted='{"api_key": "k", "domain": "mg.acme.test", "from": "n@acme.test"}',
    )
    respx.post(SENDGRID).mock(return_value=httpx.Response(202))
    respx.post(MAILGUN).mock(return_value=httpx.Response(200, json={"id": "<x>"}))
    workflow = WorkflowFactory(
        tenant=tenant,
        steps=[
            {"type": "email", "subject": "s", "body": "b"},
            {
                "type": "in_app",
                "body": "only big",
                "conditions": [
                    {
                        "type": "GROUP",
                        "value": "OR",
                        "children": [{"on": "payload", "field": "amount", "operator": "LARGER", "value": 100}],
                    }
                ],
            },
        ],
    )
    with run_after_commit():
        _trigger(tenant, workflow, [subscriber], payload={"tier": "gold", "amount": 50})
        _trigger(tenant, workflow, [SubscriberFactory(tenant=tenant)], payload={"tier": "tin", "amount": 500})
    sent = [(m.channel, m.provider_id) for m in _messages(tenant)]
    assert sorted(sent) == sorted([("email", "sendgrid"), ("email", "mailgun"), ("in_app", "hubbub_inapp")])
    assert vip.identifier == "vip"


def test_no_email_integration_fails_the_message_visibly(tenant, subscriber, run_after_commit):
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "s", "body": "b"}])
    with run_after_commit():
        _trigger(tenant, workflow, [subscriber])
    (message,) = _messages(tenant)
    assert message.status == "failed" and message.error["code"] == "NO_INTEGRATION"
    assert mail.outbox == []


def test_deleted_integrations_are_never_used(tenant, subscriber, run_after_commit):
    IntegrationFactory(tenant=tenant, is_deleted=True)
    with tenancy.tenant_context(tenant):
        assert delivery.integration_services.route("email", {}) == []
        assert Integration.objects.filter(is_deleted=True).count() == 3  # the two defaults and this one
