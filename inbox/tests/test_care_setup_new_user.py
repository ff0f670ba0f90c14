"""A care team lead's first day, through the API only: register, connect a custom channel, set up categories, a
keyword list, a rule, business hours and an agent's capacity, then a customer's message arrives through the
channel's public API and comes out categorized, prioritized, assigned and in the reports."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core import url_safety
from social.tests.test_new_user import CHANNELS, registered_client


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["93.184.216.34"])  # a public address


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content[:400]
    return response.json() if response.content else {}


def test_a_new_tenant_sets_up_its_inbox_and_the_first_message_is_handled(db, django_capture_on_commit_callbacks):
    client, _ = registered_client(verified=True)  # custom channels need a confirmed email
    me = ok(client.get("/api/v1/me"))
    channel = ok(
        client.post(
            CHANNELS,
            {"network": "custom", "name": "Shop chat", "config": {"endpointUrl": "https://hooks.example.com/hubbub"}},
            format="json",
        ),
        201,
    )
    token = ok(client.post(f"/api/v1/inbox/custom-channels/{channel['id']}/credentials/", format="json"), 201)["token"]

    imported = ok(
        client.post(
            "/api/v1/inbox/categories/import/",
            {"file": SimpleUploadedFile("cats.csv", b"Orders/Refunds\nOrders/Shipping\n", "text/csv")},
            format="multipart",
        )
    )
    refunds = next(row["categoryId"] for row in imported["rows"] if row["path"] == "Orders/Refunds")
    words = ok(
        client.post(
            "/api/v1/inbox/keyword-lists/", {"name": "Money", "keywords": ["refund", "money back"]}, format="json"
        ),
        201,
    )["id"]
    ok(
        client.post(
            "/api/v1/inbox/rules/",
            {
                "name": "Refunds first",
                "conditions": {"messageHasKeyword": words},
                "actions": [{"type": "markAsPriority"}, {"type": "categorize", "categoryIds": [refunds]}],
            },
            format="json",
        ),
        201,
    )
    ok(
        client.patch(
            f"/api/v1/inbox/agents/{me['user']['id']}/",
            {"maxOpenTickets": 5},
            format="json",
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        pushed = ok(
            APIClient().post(
                "/api/v1/public/inbox/tickets",
                {"interaction": {"networkItemId": "chat-1", "message": "I want my money back, please"}},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            ),
            201,
        )

    ticket = ok(client.get(f"/api/v1/inbox/tickets/{pushed['id']}/"))
    assert ticket["isPriority"] is True
    assert [c["id"] for c in ticket["categories"]] == [refunds]
    history = ok(client.get(f"/api/v1/inbox/tickets/{pushed['id']}/history"))
    rule_events = [e for e in (history["results"] if isinstance(history, dict) else history) if e["kind"] == "rule"]
    assert len(rule_events) == 1 and rule_events[0]["data"]["applied"] == ["markAsPriority", "categorize"]
    in_category = ok(client.get("/api/v1/inbox/tickets/", {"category": refunds}))["results"]
    assert [t["id"] for t in in_category] == [pushed["id"]]
    today = date.today().isoformat()
    overview = ok(client.get("/api/v1/inbox/reports/overview", {"from": today, "to": today}))
    assert overview["totals"]["created"] == 1
