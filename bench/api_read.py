"""Read-path benchmark: `GET /api/v1/teams/` and `GET /api/v1/me` through the full WSGI stack, in one process.

Creates a throwaway database (`hubbub_bench` on PostgreSQL, via Django's test-database helpers), fills it with
100 tenants holding 10,000 users, 2,000 teams and 20,000 team memberships (bulk_create), then times N requests
per endpoint with `django.test.Client` (middleware, authentication, tenancy, RLS, serialization, rendering) and
prints requests/s and p50/p95 latency. The database is dropped at the end, also on failure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/api_read.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_TEST_NAME", "hubbub_bench")
os.environ["THROTTLE_RATE"] = "100000000/min"  # measure the stack, not the rate limiter

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench._throwaway_db import throwaway_database  # noqa: E402

TENANTS, USERS_PER_TENANT, TEAMS_PER_TENANT, TEAMS_PER_USER = 100, 100, 20, 2


def populate() -> list:
    """Bulk-create the data set; returns one OWNER membership per tenant (the callers)."""
    from core import tenancy
    from tenants.models import Membership, Team, TeamMember, Tenant, User

    password = make_password(None)
    with tenancy.platform_access():
        tenants = Tenant.objects.bulk_create(
            [Tenant(name=f"Bench {i:03}", slug=f"bench-{i:03}", plan="business") for i in range(TENANTS)]
        )
        users = User.objects.bulk_create(
            [
                User(email=f"u{t}-{u}@bench.local", first_name=f"U{u}", last_name=f"T{t}", password=password)
                for t in range(TENANTS)
                for u in range(USERS_PER_TENANT)
            ],
            batch_size=2000,
        )
        memberships, teams, team_members = [], [], []
        for t, tenant in enumerate(tenants):
            tenant_users = users[t * USERS_PER_TENANT : (t + 1) * USERS_PER_TENANT]
            tenant_teams = [
                Team(tenant=tenant, name="Everyone" if n == 0 else f"Team {n:02}", is_default=n == 0)
                for n in range(TEAMS_PER_TENANT)
            ]
            teams += tenant_teams
            for u, user in enumerate(tenant_users):
                memberships.append(Membership(tenant=tenant, user=user, role="OWNER" if u == 0 else "EDITOR"))
                for k in range(TEAMS_PER_USER):
                    team = tenant_teams[(u + k) % TEAMS_PER_TENANT]
                    team_members.append(TeamMember(tenant=tenant, team=team, user=user))
        memberships = Membership.all_tenants.bulk_create(memberships, batch_size=2000)
        Team.all_tenants.bulk_create(teams, batch_size=2000)
        TeamMember.all_tenants.bulk_create(team_members, batch_size=5000)
    return [m for m in memberships if m.role == "OWNER"]


def clients_for(owners: list) -> list[Client]:
    from tenants.tokens import start_session

    clients = []
    for membership in owners:
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(membership).access_token}"
        clients.append(client)
    return clients


def measure(clients: list[Client], path: str, requests: int) -> dict[str, float]:
    for client in clients[:20]:  # warm caches (MAU marker, connection, code paths)
        assert client.get(path).status_code == 200
    latencies = []
    started = time.perf_counter()
    for i in range(requests):
        client = clients[i % len(clients)]
        t0 = time.perf_counter()
        response = client.get(path)
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"{path} returned {response.status_code}: {response.content[:300]!r}")
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint")
    args = parser.parse_args()

    setup_test_environment()
    with throwaway_database() as test_db:
        t0 = time.perf_counter()
        owners = populate()
        print(
            f"database {test_db} ({connection.vendor}): {TENANTS} tenants, {TENANTS * USERS_PER_TENANT} users, "
            f"{TENANTS * TEAMS_PER_TENANT} teams, {TENANTS * USERS_PER_TENANT * TEAMS_PER_USER} team members "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        clients = clients_for(owners)
        for path in ("/api/v1/teams/", "/api/v1/me"):
            r = measure(clients, path, args.requests)
            print(
                f"GET {path:<16} {args.requests} requests: {r['rps']:7.1f} req/s  "
                f"p50 {r['p50']:.2f} ms  p95 {r['p95']:.2f} ms"
            )
    print(f"dropped {test_db}")


if __name__ == "__main__":
    main()
