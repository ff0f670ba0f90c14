"""A trigger's jobs and first in-app step written set-wise (INSERT ... SELECT) with the same outcome as the workers."""

from __future__ import annotations

import httpx
import pytest
import respx

from core import tenancy
from core.db import bulk
from notifications.models import EventStatus, ExecutionDetail, Job, JobStatus, Message, Preference
from notifications.services.triggers import trigger
from notifications.tasks import run_jobs
from notifications.tests.factories import IntegrationFactory, SubscriberFactory, TopicFactory, WorkflowFactory

SENDGRID = "https://api.sendgrid.com/v3/mail/send"
STEPS = [
    {"type": "in_app", "subject": "{{payload.title}}", "body": "Hi {{subscriber.firstName}} ({{tenant.name}})"},
    {"type": "email", "subject": "{{payload.title}}", "body": "Hi {{subscriber.firstName}}"},
]

pytestmark = pytest.mark.usefixtures("without_default_integrations")


def _topic_of(tenant, names):
    from notifications.models import TopicSubscription

    topic = TopicFactory(tenant=tenant, key="everyone")
    people = [SubscriberFactory(tenant=tenant, first_name=name) for name in names]
    with tenancy.tenant_context(tenant):
        TopicSubscription.objects.bulk_create(
            [TopicSubscription(topic=topic, subscriber=p, tenant=tenant) for p in people]
        )
    return people


def _trigger(tenant, workflow, **kwargs):
    with tenancy.tenant_context(tenant):
        return trigger(workflow, triggered_by="test", payload={"title": "Launch"}, **kwargs)


def _in_app(tenant):
    with tenancy.tenant_context(tenant):
        return {
            m.subscriber.first_name: m for m in Message.objects.filter(channel="in_app").select_related("subscriber")
        }


def _run_all(tenant, event):
    with tenancy.tenant_context(tenant):
        job_ids = [str(pk) for pk in Job.objects.filter(event=event).values_list("pk", flat=True)]
    run_jobs.apply(kwargs={"job_ids": job_ids, "tenant_id": str(tenant.pk)})


@respx.mock
def test_a_topic_trigger_stores_the_in_app_step_at_once_and_the_workers_send_each_email_once(tenant):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "sg"}))
    IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    people = _topic_of(tenant, ["Ada", "Bob", "Cy"])
    workflow = WorkflowFactory(tenant=tenant, steps=STEPS)

    result = _trigger(tenant, workflow, topic_keys=["everyone"], transaction_id="tx-topic")

    assert result.job_count == 3
    in_app = _in_app(tenant)  # visible before any worker ran
    assert {name: (m.subject, m.content, m.status) for name, m in in_app.items()} == {
        p.first_name: ("Launch", f"Hi {p.first_name} ({tenant.name})", "sent") for p in people
    }
    assert [(m.provider_id, m.attempt_count, m.provider_response) for m in in_app.values()] == [
        ("hubbub_inapp", 1, {"stored": True})
    ] * 3
    with tenancy.tenant_context(tenant):
        assert set(Job.objects.filter(event=result.event).values_list("step_index", "status")) == {(1, "pending")}
        assert (
            sorted(ExecutionDetail.objects.values_list("status", "detail", "message__channel"))
            == [("success", "Added to the in-app feed.", "in_app")] * 3
        )

    _run_all(tenant, result.event)
    _run_all(tenant, result.event)  # a task delivered twice
    again = _trigger(tenant, workflow, topic_keys=["everyone"], transaction_id="tx-topic")

    assert not again.created and again.event.pk == result.event.pk
    assert route.call_count == 1
    with tenancy.tenant_context(tenant):
        assert (
            sorted(Message.objects.values_list("channel", "status"))
            == [("email", "sent")] * 3 + [("in_app", "sent")] * 3
        )
        assert Job.objects.count() == 3
        result.event.refresh_from_db()
    assert result.event.status == EventStatus.COMPLETED


