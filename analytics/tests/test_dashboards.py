"""Dashboards through the API: CRUD with widget validation, the JSON render and the PDF export."""

from __future__ import annotations

import pytest

from analytics.demo import WIDGETS
from analytics.models import Dashboard
from core import tenancy

DASHBOARDS = "/api/v1/analytics/dashboards/"


def widget(metric: str, chart: str = "line", group_by: str | None = "day", **extra) -> dict:
    return {
        "metric": metric,
        "chart": chart,
        "groupBy": group_by,
        "position": {"x": 0, "y": 0, "w": 6, "h": 4},
        **extra,
    }


def create(client, **body):
    return client.post(
        DASHBOARDS, {"name": "Client overview", "widgets": [widget("impressions")], **body}, format="json"
    )


def test_create_read_update_delete(owner_client, tenant, channels):
    created = create(owner_client, channelIds=[str(channels[0].pk)], rangeDays=14)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "Client overview" and body["rangeDays"] == 14 and body["compareTo"] == "previous"
    [stored] = body["widgets"]
    assert stored["metric"] == "impressions" and stored["title"] == "Channel impressions" and stored["id"]
    assert body["channelIds"] == [str(channels[0].pk)]

    dashboard_url = f"{DASHBOARDS}{body['id']}/"
    assert owner_client.get(DASHBOARDS).json()["results"][0]["id"] == body["id"]
    changed = owner_client.patch(
        dashboard_url, {"widgets": [widget("followers", "number", None, title="Audience", id="aud")]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["widgets"][0] | {"position": None} == {
        "id": "aud",
        "metric": "followers",
        "title": "Audience",
        "chart": "number",
        "groupBy": None,
        "position": None,
    }
    assert owner_client.delete(dashboard_url).status_code == 204
    with tenancy.tenant_context(tenant):
        assert not Dashboard.objects.exists()


def test_names_are_unique_case_insensitively(owner_client):
    assert create(owner_client).status_code == 201
    again = create(owner_client, name="CLIENT overview")
    assert again.status_code == 409 and again.json()["error"]["code"] == "DASHBOARD_EXISTS"


@pytest.mark.parametrize(
    "bad_widget",
    [widget("pageViews"), widget("impressions", group_by="tag"), widget("impressions", chart="pie")],
)
def test_widgets_must_use_the_catalogue(owner_client, tenant, bad_widget):
    response = create(owner_client, widgets=[bad_widget])
    assert response.status_code == 400
    with tenancy.tenant_context(tenant):
        assert not Dashboard.objects.exists()


def test_viewers_and_analysts(owner_client, analyst, viewer, api_client_for):
    dashboard_id = create(owner_client).json()["id"]
    assert api_client_for(viewer).get(DASHBOARDS).status_code == 403
    analyst_client = api_client_for(analyst)
    assert analyst_client.get(f"{DASHBOARDS}{dashboard_id}/").status_code == 200
    assert create(analyst_client, name="Analyst board").status_code == 201
    assert (
        api_client_for(viewer).patch(f"{DASHBOARDS}{dashboard_id}/", {"name": "x" * 5}, format="json").status_code
        == 403
    )


def test_render_as_json_and_pdf(owner_client, channels, django_assert_max_num_queries):
    dashboard = owner_client.post(DASHBOARDS, {"name": "Eight widgets", "widgets": WIDGETS}, format="json").json()
    url = f"{DASHBOARDS}{dashboard['id']}/"
    with django_assert_max_num_queries(40):
        rendered = owner_client.get(f"{url}data/", {"from": "2026-03-01", "to": "2026-03-14"})
    assert rendered.status_code == 200, rendered.json()
    body = rendered.json()
    assert body["from"] == "2026-03-01" and body["compare"] is True and len(body["widgets"]) == 8
    impressions = next(w for w in body["widgets"] if w["metric"] == "impressions")
    assert impressions["result"]["total"]["value"] == 270
    assert impressions["result"]["comparison"]["total"]["value"] == 280

    pdf = owner_client.post(f"{url}export/?from=2026-03-01&to=2026-03-14")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000


def test_another_tenants_dashboard_is_404(owner_client, other_tenant, make_member, api_client_for):
    theirs = create(api_client_for(make_member(other_tenant, "OWNER"))).json()["id"]
    assert owner_client.get(f"{DASHBOARDS}{theirs}/data/").status_code == 404
    assert owner_client.delete(f"{DASHBOARDS}{theirs}/").status_code == 404


def test_a_member_sees_a_dashboards_channels_only_where_they_see_them(owner_client, channels, analyst, api_client_for):
    from contentplanner.tests.factories import share_with

    alpha, beta = channels
    dashboard = create(owner_client, channelIds=[str(alpha.pk), str(beta.pk)]).json()
    share_with(alpha, analyst)
    params = {"from": "2026-03-01", "to": "2026-03-14", "compare": "false"}
    as_owner = owner_client.get(f"{DASHBOARDS}{dashboard['id']}/data/", params).json()
    as_analyst = api_client_for(analyst).get(f"{DASHBOARDS}{dashboard['id']}/data/", params).json()
    assert as_owner["widgets"][0]["result"]["total"]["value"] == 270
    assert as_analyst["widgets"][0]["result"]["total"]["value"] == 140  # Alpha only
