"""The offline sandbox ad platform behaves like a platform: grants own accounts, deletes cascade, paused objects
stop delivering, insights and leads grow with the days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ads.models import SandboxAdObject
from ads.platforms import base
from ads.platforms.sandbox import SandboxAdsAdapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant():
    return SandboxAdsAdapter().exchange_code(code="abc", redirect_uri="")


def test_a_grant_reaches_only_its_own_accounts(grant):
    other = SandboxAdsAdapter().exchange_code(code="xyz", redirect_uri="")
    adapter = SandboxAdsAdapter()
    with pytest.raises(base.PermissionMissing):
        adapter.pull(other.access_token, grant.accounts[0].external_id, since=None, currency="USD")
    with pytest.raises(base.AuthExpired):
        adapter.pull("not-a-sandbox-token", grant.accounts[0].external_id, since=None, currency="USD")


def test_deleting_a_campaign_deletes_its_ad_sets_and_ads(grant):
    adapter = SandboxAdsAdapter()
    account = grant.accounts[0].external_id
    campaign = SandboxAdObject.objects.filter(account_external_id=account, kind="campaign").first()
    adapter.delete(grant.access_token, campaign.remote_id)
    remaining = SandboxAdObject.objects.filter(account_external_id=account)
    assert remaining.filter(kind="campaign").count() == 2
    assert remaining.filter(kind="adset").count() == 2 and remaining.filter(kind="ad").count() == 2


def test_insights_grow_daily_and_a_paused_campaign_stops_delivering(grant):
    adapter = SandboxAdsAdapter()
    account = grant.accounts[0].external_id
    today = timezone.now().date()

    def rows(day):
        return {
            r.object_id: r
            for r in adapter.insights(grant.access_token, account, level="campaign", since=day, until=day)
        }

    assert rows(today + timedelta(days=1)) == {}  # the future has no delivery yet
    active = SandboxAdObject.objects.filter(account_external_id=account, kind="campaign", data__status="ACTIVE").first()
    adapter.set_status(grant.access_token, active.remote_id, "PAUSED")
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        tomorrow = rows(today + timedelta(days=1))
    assert tomorrow and active.remote_id not in tomorrow
    assert active.remote_id in rows(today - timedelta(days=1))  # history stays


def test_leads_arrive_twice_a_day(grant):
    adapter = SandboxAdsAdapter()
    page = adapter.pages(grant.access_token, grant.accounts[0].external_id)[0]["id"]
    form = adapter.lead_forms(grant.access_token, page)[0]
    now = timezone.now()
    later = list(adapter.leads(grant.access_token, form.remote_id, since=now))
    with time_machine.travel(now + timedelta(days=1)):
        after_a_day = list(adapter.leads(grant.access_token, form.remote_id, since=now))
    assert later == [] and len(after_a_day) == 2
