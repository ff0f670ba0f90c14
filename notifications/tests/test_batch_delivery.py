"""A chunk's email step sent set-wise: provider batch APIs, fallback and unknown outcomes per message, receipts."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.core import mail

from core import tenancy
from notifications.models import ExecutionDetail, Job, Message
from notifications.services import delivery
from notifications.services.triggers import trigger
from notifications.tests.factories import IntegrationFactory, SubscriberFactory, WorkflowFactory

SENDGRID = "https://api.sendgrid.com/v3/mail/send"
MAILGUN = "https://api.mailgun.net/v3/mg.acme.test/messages"
SES = "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails"
STEP = {
    "type": "email",
    "subject": "{{payload.title}} for {{subscriber.firstName}}",
    "body": "Hi {{subscriber.firstName}}, {{payload.title}} is out.",
    "html": "<p>{{subscriber.firstName}}</p>",
}

pytestmark = pytest.mark.usefixtures("without_default_integrations")


def _run(tenant, subscribers, steps=None):
    """Trigger, then run every job as one worker chunk."""
    workflow = WorkflowFactory(tenant=tenant, steps=steps or [STEP])
    with tenancy.tenant_context(tenant):
        result = trigger(workflow, triggered_by="test", subscribers=subscribers, payload={"title": "Launch"})
        job_ids = [str(pk) for pk in Job.objects.filter(event=result.event).values_list("pk", flat=True)]
        delivery.run_jobs(job_ids)
        return {m.subscriber.first_name: m for m in Message.objects.select_related("subscriber")}


def _people(tenant, names, **extra):
    return [SubscriberFactory(tenant=tenant, first_name=name, **extra) for name in names]


def _details(tenant, message):
    with tenancy.tenant_context(tenant):
        return list(ExecutionDetail.objects.filter(message=message).values_list("status", "provider_id"))


def _mailgun(tenant, **fields):
    credentials = {"api_key": "key-1", "domain": "mg.acme.test", "from": "n@acme.test"}
    return IntegrationFactory(
        tenant=tenant,
        identifier="mailgun",
        provider_id="mailgun",
        credentials_encrypted=json.dumps(credentials),
        **fields,
    )


@respx.mock
def test_sendgrid_gets_one_request_with_a_personalization_per_recipient(tenant):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "batch-1"}))
    IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    people = _people(tenant, ["Ada", "Bob", "Cy"])

    messages = _run(tenant, people)

    assert route.call_count == 1
    body = json.loads(route.calls.last.request.content)
    (tag,) = {key for p in body["personalizations"] for key in p["substitutions"]}
    assert body["subject"] == f"Launch for {tag}"  # rendered once: the constant inlined, the name a substitution
    assert body["content"] == [
        {"type": "text/plain", "value": f"Hi {tag}, Launch is out."},
        {"type": "text/html", "value": f"<p>{tag}</p>"},
    ]
    assert [(p["to"][0]["email"], p["substitutions"][tag]) for p in body["personalizations"]] == [
        (person.email, person.first_name) for person in people
    ]
    for person in people:  # each message stores what its recipient got
        message = messages[person.first_name]
        assert (message.status, message.provider_message_id) == ("sent", "batch-1")
        assert (message.subject, message.content) == (
            f"Launch for {person.first_name}",
            f"Hi {person.first_name}, Launch is out.",
        )
        assert _details(tenant, message) == [("success", "sendgrid")]


@respx.mock
def test_a_failed_batch_falls_back_per_message_and_counts_once_for_the_circuit(tenant):
    respx.post(SENDGRID).mock(return_value=httpx.Response(503, json={"errors": [{"message": "down"}]}))
    mailgun = respx.post(MAILGUN).mock(return_value=httpx.Response(200, json={"id": "<mg-batch>", "message": "Queued"}))
    sendgrid = IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    _mailgun(tenant)
    people = _people(tenant, ["Ada", "Bob"])

    messages = _run(tenant, people)

    assert mailgun.call_count == 1
    form = parse_qs(mailgun.calls.last.request.content.decode())
    assert form["to"] == [p.email for p in people]
    variables = json.loads(form["recipient-variables"][0])
    (name,) = variables[people[0].email]
    assert form["text"] == [f"Hi %recipient.{name}%, Launch is out."]
    assert {email: v[name] for email, v in variables.items()} == {p.email: p.first_name for p in people}
    for message in messages.values():
        assert (message.status, message.provider_id, message.provider_message_id) == ("sent", "mailgun", "<mg-batch>")
        assert _details(tenant, message) == [("failed", "sendgrid"), ("success", "mailgun")]
    with tenancy.tenant_context(tenant):
        sendgrid.refresh_from_db()
    assert sendgrid.failure_count == 1


@respx.mock
def test_an_unanswered_batch_marks_nothing_sent_and_tries_no_other_provider(tenant):
    respx.post(SENDGRID).mock(side_effect=httpx.ReadTimeout("no answer"))
    mailgun = respx.post(MAILGUN).mock(return_value=httpx.Response(200, json={"id": "<mg>"}))
    IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    _mailgun(tenant)

    messages = _run(tenant, _people(tenant, ["Ada", "Bob"]))

    assert mailgun.call_count == 0
    assert {(m.status, m.error["code"]) for m in messages.values()} == {("failed", "UNKNOWN_OUTCOME")}


@respx.mock
def test_a_recipient_without_address_fails_alone(tenant):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "b"}))
    IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    people = [*_people(tenant, ["Ada", "Bob"]), SubscriberFactory(tenant=tenant, first_name="Nobody", email="")]

    messages = _run(tenant, people)

    assert len(json.loads(route.calls.last.request.content)["personalizations"]) == 2
    assert messages["Nobody"].status == "failed" and messages["Nobody"].error["code"] == "MISSING_ADDRESS"
    assert messages["Ada"].status == messages["Bob"].status == "sent"


@respx.mock
def test_ses_sends_one_call_per_message_and_a_rejected_one_is_not_marked_sent(tenant):
    answers = iter(
        [
            httpx.Response(200, json={"MessageId": "ses-ada"}),
            httpx.Response(400, json={"message": "Email address is not verified."}),
            httpx.Response(200, json={"MessageId": "ses-cy"}),
        ]
    )
    route = respx.post(SES).mock(side_effect=lambda request: next(answers))
    credentials = {"access_key_id": "AKID", "secret_access_key": "s", "region": "eu-west-1", "from": "n@acme.test"}
    IntegrationFactory(
        tenant=tenant,
        identifier="ses",
        provider_id="ses",
        is_primary=True,
        credentials_encrypted=json.dumps(credentials),
    )

    messages = _run(tenant, _people(tenant, ["Ada", "Bob", "Cy"]))

    assert route.call_count == 3
    assert (messages["Ada"].status, messages["Ada"].provider_message_id) == ("sent", "ses-ada")
    assert (messages["Cy"].status, messages["Cy"].provider_message_id) == ("sent", "ses-cy")
    assert messages["Bob"].status == "failed" and messages["Bob"].error["code"] == "PROVIDER_REJECTED"


def test_smtp_sends_a_chunk_over_one_connection(tenant, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    IntegrationFactory(tenant=tenant, identifier="smtp", provider_id="smtp", is_primary=True)
    opened = []
    from django.core.mail.backends.locmem import EmailBackend

    monkeypatch.setattr(EmailBackend, "open", lambda self: opened.append(self) or True, raising=False)

    messages = _run(tenant, _people(tenant, ["Ada", "Bob", "Cy"]))

    assert len(opened) == 1
    assert sorted(m.subject for m in mail.outbox) == ["Launch for Ada", "Launch for Bob", "Launch for Cy"]
    assert {m.status for m in messages.values()} == {"sent"}


@respx.mock
def test_a_job_run_twice_sends_its_batch_once(tenant):
    route = respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "b"}))
    IntegrationFactory(tenant=tenant, identifier="sendgrid", is_primary=True)
    workflow = WorkflowFactory(tenant=tenant, steps=[STEP])
    with tenancy.tenant_context(tenant):
        result = trigger(workflow, triggered_by="t", subscribers=_people(tenant, ["Ada", "Bob"]), payload={})
        job_ids = [str(pk) for pk in Job.objects.filter(event=result.event).values_list("pk", flat=True)]
        delivery.run_jobs(job_ids)
        Job.objects.update(status="pending")  # as if redelivered to a second worker after a lost completion
        delivery.run_jobs(job_ids)
        assert route.call_count == 1
        assert Message.objects.count() == 2
        assert ExecutionDetail.objects.filter(detail="Message already sent: not sent again.").count() == 2