@pytest.mark.parametrize("in_sql", [True, False], ids=["trigger-sql", "worker"])
def test_preferences_decide_the_same_in_the_trigger_and_in_the_workers(tenant, in_sql):
    """The same people get an in-app item whichever path stores it (a `subscriber.data` placeholder keeps the step
    in the workers)."""
    body = "Hi {{subscriber.firstName}}" if in_sql else "Hi {{subscriber.data.nick}}"
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": body}])
    other = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": body}])
    everyone = _topic_of(tenant, ["Open", "GlobalOff", "GlobalOffWorkflowOn", "WorkflowOff", "OtherWorkflowOff"])
    by_name = {p.first_name: p for p in everyone}
    with tenancy.tenant_context(tenant):
        Preference.objects.create(subscriber=by_name["GlobalOff"], channels={"in_app": False})
        Preference.objects.create(subscriber=by_name["GlobalOffWorkflowOn"], channels={"in_app": False})
        Preference.objects.create(
            subscriber=by_name["GlobalOffWorkflowOn"], workflow=workflow, channels={"in_app": True}
        )
        Preference.objects.create(subscriber=by_name["WorkflowOff"], workflow=workflow, channels={"in_app": False})
        Preference.objects.create(subscriber=by_name["OtherWorkflowOff"], workflow=other, channels={"in_app": False})

    result = _trigger(tenant, workflow, topic_keys=["everyone"])
    assert bool(_in_app(tenant)) is in_sql  # stored by the trigger, or not yet
    _run_all(tenant, result.event)

    assert set(_in_app(tenant)) == {"Open", "GlobalOffWorkflowOn", "OtherWorkflowOff"}
    with tenancy.tenant_context(tenant):
        skipped = ExecutionDetail.objects.filter(status="skipped").values_list("job__subscriber__first_name", "detail")
        assert sorted(skipped) == [
            ("GlobalOff", "The subscriber turned in_app off."),
            ("WorkflowOff", "The subscriber turned in_app off."),
        ]
        assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.COMPLETED}
        result.event.refresh_from_db()
    assert result.event.status == EventStatus.COMPLETED


def test_a_critical_workflow_stores_in_app_for_everyone_in_the_trigger(tenant):
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": "x"}], is_critical=True)
    (person,) = _topic_of(tenant, ["Off"])
    with tenancy.tenant_context(tenant):
        Preference.objects.create(subscriber=person, channels={"in_app": False})

    result = _trigger(tenant, workflow, topic_keys=["everyone"])

    assert set(_in_app(tenant)) == {"Off"}
    with tenancy.tenant_context(tenant):  # nothing left for a worker: no job pending, the event done
        assert list(Job.objects.values_list("step_index", "status")) == [(1, JobStatus.COMPLETED)]
    assert result.event.status == EventStatus.COMPLETED


def test_a_first_step_with_conditions_is_left_to_the_workers(tenant):
    condition = {"type": "GROUP", "value": "AND", "children": []}
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": "x", "conditions": [condition]}])
    _topic_of(tenant, ["Ada"])

    result = _trigger(tenant, workflow, topic_keys=["everyone"])

    assert _in_app(tenant) == {}
    with tenancy.tenant_context(tenant):
        assert list(Job.objects.values_list("step_index", "status")) == [(0, JobStatus.PENDING)]
    assert result.event.status == EventStatus.PROCESSING


def test_named_and_topic_recipients_get_one_job_each(tenant):
    workflow = WorkflowFactory(tenant=tenant, steps=STEPS)
    ada, bob = _topic_of(tenant, ["Ada", "Bob"])
    outsider = SubscriberFactory(tenant=tenant, first_name="Cy")

    result = _trigger(tenant, workflow, to=[ada.subscriber_id, outsider.subscriber_id], topic_keys=["everyone"])

    assert result.job_count == 3
    assert set(_in_app(tenant)) == {"Ada", "Bob", "Cy"}
    assert sorted(result.event.recipients) == sorted([ada.subscriber_id, bob.subscriber_id, outsider.subscriber_id])


def test_insert_select_skips_rows_meeting_the_unique_key_and_returns_only_its_own(tenant, other_tenant):
    from django.db.models import F, Value

    workflow = WorkflowFactory(tenant=tenant, steps=STEPS)
    people = _topic_of(tenant, ["Ada", "Bob"])
    SubscriberFactory(tenant=other_tenant)  # never selected: the source query is the tenant's
    result = _trigger(tenant, workflow, to=[people[0].subscriber_id])
    with tenancy.tenant_context(tenant):
        from notifications.models import Subscriber

        values = {"event": Value(result.event.pk), "subscriber": F("pk"), "step_index": Value(0)}
        values |= {"status": Value("pending"), "run_at": Value(result.event.created_at)}
        inserted = bulk.insert_select(
            Job, Subscriber.objects.all(), values, skip_conflicts_on=("event", "subscriber"), returning=("subscriber",)
        )
        assert inserted == [(people[1].pk,)]
        assert Job.objects.filter(event=result.event).count() == 2
        assert Job.all_tenants.filter(tenant=other_tenant).count() == 0
