"""The metric catalogue and engine through the API: sums, audience (last day), ratios, comparison, groupings,
incompleteData, channel visibility, tag filters, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics.tests.conftest import FIRST, LAST
from analytics.tests.factories import ChannelFactory, TagFactory, measured_post
from contentplanner.tests.factories import set_timezone, share_with

METRICS = "/api/v1/analytics/metrics"


def compute(client, metric: str, **body):
    return client.post(f"{METRICS}/{metric}", {"from": str(FIRST), "to": str(LAST), **body}, format="json")


def test_catalogue_lists_metrics_with_their_groupings(owner_client):
    body = owner_client.get(METRICS).json()
    by_key = {m["key"]: m for m in body["metrics"]}
    assert by_key["impressions"]["groupBy"] == ["day", "week", "month", "channel", "network"]
    assert "tag" in by_key["postImpressions"]["groupBy"] and by_key["postImpressions"]["filters"] == [
        "channelIds",
        "tagIds",
    ]
    assert body["charts"] == ["line", "bar", "number", "table"]


def test_daily_impressions_against_the_previous_period_flag_the_missing_day(owner_client, channels):
    response = compute(owner_client, "impressions", groupBy="day", compareTo={"type": "previous"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == {"value": 270, "incompleteData": True}
    assert len(body["data"]) == 14
    by_day = {p["key"]: p for p in body["data"]}
    assert by_day["2026-03-10"] == {
        "key": "2026-03-10",
        "label": "2026-03-10",
        "value": 10,
        "from": "2026-03-10",
        "to": "2026-03-10",
        "incompleteData": True,
    }
    assert by_day["2026-03-09"]["value"] == 20 and by_day["2026-03-09"]["incompleteData"] is False
    assert body["comparison"]["from"] == "2026-02-15" and body["comparison"]["to"] == "2026-02-28"
    assert body["comparison"]["total"] == {"value": 280, "incompleteData": False}
    assert body["change"] == {"absolute": -10, "relative": round(-10 / 280, 6)}
    assert body["incompleteData"] is True


def test_days_not_delivered_yet_are_incomplete(owner_client, channels):
    body = owner_client.post(
        f"{METRICS}/impressions", {"from": "2026-03-13", "to": "2026-03-16", "groupBy": "day"}, format="json"
    ).json()
    flags = {p["key"]: p["incompleteData"] for p in body["data"]}
    assert flags == {"2026-03-13": False, "2026-03-14": False, "2026-03-15": True, "2026-03-16": True}


def test_audience_is_the_newest_day_not_a_sum(owner_client, channels):
    total = compute(owner_client, "followers").json()
    assert total["total"]["value"] == 127 + 527
    weekly = compute(owner_client, "followers", groupBy="week").json()
    # 2026-03-01 is a Sunday: its week starts 2026-02-23 and is clipped to the range.
    assert [(p["key"], p["from"], p["to"], p["value"], p["incompleteData"]) for p in weekly["data"]] == [
        ("2026-02-23", "2026-03-01", "2026-03-01", 114 + 514, False),
        ("2026-03-02", "2026-03-02", "2026-03-08", 121 + 521, False),
        ("2026-03-09", "2026-03-09", "2026-03-14", 127 + 527, True),
    ]
    per_channel = compute(owner_client, "followers", groupBy="channel").json()
    assert [(p["label"], p["value"], p["incompleteData"]) for p in per_channel["data"]] == [
        ("Beta", 527, True),
        ("Alpha", 127, False),
    ]


def test_engagement_rate_is_a_ratio_of_sums(owner_client, channels):
    body = compute(owner_client, "engagementRate", groupBy="network").json()
    assert body["total"]["value"] == pytest.approx(27 / 270)
    assert body["data"] == [{"key": "sandbox", "label": "sandbox", "value": pytest.approx(0.1), "incompleteData": True}]


def test_a_custom_comparison_period(owner_client, channels):
    body = compute(owner_client, "impressions", compareTo={"type": "custom", "from": "2026-02-15", "to": "2026-02-16"})
    assert body.json()["comparison"]["total"]["value"] == 40


@pytest.fixture
def posts(tenant, channels):
    """Posts in Europe/Berlin: one Alpha post on Mar 2 (tag A), one Beta post late Mar 3 UTC = Mar 4 local (A and
    B), one Alpha post on Mar 5 not measured yet, and one outside the range."""
    set_timezone(tenant, "Europe/Berlin")
    alpha, beta = channels
    tag_a, tag_b = TagFactory(tenant=tenant, name="A"), TagFactory(tenant=tenant, name="B")
    measured_post(alpha, datetime(2026, 3, 2, 10, tzinfo=UTC), tags=[tag_a], impressions=100, engagements=10, clicks=3)
    measured_post(beta, datetime(2026, 3, 3, 23, 30, tzinfo=UTC), tags=[tag_a, tag_b], impressions=50, engagements=5)
    measured_post(alpha, datetime(2026, 3, 5, 9, tzinfo=UTC))
    measured_post(alpha, datetime(2026, 3, 20, 9, tzinfo=UTC), impressions=999)
    return tag_a, tag_b


def test_post_metrics_by_local_day_flag_unmeasured_posts(owner_client, posts):
    body = compute(owner_client, "postImpressions", groupBy="day").json()
    values = {p["key"]: (p["value"], p["incompleteData"]) for p in body["data"] if p["value"] or p["incompleteData"]}
    assert values == {"2026-03-02": (100, False), "2026-03-04": (50, False), "2026-03-05": (0, True)}
    assert body["total"] == {"value": 150, "incompleteData": True}
    assert compute(owner_client, "postsPublished").json()["total"]["value"] == 3


def test_post_metrics_by_tag_count_a_post_in_each_of_its_tags_but_once_in_the_total(owner_client, posts):
    _tag_a, tag_b = posts
    body = compute(owner_client, "postImpressions", groupBy="tag").json()
    assert [(p["label"], p["value"]) for p in body["data"]] == [("A", 150), ("B", 50)]
    assert body["total"]["value"] == 150
    only_b = compute(owner_client, "postEngagements", tagIds=[str(tag_b.pk)]).json()
    assert only_b["total"] == {"value": 5, "incompleteData": False}


def test_a_member_sees_only_their_teams_channels(tenant, channels, analyst, api_client_for):
    alpha, beta = channels
    client = api_client_for(analyst)
    assert compute(client, "followers").json()["total"]["value"] == 0  # no team: no channel
    share_with(alpha, analyst)
    assert compute(client, "followers").json()["total"]["value"] == 127
    refused = compute(client, "followers", channelIds=[str(beta.pk)])
    assert refused.status_code == 400 and str(beta.pk) in str(refused.json()["error"]["details"])


def test_another_tenants_channel_is_refused_like_a_missing_one(owner_client, channels, other_tenant):
    foreign = ChannelFactory(tenant=other_tenant)
    response = compute(owner_client, "impressions", channelIds=[str(foreign.pk)])
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"channelIds": [f"Unknown channel: {foreign.pk}."]}


@pytest.mark.parametrize(
    ("metric", "body", "status", "code"),
    [
        ("pageViews", {}, 404, "UNKNOWN_METRIC"),
        ("impressions", {"groupBy": "tag"}, 400, "VALIDATION_ERROR"),
        ("impressions", {"tagIds": ["6f1c1d1e-0000-4000-8000-000000000000"]}, 400, "VALIDATION_ERROR"),
        ("impressions", {"from": "2025-01-01", "to": "2026-03-01"}, 400, "RANGE_TOO_LONG"),
        ("impressions", {"from": "2026-03-02", "to": "2026-03-01"}, 400, "VALIDATION_ERROR"),
        ("impressions", {"compareTo": {"type": "custom"}}, 400, "VALIDATION_ERROR"),
        ("impressions", {"groupBy": "hour"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_input_is_refused(owner_client, channels, metric, body, status, code):
    response = compute(owner_client, metric, **body)
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code


def test_viewers_cannot_read_analytics(viewer, api_client_for, channels):
    client = api_client_for(viewer)
    assert client.get(METRICS).status_code == 403
    assert compute(client, "impressions").status_code == 403


def test_a_channel_metric_takes_a_bounded_number_of_queries(owner_client, channels, django_assert_max_num_queries):
    for _ in range(3):
        ChannelFactory(tenant=channels[0].tenant)
    with django_assert_max_num_queries(12):
        assert compute(owner_client, "followers", groupBy="channel", compareTo={"type": "previous"}).status_code == 200
