"""Analytics: metric collection (services + beat tasks), sums and engagement rates, post series, bounded queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from contentplanner import tasks
from contentplanner.models import Campaign, ChannelMetrics, PostMetrics, PostState, Tag
from contentplanner.services import metrics
from contentplanner.tests.factories import ChannelFactory, PostFactory, PostMetricsFactory, share_with
from core import tenancy
from social.models import ChannelStatus, SandboxPublication
from social.networks.base import Metrics, RateLimited
from social.services import publishing as social_publishing
from tenants.roles import Role

ANALYTICS = "/api/v1/cp/analytics"


class FakeAdapter:
    """Counts calls; returns fixed figures or raises `error`."""

    def __init__(self, values=None, error=None):
        self.values, self.error, self.calls = values or {}, error, []

    def post_metrics(self, credentials, *, remote_id):
        self.calls.append(("post", remote_id))
        if self.error:
            raise self.error
        return Metrics(values=self.values, collected_at=timezone.now())

    def channel_metrics(self, credentials, *, day):
        self.calls.append(("channel", day))
        if self.error:
            raise self.error
        return Metrics(values=self.values)


@pytest.fixture
def fake_adapter(monkeypatch):
    adapter = FakeAdapter(values={"impressions": 100, "likes": 7, "comments": 2, "shares": 1, "clicks": 5})
    monkeypatch.setattr(social_publishing, "get_adapter", lambda network: adapter)
    return adapter


# --- collection ----------------------------------------------------------------------------------------------------
def test_collect_post_metrics_stores_a_row_and_derives_engagements(tenant, fake_adapter):
    post = PostFactory(
        channel=ChannelFactory(tenant=tenant), published=True, published_at=timezone.now() - timedelta(hours=3)
    )
    with tenancy.tenant_context(tenant):
        row = metrics.collect_post_metrics(post)
        again = metrics.collect_post_metrics(post)  # within MIN_COLLECTION_INTERVAL: nothing new
        assert PostMetrics.objects.filter(post=post).count() == 1
    assert (row.impressions, row.likes, row.clicks, row.video_views) == (100, 7, 5, 0)
    assert row.engagements == 7 + 2 + 1 + 5
    assert again is None
    assert fake_adapter.calls == [("post", post.remote_id)]


def test_collect_post_metrics_skips_posts_that_are_not_published(tenant, fake_adapter):
    draft = PostFactory(channel=ChannelFactory(tenant=tenant), publish_at=None, state=PostState.DRAFT)
    with tenancy.tenant_context(tenant):
        assert metrics.collect_post_metrics(draft) is None
    assert fake_adapter.calls == []


def test_sandbox_metrics_grow_between_collections(tenant, time_machine):
    time_machine.move_to(datetime(2026, 4, 1, 10, tzinfo=UTC), tick=False)
    channel = ChannelFactory(tenant=tenant, network="sandbox")
    SandboxPublication.objects.create(
        remote_id="sbx-remote-1", channel_external_id=channel.external_id, correlation_id="corr-1", text="hi"
    )
    post = PostFactory(channel=channel, published=True, published_at=timezone.now(), remote_id="sbx-remote-1")
    with tenancy.tenant_context(tenant):
        time_machine.move_to(datetime(2026, 4, 1, 11, tzinfo=UTC), tick=False)
        first = metrics.collect_post_metrics(post)
        time_machine.move_to(datetime(2026, 4, 1, 13, tzinfo=UTC), tick=False)
        second = metrics.collect_post_metrics(post)
    assert 0 < first.impressions < second.impressions
    assert second.engagements >= first.engagements


def test_hourly_dispatch_collects_recent_published_posts_of_every_tenant(tenant, other_tenant, fake_adapter):
    now = timezone.now()
    recent = PostFactory(channel=ChannelFactory(tenant=tenant), published=True, published_at=now - timedelta(days=2))
    foreign = PostFactory(
        channel=ChannelFactory(tenant=other_tenant), published=True, published_at=now - timedelta(days=29)
    )
    PostFactory(channel=ChannelFactory(tenant=tenant), published=True, published_at=now - timedelta(days=31))  # too old
    PostFactory(channel=ChannelFactory(tenant=tenant), publish_at=None, state=PostState.SCHEDULED)
    PostFactory(
        channel=ChannelFactory(tenant=tenant, network="placeholder"), published=True, published_at=now
    )  # no adapter
    PostFactory(
        channel=ChannelFactory(tenant=tenant, status=ChannelStatus.NEEDS_ATTENTION), published=True, published_at=now
    )

    queued = tasks.dispatch_post_metrics.delay().get()

    assert queued == 2
    assert sorted(remote for _, remote in fake_adapter.calls) == sorted([recent.remote_id, foreign.remote_id])
    with tenancy.platform_access():
        assert set(PostMetrics.all_tenants.values_list("post_id", "tenant_id")) == {
            (recent.pk, tenant.pk),
            (foreign.pk, other_tenant.pk),
        }


def test_collection_errors_are_logged_and_skipped(tenant, monkeypatch, caplog):
    adapter = FakeAdapter(error=RateLimited("slow down", retry_after=30))
    monkeypatch.setattr(social_publishing, "get_adapter", lambda network: adapter)
    channel = ChannelFactory(tenant=tenant)
    post = PostFactory(channel=channel, published=True, published_at=timezone.now() - timedelta(hours=1))

    post_result = tasks.collect_post_metrics.delay(post_id=str(post.pk), tenant_id=str(tenant.pk)).get()
    channel_result = tasks.collect_channel_metrics.delay(
        channel_id=str(channel.pk), day="2026-04-01", tenant_id=str(tenant.pk)
    ).get()

    assert post_result is False and channel_result is False
    with tenancy.tenant_context(tenant):
        assert not PostMetrics.objects.exists() and not ChannelMetrics.objects.exists()
        channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE  # nothing flagged by metrics errors
    assert "post metrics not collected" in caplog.text and "channel metrics not collected" in caplog.text


def test_daily_channel_metrics_are_one_row_per_channel_and_day(tenant, other_tenant, fake_adapter):
    fake_adapter.values = {"followers": 1200, "impressions": 900, "engagements": 45}
    channel = ChannelFactory(tenant=tenant)
    foreign = ChannelFactory(tenant=other_tenant)
    ChannelFactory(tenant=tenant, status=ChannelStatus.DISCONNECTED)

    assert tasks.dispatch_channel_metrics.delay(day="2026-04-01").get() == 2
    fake_adapter.values = {"followers": 1210, "impressions": 950, "engagements": 50}
    assert tasks.dispatch_channel_metrics.delay(day="2026-04-01").get() == 2  # rerun: upsert, no duplicate

    with tenancy.tenant_context(tenant):
        [row] = ChannelMetrics.objects.all()
    assert (row.channel_id, row.day, row.followers, row.impressions, row.engagements) == (
        channel.pk,
        date(2026, 4, 1),
        1210,
        950,
        50,
    )
    with tenancy.tenant_context(other_tenant):
        assert ChannelMetrics.objects.filter(channel=foreign, day=date(2026, 4, 1)).count() == 1
    assert fake_adapter.calls[0] == ("channel", datetime(2026, 4, 1, tzinfo=UTC))


# --- queries -------------------------------------------------------------------------------------------------------
@pytest.fixture
def published_world(tenant):
    """Three published posts in April 2026 with two collections each (only the newest counts)."""
    channel = ChannelFactory(tenant=tenant, name="Main")
    with tenancy.tenant_context(tenant):
        spring = Campaign.objects.create(name="Spring")
        promo, news = Tag.objects.create(name="promo"), Tag.objects.create(name="news")
    a = PostFactory(
        channel=channel, published=True, published_at=datetime(2026, 4, 2, 9, tzinfo=UTC), campaign=spring, text="A"
    )
    b = PostFactory(
        channel=channel, published=True, published_at=datetime(2026, 4, 3, 9, tzinfo=UTC), campaign=spring, text="B"
    )
    c = PostFactory(channel=channel, published=True, published_at=datetime(2026, 4, 4, 9, tzinfo=UTC), text="C")
    PostFactory(
        channel=channel,
        published=True,
        published_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
        campaign=spring,
        text="out of range",
    )
    a.tags.add(promo, news)
    b.tags.add(promo)
    c.tags.add(news)
    old = datetime(2026, 4, 5, tzinfo=UTC)
    new = datetime(2026, 4, 6, tzinfo=UTC)
    for post, (impressions, engagements) in {a: (1000, 50), b: (3000, 60), c: (500, 100)}.items():
        PostMetricsFactory(post=post, collected_at=old, impressions=1, engagements=1, clicks=1)
        PostMetricsFactory(
            post=post, collected_at=new, impressions=impressions, engagements=engagements, clicks=engagements // 10
        )
    return {"a": a, "b": b, "c": c, "spring": spring, "promo": promo, "news": news}


def test_campaign_sums_and_engagement_rate(owner_client, published_world):
    body = owner_client.get(f"{ANALYTICS}/campaigns", {"from": "2026-04-01", "to": "2026-04-30"}).json()

    [spring] = body["results"]
    assert spring["id"] == str(published_world["spring"].pk) and spring["name"] == "Spring"
    assert (spring["posts"], spring["impressions"], spring["engagements"], spring["clicks"]) == (2, 4000, 110, 11)
    assert spring["engagementRate"] == pytest.approx(110 / 4000, abs=1e-6)
    assert body["totals"]["posts"] == 3
    assert (body["totals"]["impressions"], body["totals"]["engagements"]) == (4500, 210)
    assert body["totals"]["engagementRate"] == pytest.approx(210 / 4500, abs=1e-6)


def test_tag_sums_count_a_post_in_each_of_its_tags(owner_client, published_world):
    body = owner_client.get(f"{ANALYTICS}/tags", {"from": "2026-04-01", "to": "2026-04-30"}).json()

    by_name = {row["name"]: row for row in body["results"]}
    assert (by_name["news"]["posts"], by_name["news"]["impressions"], by_name["news"]["engagements"]) == (2, 1500, 150)
    assert (by_name["promo"]["posts"], by_name["promo"]["impressions"], by_name["promo"]["engagements"]) == (
        2,
        4000,
        110,
    )
    assert by_name["news"]["engagementRate"] == pytest.approx(0.1, abs=1e-6)
    assert [row["name"] for row in body["results"]] == ["news", "promo"]  # most engaging first


def test_engagement_rate_is_null_without_impressions(tenant, owner_client):
    post = PostFactory(
        channel=ChannelFactory(tenant=tenant), published=True, published_at=datetime(2026, 4, 2, tzinfo=UTC)
    )
    with tenancy.tenant_context(tenant):
        post.tags.add(Tag.objects.create(name="quiet"))
    PostMetricsFactory(post=post, collected_at=datetime(2026, 4, 3, tzinfo=UTC), impressions=0, engagements=0)
    body = owner_client.get(f"{ANALYTICS}/tags", {"from": "2026-04-01", "to": "2026-04-30"}).json()
    assert body["results"][0]["engagementRate"] is None


def test_post_analytics_lists_latest_metrics_ordered_by_engagement(owner_client, published_world):
    response = owner_client.get(f"{ANALYTICS}/posts", {"from": "2026-04-01", "to": "2026-04-30"})

    body = response.json()
    assert body["count"] == 3
    assert [row["textExcerpt"] for row in body["results"]] == ["C", "B", "A"]
    top = body["results"][0]
    assert top["metrics"]["impressions"] == 500 and top["metrics"]["engagements"] == 100
    assert top["metrics"]["collectedAt"] == "2026-04-06T00:00:00Z"
    assert top["engagementRate"] == pytest.approx(0.2, abs=1e-6)
    by_impressions = owner_client.get(
        f"{ANALYTICS}/posts", {"from": "2026-04-01", "to": "2026-04-30", "ordering": "-impressions"}
    ).json()
    assert [row["textExcerpt"] for row in by_impressions["results"]] == ["B", "A", "C"]
    by_rate = owner_client.get(
        f"{ANALYTICS}/posts", {"from": "2026-04-01", "to": "2026-04-30", "ordering": "engagementRate"}
    ).json()
    assert [row["textExcerpt"] for row in by_rate["results"]] == ["B", "A", "C"]


def test_post_analytics_query_count_is_bounded_with_50_rows(owner_client, tenant, django_assert_max_num_queries):
    channel = ChannelFactory(tenant=tenant)
    for i in range(50):
        post = PostFactory(
            channel=channel, published=True, published_at=datetime(2026, 4, 2, tzinfo=UTC) + timedelta(minutes=i)
        )
        PostMetricsFactory(post=post, collected_at=datetime(2026, 4, 5, tzinfo=UTC), impressions=100 + i, engagements=i)
    with django_assert_max_num_queries(8):
        response = owner_client.get(f"{ANALYTICS}/posts", {"from": "2026-04-01", "to": "2026-04-30", "pageSize": 50})
    assert len(response.json()["results"]) == 50
    assert response.json()["results"][0]["metrics"]["engagements"] == 49
    with django_assert_max_num_queries(8):
        assert owner_client.get(f"{ANALYTICS}/tags", {"from": "2026-04-01", "to": "2026-04-30"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert owner_client.get(f"{ANALYTICS}/campaigns").status_code == 200


def test_channel_analytics_per_day_with_totals(owner_client, tenant, django_assert_max_num_queries):
    channels = [ChannelFactory(tenant=tenant, name=f"Channel {i:02d}") for i in range(50)]
    with tenancy.tenant_context(tenant):
        for channel in channels:
            for day, (followers, impressions, engagements) in enumerate([(100, 1000, 10), (130, 3000, 50)], start=1):
                ChannelMetrics.objects.create(
                    channel=channel,
                    day=date(2026, 4, day),
                    followers=followers,
                    impressions=impressions,
                    engagements=engagements,
                )
    with django_assert_max_num_queries(8):
        body = owner_client.get(f"{ANALYTICS}/channels", {"from": "2026-04-01", "to": "2026-04-30"}).json()
    assert len(body["results"]) == 50
    first = body["results"][0]
    assert first["name"] == "Channel 00"
    assert [d["day"] for d in first["days"]] == ["2026-04-01", "2026-04-02"]
    assert first["totals"] == {
        "impressions": 4000,
        "engagements": 60,
        "engagementRate": pytest.approx(0.015, abs=1e-6),
        "followersStart": 100,
        "followersEnd": 130,
        "followerGrowth": 30,
    }
    one = owner_client.get(
        f"{ANALYTICS}/channels", {"from": "2026-04-02", "to": "2026-04-02", "channel": channels[3].pk}
    )
    assert one.status_code == 200, one.json()
    assert [r["name"] for r in one.json()["results"]] == ["Channel 03"]
    assert one.json()["results"][0]["days"][0]["engagementRate"] == pytest.approx(50 / 3000, abs=1e-6)


def test_analytics_respect_team_visibility(tenant, make_member, api_client_for, published_world):
    analyst = make_member(tenant, Role.ANALYST)
    hidden_only = ChannelFactory(tenant=tenant, name="Elsewhere")
    share_with(hidden_only, analyst)
    client = api_client_for(analyst)
    params = {"from": "2026-04-01", "to": "2026-04-30"}
    assert client.get(f"{ANALYTICS}/posts", params).json()["count"] == 0
    assert client.get(f"{ANALYTICS}/tags", params).json()["results"] == []
    assert [r["name"] for r in client.get(f"{ANALYTICS}/channels", params).json()["results"]] == ["Elsewhere"]
    post = published_world["a"]
    assert client.get(f"/api/v1/cp/posts/{post.pk}/metrics").status_code == 404


def test_post_metrics_series_oldest_first(owner_client, published_world):
    post = published_world["b"]
    body = owner_client.get(f"/api/v1/cp/posts/{post.pk}/metrics").json()
    assert body["postId"] == str(post.pk)
    assert [(p["collectedAt"], p["impressions"]) for p in body["results"]] == [
        ("2026-04-05T00:00:00Z", 1),
        ("2026-04-06T00:00:00Z", 3000),
    ]


def test_another_tenants_post_metrics_are_not_found(owner_client, other_tenant):
    foreign = PostFactory(
        channel=ChannelFactory(tenant=other_tenant), published=True, published_at=datetime(2026, 4, 2, tzinfo=UTC)
    )
    PostMetricsFactory(post=foreign, collected_at=datetime(2026, 4, 3, tzinfo=UTC), impressions=5)
    response = owner_client.get(f"/api/v1/cp/posts/{foreign.pk}/metrics")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    assert owner_client.get(f"{ANALYTICS}/posts", {"from": "2026-04-01", "to": "2026-04-30"}).json()["count"] == 0


def test_analytics_csv_export(owner_client, published_world):
    response = owner_client.get(f"{ANALYTICS}/export", {"format": "csv", "from": "2026-04-01", "to": "2026-04-30"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["text"], r["impressions"], r["engagements"]) for r in rows] == [
        ("C", "500", "100"),
        ("B", "3000", "60"),
        ("A", "1000", "50"),
    ]
    assert float(rows[0]["engagement_rate"]) == pytest.approx(0.2, abs=1e-6)
    assert rows[0]["published_at_utc"] == "2026-04-04T09:00:00Z"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("posts", {"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ("posts", {"from": "2024-01-01", "to": "2026-04-01"}, "to"),
        ("posts", {"from": "April"}, "from"),
        ("posts", {"ordering": "-likes"}, "ordering"),
        ("tags", {"to": "2026-02-30"}, "to"),
        ("channels", {"channel": "nope"}, "channel"),
        ("export", {"format": "pdf"}, "format"),
    ],
)
def test_analytics_bad_input_is_400(owner_client, path, params, field):
    response = owner_client.get(f"{ANALYTICS}/{path}", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]


def test_analytics_need_the_analytics_permission(tenant, make_member, api_client_for):
    client = api_client_for(make_member(tenant, Role.EDITOR))
    for path in ("posts", "channels", "tags", "campaigns", "export"):
        assert client.get(f"{ANALYTICS}/{path}").status_code == 403
