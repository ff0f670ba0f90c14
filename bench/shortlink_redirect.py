"""Benchmark GET /s/{code}: redirects/s and latency in one process, then concurrent clicks counted exactly.

Runs on a throwaway database (DATABASE_TEST_NAME, default bench_hubbub_shortlinks) created and dropped here; use
PostgreSQL (DATABASE_URL) for meaningful figures. Requests go through the whole Django stack (middleware, URL
routing, the view and its single atomic UPDATE ... RETURNING) via the test client, without a network socket.

    .venv/bin/python bench/shortlink_redirect.py [--requests 3000] [--threads 16] [--per-thread 200]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from _throwaway_db import setup_django, throwaway_database


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--per-thread", type=int, default=200)
    args = parser.parse_args()
    setup_django("bench_hubbub_shortlinks")

    from django.db import connection
    from django.test import Client

    from core import tenancy
    from core.auth import Principal
    from social.models import ShortLink
    from social.services import shortlinks as shortlink_services
    from tenants.services import workspaces

    with throwaway_database() as db_name:
        print(f"database: {connection.vendor} {db_name}")
        tenant = workspaces.create_tenant(actor=None, name="Bench", plan="business")
        with tenancy.tenant_context(tenant):
            bench = Principal(tenant=tenant, permissions=frozenset(), kind="staff")
            link = shortlink_services.create_short_link("https://example.com/landing", actor=bench)
        path = f"/s/{link.code}"

        client = Client()
        for _ in range(50):  # warm-up: connections, URL resolver, code paths
            assert client.get(path).status_code == 302
        latencies = []
        started = time.perf_counter()
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - t0)
            assert response.status_code == 302
        elapsed = time.perf_counter() - started
        print(
            f"single process: {args.requests} redirects in {elapsed:.2f}s = {args.requests / elapsed:.0f} redirects/s; "
            f"p50 {statistics.median(latencies) * 1000:.2f} ms, p95 {percentile(latencies, 95) * 1000:.2f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.2f} ms"
        )

        barrier = threading.Barrier(args.threads)
        failures: list[int] = []

        def worker() -> None:
            thread_client = Client()
            barrier.wait()
            try:
                for _ in range(args.per_thread):
                    status = thread_client.get(path).status_code
                    if status != 302:
                        failures.append(status)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        concurrent_total = args.threads * args.per_thread
        expected = 50 + args.requests + concurrent_total
        with tenancy.tenant_context(tenant):
            counted = ShortLink.objects.get(pk=link.pk).click_count
        print(
            f"concurrent: {args.threads} threads x {args.per_thread} = {concurrent_total} redirects in {elapsed:.2f}s "
            f"= {concurrent_total / elapsed:.0f} redirects/s (one process, GIL-bound); non-302: {len(failures)}"
        )
        print(f"click_count: {counted} (expected {expected}) -> {'OK' if counted == expected else 'LOST CLICKS'}")
        connection.close()
        if counted != expected or failures:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
