"""Every app's `core.notify.notify()` runs through the notifications app, and the email still arrives."""

from __future__ import annotations

import httpx
import pytest
import respx
from django.core import mail

from core import notify, tenancy
from notifications.models import Event, Integration, Message, Subscriber
from notifications.services.notices import deliver_notice
from notifications.tests.factories import IntegrationFactory, WorkflowFactory
from tenants.roles import Role


def _notify(tenant, run_after_commit, to, event="post.failed"):
    with run_after_commit():
        return notify.notify(
            event,
            to=to,
            subject="Post failed",
            body="Your post failed.",
            tenant_id=tenant.pk if tenant else None,
            data={"post_id": "p1"},
        )


def test_the_app_installs_its_deliverer(monkeypatch):
    from django.apps import apps

    monkeypatch.setattr(notify, "_deliverer", notify.send_as_email)
    apps.get_app_config("notifications").ready()
    assert notify._deliverer is deliver_notice


def test_without_a_workflow_or_integration_the_notice_is_a_django_email(tenant, run_after_commit):
    _notify(tenant, run_after_commit, ["ada@example.com"])
    (sent,) = mail.outbox
    assert (sent.subject, sent.to) == ("Post failed", ["ada@example.com"])
    with tenancy.tenant_context(tenant):
        assert not Event.objects.exists()


def test_a_notice_without_tenant_is_a_plain_email(run_after_commit, db):
    _notify(None, run_after_commit, ["ops@example.com"])
    assert mail.outbox[0].to == ["ops@example.com"]


@respx.mock
@pytest.mark.usefixtures("without_default_integrations")
def test_without_a_workflow_the_email_goes_through_the_tenants_email_integration(tenant, run_after_commit):
    route = respx.post("https://api.sendgrid.com/v3/mail/send").mock(return_value=httpx.Response(202))
    IntegrationFactory(tenant=tenant, is_primary=True)
    _notify(tenant, run_after_commit, ["ada@example.com", "bob@example.com"])
    assert route.call_count == 2 and mail.outbox == []


def test_a_workflow_bound_to_the_event_runs_for_members_and_strangers(tenant, make_member, run_after_commit):
    member = make_member(tenant, Role.EDITOR, email="member@acme.test", first_name="Mia")
    WorkflowFactory(
        tenant=tenant,
        identifier="post.failed",
        steps=[
            {"type": "in_app", "body": "{{payload.subject}} ({{payload.postId}})"},
            {
                "type": "email",
                "subject": "{{payload.subject}}",
                "body": "Hi {{subscriber.firstName}}, {{payload.body}}",
            },
        ],
    )
    IntegrationFactory(tenant=tenant, provider_id="smtp", credentials_encrypted='{"from": "n@acme.test"}')
    notice = _notify(tenant, run_after_commit, ["member@acme.test", "client@example.com"])
    with tenancy.tenant_context(tenant):
        subscribers = {s.email: s for s in Subscriber.objects.all()}
        assert subscribers["member@acme.test"].user_id == member.user_id
        assert subscribers["member@acme.test"].subscriber_id == str(member.user_id)
        assert subscribers["client@example.com"].subscriber_id == "client@example.com"
        feed = Message.objects.filter(channel="in_app", subscriber=subscribers["member@acme.test"]).get()
        event = Event.objects.get()
    assert feed.content == "Post failed (p1)"
    assert event.transaction_id == f"notice-{notice.notice_id}"
    assert sorted(m.to[0] for m in mail.outbox) == ["client@example.com", "member@acme.test"]
    assert "Hi Mia, Your post failed." in [m.body for m in mail.outbox]


def test_a_redelivered_notice_triggers_once(tenant, run_after_commit):
    WorkflowFactory(tenant=tenant, identifier="post.failed", steps=[{"type": "in_app", "body": "x"}])
    notice = notify.Notice(event="post.failed", to=("a@example.com",), subject="s", body="b", tenant_id=str(tenant.pk))
    with run_after_commit():
        deliver_notice(notice)
    with run_after_commit():
        deliver_notice(notice)
    with tenancy.tenant_context(tenant):
        assert Message.objects.count() == 1


def test_an_inactive_workflow_falls_back_to_email(tenant, run_after_commit):
    WorkflowFactory(tenant=tenant, identifier="post.failed", is_active=False)
    _notify(tenant, run_after_commit, ["ada@example.com"])
    assert len(mail.outbox) == 1


@pytest.fixture
def manager_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.ADMIN))


def test_a_critical_notice_arrives_by_email_through_the_new_tenants_default_workflow(tenant, run_after_commit):
    _notify(tenant, run_after_commit, ["ada@example.com"], event="tenants.member_invited")
    (sent,) = mail.outbox
    assert (sent.subject, sent.to, sent.body) == ("Post failed", ["ada@example.com"], "Your post failed.")
    with tenancy.tenant_context(tenant):
        (message,) = Message.objects.filter(event__workflow__identifier="tenants.member_invited")
        assert (message.channel, message.status, message.integration.identifier) == ("email", "sent", "site-smtp")


@pytest.mark.usefixtures("without_default_integrations")
def test_defaults_keep_the_tenants_own_email_integration(manager_client, tenant):
    own = IntegrationFactory(tenant=tenant, is_primary=True)
    manager_client.post("/api/v1/notifications/workflows/defaults")
    with tenancy.tenant_context(tenant):
        assert set(Integration.objects.filter(is_deleted=False).values_list("channel", "identifier")) == {
            ("email", own.identifier),
            ("in_app", "hubbub-inapp"),
        }
