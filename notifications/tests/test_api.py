"""The notifications API: integrations, subscribers, topics, workflows, triggers, messages, feed."""

from __future__ import annotations

import httpx
import pytest
import respx
from django.db import connection

from core import extensions, tenancy
from core.models import AuditLogEntry
from notifications.models import (
    Event,
    Integration,
    Message,
    Subscriber,
    SubscriberCredential,
    Topic,
    TopicSubscription,
    Workflow,
)
from notifications.services.defaults import DEFAULT_INTEGRATIONS
from notifications.tests.factories import (
    IntegrationFactory,
    SubscriberFactory,
    TopicFactory,
    WorkflowFactory,
)
from tenants.roles import Role

BASE = "/api/v1/notifications"
SENDGRID = {
    "channel": "email",
    "providerId": "sendgrid",
    "name": "SendGrid",
    "identifier": "sendgrid",
    "credentials": {"apiKey": "SG.secret", "from": "n@acme.test"},
    "active": True,
}


@pytest.fixture
def admin_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.ADMIN))


@pytest.fixture
def editor_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.EDITOR))


# --- providers and integrations ------------------------------------------------------------------------------------
def test_providers_lists_credential_fields_in_camel_case(admin_client):
    response = admin_client.get(f"{BASE}/providers")
    assert response.status_code == 200
    ses = next(p for p in response.json() if p["id"] == "ses")
    assert ses["channel"] == "email"
    assert {f["key"] for f in ses["credentials"]} == {"accessKeyId", "secretAccessKey", "region", "from", "senderName"}


def test_create_integration_keeps_credentials_write_only_and_encrypted(admin_client, tenant):
    response = admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "credentials" not in body and body["credentialsSet"] == ["apiKey", "from"]
    assert "SG.secret" not in response.content.decode()
    with tenancy.tenant_context(tenant):
        integration = Integration.objects.get(pk=body["id"])
    assert integration.credentials["api_key"] == "SG.secret"
    with tenancy.tenant_context(tenant):
        audit_changes = list(AuditLogEntry.objects.filter(object_id=body["id"]).values_list("changes", flat=True))
    assert audit_changes and "SG.secret" not in str(audit_changes)
    with tenancy.tenant_context(tenant), connection.cursor() as cursor:  # the column holds ciphertext
        cursor.execute("SELECT credentials_encrypted FROM notifications_integration")
        (stored,) = cursor.fetchone()
    assert stored and "SG.secret" not in stored


def test_active_integration_needs_its_required_credentials(admin_client):
    response = admin_client.post(f"{BASE}/integrations/", {**SENDGRID, "credentials": {}}, format="json")
    assert response.status_code == 400
    assert "apiKey" in str(response.json()["error"]["details"]) or "api_key" in str(response.json()["error"]["details"])


