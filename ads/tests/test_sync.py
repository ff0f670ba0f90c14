"""Sync: mirror upserts, incremental watermark, rate-limit pause, insights growing daily, leads."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.utils import timezone

from ads.models import Ad, AdAccount, AdSet, Campaign, Insight, Lead, LeadForm, SandboxAdObject
from ads.platforms.meta import GRAPH
from ads.services import sync
from ads.tests.factories import AdAccountFactory, CampaignFactory
from core import tenancy

pytestmark = pytest.mark.django_db


def test_sync_mirrors_the_sandbox_tree_with_links_and_money(tenant, usd_account):
    with tenancy.tenant_context(tenant):
        assert Campaign.objects.filter(ad_account=usd_account).count() == 3
        ad = Ad.objects.filter(ad_account=usd_account).select_related("campaign", "ad_set", "creative").first()
        assert ad.campaign is not None and ad.ad_set.campaign_id == ad.campaign_id and ad.creative is not None
        budgets = sorted(Campaign.objects.filter(ad_account=usd_account).values_list("daily_budget", flat=True))
        assert [str(b) for b in budgets] == ["20.00", "40.00", "60.00"]
        assert LeadForm.objects.filter(ad_account=usd_account).count() == 1
        assert Lead.objects.filter(lead_form__ad_account=usd_account).exists()
        assert Insight.objects.filter(ad_account=usd_account, level="ad").exists()
        assert Insight.objects.filter(ad_account=usd_account, level="campaign", breakdown="age").exists()


def test_running_a_sync_twice_changes_nothing(tenant, usd_account):
    with tenancy.tenant_context(tenant):
        before = [m.objects.count() for m in (Campaign, AdSet, Ad, Insight, Lead)]
        assert sync.sync_account(usd_account.pk).status == "ok"
        assert sync.sync_account(usd_account.pk, full=True).status == "ok"
        assert [m.objects.count() for m in (Campaign, AdSet, Ad, Insight, Lead)] == before


def test_incremental_sync_picks_up_only_what_changed(tenant, usd_account):
    remote = SandboxAdObject.objects.filter(account_external_id=usd_account.external_id, kind="campaign").first()
    remote.data = {**remote.data, "name": "Renamed at the platform"}
    with time_machine.travel(timezone.now() + timedelta(hours=1)), tenancy.tenant_context(tenant):
        # the last sync's watermark: half an hour ago, well after the sandbox seeded its objects
        AdAccount.objects.filter(pk=usd_account.pk).update(objects_synced_at=timezone.now() - timedelta(minutes=30))
        remote.save()
        report = sync.sync_account(usd_account.pk)
        assert report.counts["campaigns"] == 1 and report.counts["ads"] == 0
        assert Campaign.objects.get(remote_id=remote.remote_id).name == "Renamed at the platform"


def test_insights_grow_by_one_day_and_recent_days_are_refreshed(tenant, usd_account):
    with tenancy.tenant_context(tenant):
        days = set(Insight.objects.filter(ad_account=usd_account, level="account").values_list("date", flat=True))
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            sync.sync_account(usd_account.pk)
        after = set(Insight.objects.filter(ad_account=usd_account, level="account").values_list("date", flat=True))
        usd_account.refresh_from_db()
    assert after - days == {max(days) + timedelta(days=1)}
    assert usd_account.insights_synced_through == max(after)


@respx.mock
def test_a_rate_limit_pauses_the_accounts_sync_until_the_advertised_time(tenant, owner_client):
    account = AdAccountFactory(tenant=tenant, external_id="act_77")
    CampaignFactory(tenant=tenant, ad_account=account)
    usage = json.dumps({"99": [{"type": "ads_management", "estimated_time_to_regain_access": 10}]})
    route = respx.post(f"{GRAPH}/").mock(
        return_value=httpx.Response(
            400,
            json={"error": {"code": 17, "message": "User request limit reached", "is_transient": True}},
            headers={"X-Business-Use-Case-Usage": usage},
        )
    )
    with tenancy.tenant_context(tenant):
        report = sync.sync_account(account.pk)
        account.refresh_from_db()
    assert report.status == "paused"
    assert timedelta(minutes=9) < account.sync_paused_until - timezone.now() <= timedelta(minutes=10)
    assert account.last_sync_error == "User request limit reached"

    with tenancy.tenant_context(tenant):
        assert sync.sync_account(account.pk).status == "paused"
    assert route.call_count == 1  # no platform call while paused

    # requests the mirror can serve are not affected
    listed = owner_client.get(f"/api/v1/ads/accounts/{account.pk}/campaigns/")
    assert listed.status_code == 200 and listed.json()["count"] == 1

    with tenancy.platform_access():
        assert str(account.pk) not in {a for a, _ in sync.accounts_due_for_sync()}
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            assert str(account.pk) in {a for a, _ in sync.accounts_due_for_sync()}


@respx.mock
def test_an_expired_grant_marks_the_account_for_reconnection(tenant):
    account = AdAccountFactory(tenant=tenant, external_id="act_78")
    respx.post(f"{GRAPH}/").mock(
        return_value=httpx.Response(401, json={"error": {"code": 190, "message": "Session has expired"}})
    )
    with tenancy.tenant_context(tenant):
        assert sync.sync_account(account.pk).status == "needsReconnect"
        account.refresh_from_db()
        assert account.status == "needsReconnect"
        assert sync.sync_account(account.pk).status == "needsReconnect"


def test_a_claimed_account_is_not_synced_twice_at_once(tenant, usd_account):
    with tenancy.tenant_context(tenant):
        AdAccount.objects.filter(pk=usd_account.pk).update(sync_claimed_until=timezone.now() + timedelta(minutes=5))
        assert sync.sync_account(usd_account.pk).status == "busy"


def test_beat_dispatch_queues_due_accounts_of_every_tenant(
    tenant, usd_account, other_tenant, django_capture_on_commit_callbacks
):
    from ads import tasks

    other = AdAccountFactory(tenant=other_tenant, platform="sandbox", external_id="act_none")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert tasks.dispatch_ad_syncs() >= 2
    with tenancy.tenant_context(other_tenant):
        other.refresh_from_db()
    assert other.last_sync_error  # it ran (and failed: no such account at the sandbox) in its own tenant
