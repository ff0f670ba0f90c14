"""Outgoing webhooks: SSRF guard at creation and send time, signing, retries, disabling, redelivery, rotation."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
import time_machine
from django.core import mail
from django.utils import timezone

from core import tenancy
from notifications.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from notifications.services import webhooks
from notifications.tasks import sweep_webhook_deliveries
from notifications.tests.factories import WebhookEndpointFactory
from tenants.roles import Role

BASE = "/api/v1/webhooks"
TARGET = "https://hooks.example.com/hubbub"


@pytest.fixture
def admin_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.ADMIN, email="boss@acme.test"))


def _readme_verifier():
    text = (Path(webhooks.__file__).parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # our own documentation, run as the reader would
    return namespace["verify_hubbub_webhook"]


def _emit(tenant, run_after_commit, event_type="notification.failed", payload=None):
    with run_after_commit():
        return webhooks.emit(event_type, payload or {"postId": "p1"}, tenant_id=tenant.pk)


@respx.mock
def test_create_endpoint_shows_the_secret_once_and_a_real_delivery_verifies_with_the_readme_code(
    admin_client, tenant, run_after_commit
):
    created = admin_client.post(f"{BASE}/", {"url": TARGET, "eventTypes": ["notification.*"]}, format="json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in admin_client.get(f"{BASE}/{created.json()['id']}").json()
    route = respx.post(TARGET).mock(return_value=httpx.Response(204))
    _emit(tenant, run_after_commit, payload={"postId": "p1", "at": timezone.now()})
    request = route.calls.last.request
    verify = _readme_verifier()
    assert verify(secret, dict(request.headers), request.content)
    assert not verify(secret, dict(request.headers), request.content + b" ")
    assert not verify(webhooks.new_secret(), dict(request.headers), request.content)
    body = json.loads(request.content)
    assert body["type"] == "notification.failed" and body["data"]["postId"] == "p1"
    deliveries = admin_client.get(f"{BASE}/{created.json()['id']}/deliveries").json()["results"]
    assert deliveries[0]["status"] == "succeeded" and deliveries[0]["webhookId"] == request.headers["webhook-id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://internal.example/hook",
        "http://localhost:8000/x",
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
    ],
)
def test_private_targets_are_refused_at_creation(admin_client, tenant, url):
    response = admin_client.post(f"{BASE}/", {"url": url}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"WEBHOOK_URL_NOT_ALLOWED", "VALIDATION_ERROR"}
    with tenancy.tenant_context(tenant):
        assert not WebhookEndpoint.objects.exists()


@respx.mock
def test_a_name_that_resolves_privately_at_send_time_is_refused_then(tenant, run_after_commit, monkeypatch):
    WebhookEndpointFactory(tenant=tenant, url="https://rebinding.example/hook")
    from core import url_safety

    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["10.1.2.3"])
    route = respx.post("https://rebinding.example/hook")
    _emit(tenant, run_after_commit)
    assert route.call_count == 0
    with tenancy.tenant_context(tenant):
        attempt = WebhookAttempt.objects.get()
        delivery = WebhookDelivery.objects.get()
    assert "refused at send time" in attempt.error and delivery.status == DeliveryStatus.PENDING


@respx.mock
def test_operator_allowed_private_host(admin_client, tenant, settings, run_after_commit):
    settings.WEBHOOK_ALLOWED_HOSTS = "internal.example:8080"
    created = admin_client.post(f"{BASE}/", {"url": "http://internal.example:8080/hook"}, format="json")
    assert created.status_code == 201
    route = respx.post("http://internal.example:8080/hook").mock(return_value=httpx.Response(200))
    _emit(tenant, run_after_commit)
    assert route.call_count == 1
    assert admin_client.post(f"{BASE}/", {"url": "http://internal.example:9090/hook"}, format="json").status_code == 400


@respx.mock
def test_failures_retry_on_the_schedule_redirects_fail_and_the_endpoint_is_disabled_after_days(
    tenant, admin_client, run_after_commit
):
    WebhookEndpointFactory(tenant=tenant, url=TARGET)
    route = respx.post(TARGET).mock(return_value=httpx.Response(302, headers={"location": "https://elsewhere.test"}))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _emit(tenant, run_after_commit)
    with tenancy.tenant_context(tenant):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.next_attempt_at == start + timedelta(seconds=5)
    assert "Redirect" in delivery.last_error
    moment = start
    for delay in webhooks.RETRY_SCHEDULE:
        moment += delay
        with time_machine.travel(moment + timedelta(seconds=1), tick=False):
            assert sweep_webhook_deliveries.apply().get() == 1
    with tenancy.tenant_context(tenant):
        delivery.refresh_from_db()
        endpoint = WebhookEndpoint.objects.get()
    assert route.call_count == webhooks.MAX_ATTEMPTS == 8
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt_count == 8
    assert endpoint.is_active  # failing for ~27 h, not yet for days
    route.mock(return_value=httpx.Response(500, text="boom"))
    with time_machine.travel(start + timedelta(days=6), tick=False):
        _emit(tenant, run_after_commit)
    with tenancy.tenant_context(tenant):
        endpoint.refresh_from_db()
    assert not endpoint.is_active and "every delivery failed" in endpoint.disabled_reason
    assert [m.subject for m in mail.outbox] == ["A webhook endpoint was disabled"]
    assert "boss@acme.test" in mail.outbox[0].to


@respx.mock
def test_timeout_is_a_failed_attempt(tenant, run_after_commit):
    WebhookEndpointFactory(tenant=tenant, url=TARGET)
    respx.post(TARGET).mock(side_effect=httpx.ReadTimeout("slow"))
    _emit(tenant, run_after_commit)
    with tenancy.tenant_context(tenant):
        attempt = WebhookAttempt.objects.get()
    assert not attempt.is_success and "15 s" in attempt.error


@respx.mock
def test_redeliver_resends_with_the_same_webhook_id(admin_client, tenant, run_after_commit):
    endpoint = WebhookEndpointFactory(tenant=tenant, url=TARGET)
    route = respx.post(TARGET).mock(return_value=httpx.Response(200))
    _emit(tenant, run_after_commit)
    with tenancy.tenant_context(tenant):
        delivery = WebhookDelivery.objects.get()
    with run_after_commit():
        response = admin_client.post(f"{BASE}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    assert route.call_count == 2
    ids = {call.request.headers["webhook-id"] for call in route.calls}
    assert len(ids) == 1
    detail = admin_client.get(f"{BASE}/deliveries/{delivery.pk}").json()
    assert [a["number"] for a in detail["attempts"]] == [1, 2]
    admin_client.patch(f"{BASE}/{endpoint.pk}", {"active": False}, format="json")
    assert admin_client.post(f"{BASE}/deliveries/{delivery.pk}/redeliver").status_code == 409


@respx.mock
def test_rotation_signs_with_both_secrets_during_the_overlap(admin_client, tenant, run_after_commit):
    created = admin_client.post(f"{BASE}/", {"url": TARGET}, format="json").json()
    rotated = admin_client.post(f"{BASE}/{created['id']}/rotate-secret").json()
    assert rotated["secret"] != created["secret"] and rotated["previousSecretExpiresAt"]
    route = respx.post(TARGET).mock(return_value=httpx.Response(200))
    _emit(tenant, run_after_commit)
    request = route.calls.last.request
    verify = _readme_verifier()
    assert len(request.headers["webhook-signature"].split()) == 2
    assert verify(created["secret"], dict(request.headers), request.content)
    assert verify(rotated["secret"], dict(request.headers), request.content)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        _emit(tenant, run_after_commit)
        request = route.calls.last.request
        assert not verify(created["secret"], dict(request.headers), request.content)


def test_event_type_filters(admin_client, tenant, run_after_commit):
    bad = admin_client.post(f"{BASE}/", {"url": TARGET, "eventTypes": ["post.exploded"]}, format="json")
    assert bad.status_code == 400 and "post.exploded" in str(bad.json())
    family = admin_client.post(f"{BASE}/", {"url": TARGET, "eventTypes": ["community.*"]}, format="json")
    assert family.status_code == 201 and family.json()["eventTypes"] == ["community.*"]
    assert admin_client.delete(f"{BASE}/{family.json()['id']}").status_code == 204
    WebhookEndpointFactory(tenant=tenant, url=TARGET, event_types=["webhook.endpoint_disabled"])
    with respx.mock:
        assert webhooks.emit("notification.failed", {}, tenant_id=tenant.pk) is None
    with pytest.raises(ValueError):
        webhooks.emit("nonsense.event", {}, tenant_id=tenant.pk)
    types = admin_client.get(f"{BASE}/event-types").json()
    failed = next(t for t in types if t["name"] == "notification.failed")
    assert failed["description"] and failed["example"]["transactionId"]
    assert next(t for t in types if t["name"] == "community.*")["example"] is None


def test_emit_in_a_rolled_back_transaction_sends_nothing(tenant):
    from django.db import transaction

    WebhookEndpointFactory(tenant=tenant, url=TARGET)
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit("notification.failed", {}, tenant_id=tenant.pk)
        raise RuntimeError
    with tenancy.platform_access():
        assert not WebhookDelivery.all_tenants.exists()


def test_webhooks_permissions_and_isolation(tenant, other_tenant, make_member, api_client_for, admin_client):
    from rest_framework.test import APIClient

    assert APIClient().get(f"{BASE}/").status_code == 401
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert manager.post(f"{BASE}/", {"url": TARGET}, format="json").status_code == 403
    foreign = WebhookEndpointFactory(tenant=other_tenant, url=TARGET)
    assert admin_client.get(f"{BASE}/{foreign.pk}").status_code == 404
    assert admin_client.delete(f"{BASE}/{foreign.pk}").status_code == 404
    assert admin_client.post(f"{BASE}/{foreign.pk}/rotate-secret").status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert WebhookEndpoint.objects.filter(pk=foreign.pk).exists()


@respx.mock
def test_a_failed_notification_is_emitted_as_a_webhook(tenant, run_after_commit):
    from notifications.services.triggers import trigger
    from notifications.tests.factories import SubscriberFactory, WorkflowFactory

    WebhookEndpointFactory(tenant=tenant, url=TARGET, event_types=["notification.failed"])
    route = respx.post(TARGET).mock(return_value=httpx.Response(200))
    workflow = WorkflowFactory(tenant=tenant, identifier="w", steps=[{"type": "sms", "body": "x"}])
    subscriber = SubscriberFactory(tenant=tenant, subscriber_id="s1")
    with run_after_commit(), tenancy.tenant_context(tenant):
        trigger(workflow, triggered_by="t", subscribers=[subscriber], transaction_id="tx-f")
    data = json.loads(route.calls.last.request.content)["data"]
    assert data["transactionId"] == "tx-f" and data["channel"] == "sms" and data["error"]["code"] == "NO_INTEGRATION"


def test_endpoint_and_delivery_lists_have_bounded_queries(
    admin_client, tenant, run_after_commit, django_assert_max_num_queries
):
    endpoint = WebhookEndpointFactory(tenant=tenant, url=TARGET)
    for n in range(4):
        url = f"https://hooks.example.com/{n}"
        WebhookEndpointFactory(tenant=tenant, url=url, event_types=["webhook.endpoint_disabled"])
    with respx.mock:
        respx.post(TARGET).mock(return_value=httpx.Response(200))
        for _ in range(5):
            _emit(tenant, run_after_commit)
    with django_assert_max_num_queries(8):
        assert admin_client.get(f"{BASE}/").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert admin_client.get(f"{BASE}/{endpoint.pk}/deliveries").json()["count"] == 5
