"""Community read benchmark: a board's first page, a deep cursor page and a post with 500 comments, plus
reactions per second on one hot post from 16 threads with exact final counts.

Creates a throwaway database (`hubbub_bench_community` on PostgreSQL), fills one tenant's community with 100,000
members and 1,000,000 posts over 20 boards (generated in SQL, then ANALYZE), then times requests through the full
WSGI stack with `django.test.Client` acting as a member (member token): middleware, auth, tenancy, RLS, rendering.
Prints p50/p95 per case (target p95 <= 50 ms) and the reaction throughput. The database is dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/community_read.py \
        [--posts 1000000] [--members 100000] [--requests 50] [--reactions 1600]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import statistics
import threading
import time

from bench._throwaway_db import setup_django, throwaway_database

os.environ["THROTTLE_RATE"] = "100000000/min"  # measure the stack, not the rate limiter
setup_django("hubbub_bench_community")

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from core.db.rls import owner_mode  # noqa: E402

BOARDS, COMMENTS_ON_HOT_POST, THREADS = 20, 500, 16


def populate(members: int, posts: int):
    """The tenant, its community, members, boards, posts, and one post with 500 comments; returns ids."""
    from community.models import Board, Member, Post
    from community.services.settings import ensure_community
    from core import tenancy
    from tenants.models import Tenant

    with tenancy.platform_access():
        tenant = Tenant.objects.create(name="Bench", slug="bench-community", plan="business")
    with tenancy.tenant_context(tenant):
        role_id = ensure_community().default_role_id
        boards = [Board.objects.create(name=f"Board {i:02}", display_order=i) for i in range(BOARDS)]
    tid = str(tenant.pk)
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO community_member (id, tenant_id, created_at, updated_at, handle, first_name, middle_name,
              last_name, username, email, avatar_url, banner_url, description, social_links, language, timezone,
              is_bot, role_id, status, ban_reason, token_version, post_count, comment_count, reply_count,
              login_count)
            SELECT gen_random_uuid(), %s, now() - (g || ' minutes')::interval, now(), md5(g::text || 'h'), 'F', '',
              'L', 'member_' || g, 'm' || g || '@bench.local', '', '', '', '{}', 'en', 'UTC', false, %s, 'active',
              '', 1, 0, 0, 0, 0
            FROM generate_series(1, %s) g
            """,
            [tid, str(role_id), members],
        )
        # Posts: round-robin over the boards (board 0 gets 1/20), newest first by seconds; every 50th pending.
        cursor.execute(
            """
            WITH m AS (SELECT array_agg(id) AS ids FROM community_member WHERE tenant_id = %s),
                 b AS (SELECT array_agg(id ORDER BY display_order) AS ids FROM community_board WHERE tenant_id = %s)
            INSERT INTO community_post (id, tenant_id, created_at, updated_at, author_id, content, clean_text,
              short_text, status, react_count, s1_count, s2_count, s3_count, s4_count, s5_count, s6_count, board_id,
              headline, comment_count, reply_count, view_count, last_activity_at)
            SELECT gen_random_uuid(), %s, now() - (g || ' seconds')::interval, now(), m.ids[1 + g %% %s],
              '<p>Post ' || g || '</p>', 'Post ' || g, 'Post ' || g,
              CASE WHEN g %% 50 = 0 THEN 'pending' ELSE 'published' END, 0, 0, 0, 0, 0, 0, 0,
              b.ids[1 + g %% %s], 'Headline ' || g, 0, 0, 0, now() - (g || ' seconds')::interval
            FROM generate_series(1, %s) g, m, b
            """,
            [tid, tid, tid, members, BOARDS, posts],
        )
        cursor.execute("UPDATE community_board SET post_count = %s WHERE tenant_id = %s", [posts // BOARDS, tid])
    with tenancy.tenant_context(tenant):
        board = boards[0]
        hot = Post.objects.filter(board=board, status="published").order_by("-created_at").first()
        reader = Member.objects.order_by("created_at").first()
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH m AS (SELECT array_agg(id) AS ids FROM community_member WHERE tenant_id = %s)
            INSERT INTO community_comment (id, tenant_id, created_at, updated_at, author_id, content, clean_text,
              short_text, status, react_count, s1_count, s2_count, s3_count, s4_count, s5_count, s6_count, post_id,
              reply_count)
            SELECT gen_random_uuid(), %s, now() - (g || ' seconds')::interval, now(), m.ids[1 + g], '<p>c</p>', 'c',
              'c', 'published', 0, 0, 0, 0, 0, 0, 0, %s, 0
            FROM generate_series(1, %s) g, m
            """,
            [tid, tid, str(hot.pk), COMMENTS_ON_HOT_POST],
        )
        cursor.execute("UPDATE community_post SET comment_count = %s WHERE id = %s", [COMMENTS_ON_HOT_POST, hot.pk])
        # ANALYZE needs the table owner: the application role would skip every table.
        cursor.execute("ANALYZE")
    return tenant, board, hot, reader


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


def deep_cursor(client: Client, board_id: str, depth: int) -> str:
    """The cursor of the row `depth` rows into the board (built from that row, as the API encodes it)."""
    import base64
    import json

    from community.models import Post
    from core import tenancy

    tenant = client.tenant
    with tenancy.tenant_context(tenant):
        row = Post.objects.filter(board_id=board_id, status="published").order_by("-created_at", "-id")[depth]
    payload = json.dumps(["created_at", row.created_at.isoformat(), str(row.pk)]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def reaction_storm(tenant, hot, total: int) -> tuple[float, tuple[int, int]]:
    """`total` reactions (distinct member x slot) from 16 threads through the API; returns (per second, counts)."""
    from community.models import Member, Post
    from community.tokens import issue_member_token
    from core import tenancy

    with tenancy.tenant_context(tenant):
        reactors = list(Member.objects.order_by("-created_at")[: total // 2])
    jobs = [(member, slot) for member in reactors for slot in ("s1", "s2")][:total]
    tokens = {member.pk: issue_member_token(member)[0] for member in reactors}
    chunks = [jobs[i::THREADS] for i in range(THREADS)]
    failures: list[int] = []
    start = threading.Barrier(THREADS)

    def run(chunk):
        client = Client()
        start.wait()
        for member, slot in chunk:
            response = client.put(
                f"/api/v1/community/posts/{hot.pk}/reactions/{slot}", HTTP_AUTHORIZATION=f"Bearer {tokens[member.pk]}"
            )
            if response.status_code != 200:
                failures.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} reactions failed: {sorted(set(failures))}")
    with tenancy.tenant_context(tenant):
        post = Post.objects.get(pk=hot.pk)
    return len(jobs) / elapsed, (post.react_count, post.s1_count + post.s2_count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint")
    parser.add_argument("--reactions", type=int, default=1600, help="reactions in the storm (16 threads)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Needs PostgreSQL (DATABASE_URL=postgres://...).")

    setup_test_environment()
    with throwaway_database() as test_db:
        from community.tokens import issue_member_token

        t0 = time.perf_counter()
        tenant, board, hot, reader = populate(args.members, args.posts)
        print(
            f"database {test_db}: {args.members} members, {args.posts} posts over {BOARDS} boards, "
            f"{COMMENTS_ON_HOT_POST} comments on one post, in {time.perf_counter() - t0:.1f}s"
        )
        client = Client()
        client.tenant = tenant
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issue_member_token(reader)[0]}"
        board_posts = "/api/v1/community/posts/"
        cases = [
            ("board first page", board_posts, {"board": str(board.pk), "cursor": ""}),
            ("board first page, by activity", board_posts, {"board": str(board.pk), "cursor": "", "sort": "activity"}),
            (
                "board deep cursor page (row 40,000)",
                board_posts,
                {"board": str(board.pk), "cursor": deep_cursor(client, str(board.pk), min(40_000, args.posts // 40))},
            ),
            ("post with 500 comments", f"/api/v1/community/posts/{hot.pk}", {}),
            ("its comments, page 1 (50)", f"/api/v1/community/posts/{hot.pk}/comments/", {"pageSize": 50}),
            ("its comments, page 10 (50)", f"/api/v1/community/posts/{hot.pk}/comments/", {"pageSize": 50, "page": 10}),
        ]
        for label, path, params in cases:
            r = measure(client, path, params, args.requests)
            print(f"GET {label:<38} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms")
        per_second, (react_count, slot_total) = reaction_storm(tenant, hot, args.reactions)
        exact = "exact" if react_count == slot_total == args.reactions else "WRONG"
        print(
            f"reaction storm: {args.reactions} reactions on one post from {THREADS} threads, {per_second:.0f}/s; "
            f"final reactCount {react_count} ({exact})"
        )
    print(f"dropped {test_db}")


if __name__ == "__main__":
    main()
