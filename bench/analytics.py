"""Analytics benchmark: a 90-day metric with comparison, and a full dashboard (8 widgets) as JSON and as PDF.

Creates a throwaway database (`hubbub_bench_analytics` on PostgreSQL via Django's test-database helpers), fills one
tenant (Europe/Berlin) with 1,000 channels x 365 days of channel figures (365k `ChannelMetrics` rows), 200,000
published posts over the same year with one `PostMetrics` row each and 20 tags on a third of them (bulk inserts),
then times requests through the full WSGI stack with `django.test.Client` (middleware, auth, tenancy, RLS,
rendering) and prints p50/p95. Target: a 90-day metric with comparison at p95 <= 150 ms. The database is dropped
at the end, also on failure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/analytics.py [--requests 30]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_TEST_NAME", "hubbub_bench_analytics")
os.environ["THROTTLE_RATE"] = "100000000/min"  # measure the stack, not the rate limiter

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench._throwaway_db import throwaway_database  # noqa: E402
from core.db.rls import owner_mode  # noqa: E402

CHANNELS, DAYS, POSTS, TAGS = 1000, 365, 200_000, 20
LAST_DAY = date(2026, 6, 30)
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)
BATCH = 10_000


def populate(channels_count: int, posts_count: int):
    """One tenant, its owner, the channels with a year of daily figures, the posts with metrics and tags."""
    from contentplanner.models import ChannelMetrics, Post, PostMetrics, PostState, Tag
    from core import tenancy
    from social.models import Channel
    from tenants.models import Membership, Tenant, User

    rng = random.Random(14)
    with tenancy.platform_access():
        tenant = Tenant.objects.create(name="Bench", slug="bench-analytics", plan="business", timezone="Europe/Berlin")
    with tenancy.tenant_context(tenant):
        user = User.objects.create_user("owner@bench.local", None, first_name="O", last_name="W")
        owner = Membership.objects.create(user=user, role="OWNER")
        networks = ["sandbox", "facebook", "instagram", "linkedin", "x"]
        channels = Channel.objects.bulk_create(
            [
                Channel(tenant=tenant, network=networks[i % 5], external_id=f"bench-{i}", name=f"Channel {i:04}")
                for i in range(channels_count)
            ]
        )
        batch = []
        for channel in channels:
            followers = rng.randrange(100, 100_000)
            for n in range(DAYS):
                day = FIRST_DAY + timedelta(days=n)
                if day == LAST_DAY and rng.random() < 0.1:
                    continue  # some networks have not delivered the last day yet
                followers += rng.randrange(-5, 40)
                batch.append(
                    ChannelMetrics(
                        tenant=tenant,
                        channel=channel,
                        day=day,
                        followers=max(0, followers),
                        impressions=rng.randrange(0, 5000),
                        engagements=rng.randrange(0, 300),
                    )
                )
                if len(batch) == BATCH:
                    ChannelMetrics.objects.bulk_create(batch)
                    batch = []
        ChannelMetrics.objects.bulk_create(batch)
        tags = Tag.objects.bulk_create([Tag(tenant=tenant, name=f"tag-{i:02}") for i in range(TAGS)])
        start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
        for offset in range(0, posts_count, BATCH):
            posts = []
            for i in range(offset, min(posts_count, offset + BATCH)):
                when = start + timedelta(minutes=rng.randrange(0, DAYS * 24 * 60))
                posts.append(
                    Post(
                        tenant=tenant,
                        channel=channels[i % channels_count],
                        state=PostState.PUBLISHED,
                        publish_at=when,
                        published_at=when,
                        remote_id=f"r-{i}",
                        text=f"Post {i}",
                        author=user,
                    )
                )
            posts = Post.objects.bulk_create(posts)
            PostMetrics.objects.bulk_create(
                [
                    PostMetrics(
                        tenant=tenant,
                        post=post,
                        collected_at=post.published_at + timedelta(hours=6),
                        is_latest=True,  # the one collection is the post's current figures
                        impressions=rng.randrange(0, 20_000),
                        reach=rng.randrange(0, 15_000),
                        engagements=rng.randrange(0, 900),
                        likes=rng.randrange(0, 600),
                        comments=rng.randrange(0, 80),
                        shares=rng.randrange(0, 50),
                        clicks=rng.randrange(0, 300),
                    )
                    for post in posts
                ]
            )
            Post.tags.through.objects.bulk_create(
                [
                    Post.tags.through(post_id=post.pk, tag_id=tags[rng.randrange(TAGS)].pk)
                    for post in posts
                    if rng.random() < 0.33
                ]
            )
    with owner_mode(), connection.cursor() as cursor:
        # As autovacuum leaves a table at rest: statistics, and the visibility map index-only scans rely on.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return owner


def measure(send, requests: int) -> dict[str, float]:
    for _ in range(2):
        response = send()
        if response.status_code != 200:
            raise SystemExit(f"returned {response.status_code}: {response.content[:300]!r}")
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        send()
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {"p50": statistics.median(latencies) * 1000, "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000}


def explain(send, slowest: int = 3) -> None:
    """The queries of one request by time, and EXPLAIN ANALYZE of the slowest (run as the table owner: the plan
    without the RLS filter the app role adds)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        send()
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    print(f"  {len(queries)} queries, {sum(float(q['time']) for q in queries) * 1000:.1f} ms in the database")
    for query in queries[:slowest]:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:160]}")
        if connection.vendor == "postgresql" and query["sql"].lstrip().upper().startswith("SELECT"):
            with owner_mode(), connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n".join(f"      {row[0][:200]}" for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per case")
    parser.add_argument("--dashboard-requests", type=int, default=10, help="requests of the dashboard JSON and PDF")
    parser.add_argument("--channels", type=int, default=CHANNELS)
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--explain", action="store_true", help="print each case's slowest queries and their plans")
    args = parser.parse_args()

    setup_test_environment()
    with throwaway_database() as test_db:
        from analytics.demo import WIDGETS
        from tenants.tokens import start_session

        t0 = time.perf_counter()
        owner = populate(args.channels, args.posts)
        print(
            f"database {test_db} ({connection.vendor}): {args.channels} channels x {DAYS} days, {args.posts} posts "
            f"with metrics, one tenant, in {time.perf_counter() - t0:.1f}s"
        )
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(owner).access_token}"
        quarter = {"from": str(LAST_DAY - timedelta(days=89)), "to": str(LAST_DAY)}
        compare = {**quarter, "compareTo": {"type": "previous"}}

        def metric(name: str, **body):
            payload = json.dumps({**compare, **body})
            return lambda: client.post(f"/api/v1/analytics/metrics/{name}", payload, content_type="application/json")

        created = client.post(
            "/api/v1/analytics/dashboards/",
            json.dumps({"name": "Bench board", "widgets": WIDGETS, "rangeDays": 90}),
            content_type="application/json",
        )
        dashboard = created.json()["id"]
        cases = [
            ("impressions, 90 days by day vs previous", metric("impressions", groupBy="day"), args.requests),
            ("impressions, 90 days total vs previous", metric("impressions"), args.requests),
            ("followers, 90 days by week vs previous", metric("followers", groupBy="week"), args.requests),
            ("engagements, 90 days by channel vs prev.", metric("engagements", groupBy="channel"), args.requests),
            ("postImpressions, 90 days by day vs prev.", metric("postImpressions", groupBy="day"), args.requests),
            ("postEngagements, 90 days by tag vs prev.", metric("postEngagements", groupBy="tag"), args.requests),
            (
                "dashboard (8 widgets) as JSON, 90 days",
                lambda: client.get(f"/api/v1/analytics/dashboards/{dashboard}/data/", quarter),
                args.dashboard_requests,
            ),
            (
                "dashboard (8 widgets) as PDF, 90 days",
                lambda: client.post(
                    f"/api/v1/analytics/dashboards/{dashboard}/export/?from={quarter['from']}&to={quarter['to']}"
                ),
                args.dashboard_requests,
            ),
        ]
        for label, send, requests in cases:
            r = measure(send, requests)
            print(f"{label:<44} {requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms")
            if args.explain:
                explain(send)
    print(f"dropped {test_db}")


if __name__ == "__main__":
    main()
