"""A freshly registered tenant, through the API only: connect the sandbox, sync, list, create, read insights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.tests.helpers import connect_sandbox
from tenants.tests.signup import register_tenant

pytestmark = pytest.mark.django_db


def test_fresh_tenant_connects_sandbox_syncs_lists_creates_and_reads_insights(django_capture_on_commit_callbacks):
    client, _ = register_tenant()

    with django_capture_on_commit_callbacks(execute=True):
        account_ids = connect_sandbox(client)
    assert len(account_ids) == 2  # one grant, two ad accounts

    accounts = client.get("/api/v1/ads/accounts/").json()
    assert {a["id"] for a in accounts["results"]} == set(account_ids)
    usd = next(a for a in accounts["results"] if a["currency"] == "USD")
    assert usd["platform"] == "sandbox" and usd["myPermission"] == "ADMIN"
    assert usd["lastSyncedAt"] is not None  # the first sync ran after the callback (eager Celery in tests)

    with django_capture_on_commit_callbacks(execute=True):
        synced = client.post(f"/api/v1/ads/accounts/{usd['id']}/sync", {}, format="json")
    assert synced.status_code == 202

    campaigns = client.get(f"/api/v1/ads/accounts/{usd['id']}/campaigns/").json()
    assert campaigns["count"] == 3
    assert {c["objective"] for c in campaigns["results"]} == {
        "OUTCOME_TRAFFIC",
        "OUTCOME_AWARENESS",
        "OUTCOME_ENGAGEMENT",
    }
    assert all(c["currency"] == "USD" for c in campaigns["results"])

    tomorrow = (timezone.now().date() + timedelta(days=1)).isoformat()
    created = client.post(
        f"/api/v1/ads/accounts/{usd['id']}/campaigns/",
        {
            "objective": "awareness",
            "campaignName": "Launch reach",
            "budget": "25.00",
            "startDate": tomorrow,
            "endDate": (timezone.now().date() + timedelta(days=10)).isoformat(),
            "pageId": "sbx-page-1",
            "targeting": {"geoLocations": [{"type": "country", "id": "US"}], "ageMin": 18, "ageMax": 35},
            "creative": {
                "primaryText": "Hello",
                "headline": "Our launch",
                "callToAction": "LEARN_MORE",
                "imageUrl": "https://example.com/a.jpg",
                "url": "https://example.com",
            },
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body["remote"]) == {"campaignId", "adSetId", "creativeId", "adId"}

    listed = client.get(f"/api/v1/ads/accounts/{usd['id']}/campaigns/", {"ids": body["remote"]["campaignId"]})
    assert [c["name"] for c in listed.json()["results"]] == ["Launch reach"]
    assert listed.json()["results"][0]["dailyBudget"] == "25.00"

    today = timezone.now().date()
    insights = client.get(
        f"/api/v1/ads/accounts/{usd['id']}/insights",
        {"level": "campaign", "from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()},
    )
    assert insights.status_code == 200, insights.json()
    data = insights.json()
    assert data["source"] == "stored" and data["currency"] == "USD"
    assert data["totals"]["impressions"] > 0
    assert {row["date"] for row in data["rows"]} == {(today - timedelta(days=n)).isoformat() for n in range(7)}
