"""Content-planner read benchmark: calendar, counts, post list (page 1 and a deep page) and CSV export over 100k posts.

Creates a throwaway database (`hubbub_bench_calendar` on PostgreSQL via Django's test-database helpers), fills one
tenant (Europe/Berlin) with 40 channels and 100,000 posts spread over two years in every state (bulk_create), then
times requests through the full WSGI stack with `django.test.Client` (middleware, auth, tenancy, RLS, filters,
rendering) and prints p50/p95. The CSV export of 10,000 posts is timed and its peak traced memory reported.
The database is dropped at the end, also on failure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/calendar.py [--requests 50]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_TEST_NAME", "hubbub_bench_calendar")
os.environ["THROTTLE_RATE"] = "100000000/min"  # measure the stack, not the rate limiter

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench._throwaway_db import throwaway_database  # noqa: E402
from core.db.rls import owner_mode  # noqa: E402

POSTS, CHANNELS = 100_000, 40
START = datetime(2025, 1, 1, tzinfo=UTC)


def populate():
    """One tenant, its owner, 40 channels, 100k posts; returns (owner membership, channel ids)."""
    from contentplanner.models import Post, PostState
    from core import tenancy
    from social.models import Channel
    from tenants.models import Membership, Tenant, User

    rng = random.Random(4)
    with tenancy.platform_access():
        tenant = Tenant.objects.create(name="Bench", slug="bench-calendar", plan="business", timezone="Europe/Berlin")
    with tenancy.tenant_context(tenant):
        user = User.objects.create_user("owner@bench.local", None, first_name="O", last_name="W")
        owner = Membership.objects.create(user=user, role="OWNER")
        channels = Channel.objects.bulk_create(
            [
                Channel(tenant=tenant, network="sandbox", external_id=f"bench-{i}", name=f"Channel {i:02}")
                for i in range(CHANNELS)
            ]
        )
        states = [s for s in PostState.values if s != PostState.DELETED] + [PostState.DELETED]
        batch = []
        for i in range(POSTS):
            state = rng.choice(states)
            when = START + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
            batch.append(
                Post(
                    tenant=tenant,
                    channel=channels[i % CHANNELS],
                    state=state,
                    publish_at=None if state == PostState.DRAFT and i % 3 == 0 else when,
                    published_at=when if state == PostState.PUBLISHED else None,
                    text=f"Post {i}: " + "lorem ipsum " * rng.randrange(2, 20),
                    author=user,
                )
            )
            if len(batch) == 5000:
                Post.objects.bulk_create(batch)
                batch = []
        Post.objects.bulk_create(batch)
    # ANALYZE needs the table owner: the application role would skip every table (and the planner would then sort
    # all 100k rows for page 1 instead of reading the newest-first index).
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return owner, [c.pk for c in channels]


def measure(client: Client, path: str, params: dict, requests: int) -> dict[str, float]:
    for _ in range(3):
        response = client.get(path, params)
        if response.status_code != 200:
            raise SystemExit(f"{path} returned {response.status_code}: {response.content[:300]!r}")
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(path, params)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {"p50": statistics.median(latencies) * 1000, "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000}


def measure_export(client: Client, params: dict) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    response = client.get("/api/v1/cp/posts/export", params)
    tracemalloc.start()
    lines = sum(1 for _ in response.streaming_content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines - 1, (time.perf_counter() - t0) * 1000, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint")
    args = parser.parse_args()

    setup_test_environment()
    with throwaway_database() as test_db:
        from tenants.tokens import start_session

        t0 = time.perf_counter()
        owner, channel_ids = populate()
        print(
            f"database {test_db} ({connection.vendor}): {POSTS} posts, {CHANNELS} channels, one tenant, "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(owner).access_token}"
        month = {"from": "2025-10-01", "to": "2025-10-31"}  # contains the October DST change
        cases = [
            ("calendar, a month", "/api/v1/cp/posts/calendar", month),
            ("calendar, a month + posts", "/api/v1/cp/posts/calendar", {**month, "includePosts": "true"}),
            (
                "calendar, a quarter, 1 channel",
                "/api/v1/cp/posts/calendar",
                {"from": "2025-10-01", "to": "2025-12-31", "channel": str(channel_ids[0])},
            ),
            ("counts", "/api/v1/cp/posts/counts", {}),
            ("counts by campaign", "/api/v1/cp/posts/counts", {"groupBy": "campaign"}),
            ("list page 1", "/api/v1/cp/posts/", {"pageSize": 25}),
            (
                "list page 1, filtered",
                "/api/v1/cp/posts/",
                {
                    "state": "scheduled",
                    "channel": f"{channel_ids[1]},{channel_ids[2]}",
                    "pageSize": 25,
                    "publishAtFrom": "2025-06-01T00:00:00Z",
                    "publishAtTo": "2025-12-31T23:59:59Z",
                },
            ),
            ("list deep page (page 2000)", "/api/v1/cp/posts/", {"page": 2000, "pageSize": 25}),
        ]
        for label, path, params in cases:
            r = measure(client, path, params, args.requests)
            print(f"GET {label:<32} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms")
        rows, ms, peak = measure_export(client, {"channel": ",".join(str(c) for c in channel_ids[:5])})
        print(f"CSV export of {rows} posts: {ms:.0f} ms, peak traced memory while streaming {peak:.1f} MB")
    print(f"dropped {test_db}")


if __name__ == "__main__":
    main()
