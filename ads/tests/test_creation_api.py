"""One-call creation, compensation at the platform, boost, status changes and their bad inputs."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.utils import timezone

from ads.models import Ad, AdSet, Campaign, Creative, SandboxAdObject
from ads.platforms.meta import GRAPH
from ads.tests.factories import AdAccountFactory, AdAccountPermissionFactory, CampaignFactory
from core import tenancy
from core.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def creation_body(**overrides):
    body = {
        "objective": "traffic",
        "campaignName": "Spring traffic",
        "budget": "20.00",
        "pageId": "173764419345388",
        "targeting": {
            "geoLocations": [{"type": "country", "id": "US"}, {"type": "city", "id": "2490299"}],
            "interests": [{"id": "6003139266461", "name": "Movies"}],
            "genders": [0],
        },
        "creative": {
            "primaryText": "Come visit",
            "headline": "Spring",
            "callToAction": "LEARN_MORE",
            "imageUrl": "https://example.com/a.jpg",
            "url": "https://example.com",
        },
    }
    body.update(overrides)
    return body


def counts(tenant):
    with tenancy.tenant_context(tenant):
        return [m.objects.count() for m in (Campaign, AdSet, Creative, Ad)]


@pytest.fixture
def meta_account(tenant):
    return AdAccountFactory(tenant=tenant, external_id="act_42", currency="USD")


@respx.mock
def test_traffic_campaign_is_created_in_order_at_meta_and_mirrored(owner_client, tenant, meta_account):
    campaign = respx.post(f"{GRAPH}/act_42/campaigns").mock(return_value=httpx.Response(200, json={"id": "11"}))
    adset = respx.post(f"{GRAPH}/act_42/adsets").mock(return_value=httpx.Response(200, json={"id": "12"}))
    creative = respx.post(f"{GRAPH}/act_42/adcreatives").mock(return_value=httpx.Response(200, json={"id": "13"}))
    ad = respx.post(f"{GRAPH}/act_42/ads").mock(return_value=httpx.Response(200, json={"id": "14"}))

    response = owner_client.post(f"/api/v1/ads/accounts/{meta_account.pk}/campaigns/", creation_body(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["remote"] == {"campaignId": "11", "adSetId": "12", "creativeId": "13", "adId": "14"}
    sent_campaign = parse_qs(campaign.calls[0].request.content.decode())
    assert sent_campaign["objective"] == ["OUTCOME_TRAFFIC"] and sent_campaign["daily_budget"] == ["2000"]
    sent_adset = parse_qs(adset.calls[0].request.content.decode())
    assert sent_adset["campaign_id"] == ["11"] and sent_adset["optimization_goal"] == ["LINK_CLICKS"]
    assert sent_adset["destination_type"] == ["WEBSITE"]
    targeting = json.loads(sent_adset["targeting"][0])
    assert targeting["geo_locations"] == {"countries": ["US"], "cities": [{"key": "2490299"}]}
    assert targeting["flexible_spec"] == [{"interests": [{"id": "6003139266461", "name": "Movies"}]}]
    assert "genders" not in targeting  # 0 = all
    story = json.loads(parse_qs(creative.calls[0].request.content.decode())["object_story_spec"][0])
    assert story["page_id"] == "173764419345388" and story["link_data"]["name"] == "Spring"
    sent_ad = parse_qs(ad.calls[0].request.content.decode())
    assert sent_ad["adset_id"] == ["12"] and json.loads(sent_ad["creative"][0]) == {"creative_id": "13"}
    assert counts(tenant) == [1, 1, 1, 1]
    with tenancy.tenant_context(tenant):
        mirrored = Ad.objects.select_related("campaign", "ad_set").get()
        assert mirrored.remote_id == "14" and mirrored.campaign.daily_budget == 20 and mirrored.status == "PAUSED"


@respx.mock
def test_a_failing_creative_deletes_the_campaign_and_ad_set_at_meta_and_records_nothing(
    owner_client, tenant, meta_account
):
    respx.post(f"{GRAPH}/act_42/campaigns").mock(return_value=httpx.Response(200, json={"id": "11"}))
    respx.post(f"{GRAPH}/act_42/adsets").mock(return_value=httpx.Response(200, json={"id": "12"}))
    respx.post(f"{GRAPH}/act_42/adcreatives").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "Invalid parameter",
                    "type": "OAuthException",
                    "code": 100,
                    "error_subcode": 1487390,
                    "error_user_title": "Image not found",
                    "error_user_msg": "The image URL could not be downloaded.",
                }
            },
        )
    )
    ad_route = respx.post(f"{GRAPH}/act_42/ads")
    delete_adset = respx.delete(f"{GRAPH}/12").mock(return_value=httpx.Response(200, json={"success": True}))
    delete_campaign = respx.delete(f"{GRAPH}/11").mock(return_value=httpx.Response(200, json={"success": True}))

    response = owner_client.post(f"/api/v1/ads/accounts/{meta_account.pk}/campaigns/", creation_body(), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "AD_CREATION_FAILED"
    assert error["details"]["failedStep"] == "creative"
    assert error["details"]["platform"] == ["Image not found: The image URL could not be downloaded."]
    assert error["details"]["deleted"] == [{"kind": "adset", "id": "12"}, {"kind": "campaign", "id": "11"}]
    assert error["details"]["notDeleted"] == []
    assert delete_adset.call_count == 1 and delete_campaign.call_count == 1 and not ad_route.called
    assert counts(tenant) == [0, 0, 0, 0]


@respx.mock
def test_a_deletion_that_fails_during_compensation_is_reported_not_hidden(owner_client, tenant, meta_account):
    respx.post(f"{GRAPH}/act_42/campaigns").mock(return_value=httpx.Response(200, json={"id": "11"}))
    respx.post(f"{GRAPH}/act_42/adsets").mock(
        return_value=httpx.Response(400, json={"error": {"message": "Bad targeting", "code": 100}})
    )
    respx.delete(f"{GRAPH}/11").mock(return_value=httpx.Response(500, json={"error": {"message": "x", "code": 1}}))

    response = owner_client.post(f"/api/v1/ads/accounts/{meta_account.pk}/campaigns/", creation_body(), format="json")

    details = response.json()["error"]["details"]
    assert details["deleted"] == [] and details["notDeleted"] == [
        {"kind": "campaign", "id": "11", "error": "PLATFORM_UNAVAILABLE"}
    ]


def test_sandbox_creative_failure_leaves_no_campaign_or_ad_set_at_the_platform(owner_client, tenant, usd_account):
    before = SandboxAdObject.objects.filter(account_external_id=usd_account.external_id).count()
    body = creation_body(creative={**creation_body()["creative"], "primaryText": "SANDBOX_FAIL please"})

    response = owner_client.post(f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/", body, format="json")

    assert response.status_code == 400 and response.json()["error"]["details"]["failedStep"] == "creative"
    assert SandboxAdObject.objects.filter(account_external_id=usd_account.external_id).count() == before
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="ads.creation_failed").count() == 1


@pytest.mark.parametrize(
    ("overrides", "code", "field_hint"),
    [
        ({"budget": "0.50"}, "BUDGET_TOO_LOW", "1.00 USD"),
        ({"currency": "EUR"}, "CURRENCY_MISMATCH", "USD"),
        (
            {"optimizationGoal": "REACH", "objective": "sales", "pixelId": "1", "conversionEvent": "PURCHASE"},
            None,
            None,
        ),
        ({"optimizationGoal": "PAGE_LIKES"}, "OBJECTIVE_GOAL_MISMATCH", "traffic/PAGE_LIKES"),
        ({"startDate": "2020-01-01"}, "DATE_IN_PAST", "2020-01-01"),
        ({"objective": "awareness"}, "VALIDATION_ERROR", "required"),
        ({"objective": "sales"}, "VALIDATION_ERROR", "pixelId"),
    ],
)
def test_bad_creation_input_is_400_and_nothing_is_sent(owner_client, tenant, usd_account, overrides, code, field_hint):
    before = SandboxAdObject.objects.count()
    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/", creation_body(**overrides), format="json"
    )
    if code is None:  # a pair the platform accepts: created
        assert response.status_code == 201, response.json()
        return
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert field_hint in json.dumps(response.json()["error"])
    assert SandboxAdObject.objects.count() == before


def test_budget_error_names_the_minimum(owner_client, usd_account):
    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/", creation_body(budget="0.20"), format="json"
    )
    assert response.json()["error"]["details"]["minimum"] == "1.00"


def test_status_change_goes_to_the_platform_first_and_mirrors_its_answer(owner_client, tenant, usd_account):
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.filter(ad_account=usd_account, status="ACTIVE").first()
    response = owner_client.post(f"/api/v1/ads/campaigns/{campaign.pk}/status", {"status": "PAUSED"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "PAUSED"
    assert SandboxAdObject.objects.get(remote_id=campaign.remote_id).data["status"] == "PAUSED"
    with tenancy.tenant_context(tenant):
        campaign.refresh_from_db()
    assert campaign.status == "PAUSED"


def test_a_viewer_grant_cannot_change_status_and_nothing_changes(api_client_for, advertiser, tenant, usd_account):
    AdAccountPermissionFactory(tenant=tenant, ad_account=usd_account, user=advertiser.user, permission="VIEWER")
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.filter(ad_account=usd_account, status="ACTIVE").first()
    response = api_client_for(advertiser).post(
        f"/api/v1/ads/campaigns/{campaign.pk}/status", {"status": "PAUSED"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "AD_PERMISSION_DENIED"
    assert SandboxAdObject.objects.get(remote_id=campaign.remote_id).data["status"] == "ACTIVE"
    with tenancy.tenant_context(tenant):
        campaign.refresh_from_db()
    assert campaign.status == "ACTIVE"


@respx.mock
def test_status_rate_limited_by_meta_is_429_with_retry_after_and_mirror_unchanged(owner_client, tenant, meta_account):
    campaign = CampaignFactory(tenant=tenant, ad_account=meta_account)
    usage = json.dumps({"1": [{"type": "ads_management", "estimated_time_to_regain_access": 3}]})
    respx.post(f"{GRAPH}/{campaign.remote_id}").mock(
        return_value=httpx.Response(
            400,
            json={"error": {"code": 17, "message": "User request limit reached"}},
            headers={"X-Business-Use-Case-Usage": usage},
        )
    )
    response = owner_client.post(f"/api/v1/ads/campaigns/{campaign.pk}/status", {"status": "PAUSED"}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"] == "180"
    with tenancy.tenant_context(tenant):
        campaign.refresh_from_db()
    assert campaign.status == "ACTIVE"


def test_boost_a_published_post_by_remote_id(owner_client, tenant, usd_account):
    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/boost",
        {
            "remotePostId": "4455",
            "pageId": "sbx-page-1",
            "budget": "10",
            "days": 7,
            "targeting": {"geoLocations": [{"type": "country", "id": "GB"}]},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    creative = SandboxAdObject.objects.get(remote_id=response.json()["remote"]["creativeId"])
    assert creative.data["object_story_id"] == "sbx-page-1_4455"
    adset = SandboxAdObject.objects.get(remote_id=response.json()["remote"]["adSetId"])
    assert adset.data["optimization_goal"] == "POST_ENGAGEMENT"
    assert adset.data["end_time"].startswith((timezone.now().date() + timedelta(days=7)).isoformat())
    with tenancy.tenant_context(tenant):
        assert Ad.objects.get(remote_id=response.json()["remote"]["adId"]).promoted_post_remote_id == "sbx-page-1_4455"


def test_boost_of_an_unknown_post_is_400(owner_client, usd_account):
    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/boost",
        {
            "postId": "8b0d4b9e-1111-4a4a-9f9f-000000000000",
            "budget": "10",
            "days": 3,
            "targeting": {"geoLocations": [{"type": "country", "id": "GB"}]},
        },
        format="json",
    )
    assert response.status_code == 400 and "postId" in response.json()["error"]["details"]


def test_creation_with_an_idempotency_key_happens_once(owner_client, usd_account):
    url = f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/"
    body = creation_body(campaignName="Once only")
    first = owner_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = owner_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert SandboxAdObject.objects.filter(kind="campaign", data__name="Once only").count() == 1


def test_boost_a_published_hubbub_post_takes_its_page_and_remote_id(owner_client, tenant, usd_account):
    from contentplanner.models import Post
    from social.models import Channel

    with tenancy.tenant_context(tenant):
        channel = Channel.objects.create(network="facebook", external_id="173764419345388", name="Brand page")
        published = Post.objects.create(channel=channel, state="published", remote_id="90210", text="Big news")
        draft = Post.objects.create(channel=channel, state="draft", text="Not yet")
    body = {"budget": "10", "days": 5, "targeting": {"geoLocations": [{"type": "country", "id": "US"}]}}

    response = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/boost", {**body, "postId": str(published.pk)}, format="json"
    )
    assert response.status_code == 201, response.json()
    creative = SandboxAdObject.objects.get(remote_id=response.json()["remote"]["creativeId"])
    assert creative.data["object_story_id"] == "173764419345388_90210"

    refused = owner_client.post(
        f"/api/v1/ads/accounts/{usd_account.pk}/boost", {**body, "postId": str(draft.pk)}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "POST_NOT_BOOSTABLE"
