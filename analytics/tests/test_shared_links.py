"""Shared dashboard links: create/revoke through the API, and the matrix that must hold: a link reads its own
dashboard's metrics over its own channels of its own tenant, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.api.public import SharedDashboardThrottle
from analytics.models import SharedLink
from analytics.tests.conftest import FIRST, LAST
from analytics.tests.factories import ChannelFactory, channel_days
from core import tenancy

LINKS = "/api/v1/analytics/shared-links/"
BODY = {"from": "2026-03-01", "to": "2026-03-14"}


def dashboard_of(client, name: str, metrics: list[str], channel_ids=None) -> str:
    widgets = [
        {"metric": m, "chart": "line", "groupBy": "day", "position": {"x": 0, "y": 0, "w": 6, "h": 4}} for m in metrics
    ]
    response = client.post(
        "/api/v1/analytics/dashboards/",
        {"name": name, "widgets": widgets, "channelIds": channel_ids or []},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def share(client, dashboard_id: str, **extra) -> dict:
    response = client.post(LINKS, {"dashboardId": dashboard_id, "name": "For the client", **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def token_path(link: dict) -> str:
    return "/api/v1/public/dashboards/" + link["url"].rsplit("/", 1)[1]


@pytest.fixture
def world(tenant, channels, owner_client, other_tenant, make_member, api_client_for, client):
    """Tenant A: a dashboard of `impressions` pinned to Alpha, shared; Beta is A's too but not on the dashboard.
    Tenant B: its own channel and a shared dashboard of `followers`."""
    alpha, beta = channels
    mine = share(owner_client, dashboard_of(owner_client, "Alpha board", ["impressions"], [str(alpha.pk)]))
    their_owner = api_client_for(make_member(other_tenant, "OWNER"))
    foreign = ChannelFactory(tenant=other_tenant, name="Foreign")
    channel_days(foreign, FIRST, LAST, impressions=7)
    theirs = share(their_owner, dashboard_of(their_owner, "Their board", ["followers", "impressions"]))
    return {"mine": mine, "theirs": theirs, "alpha": alpha, "beta": beta, "foreign": foreign}


def test_the_link_shows_its_dashboard_and_stores_only_a_digest(world, client, tenant):
    link = world["mine"]
    assert link["channelIds"] == [str(world["alpha"].pk)] and link["isUsable"] is True
    response = client.get(token_path(link), BODY)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Alpha board" and response["Cache-Control"] == "no-store"
    [widget] = body["widgets"]
    assert widget["result"]["total"]["value"] == 140  # Alpha only: 14 days x 10
    token = link["url"].rsplit("/", 1)[1]
    with tenancy.tenant_context(tenant):
        stored = SharedLink.objects.get(pk=link["id"])
    assert token not in stored.token_digest and stored.last_used_at is not None


def test_matrix_a_token_reads_nothing_but_its_own_metrics_channels_and_tenant(world, client):
    mine, theirs = token_path(world["mine"]), token_path(world["theirs"])
    alpha, beta, foreign = (str(world[k].pk) for k in ("alpha", "beta", "foreign"))
    cases = [
        # (token, metric, channelIds) -> expected status
        (mine, "impressions", None, 200),
        (mine, "impressions", [alpha], 200),
        (mine, "followers", None, 404),  # a metric of the catalogue, not of this dashboard
        (mine, "postImpressions", None, 404),
        (mine, "pageViews", None, 404),
        (mine, "impressions", [beta], 404),  # the same tenant's channel, not pinned by the link
        (mine, "impressions", [alpha, beta], 404),
        (mine, "impressions", [foreign], 404),  # another tenant's channel
        (theirs, "impressions", [alpha], 404),  # their token, my channel
        (theirs, "followers", None, 200),
    ]
    outcomes = []
    for path, metric, channel_ids, expected in cases:
        body = {**BODY, **({"channelIds": channel_ids} if channel_ids else {})}
        response = client.post(f"{path}/metrics/{metric}", body, content_type="application/json")
        outcomes.append((path == mine, metric, channel_ids, response.status_code, expected))
        if expected == 404:
            assert response.json()["error"]["code"] in {"SHARED_LINK_SCOPE", "SHARED_LINK_INVALID"}
    assert [o for o in outcomes if o[3] != o[4]] == []
    mine_total = client.post(f"{mine}/metrics/impressions", BODY, content_type="application/json").json()
    theirs_total = client.post(f"{theirs}/metrics/impressions", BODY, content_type="application/json").json()
    assert mine_total["total"]["value"] == 140 and theirs_total["total"]["value"] == 7 * 14


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: "nope", lambda t: t[:-3] + "abc"])
def test_forged_tokens_are_invalid(world, client, mangle):
    path = token_path(world["mine"])
    prefix, token = path.rsplit("/", 1)
    response = client.get(f"{prefix}/{mangle(token)}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "SHARED_LINK_INVALID"


def test_revoked_and_expired_links_stop_at_once(world, client, owner_client, tenant, viewer, api_client_for):
    link = world["mine"]
    assert api_client_for(viewer).delete(f"{LINKS}{link['id']}/").status_code == 403
    assert client.get(token_path(link)).status_code == 200
    assert owner_client.delete(f"{LINKS}{link['id']}/").status_code == 204
    assert client.get(token_path(link)).status_code == 404
    assert owner_client.get(f"{LINKS}{link['id']}/").json()["isUsable"] is False
    refused = owner_client.patch(f"{LINKS}{link['id']}/", {"name": "Back again"}, format="json")
    assert refused.status_code == 409

    other = share(owner_client, owner_client.get("/api/v1/analytics/dashboards/").json()["results"][0]["id"])
    with tenancy.tenant_context(tenant):
        SharedLink.objects.filter(pk=other["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(token_path(other)).status_code == 404


def test_expiry_is_bounded(world, owner_client):
    dashboard_id = owner_client.get("/api/v1/analytics/dashboards/").json()["results"][0]["id"]
    too_far = (timezone.now() + timedelta(days=400)).isoformat()
    response = owner_client.post(
        LINKS, {"dashboardId": dashboard_id, "name": "Forever", "expiresAt": too_far}, format="json"
    )
    assert response.status_code == 400


def test_another_tenants_dashboard_cannot_be_shared(world, owner_client, other_tenant):
    from analytics.models import Dashboard

    with tenancy.tenant_context(other_tenant):
        their_dashboard = Dashboard.objects.get()
    response = owner_client.post(LINKS, {"dashboardId": str(their_dashboard.pk), "name": "Steal"}, format="json")
    assert response.status_code == 400


def test_public_dashboards_are_rate_limited_per_client(world, client, monkeypatch):
    monkeypatch.setattr(SharedDashboardThrottle, "rate", "3/min")
    path = token_path(world["mine"])
    statuses = [client.get(path, BODY).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
