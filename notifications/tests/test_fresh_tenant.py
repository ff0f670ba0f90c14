"""A freshly registered tenant sets notifications up through the API only and sees them delivered."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import respx

from tenants.tests.signup import register_tenant

BASE = "/api/v1/notifications"


@respx.mock
def test_register_then_integrate_subscribe_trigger_and_read_the_feed(db, django_capture_on_commit_callbacks):
    sendgrid = respx.post("https://api.sendgrid.com/v3/mail/send").mock(
        return_value=httpx.Response(202, headers={"X-Message-Id": "sg-42"})
    )
    twilio = respx.post("https://api.twilio.com/2010-04-01/Accounts/AC9/Messages.json").mock(
        return_value=httpx.Response(201, json={"sid": "SM42", "status": "queued"})
    )
    client, _ = register_tenant()

    for body in (
        {
            "channel": "email",
            "providerId": "sendgrid",
            "name": "Mail",
            "identifier": "mail",
            "active": True,
            "primary": True,
            "credentials": {"apiKey": "SG.fresh", "from": "hello@fresh.example"},
        },
        {
            "channel": "sms",
            "providerId": "twilio",
            "name": "SMS",
            "identifier": "sms",
            "active": True,
            "credentials": {"accountSid": "AC9", "authToken": "tok", "from": "+15005550006"},
        },
    ):
        assert client.post(f"{BASE}/integrations/", body, format="json").status_code == 201
    subscriber = client.post(
        f"{BASE}/subscribers/",
        {"subscriberId": "customer-1", "email": "cara@client.example", "phone": "+4915112345678", "firstName": "Cara"},
        format="json",
    )
    assert subscriber.status_code == 201
    workflow = client.post(
        f"{BASE}/workflows/",
        {
            "identifier": "order.shipped",
            "name": "Order shipped",
            "steps": [
                {
                    "type": "in_app",
                    "body": "Order {{payload.orderId}} is on its way",
                    "actions": [{"key": "track", "label": "Track", "url": "https://fresh.example/t"}],
                },
                {"type": "email", "subject": "Your order {{payload.orderId}}", "body": "Hi {{subscriber.firstName}}!"},
                {"type": "sms", "body": "Order {{payload.orderId}} shipped"},
            ],
        },
        format="json",
    )
    assert workflow.status_code == 201, workflow.json()
    with django_capture_on_commit_callbacks(execute=True):
        triggered = client.post(
            f"{BASE}/events/trigger",
            {
                "workflowId": "order.shipped",
                "to": ["customer-1"],
                "payload": {"orderId": "A-17"},
                "transactionId": "order-A-17",
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="trigger-A-17",
        )
    assert triggered.status_code == 201, triggered.json()

    feed = client.get(f"{BASE}/feed/?subscriberId=customer-1&cursor=").json()
    (item,) = feed["results"]
    assert item["content"] == "Order A-17 is on its way" and item["actions"][0]["key"] == "track"
    assert client.get(f"{BASE}/feed/counts?subscriberId=customer-1").json()["unseenCount"] == 1

    email = json.loads(sendgrid.calls.last.request.content)
    assert email["subject"] == "Your order A-17" and email["content"][0]["value"] == "Hi Cara!"
    assert email["personalizations"][0]["to"] == [{"email": "cara@client.example"}]
    sms = {k: v[0] for k, v in parse_qs(twilio.calls.last.request.content.decode()).items()}
    callback = sms.pop("StatusCallback")  # delivery receipts come back to the integration's receipt URL
    assert callback.startswith("http://localhost:8000/api/v1/notifications/receipts/twilio/")
    assert sms == {"To": "+4915112345678", "Body": "Order A-17 shipped", "From": "+15005550006"}

    messages = client.get(f"{BASE}/messages/?transactionId=order-A-17").json()["results"]
    assert sorted((m["channel"], m["status"], m["providerMessageId"]) for m in messages) == [
        ("email", "sent", "sg-42"),
        ("in_app", "sent", ""),
        ("sms", "sent", "SM42"),
    ]
    # The owner is a subscriber automatically and has an (empty) feed of their own.
    assert client.get(f"{BASE}/feed/counts").json() == {"totalCount": 0, "unseenCount": 0, "unreadCount": 0}
