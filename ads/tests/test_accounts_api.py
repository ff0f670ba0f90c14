"""Connect, accounts, per-member permissions, the permission matrix over every ads route, tenant isolation and
query bounds."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from ads.models import AdAccount, AdAccountPermission, AdConnection, Campaign, LeadForm
from ads.tests.factories import AdAccountFactory, AdAccountPermissionFactory, CampaignFactory
from ads.tests.helpers import REDIRECT, connect_sandbox
from core import tenancy
from tenants.roles import Role

pytestmark = pytest.mark.django_db


def callback_params(client, **body):
    started = client.post(
        "/api/v1/ads/accounts/connect", {"platform": "sandbox", "redirectUri": REDIRECT, **body}, format="json"
    )
    assert started.status_code == 201, started.json()
    parts = urlsplit(started.json()["authUrl"])
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def redirect_query(response) -> dict:
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


# --- connect --------------------------------------------------------------------------------------------------------
def test_connect_stores_the_token_encrypted_and_one_grant_gives_two_accounts(owner_client, tenant):
    ids = connect_sandbox(owner_client, code="any-code")
    with tenancy.tenant_context(tenant):
        connection = AdConnection.objects.get()
        assert connection.access_token.startswith("sbx-ads-")
        assert AdAccount.objects.filter(pk__in=ids, connection=connection).count() == 2
    from django.db import connection as db

    with tenancy.tenant_context(tenant), db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM ads_adconnection")
        assert not cursor.fetchone()[0].startswith("sbx-ads-")  # ciphertext at rest


def test_a_state_works_once(owner_client):
    path, params = callback_params(owner_client)
    assert redirect_query(owner_client.get(path, params))["status"] == "connected"
    replay = redirect_query(owner_client.get(path, params))
    assert replay == {"status": "error", "code": "OAUTH_STATE_USED"}


def test_an_expired_state_is_refused(owner_client):
    path, params = callback_params(owner_client)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert redirect_query(owner_client.get(path, params))["code"] == "OAUTH_STATE_EXPIRED"


def test_a_forged_state_is_400_and_creates_nothing(owner_client, tenant):
    path, params = callback_params(owner_client)
    response = APIClient().get(path, {**params, "state": params["state"][:-3] + "abc"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "OAUTH_STATE_INVALID"
    with tenancy.tenant_context(tenant):
        assert not AdAccount.objects.exists()


def test_consent_refused_and_platform_mismatch_redirect_with_an_error(owner_client, tenant):
    path, params = callback_params(owner_client)
    assert redirect_query(owner_client.get(path, {"state": params["state"], "error": "access_denied"}))["code"] == (
        "ACCESS_DENIED"
    )
    path, params = callback_params(owner_client)
    wrong = path.replace("/sandbox", "/meta")
    assert redirect_query(owner_client.get(wrong, params))["code"] == "OAUTH_PLATFORM_MISMATCH"
    with tenancy.tenant_context(tenant):
        assert not AdAccount.objects.exists()


def test_connect_validation(owner_client):
    response = owner_client.post(
        "/api/v1/ads/accounts/connect", {"platform": "myspace", "redirectUri": "ftp://x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"platform", "redirectUri"}


# --- accounts -------------------------------------------------------------------------------------------------------
def test_patch_renames_and_assigns_a_team(owner_client, tenant, usd_account):
    from tenants.models import Team

    with tenancy.tenant_context(tenant):
        team = Team.objects.get(is_default=True)
    response = owner_client.patch(
        f"/api/v1/ads/accounts/{usd_account.pk}", {"name": "US store", "teamId": str(team.pk)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "US store" and response.json()["teamId"] == str(team.pk)


def test_delete_removes_the_account_and_the_connection_with_the_last_account(owner_client, tenant, sandbox_accounts):
    usd, eur = sandbox_accounts
    first = owner_client.delete(f"/api/v1/ads/accounts/{usd.pk}")
    assert first.status_code == 200
    assert first.json() == {"adAccountId": str(usd.pk), "deletedConnections": 0, "deletedAdAccount": True}
    second = owner_client.delete(f"/api/v1/ads/accounts/{eur.pk}")
    assert second.json()["deletedConnections"] == 1
    with tenancy.tenant_context(tenant):
        assert not AdAccount.objects.exists() and not AdConnection.objects.exists()
        assert not Campaign.objects.exists() and not LeadForm.objects.exists()


def test_permissions_are_granted_changed_listed_and_revoked(owner_client, tenant, usd_account, advertiser):
    url = f"/api/v1/ads/accounts/{usd_account.pk}/permissions"
    put = owner_client.put(f"{url}/{advertiser.user.pk}", {"permission": "ANALYST"}, format="json")
    assert put.status_code == 200 and put.json()["permission"] == "ANALYST"
    owner_client.put(f"{url}/{advertiser.user.pk}", {"permission": "MANAGER"}, format="json")
    listed = owner_client.get(url).json()
    assert [(p["email"], p["permission"]) for p in listed] == [(advertiser.user.email, "MANAGER")]
    assert owner_client.delete(f"{url}/{advertiser.user.pk}").status_code == 204
    with tenancy.tenant_context(tenant):
        assert not AdAccountPermission.objects.exists()


def test_granting_to_someone_who_is_not_a_member_is_400(owner_client, usd_account, other_tenant, make_member):
    stranger = make_member(other_tenant, Role.ADVERTISER)
    response = owner_client.put(
        f"/api/v1/ads/accounts/{usd_account.pk}/permissions/{stranger.user.pk}", {"permission": "VIEWER"}, format="json"
    )
    assert response.status_code == 400 and "userId" in response.json()["error"]["details"]


def test_an_advertiser_sees_only_accounts_granted_to_them(api_client_for, advertiser, tenant, sandbox_accounts):
    usd, _eur = sandbox_accounts
    AdAccountPermissionFactory(tenant=tenant, ad_account=usd, user=advertiser.user, permission="VIEWER")
    listed = api_client_for(advertiser).get("/api/v1/ads/accounts/").json()
    assert [(a["id"], a["myPermission"]) for a in listed["results"]] == [(str(usd.pk), "VIEWER")]


# --- the permission matrix ------------------------------------------------------------------------------------------
def routes(account, campaign, form_id):
    a = f"/api/v1/ads/accounts/{account.pk}"
    return [
        # (method, path, body, level needed on the account; None = a tenant-level route)
        ("get", "/api/v1/ads/accounts/", None, None),
        ("get", f"{a}", None, "VIEWER"),
        ("get", f"{a}/campaigns/", None, "VIEWER"),
        ("get", f"{a}/ad-sets/", None, "VIEWER"),
        ("get", f"{a}/ads/", None, "VIEWER"),
        ("get", f"{a}/creatives/", None, "VIEWER"),
        ("get", f"{a}/insights?from=2026-01-01&to=2026-01-02", None, "VIEWER"),
        ("get", f"{a}/lead-forms/", None, "VIEWER"),
        ("get", f"{a}/targeting/search?type=interest&query=mov", None, "VIEWER"),
        ("get", f"{a}/lead-forms/{form_id}/leads", None, "ANALYST"),
        ("post", f"{a}/sync", {}, "MANAGER"),
        ("post", f"{a}/campaigns/", {"objective": "traffic"}, "MANAGER"),
        ("post", f"{a}/boost", {"remotePostId": "1"}, "MANAGER"),
        ("post", f"{a}/lead-forms/", {"pageId": "1"}, "MANAGER"),
        ("post", f"/api/v1/ads/campaigns/{campaign.pk}/status", {"status": "PAUSED"}, "MANAGER"),
        ("patch", f"{a}", {"name": "x"}, "ADMIN"),
        ("get", f"{a}/permissions", None, "ADMIN"),
        ("delete", f"{a}", None, "ADMIN"),
    ]


RANK = {"VIEWER": 1, "ANALYST": 2, "MANAGER": 3, "ADMIN": 4}


@pytest.mark.parametrize("grant", ["VIEWER", "ANALYST", "MANAGER", "ADMIN"])
def test_every_ads_route_checks_the_members_grant(api_client_for, advertiser, tenant, usd_account, grant):
    AdAccountPermissionFactory(tenant=tenant, ad_account=usd_account, user=advertiser.user, permission=grant)
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.filter(ad_account=usd_account).first()
        form = LeadForm.objects.filter(ad_account=usd_account).first()
    client = api_client_for(advertiser)
    for method, path, body, needed in routes(usd_account, campaign, form.pk):
        response = (
            getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)
        )
        allowed = needed is None or RANK[grant] >= RANK[needed]
        if allowed:
            assert response.status_code not in (401, 403, 404), (grant, method, path, response.content)
        else:
            assert response.status_code == 403, (grant, method, path, response.status_code)
            assert response.json()["error"]["code"] == "AD_PERMISSION_DENIED"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER, Role.AGENT, Role.ANALYST])
def test_roles_without_ads_permissions_get_403_everywhere(api_client_for, make_member, tenant, usd_account, role):
    member = make_member(tenant, role)
    AdAccountPermissionFactory(tenant=tenant, ad_account=usd_account, user=member.user, permission="ADMIN")
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.filter(ad_account=usd_account).first()
        form = LeadForm.objects.filter(ad_account=usd_account).first()
    client = api_client_for(member)
    for method, path, body, _needed in routes(usd_account, campaign, form.pk):
        response = (
            getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)
        )
        assert response.status_code == 403, (role, method, path)


def test_an_advertiser_without_a_grant_gets_404_for_the_account(api_client_for, advertiser, usd_account):
    response = api_client_for(advertiser).get(f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/")
    assert response.status_code == 404


def test_only_tenant_admins_connect(api_client_for, advertiser):
    response = api_client_for(advertiser).post(
        "/api/v1/ads/accounts/connect", {"platform": "sandbox", "redirectUri": REDIRECT}, format="json"
    )
    assert response.status_code == 403


def test_an_api_key_cannot_start_a_browser_connect(api_key_client_for, tenant):
    client = api_key_client_for(tenant, scopes=["admin"])
    response = client.post(
        "/api/v1/ads/accounts/connect", {"platform": "sandbox", "redirectUri": REDIRECT}, format="json"
    )
    assert response.status_code == 403


def test_anonymous_gets_401():
    response = APIClient().get("/api/v1/ads/accounts/")
    assert response.status_code == 401


def test_api_keys_act_by_scope(api_key_client_for, tenant, usd_account):
    reader = api_key_client_for(tenant, scopes=["read"])
    assert reader.get(f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/").status_code == 200
    assert reader.post(f"/api/v1/ads/accounts/{usd_account.pk}/sync", {}, format="json").status_code == 403


# --- tenant isolation -----------------------------------------------------------------------------------------------
def test_another_tenants_account_and_objects_are_404_and_untouched(owner_client, other_tenant, make_member):
    foreign = AdAccountFactory(tenant=other_tenant, external_id="act_999")
    campaign = CampaignFactory(tenant=other_tenant, ad_account=foreign)
    a = f"/api/v1/ads/accounts/{foreign.pk}"
    for method, path in [
        ("get", a),
        ("get", f"{a}/campaigns/"),
        ("get", f"{a}/insights?from=2026-01-01&to=2026-01-02"),
        ("patch", a),
        ("delete", a),
        ("post", f"{a}/sync"),
        ("post", f"/api/v1/ads/campaigns/{campaign.pk}/status"),
    ]:
        response = getattr(owner_client, method)(path, {"status": "PAUSED", "name": "x"}, format="json")
        assert response.status_code == 404, (method, path)
    assert owner_client.get("/api/v1/ads/accounts/").json()["count"] == 0
    with tenancy.tenant_context(other_tenant):
        foreign.refresh_from_db()
        campaign.refresh_from_db()
    assert foreign.name.startswith("Ad account") and campaign.status == "ACTIVE"


# --- query bounds ---------------------------------------------------------------------------------------------------
def test_lists_run_a_bounded_number_of_queries(owner_client, tenant, usd_account, django_assert_max_num_queries):
    for _ in range(15):
        CampaignFactory(tenant=tenant, ad_account=usd_account)
        AdAccountFactory(tenant=tenant)
    for path in (
        "/api/v1/ads/accounts/",
        f"/api/v1/ads/accounts/{usd_account.pk}/campaigns/",
        f"/api/v1/ads/accounts/{usd_account.pk}/ad-sets/",
        f"/api/v1/ads/accounts/{usd_account.pk}/ads/",
        f"/api/v1/ads/accounts/{usd_account.pk}/creatives/",
    ):
        with django_assert_max_num_queries(12):
            response = owner_client.get(path)
        assert response.status_code == 200 and response.json()["count"] >= 3


def test_advertiser_account_list_is_bounded_too(api_client_for, advertiser, tenant, django_assert_max_num_queries):
    for _ in range(10):
        account = AdAccountFactory(tenant=tenant)
        AdAccountPermissionFactory(tenant=tenant, ad_account=account, user=advertiser.user, permission="MANAGER")
    client = api_client_for(advertiser)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/ads/accounts/")
    assert response.json()["count"] == 10
    assert {a["myPermission"] for a in response.json()["results"]} == {"MANAGER"}


def test_mirror_filters_and_field_selection(owner_client, tenant, usd_account):
    with tenancy.tenant_context(tenant):
        campaigns = list(Campaign.objects.filter(ad_account=usd_account).order_by("remote_id"))
    a = f"/api/v1/ads/accounts/{usd_account.pk}"
    by_ids = owner_client.get(f"{a}/campaigns/", {"ids": f"{campaigns[0].remote_id},{campaigns[1].remote_id}"})
    assert {c["remoteId"] for c in by_ids.json()["results"]} == {campaigns[0].remote_id, campaigns[1].remote_id}
    paused = owner_client.get(f"{a}/campaigns/", {"status": "PAUSED"}).json()["results"]
    assert [c["status"] for c in paused] == ["PAUSED"]
    ad_sets = owner_client.get(f"{a}/ad-sets/", {"campaignIds": campaigns[0].remote_id}).json()["results"]
    assert [s["campaignRemoteId"] for s in ad_sets] == [campaigns[0].remote_id]
    ads = owner_client.get(f"{a}/ads/", {"adSetIds": ad_sets[0]["remoteId"], "fields": "name,status"}).json()
    assert set(ads["results"][0]) == {"id", "name", "status"}
    creatives = owner_client.get(f"{a}/creatives/", {"campaignIds": campaigns[0].remote_id}).json()["results"]
    assert len(creatives) == 1
    bad = owner_client.get(f"{a}/campaigns/", {"status": "RUNNING"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["details"]
