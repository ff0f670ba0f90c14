"""Delivery receipts: signed provider status callbacks mark sent messages delivered or failed, once; unsigned or
forged callbacks change nothing. Payloads are the providers' documented shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rest_framework.test import APIClient

from core import tenancy
from notifications.models import ExecutionDetail, Message, WebhookDelivery
from notifications.services.receipts import receipt_url
from notifications.services.triggers import trigger
from notifications.tests.factories import (
    IntegrationFactory,
    SubscriberFactory,
    WebhookEndpointFactory,
    WorkflowFactory,
)
from tenants.roles import Role

pytestmark = pytest.mark.usefixtures("without_default_integrations")

SENDGRID = "https://api.sendgrid.com/v3/mail/send"
MAILGUN = "https://api.mailgun.net/v3/mg.acme.test/messages"
TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC9/Messages.json"
SIGNING_KEY = "key-mailgun-signing-0123456789"
AUTH_TOKEN = "twilio-auth-token-42"


@pytest.fixture
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def _public_key(private) -> str:
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _sent_message(tenant, run_after_commit, *, channel: str, integration) -> Message:
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": channel, "subject": "Hi", "body": "Hello"}])
    subscriber = SubscriberFactory(tenant=tenant, email="ada@example.com", phone="+4915112345678")
    with run_after_commit(), tenancy.tenant_context(tenant):
        trigger(workflow, triggered_by="test", subscribers=[subscriber])
    with tenancy.tenant_context(tenant):
        message = Message.objects.get(integration=integration)
    assert message.status == "sent"
    return message


def _state(tenant, message):
    with tenancy.tenant_context(tenant):
        message.refresh_from_db()
        receipts = ExecutionDetail.objects.filter(message=message, detail__startswith="Receipt:").count()
    return message.status, receipts


# --- SendGrid --------------------------------------------------------------------------------------------------------
def _sendgrid_events(message_id: str, kind: str) -> list[dict]:
    return [
        {
            "email": "ada@example.com",
            "timestamp": 1767225600,
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": "processed",
            "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A",
            "sg_message_id": f"{message_id}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC1C6-9.0",
        },
        {
            "email": "ada@example.com",
            "timestamp": 1767225601,
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": kind,
            "category": [],
            "sg_event_id": "sZROwMGMagFgnOEmSdvhig",
            "sg_message_id": f"{message_id}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC1C6-9.0",
            "response": "250 OK" if kind == "delivered" else "",
            "reason": "" if kind == "delivered" else "550 5.1.1 The email account does not exist.",
            "status": "5.1.1" if kind == "bounce" else "",
        },
    ]


def _sendgrid_post(url: str, events: list[dict], private, *, timestamp: str = "1767225605", forge: bool = False):
    body = json.dumps(events).encode()
    signature = private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    if forge:
        body = body.replace(b"ada@example.com", b"eve@example.com")
    return APIClient().post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


@respx.mock
def test_sendgrid_event_webhook_marks_delivered_once(tenant, run_after_commit, ec_key):
    respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "W86EgYT6SQKk0lRflfLRsA"}))
    integration = IntegrationFactory(
        tenant=tenant,
        is_primary=True,
        credentials_encrypted=json.dumps(
            {"api_key": "SG.x", "from": "n@acme.test", "webhook_public_key": _public_key(ec_key)}
        ),
    )
    message = _sent_message(tenant, run_after_commit, channel="email", integration=integration)
    url = f"/api/v1/notifications/receipts/sendgrid/{integration.pk}"
    events = _sendgrid_events("W86EgYT6SQKk0lRflfLRsA", "delivered")

    unsigned = APIClient().post(url, events, format="json")
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "RECEIPT_UNSIGNED"
    forged = _sendgrid_post(url, events, ec_key, forge=True)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "RECEIPT_SIGNATURE_INVALID"
    other_key = _sendgrid_post(url, events, ec.generate_private_key(ec.SECP256R1()))
    assert other_key.status_code == 403
    assert _state(tenant, message) == ("sent", 0)

    first = _sendgrid_post(url, events, ec_key)
    assert first.status_code == 200 and first.json() == {"received": 1, "changed": 1}
    assert _state(tenant, message) == ("delivered", 1)
    again = _sendgrid_post(url, events, ec_key)  # SendGrid retries on timeouts: same outcome, nothing new
    assert again.json() == {"received": 1, "changed": 0}
    assert _state(tenant, message) == ("delivered", 1)


@respx.mock
def test_sendgrid_bounce_fails_the_message_and_emits_notification_failed(tenant, run_after_commit, ec_key):
    respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "bounce-me"}))
    hook = respx.post("https://hooks.example.com/h").mock(return_value=httpx.Response(200))
    WebhookEndpointFactory(tenant=tenant, url="https://hooks.example.com/h", event_types=["notification.failed"])
    integration = IntegrationFactory(
        tenant=tenant,
        is_primary=True,
        credentials_encrypted=json.dumps(
            {"api_key": "SG.x", "from": "n@acme.test", "webhook_public_key": _public_key(ec_key)}
        ),
    )
    message = _sent_message(tenant, run_after_commit, channel="email", integration=integration)
    with run_after_commit():
        response = _sendgrid_post(
            f"/api/v1/notifications/receipts/sendgrid/{integration.pk}", _sendgrid_events("bounce-me", "bounce"), ec_key
        )
    assert response.json()["changed"] == 1
    assert _state(tenant, message) == ("failed", 1)
    assert message.error["code"] == "PROVIDER_REPORTED_FAILURE" and "does not exist" in message.error["message"]
    data = json.loads(hook.calls.last.request.content)["data"]
    assert data["messageId"] == str(message.pk) and data["error"]["code"] == "PROVIDER_REPORTED_FAILURE"
    with tenancy.tenant_context(tenant):
        assert WebhookDelivery.objects.count() == 1


# --- Twilio --------------------------------------------------------------------------------------------------------
def _twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    signed = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


@respx.mock
def test_twilio_status_callback_is_requested_per_message_and_verified(tenant, run_after_commit):
    send = respx.post(TWILIO).mock(return_value=httpx.Response(201, json={"sid": "SM42", "status": "queued"}))
    integration = IntegrationFactory(
        tenant=tenant,
        channel="sms",
        provider_id="twilio",
        credentials_encrypted=json.dumps({"account_sid": "AC9", "auth_token": AUTH_TOKEN, "from": "+15005550006"}),
    )
    message = _sent_message(tenant, run_after_commit, channel="sms", integration=integration)
    callback = dict(parse_qsl(send.calls.last.request.content.decode()))["StatusCallback"]
    assert callback == receipt_url(integration)
    path = callback.split("8000", 1)[1]
    params = {
        "SmsSid": "SM42",
        "SmsStatus": "undelivered",
        "MessageStatus": "undelivered",
        "To": "+4915112345678",
        "MessageSid": "SM42",
        "AccountSid": "AC9",
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        "ErrorCode": "30003",
    }

    def post(signature: str | None, body: dict = params):
        headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature is not None else {}
        return APIClient().post(path, data=urlencode(body), content_type="application/x-www-form-urlencoded", **headers)

    assert post(None).status_code == 401
    assert post(_twilio_signature(callback, params, "wrong-token")).status_code == 403
    tampered = {**params, "MessageStatus": "delivered"}
    assert post(_twilio_signature(callback, params), tampered).status_code == 403
    assert _state(tenant, message) == ("sent", 0)
    response = post(_twilio_signature(callback, params))
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert _state(tenant, message) == ("failed", 1) and "30003" in message.error["message"]
    assert post(_twilio_signature(callback, params)).json()["changed"] == 0
    # A late "delivered" never resurrects a failed message.
    late = {**params, "SmsStatus": "delivered", "MessageStatus": "delivered", "ErrorCode": ""}
    assert post(_twilio_signature(callback, late), late).json() == {"received": 1, "changed": 0}
    assert _state(tenant, message) == ("failed", 1)


# --- Mailgun -------------------------------------------------------------------------------------------------------
def _mailgun_payload(kind: str, *, severity: str = "", key: str = SIGNING_KEY) -> dict:
    timestamp, token = "1767225600", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    return {
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest(),
        },
        "event-data": {
            "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "timestamp": 1767225600.873676,
            "event": kind,
            **({"severity": severity, "reason": "bounce"} if severity else {}),
            "recipient": "ada@example.com",
            "delivery-status": {"code": 550 if severity else 250, "message": "No such user" if severity else "OK"},
            "message": {
                "headers": {
                    "to": "ada@example.com",
                    "message-id": "20260101090000.1.ABCDEF@mg.acme.test",
                    "from": "n@acme.test",
                    "subject": "Hi",
                }
            },
        },
    }


@respx.mock
def test_mailgun_webhooks_verified_temporary_failures_ignored_delivered_once(tenant, run_after_commit, other_tenant):
    respx.post(MAILGUN).mock(
        return_value=httpx.Response(
            200, json={"id": "<20260101090000.1.ABCDEF@mg.acme.test>", "message": "Queued. Thank you."}
        )
    )
    credentials = {"api_key": "key-1", "domain": "mg.acme.test", "from": "n@acme.test"}
    integration = IntegrationFactory(
        tenant=tenant,
        provider_id="mailgun",
        is_primary=True,
        credentials_encrypted=json.dumps({**credentials, "webhook_signing_key": SIGNING_KEY}),
    )
    message = _sent_message(tenant, run_after_commit, channel="email", integration=integration)
    url = f"/api/v1/notifications/receipts/mailgun/{integration.pk}"
    client = APIClient()

    unsigned = _mailgun_payload("delivered")
    del unsigned["signature"]
    assert client.post(url, unsigned, format="json").status_code == 401
    assert client.post(url, _mailgun_payload("delivered", key="guessed"), format="json").status_code == 403
    # The same id under another tenant's (or a wrong provider's) URL is not found.
    foreign = IntegrationFactory(tenant=other_tenant, provider_id="mailgun", identifier="mg")
    assert (
        client.post(
            f"/api/v1/notifications/receipts/mailgun/{foreign.pk}", _mailgun_payload("delivered"), format="json"
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/notifications/receipts/twilio/{integration.pk}", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/notifications/receipts/ses/{integration.pk}", {}, format="json").status_code == 404
    temporary = client.post(url, _mailgun_payload("failed", severity="temporary"), format="json")
    assert temporary.json() == {"received": 0, "changed": 0}
    assert _state(tenant, message) == ("sent", 0)

    assert client.post(url, _mailgun_payload("delivered"), format="json").json() == {"received": 1, "changed": 1}
    assert client.post(url, _mailgun_payload("delivered"), format="json").json()["changed"] == 0
    assert _state(tenant, message) == ("delivered", 1)
    # A permanent failure after delivery (an asynchronous bounce) is the final word.
    assert client.post(url, _mailgun_payload("failed", severity="permanent"), format="json").json()["changed"] == 1
    assert _state(tenant, message) == ("failed", 2)


@respx.mock
def test_a_receipt_for_a_batch_send_marks_its_recipients_message_delivered_at(
    tenant, run_after_commit, ec_key, make_member, api_client_for
):
    """A batch request gives every message one id: the event's address picks the message; the API shows when."""
    respx.post(SENDGRID).mock(return_value=httpx.Response(202, headers={"X-Message-Id": "batch-1"}))
    integration = IntegrationFactory(
        tenant=tenant,
        is_primary=True,
        credentials_encrypted=json.dumps(
            {"api_key": "SG.x", "from": "n@acme.test", "webhook_public_key": _public_key(ec_key)}
        ),
    )
    workflow = WorkflowFactory(tenant=tenant, steps=[{"type": "email", "subject": "Hi", "body": "Hello"}])
    people = [SubscriberFactory(tenant=tenant, email=e) for e in ("bob@example.com", "ada@example.com")]
    with run_after_commit(), tenancy.tenant_context(tenant):
        trigger(workflow, triggered_by="test", subscribers=people)
    with tenancy.tenant_context(tenant):
        ada, bob = (Message.objects.get(subscriber=p) for p in reversed(people))
    assert respx.calls.call_count == 1 and ada.provider_message_id == bob.provider_message_id == "batch-1"

    url = f"/api/v1/notifications/receipts/sendgrid/{integration.pk}"
    assert _sendgrid_post(url, _sendgrid_events("batch-1", "delivered"), ec_key).json()["changed"] == 1

    assert _state(tenant, ada) == ("delivered", 1) and ada.delivered_at is not None
    assert _state(tenant, bob) == ("sent", 0) and bob.delivered_at is None
    client = api_client_for(make_member(tenant, Role.ADMIN))
    shown = client.get(f"/api/v1/notifications/messages/{ada.pk}").json()
    assert shown["deliveredAt"] is not None and shown["status"] == "delivered"