def test_integration_validation_errors(admin_client):
    bad = [
        {**SENDGRID, "providerId": "nope"},
        {**SENDGRID, "channel": "sms"},
        {
            **SENDGRID,
            "conditions": [
                {"type": "GROUP", "value": "AND", "children": [{"field": "x", "operator": "ROUGHLY", "value": 1}]}
            ],
        },
    ]
    for body in bad:
        response = admin_client.post(f"{BASE}/integrations/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_one_primary_per_channel(admin_client, tenant):
    first = admin_client.post(f"{BASE}/integrations/", {**SENDGRID, "primary": True}, format="json").json()
    second = admin_client.post(
        f"{BASE}/integrations/", {**SENDGRID, "identifier": "sg2", "primary": True}, format="json"
    ).json()
    assert admin_client.get(f"{BASE}/integrations/{first['id']}").json()["primary"] is False
    response = admin_client.post(f"{BASE}/integrations/{first['id']}/primary")
    assert response.status_code == 200 and response.json()["primary"] is True
    assert admin_client.get(f"{BASE}/integrations/{second['id']}").json()["primary"] is False


def test_identifier_conflict_and_soft_delete_frees_it(admin_client, tenant):
    created = admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json").json()
    assert admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json").status_code == 409
    assert admin_client.delete(f"{BASE}/integrations/{created['id']}").status_code == 204
    assert admin_client.get(f"{BASE}/integrations/{created['id']}").status_code == 404
    with tenancy.tenant_context(tenant):
        deleted = Integration.objects.get(pk=created["id"])
    assert deleted.is_deleted and deleted.deleted_at and deleted.deleted_by is not None
    assert admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json").status_code == 201


def test_update_merges_credentials(admin_client, tenant):
    created = admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json").json()
    response = admin_client.put(
        f"{BASE}/integrations/{created['id']}", {"credentials": {"senderName": "Acme"}, "name": "SG"}, format="json"
    )
    assert response.status_code == 200 and response.json()["name"] == "SG"
    with tenancy.tenant_context(tenant):
        assert Integration.objects.get(pk=created["id"]).credentials == {
            "api_key": "SG.secret",
            "from": "n@acme.test",
            "sender_name": "Acme",
        }


@respx.mock
def test_check_makes_a_harmless_call_and_reports_refusal(admin_client):
    created = admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json").json()
    route = respx.get("https://api.sendgrid.com/v3/scopes").mock(return_value=httpx.Response(200, json={}))
    response = admin_client.post(f"{BASE}/integrations/{created['id']}/check")
    assert response.status_code == 200 and response.json()["lastCheckedAt"]
    assert route.calls.last.request.headers["Authorization"] == "Bearer SG.secret"
    route.mock(
        return_value=httpx.Response(401, json={"errors": [{"message": "The provided authorization grant is invalid"}]})
    )
    response = admin_client.post(f"{BASE}/integrations/{created['id']}/check")
    assert response.status_code == 400 and response.json()["error"]["code"] == "INTEGRATION_CHECK_FAILED"


@pytest.mark.usefixtures("without_default_integrations")
def test_explain_says_which_integration_fires_and_why(admin_client, tenant):
    SubscriberFactory(tenant=tenant, subscriber_id="ada", data={"plan": "pro"})
    IntegrationFactory(
        tenant=tenant,
        identifier="pro-only",
        is_primary=True,
        conditions=[
            {
                "type": "GROUP",
                "value": "AND",
                "children": [
                    {"on": "subscriber", "field": "data.plan", "operator": "IN", "value": ["pro", "enterprise"]},
                    {"on": "payload", "field": "amount", "operator": "BETWEEN", "value": [10, 100]},
                ],
            }
        ],
    )
    IntegrationFactory(tenant=tenant, identifier="fallback", provider_id="mailgun")
    IntegrationFactory(tenant=tenant, identifier="off", is_active=False)
    response = admin_client.post(
        f"{BASE}/integrations/explain",
        {"channel": "email", "subscriberId": "ada", "payload": {"amount": 500}},
        format="json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["selected"]["identifier"] == "fallback"
    reasons = {c["integration"]["identifier"]: c["reason"] for c in body["candidates"]}
    assert reasons == {"pro-only": "conditions not met", "fallback": "eligible", "off": "inactive"}
    trace = body["candidates"][0]["trace"]
    assert [t["passed"] for t in trace] == [True, False]
    again = admin_client.post(
        f"{BASE}/integrations/explain",
        {"channel": "email", "subscriberId": "ada", "payload": {"amount": 50}},
        format="json",
    )
    assert again.json()["selected"]["identifier"] == "pro-only"


def test_integrations_permissions_anonymous_and_cross_tenant(admin_client, editor_client, other_tenant, tenant):
    from rest_framework.test import APIClient

    assert APIClient().get(f"{BASE}/integrations/").status_code == 401
    assert editor_client.get(f"{BASE}/integrations/").status_code == 403
    response = editor_client.post(f"{BASE}/integrations/", SENDGRID, format="json")
    assert response.status_code == 403
    with tenancy.tenant_context(tenant):
        # Only what every new tenant gets.
        assert set(Integration.objects.values_list("identifier", flat=True)) == {"hubbub-inapp", "site-smtp"}
    foreign = IntegrationFactory(tenant=other_tenant)
    assert admin_client.get(f"{BASE}/integrations/{foreign.pk}").status_code == 404
    assert admin_client.delete(f"{BASE}/integrations/{foreign.pk}").status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert not Integration.objects.get(pk=foreign.pk).is_deleted


def test_integration_list_query_count(admin_client, tenant, django_assert_max_num_queries):
    for n in range(6):
        IntegrationFactory(tenant=tenant, identifier=f"i{n}")
    with django_assert_max_num_queries(8):
        response = admin_client.get(f"{BASE}/integrations/")
    assert response.json()["count"] == 6 + len(DEFAULT_INTEGRATIONS)


# --- subscribers and topics ----------------------------------------------------------------------------------------
def test_subscriber_crud_and_bulk(admin_client, tenant):
    created = admin_client.post(
        f"{BASE}/subscribers/", {"subscriberId": "u-1", "email": "a@x.test", "firstName": "Ada"}, format="json"
    )
    assert created.status_code == 201 and created.json()["firstName"] == "Ada"
    assert admin_client.post(f"{BASE}/subscribers/", {"subscriberId": "u-1"}, format="json").status_code == 409
    bulk = admin_client.post(
        f"{BASE}/subscribers/bulk",
        {
            "subscribers": [
                {"subscriberId": "u-1", "firstName": "Ada L."},
                {"subscriberId": "u-2"},
                {"subscriberId": "u-3", "phone": "+491511"},
            ]
        },
        format="json",
    )
    assert bulk.status_code == 200
    assert bulk.json() == {
        "created": [{"subscriberId": "u-2"}, {"subscriberId": "u-3"}],
        "updated": [{"subscriberId": "u-1"}],
        "failed": [],
    }
    assert admin_client.get(f"{BASE}/subscribers/u-1").json()["firstName"] == "Ada L."
    patched = admin_client.patch(f"{BASE}/subscribers/u-1", {"online": True}, format="json").json()
    assert patched["online"] is True and patched["lastOnlineAt"]
    assert admin_client.delete(f"{BASE}/subscribers/u-2").status_code == 204
    assert admin_client.get(f"{BASE}/subscribers/u-2").status_code == 404


def test_bulk_is_capped_at_500(admin_client):
    items = [{"subscriberId": f"s{n}"} for n in range(501)]
    response = admin_client.post(f"{BASE}/subscribers/bulk", {"subscribers": items}, format="json")
    assert response.status_code == 400


def test_bulk_of_500_in_one_call(admin_client, tenant):
    items = [{"subscriberId": f"s{n}", "email": f"s{n}@x.test"} for n in range(500)]
    response = admin_client.post(f"{BASE}/subscribers/bulk", {"subscribers": items}, format="json")
    assert response.status_code == 200 and len(response.json()["created"]) == 500
    with tenancy.tenant_context(tenant):
        assert Subscriber.objects.count() == 500


def test_subscriber_credentials_are_write_only(admin_client, tenant):
    SubscriberFactory(tenant=tenant, subscriber_id="dev")
    response = admin_client.put(
        f"{BASE}/subscribers/dev/credentials",
        {"providerId": "fcm", "credentials": {"deviceTokens": ["tok-1"]}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"providerId": "fcm", "keys": ["deviceTokens"]}
    bad = admin_client.put(
        f"{BASE}/subscribers/dev/credentials", {"providerId": "pigeon", "credentials": {}}, format="json"
    )
    assert bad.status_code == 400
    assert admin_client.delete(f"{BASE}/subscribers/dev/credentials/fcm").status_code == 204
    assert admin_client.delete(f"{BASE}/subscribers/dev/credentials/fcm").status_code == 404
    with tenancy.tenant_context(tenant):
        assert not SubscriberCredential.objects.exists()


def test_preferences_global_and_per_workflow(admin_client, tenant):
    SubscriberFactory(tenant=tenant, subscriber_id="p")
    WorkflowFactory(tenant=tenant, identifier="digest-news")
    WorkflowFactory(tenant=tenant, identifier="security", is_critical=True)
    assert (
        admin_client.patch(
            f"{BASE}/subscribers/p/preferences", {"channels": {"email": False}}, format="json"
        ).status_code
        == 200
    )
    response = admin_client.patch(
        f"{BASE}/subscribers/p/preferences",
        {"workflowId": "digest-news", "channels": {"email": True, "sms": False}},
        format="json",
    )
    rows = {row["workflowId"]: row for row in response.json()}
    assert rows[None]["channels"] == {"email": False}
    assert rows["digest-news"]["channels"] == {"email": True, "sms": False}
    assert rows["security"]["critical"] is True
    bad = admin_client.patch(f"{BASE}/subscribers/p/preferences", {"channels": {"fax": True}}, format="json")
    assert bad.status_code == 400


def test_topics_with_bulk_membership(admin_client, tenant):
    for n in range(3):
        SubscriberFactory(tenant=tenant, subscriber_id=f"t{n}")
    assert admin_client.post(f"{BASE}/topics/", {"key": "launch", "name": "Launch"}, format="json").status_code == 201
    assert admin_client.post(f"{BASE}/topics/", {"key": "launch"}, format="json").status_code == 409
    added = admin_client.post(
        f"{BASE}/topics/launch/subscribers", {"subscribers": ["t0", "t1", "t2", "t1"]}, format="json"
    )
    assert added.json() == {"changed": 3}
    again = admin_client.post(f"{BASE}/topics/launch/subscribers", {"subscribers": ["t0"]}, format="json")
    assert again.json() == {"changed": 0}
    unknown = admin_client.post(f"{BASE}/topics/launch/subscribers", {"subscribers": ["nobody"]}, format="json")
    assert unknown.status_code == 400
    removed = admin_client.delete(f"{BASE}/topics/launch/subscribers", {"subscribers": ["t0"]}, format="json")
    assert removed.json() == {"changed": 1}
    assert admin_client.get(f"{BASE}/topics/launch").json()["subscriberCount"] == 2
    with tenancy.tenant_context(tenant):
        assert TopicSubscription.objects.count() == 2


# --- workflows and triggers ----------------------------------------------------------------------------------------
WORKFLOW = {
    "identifier": "comment.created",
    "name": "New comment",
    "steps": [
        {
            "type": "in_app",
            "body": "{{payload.author}} commented: {{payload.text}}",
            "actions": [{"key": "reply", "label": "Reply", "url": "https://app.test/r"}],
        },
        {"type": "email", "subject": "New comment from {{payload.author}}", "body": "Hi {{subscriber.firstName}}"},
    ],
}


def test_workflow_with_a_template_that_does_not_render_is_a_400(admin_client):
    for broken in ("Hi {{payload.name", "Hi {{user.name}}", "Hi {{ payload..x }}"):
        body = {**WORKFLOW, "steps": [{"type": "in_app", "body": broken}]}
        response = admin_client.post(f"{BASE}/workflows/", body, format="json")
        assert response.status_code == 400, broken
        assert response.json()["error"]["code"] == "INVALID_TEMPLATE"
        assert "steps[0].body" in response.json()["error"]["details"]
    bad_step = admin_client.post(
        f"{BASE}/workflows/", {**WORKFLOW, "steps": [{"type": "fax", "body": "x"}]}, format="json"
    )
    assert bad_step.status_code == 400


def test_workflow_crud_and_groups(admin_client, editor_client):
    group = admin_client.post(f"{BASE}/workflow-groups/", {"name": "Engagement"}, format="json").json()
    created = admin_client.post(f"{BASE}/workflows/", {**WORKFLOW, "groupId": group["id"]}, format="json")
    assert created.status_code == 201 and created.json()["groupId"] == group["id"]
    workflow_id = created.json()["id"]
    assert admin_client.post(f"{BASE}/workflows/", WORKFLOW, format="json").status_code == 409
    patched = admin_client.patch(f"{BASE}/workflows/{workflow_id}", {"active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert editor_client.post(f"{BASE}/workflows/", {**WORKFLOW, "identifier": "x"}, format="json").status_code == 403
    assert admin_client.delete(f"{BASE}/workflows/{workflow_id}").status_code == 204


@respx.mock
@pytest.mark.usefixtures("without_default_integrations")
def test_trigger_is_idempotent_and_feeds_messages_and_executions(
    admin_client, tenant, django_capture_on_commit_callbacks
):
    respx.post("https://api.sendgrid.com/v3/mail/send").mock(return_value=httpx.Response(202))
    admin_client.post(f"{BASE}/integrations/", SENDGRID, format="json")
    admin_client.post(f"{BASE}/workflows/", WORKFLOW, format="json")
    body = {
        "workflowId": "comment.created",
        "transactionId": "c-1",
        "to": [{"subscriberId": "ada", "email": "ada@x.test", "firstName": "Ada"}],
        "payload": {"author": "Bob", "text": "Nice"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_client.post(f"{BASE}/events/trigger", body, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        second = admin_client.post(f"{BASE}/events/trigger", body, format="json")
    assert first.status_code == 201 and first.json()["jobCount"] == 1 and first.json()["duplicate"] is False
    assert second.status_code == 200 and second.json()["duplicate"] is True
    messages = admin_client.get(f"{BASE}/messages/?transactionId=c-1").json()["results"]
    assert sorted((m["channel"], m["status"]) for m in messages) == [("email", "sent"), ("in_app", "sent")]
    email = next(m for m in messages if m["channel"] == "email")
    assert email["subject"] == "New comment from Bob" and email["content"] == "Hi Ada"
    executions = admin_client.get(f"{BASE}/messages/{email['id']}/executions").json()["results"]
    assert [e["status"] for e in executions][-1] == "success"
    assert respx.calls.call_count == 1


def test_trigger_errors(admin_client, tenant):
    WorkflowFactory(tenant=tenant, identifier="w")
    WorkflowFactory(tenant=tenant, identifier="off", is_active=False)
    assert (
        admin_client.post(f"{BASE}/events/trigger", {"workflowId": "nope", "to": ["x"]}, format="json").status_code
        == 404
    )
    assert (
        admin_client.post(f"{BASE}/events/trigger", {"workflowId": "off", "to": ["x"]}, format="json").status_code
        == 409
    )
    unknown = admin_client.post(f"{BASE}/events/trigger", {"workflowId": "w", "to": ["ghost"]}, format="json")
    assert unknown.status_code == 400 and "ghost" in str(unknown.json())
    assert admin_client.post(f"{BASE}/events/trigger", {"workflowId": "w"}, format="json").status_code == 400


def test_trigger_to_a_topic_and_bulk_trigger(admin_client, tenant, django_capture_on_commit_callbacks):
    WorkflowFactory(tenant=tenant, identifier="w", steps=[{"type": "in_app", "body": "{{payload.n}}"}])
    topic = TopicFactory(tenant=tenant, key="all")
    with tenancy.tenant_context(tenant):
        for _n in range(3):
            TopicSubscription.objects.create(topic=topic, subscriber=SubscriberFactory(tenant=tenant))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{BASE}/events/trigger", {"workflowId": "w", "topicKey": ["all"], "payload": {"n": 1}}, format="json"
        )
    assert response.json()["jobCount"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        bulk = admin_client.post(
            f"{BASE}/events/trigger/bulk",
            {
                "events": [
                    {"workflowId": "w", "topicKey": ["all"], "transactionId": "b1"},
                    {"workflowId": "missing", "to": ["x"], "transactionId": "b2"},
                ]
            },
            format="json",
        )
    results = bulk.json()["results"]
    assert results[0]["jobCount"] == 3 and results[1]["status"] == "error"
    with tenancy.tenant_context(tenant):
        assert Message.objects.count() == 6


def test_cancel_a_delayed_trigger_and_unknown_is_404(admin_client, tenant, django_capture_on_commit_callbacks):
    WorkflowFactory(
        tenant=tenant,
        identifier="later",
        steps=[{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app", "body": "x"}],
    )
    SubscriberFactory(tenant=tenant, subscriber_id="z")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"{BASE}/events/trigger", {"workflowId": "later", "to": ["z"], "transactionId": "d1"}, format="json"
        )
    assert admin_client.delete(f"{BASE}/events/trigger/d1").status_code == 204
    assert admin_client.delete(f"{BASE}/events/trigger/unknown").status_code == 404
    with tenancy.tenant_context(tenant):
        assert Workflow.objects.get(identifier="later").events.get().jobs.get().status == "cancelled"


# --- feed ----------------------------------------------------------------------------------------------------------
def _feed_items(tenant, member, count, django_capture_on_commit_callbacks):
    from notifications.services.subscribers import subscriber_for_user
    from notifications.services.triggers import trigger

    workflow = WorkflowFactory(
        tenant=tenant,
        steps=[{"type": "in_app", "body": "item {{payload.n}}", "actions": [{"key": "ok", "label": "OK"}]}],
    )
    with tenancy.tenant_context(tenant):
        subscriber = subscriber_for_user(member.user)
    for n in range(count):
        with django_capture_on_commit_callbacks(execute=True), tenancy.tenant_context(tenant):
            trigger(workflow, triggered_by="t", subscribers=[subscriber], payload={"n": n})
    return subscriber


def test_a_member_reads_their_own_feed_with_cursor_counts_and_marks(
    tenant, make_member, api_client_for, django_capture_on_commit_callbacks
):
    member = make_member(tenant, Role.EDITOR)
    client = api_client_for(member)
    _feed_items(tenant, member, 5, django_capture_on_commit_callbacks)
    page = client.get(f"{BASE}/feed/?cursor=&pageSize=3").json()
    assert [i["content"] for i in page["results"]] == ["item 4", "item 3", "item 2"] and page["hasMore"]
    rest = client.get(f"{BASE}/feed/?cursor={page['nextCursor']}&pageSize=3").json()
    assert [i["content"] for i in rest["results"]] == ["item 1", "item 0"] and not rest["hasMore"]
    assert client.get(f"{BASE}/feed/counts").json() == {"totalCount": 5, "unseenCount": 5, "unreadCount": 5}
    first_id = page["results"][0]["id"]
    assert client.post(f"{BASE}/feed/mark", {"ids": [first_id], "as": "read"}, format="json").json() == {"changed": 1}
    assert client.post(f"{BASE}/feed/mark", {"all": True, "as": "seen"}, format="json").json() == {"changed": 4}
    assert client.get(f"{BASE}/feed/counts").json() == {"totalCount": 5, "unseenCount": 0, "unreadCount": 4}
    client.post(f"{BASE}/feed/mark", {"ids": [first_id], "as": "unread"}, format="json")
    assert client.get(f"{BASE}/feed/counts").json()["unreadCount"] == 5
    assert client.post(f"{BASE}/feed/mark", {"as": "read"}, format="json").status_code == 400
    done = client.post(f"{BASE}/feed/{first_id}/actions/ok", {}, format="json")
    assert done.status_code == 200 and done.json()["actions"][0]["status"] == "done" and done.json()["read"]
    assert client.post(f"{BASE}/feed/{first_id}/actions/nope", {}, format="json").status_code == 400


def test_a_member_cannot_read_someone_elses_feed_but_a_reader_can(
    tenant, make_member, api_client_for, django_capture_on_commit_callbacks
):
    owner_of_feed = make_member(tenant, Role.EDITOR)
    subscriber = _feed_items(tenant, owner_of_feed, 1, django_capture_on_commit_callbacks)
    other = api_client_for(make_member(tenant, Role.EDITOR))
    assert other.get(f"{BASE}/feed/").json()["count"] == 0
    assert other.get(f"{BASE}/feed/?subscriberId={subscriber.subscriber_id}").status_code == 403
    with tenancy.platform_access():
        item = Message.all_tenants.get(subscriber=subscriber)
    assert other.post(f"{BASE}/feed/{item.pk}/actions/ok", {}, format="json").status_code == 404
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert manager.get(f"{BASE}/feed/?subscriberId={subscriber.subscriber_id}").json()["count"] == 1


def test_feed_of_another_tenant_is_not_reachable(
    other_tenant, tenant, make_member, api_client_for, django_capture_on_commit_callbacks
):
    foreign_member = make_member(other_tenant, Role.EDITOR)
    subscriber = _feed_items(other_tenant, foreign_member, 1, django_capture_on_commit_callbacks)
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert manager.get(f"{BASE}/feed/?subscriberId={subscriber.subscriber_id}").status_code == 404
    with tenancy.platform_access():
        item = Message.all_tenants.get(subscriber=subscriber)
    response = manager.post(f"{BASE}/feed/mark", {"ids": [str(item.pk)], "as": "read"}, format="json")
    assert response.json() == {"changed": 0}
    with tenancy.platform_access():
        item.refresh_from_db()
    assert item.read_at is None


def test_messages_list_query_count(
    admin_client, tenant, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "in_app", "body": "x"}])
    from notifications.services.triggers import trigger

    with django_capture_on_commit_callbacks(execute=True), tenancy.tenant_context(tenant):
        trigger(workflow, triggered_by="t", subscribers=[SubscriberFactory(tenant=tenant) for _ in range(6)])
    with django_assert_max_num_queries(8):
        response = admin_client.get(f"{BASE}/messages/")
    assert response.json()["count"] == 6


def test_other_tenants_subscribers_topics_workflows_and_messages_are_404(
    admin_client, other_tenant, django_capture_on_commit_callbacks
):
    from notifications.services.triggers import trigger

    SubscriberFactory(tenant=other_tenant, subscriber_id="theirs")
    TopicFactory(tenant=other_tenant, key="their-topic")
    workflow = WorkflowFactory(tenant=other_tenant, identifier="their-flow", steps=[{"type": "in_app", "body": "x"}])
    with django_capture_on_commit_callbacks(execute=True), tenancy.tenant_context(other_tenant):
        trigger(workflow, triggered_by="t", to=["theirs"], transaction_id="their-tx")
    with tenancy.tenant_context(other_tenant):
        message = Message.objects.get()
    assert admin_client.get(f"{BASE}/subscribers/theirs").status_code == 404
    assert admin_client.patch(f"{BASE}/subscribers/theirs", {"firstName": "X"}, format="json").status_code == 404
    assert admin_client.get(f"{BASE}/topics/their-topic").status_code == 404
    assert admin_client.patch(f"{BASE}/topics/their-topic", {"name": "X"}, format="json").status_code == 404
    assert admin_client.delete(f"{BASE}/topics/their-topic").status_code == 404
    members = {"subscribers": ["theirs"]}
    assert admin_client.post(f"{BASE}/topics/their-topic/subscribers", members, format="json").status_code == 404
    assert admin_client.delete(f"{BASE}/topics/their-topic/subscribers", members, format="json").status_code == 404
    assert admin_client.get(f"{BASE}/workflows/{workflow.pk}").status_code == 404
    assert admin_client.get(f"{BASE}/messages/{message.pk}").status_code == 404
    assert admin_client.get(f"{BASE}/messages/{message.pk}/executions").status_code == 404
    assert admin_client.delete(f"{BASE}/events/trigger/their-tx").status_code == 404
    assert (
        admin_client.post(
            f"{BASE}/events/trigger", {"workflowId": "their-flow", "to": ["theirs"]}, format="json"
        ).status_code
        == 404
    )
    assert admin_client.get(f"{BASE}/messages/").json()["count"] == 0
    with tenancy.tenant_context(other_tenant):
        assert Subscriber.objects.get(subscriber_id="theirs").first_name == "Ada"
        assert Topic.objects.get(key="their-topic").name != "X"
        assert Event.objects.get(transaction_id="their-tx").status != "cancelled"


def test_feed_and_subscriber_lists_have_bounded_queries(
    tenant, make_member, api_client_for, admin_client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    member = make_member(tenant, Role.EDITOR)
    _feed_items(tenant, member, 8, django_capture_on_commit_callbacks)
    client = api_client_for(member)
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{BASE}/feed/?cursor=").json()["results"]) == 8
    for _ in range(5):
        SubscriberFactory(tenant=tenant)
    with django_assert_max_num_queries(8):
        assert admin_client.get(f"{BASE}/subscribers/").json()["count"] == 6


def test_default_workflows_exist_in_a_new_tenant_are_editable_and_recreated_when_deleted(admin_client):
    listed = admin_client.get(f"{BASE}/workflows/?pageSize=100").json()["results"]
    defaults = {w["identifier"]: w for w in listed}
    assert set(defaults) == set(extensions.notice_types())
    assert defaults["tenants.member_invited"]["critical"] is True
    assert defaults["contentplanner.approval.requested"]["critical"] is False
    assert admin_client.post(f"{BASE}/workflows/defaults").json() == []  # nothing missing
    requested = defaults["contentplanner.approval.requested"]
    response = admin_client.patch(f"{BASE}/workflows/{requested['id']}", {"active": False}, format="json")
    assert response.json()["active"] is False
    assert admin_client.post(f"{BASE}/workflows/defaults").json() == []  # an edited default is the tenant's own
    assert admin_client.delete(f"{BASE}/workflows/{requested['id']}").status_code == 204
    (recreated,) = admin_client.post(f"{BASE}/workflows/defaults").json()
    assert recreated["identifier"] == "contentplanner.approval.requested" and recreated["active"] is True


def test_trigger_honours_the_idempotency_key(admin_client, tenant, django_capture_on_commit_callbacks):
    WorkflowFactory(tenant=tenant, identifier="w", steps=[{"type": "in_app", "body": "x"}])
    SubscriberFactory(tenant=tenant, subscriber_id="k")
    body = {"workflowId": "w", "to": ["k"]}
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_client.post(f"{BASE}/events/trigger", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    replay = admin_client.post(f"{BASE}/events/trigger", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert replay.status_code == 201 and replay.json()["transactionId"] == first.json()["transactionId"]
    other = admin_client.post(
        f"{BASE}/events/trigger", {**body, "payload": {"a": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert other.status_code == 409
    with tenancy.tenant_context(tenant):
        assert Message.objects.count() == 1
