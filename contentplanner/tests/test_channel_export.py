"""GET /cp/analytics/channels/export: channel figures per day as CSV, visible channels only."""

from __future__ import annotations

import csv
import io
from datetime import date

from contentplanner.models import ChannelMetrics
from contentplanner.tests.factories import ChannelFactory, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/analytics/channels/export"


def _days(channel, *days_and_figures):
    with tenancy.tenant_context(channel.tenant):
        for day, followers, impressions, engagements in days_and_figures:
            ChannelMetrics.objects.create(
                channel=channel, day=day, followers=followers, impressions=impressions, engagements=engagements
            )


def _rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_rows_per_channel_and_day_with_engagement_rate(tenant, owner_client, make_member, api_client_for):
    alpha, beta = ChannelFactory(tenant=tenant, name="Alpha"), ChannelFactory(tenant=tenant, name="Beta")
    _days(alpha, (date(2026, 3, 1), 10, 200, 20), (date(2026, 3, 2), 11, 0, 0))
    _days(beta, (date(2026, 3, 1), 50, 100, 5), (date(2026, 2, 27), 49, 1, 1))
    response = owner_client.get(URL, {"from": "2026-03-01", "to": "2026-03-02"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert [(r["channel"], r["day"], r["followers"], r["impressions"], r["engagement_rate"]) for r in rows] == [
        ("Alpha", "2026-03-01", "10", "200", "0.1"),
        ("Alpha", "2026-03-02", "11", "0", ""),
        ("Beta", "2026-03-01", "50", "100", "0.05"),
    ]
    only_beta = _rows(owner_client.get(URL, {"from": "2026-03-01", "to": "2026-03-02", "channel": str(beta.pk)}))
    assert {r["channel"] for r in only_beta} == {"Beta"}

    analyst = make_member(tenant, Role.ANALYST)
    share_with(alpha, analyst)
    assert {
        r["channel"] for r in _rows(api_client_for(analyst).get(URL, {"from": "2026-03-01", "to": "2026-03-02"}))
    } == {"Alpha"}
    assert api_client_for(make_member(tenant, Role.VIEWER)).get(URL).status_code == 403
    assert owner_client.get(URL, {"from": "2026-03-02", "to": "2026-03-01"}).status_code == 400
