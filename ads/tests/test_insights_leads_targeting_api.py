"""Insights (stored vs live), lead forms and leads (JSON, CSV), targeting search with its cache."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ads.models import Insight, Lead, LeadForm, SandboxAdObject
from ads.platforms.registry import use_adapter
from ads.platforms.sandbox import SandboxAdsAdapter
from ads.tests.factories import AdAccountPermissionFactory
from core import tenancy

pytestmark = pytest.mark.django_db


def insights(client, account, **params):
    return client.get(f"/api/v1/ads/accounts/{account.pk}/insights", params)


def test_stored_campaign_insights_with_breakdown_sum_to_the_totals(owner_client, usd_account):
    today = timezone.now().date()
    response = insights(
        owner_client,
        usd_account,
        level="campaign",
        breakdown="gender",
        **{"from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()},
    )
    body = response.json()
    assert body["source"] == "stored" and body["breakdown"] == "gender"
    assert {r["breakdownValue"] for r in body["rows"]} == {"female", "male", "unknown"}
    assert sum(Decimal(r["spend"]) for r in body["rows"]) == Decimal(body["totals"]["spend"])
    assert body["totals"]["impressions"] == sum(r["impressions"] for r in body["rows"])


def test_a_breakdown_below_campaign_level_is_served_live_and_said_so(owner_client, tenant, usd_account):
    today = timezone.now().date()
    with tenancy.tenant_context(tenant):
        stored_before = Insight.objects.count()
    response = insights(
        owner_client,
        usd_account,
        level="ad",
        breakdown="age",
        **{"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    body = response.json()
    assert body["source"] == "live" and body["rows"]
    with tenancy.tenant_context(tenant):
        assert Insight.objects.count() == stored_before  # live answers are not stored


def test_dates_before_the_synced_range_are_fetched_live(owner_client, usd_account):
    start = usd_account.insights_synced_from - timedelta(days=5)
    response = insights(
        owner_client,
        usd_account,
        level="account",
        **{"from": start.isoformat(), "to": usd_account.insights_synced_from.isoformat()},
    )
    assert response.json()["source"] == "live"


def test_metrics_selection_and_ids_filter(owner_client, tenant, usd_account):
    today = timezone.now().date().isoformat()
    with tenancy.tenant_context(tenant):
        campaign_id = Insight.objects.filter(ad_account=usd_account, level="campaign").first().object_remote_id
    response = insights(
        owner_client,
        usd_account,
        level="campaign",
        metrics="spend,clicks",
        ids=campaign_id,
        **{"from": today, "to": today},
    )
    rows = response.json()["rows"]
    assert rows and all(set(r) == {"date", "objectId", "breakdownValue", "spend", "clicks"} for r in rows)
    assert {r["objectId"] for r in rows} == {campaign_id}


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-10", "to": "2026-02-01"},
        {"from": "2025-01-01", "to": "2026-06-01"},
        {"from": "2026-02-01", "to": "2026-02-02", "metrics": "likes"},
        {"from": "2026-02-01", "to": "2026-02-02", "level": "page"},
        {"to": "2026-02-02"},
    ],
)
def test_bad_insight_queries_are_400(owner_client, usd_account, params):
    response = insights(owner_client, usd_account, **params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_live_insights_when_the_platform_is_rate_limited_are_429_but_stored_ones_still_answer(
    owner_client, usd_account
):
    from ads.platforms.base import RateLimited

    class Limited(SandboxAdsAdapter):
        def insights(self, *args, **kwargs):
            raise RateLimited("slow down", retry_after=120)

    today = timezone.now().date().isoformat()
    with use_adapter("sandbox", Limited):
        live = insights(owner_client, usd_account, level="ad", breakdown="age", **{"from": today, "to": today})
        stored = insights(owner_client, usd_account, level="campaign", **{"from": today, "to": today})
    assert live.status_code == 429 and live["Retry-After"] == "120"
    assert live.json()["error"]["code"] == "PLATFORM_RATE_LIMITED"
    assert stored.status_code == 200 and stored.json()["source"] == "stored"


LEAD_FORM = {
    "pageId": "sbx-page-1",
    "name": "Spring sign-up",
    "questions": [
        {"type": "FULL_NAME"},
        {"type": "EMAIL"},
        {
            "type": "CUSTOM",
            "label": "Budget?",
            "key": "budget",
            "options": [{"value": "Under 1k", "key": "low"}, {"value": "Over 1k", "key": "high"}],
        },
    ],
    "privacyPolicyUrl": "https://example.com/privacy",
    "privacyPolicyName": "Privacy",
    "thankYouPage": {
        "title": "Thanks",
        "body": "We will call",
        "buttonText": "Visit",
        "buttonType": "VIEW_WEBSITE",
        "websiteUrl": "https://example.com",
    },
    "language": "en_US",
    "introPage": {"title": "Hi", "style": "LIST_STYLE", "content": ["Quick form"]},
}


def test_lead_form_is_created_at_the_platform_then_listed(owner_client, tenant, usd_account):
    response = owner_client.post(f"/api/v1/ads/accounts/{usd_account.pk}/lead-forms/", LEAD_FORM, format="json")
    assert response.status_code == 201, response.json()
    remote = SandboxAdObject.objects.get(remote_id=response.json()["remoteId"])
    assert remote.data["privacy_policy"] == {"url": "https://example.com/privacy", "link_text": "Privacy"}
    assert remote.data["context_card"]["style"] == "LIST_STYLE"
    listed = owner_client.get(f"/api/v1/ads/accounts/{usd_account.pk}/lead-forms/").json()
    assert {f["name"] for f in listed["results"]} == {"Newsletter sign-up", "Spring sign-up"}


@pytest.mark.parametrize(
    "change",
    [
        {"questions": []},
        {"questions": [{"type": "CUSTOM"}]},
        {"thankYouPage": {**LEAD_FORM["thankYouPage"], "websiteUrl": None}},
        {"language": "english"},
    ],
)
def test_bad_lead_forms_are_400_and_nothing_is_created(owner_client, usd_account, change):
    before = SandboxAdObject.objects.filter(kind="leadform").count()
    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/lead-forms/", {**LEAD_FORM, **change}, format="json"
    )
    assert response.status_code == 400
    assert SandboxAdObject.objects.filter(kind="leadform").count() == before


def test_leads_as_json_and_csv_with_formula_cells_neutralised(owner_client, tenant, usd_account):
    with tenancy.tenant_context(tenant):
        form = LeadForm.objects.get(ad_account=usd_account)
        count = Lead.objects.filter(lead_form=form).count()
        Lead.objects.create(
            lead_form=form,
            remote_id="evil",
            remote_created_at=timezone.now(),
            field_data={"full_name": '=HYPERLINK("http://x")', "email": "e@example.com"},
        )
    url = f"/api/v1/ads/accounts/{usd_account.pk}/lead-forms/{form.pk}/leads"
    as_json = owner_client.get(url).json()
    assert as_json["count"] == count + 1
    response = owner_client.get(url, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["id", "created_at", "ad_id", "email", "full_name"]
    assert len(rows) == count + 2
    evil = next(r for r in rows if r[0] == "evil")
    assert evil[4].startswith("'=")


def test_new_leads_arrive_with_the_next_sync(tenant, usd_account):
    import time_machine

    from ads.services import sync

    with tenancy.tenant_context(tenant):
        before = Lead.objects.count()
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            sync.sync_account(usd_account.pk)
        assert Lead.objects.count() == before + 2


def test_leads_need_analyst(api_client_for, advertiser, tenant, usd_account):
    AdAccountPermissionFactory(tenant=tenant, ad_account=usd_account, user=advertiser.user, permission="VIEWER")
    with tenancy.tenant_context(tenant):
        form = LeadForm.objects.get(ad_account=usd_account)
    response = api_client_for(advertiser).get(f"/api/v1/ads/accounts/{usd_account.pk}/lead-forms/{form.pk}/leads")
    assert response.status_code == 403


def test_targeting_search_is_proxied_and_cached(owner_client, usd_account):
    calls = []

    class Counting(SandboxAdsAdapter):
        def search_targeting(self, *args, **kwargs):
            calls.append(kwargs)
            return super().search_targeting(*args, **kwargs)

    url = f"/api/v1/ads/accounts/{usd_account.pk}/targeting/search"
    with use_adapter("sandbox", Counting):
        first = owner_client.get(url, {"type": "location", "query": "new york"}).json()
        second = owner_client.get(url, {"type": "location", "query": "New York "}).json()
    assert [r["name"] for r in first["results"]] == ["New York"] and first["cached"] is False
    assert second["cached"] is True and len(calls) == 1
    assert owner_client.get(url, {"type": "horoscope", "query": "x"}).status_code == 400
