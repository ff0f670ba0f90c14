"""Inbox benchmark: ingestion throughput, duplicates under interleaved double delivery, list and counts latency.

Creates a throwaway database (`hubbub_bench_inbox` on PostgreSQL via Django's test-database helpers), then:
0. smart rules: ingests `--rule-items` new items with 0 active rules and with 20 active rules (each a keyword list
   of 500 words and one local action; an item matches ~1 rule), alternating `--rule-rounds` times on fresh
   channels, and prints both rates and their ratio (target: rules cost at most 30% of the throughput);
1. ingests `--items` new items (1,000 authors) through `inbox.services.ingestion.ingest` in batches of 500 and
   prints items/s;
2. delivers the same `--items` items twice at once from two threads (one in order, one reversed, as a poll and a
   webhook would) on a fresh channel and prints how many tickets exist (must equal `--items`: 0 duplicates);
3. fills one tenant up to `--tickets` tickets (COPY, spread over a year, 40 channels, every status and type), ANALYZEs,
   and times through the full WSGI stack (auth, tenancy, RLS, rendering) the ticket list (first page, a filtered
   page) and the counts, printing p50/p95.
The database is dropped at the end, also on failure (unless --keep-db).

Measured 2026-11-28 on the shared 2-core machine (load average ~9 from other engineers' test runs, so every figure
is pessimistic), PostgreSQL, --items 50000 --tickets 1000000 --requests 30:
    ingest 50,000 new items in batches of 500: 873 items/s (1,174/s at 20k items; target 2,000/s: missed)
    same 50,000 items delivered twice at once: 50,000 tickets, 0 duplicates
    list page 1 (cursor)            p50 168 ms  p95 200 ms
    list page 1 (page mode, count)  p50 616 ms  p95 828 ms   (COUNT(*) over the tenant's 1M rows)
    list filtered (open, 2 chans)   p50 195 ms  p95 384 ms
    counts                          p50 686 ms  p95 944 ms   (target p95 100 ms: missed)
Where the time goes: ingestion is ~60% Django building the multi-row INSERT (prepare_value for ~30 columns x 500
rows) and ~40% SQL (the insert, then reading back ids and orphans); a COPY-based insert or fewer columns per row
is the next step. Counts scan every ticket of the tenant (one aggregate with FILTERs); at 1M rows that needs
counters maintained on write (per tenant, channel and status) rather than a scan. The cursor list is an index scan
of (tenant, -created_at, -id); most of its time is the request stack under this load (the same stack serves the
content planner's page 1 in ~65 ms on a quiet machine).

Counters kept on write (2026-11-29, same machine, load ~14, --items 1000 --tickets 1000000 --requests 20; the run
before the change on the same settings first):
    counts                          before p50 609 ms  p95 707 ms   after p50 28 ms  p95 44 ms
    counts, one channel             before p50 455 ms  p95 559 ms   after p50 24 ms  p95 36 ms
    counts, counters compacted      after  p50 23 ms  p95 26 ms   (162 rows for 1M tickets)
    counts, type=comment (a filter the counters do not hold: still the scan)  p50 399 ms  p95 546 ms
    fill of 1M tickets (bulk_create, 10k per INSERT): 1312 s before, 1026 s with the triggers (load noise dominates)
The 100 ms target is met whenever the filters are only channel/network (what the inbox polls); other filters scan.

List without joins, counters by type, page mode counted from the counters (2026-11-29, same machine, load average
9-15 from other engineers' test runs; --list-only --keep-db --requests 20/30 on the same 1M tickets, seeded once by
COPY in 700 s into a kept database `hubbub_bench_inbox_list`; the second run migrated it forward, counters rebuilt):
                                    before (load ~12-15)          after (load ~9-10)
    list page 1 (cursor)            p50 358 ms  p95 417 ms        p50 301 ms  p95 359 ms
    list page 1 (page mode, count)  p50 581 ms  p95 664 ms        p50 325 ms  p95 391 ms   (count from the counters)
    list filtered (open, 2 chans)   p50 489 ms  p95 579 ms        p50 295 ms  p95 335 ms
    list filtered, page mode        p50 573 ms  p95 615 ms        p50 298 ms  p95 336 ms
    list open comments (cursor)     p50 344 ms  p95 378 ms        p50 298 ms  p95 345 ms
    counts                          p50  72 ms  p95  86 ms        p50  71 ms  p95 104 ms
    counts, type=comment            p50 1307 ms p95 1531 ms       p50  84 ms  p95 131 ms
    counts, type=message, 2 chans   p50 659 ms  p95 694 ms        p50  79 ms  p95 111 ms
    counts, type=comment, compacted p50 1214 ms p95 1332 ms       p50  86 ms  p95 104 ms   (640 counter rows)
In SQL (EXPLAIN ANALYZE, --explain) the page queries went from 106 ms (page 1), 629 ms (open, 2 channels) and
121 ms (open comments) to 0.2, 5.8 and 0.2 ms: joined to the interactor and channel tables, whose row-level security
policy hides their size from the planner (estimated 1 row), the plan read all 5,000 interactors per ticket or every
open ticket of the channels before sorting; alone on the ticket table it walks the created_at index and stops after a
page. The COUNT(*) of page mode (250 ms) is now two small counter queries. What is left of a list request under this
load (~170 ms measured in-process: 4 queries ~50 ms, round trips of 10-15 ms each while `SELECT 1` takes 3-5 ms;
building ~80 model instances ~40 ms, the serializer ~50 ms, rendering ~12 ms) is CPU the 2 cores share with ~9
other runnable processes: the 100 ms p95 target is missed on this machine under this load.
Last run with the counters read in one query and folder counts from them (load 17-19, --requests 20): list page 1
p50 244 / p95 372 ms, page mode 342 / 402, filtered 243 / 304, filtered page mode 313 / 349, open comments 297 / 426;
counts 157 / 206, one channel 134 / 220, type=comment 156 / 214, type=message on 2 channels 117 / 128, counts with 3
folders 190 / 293 (was one aggregate scan of the tenant's tickets), compacted 111 / 136, type=comment compacted
100 / 128.
List without model instances (2026-11-29, same machine, load average 3.7-4.5; --list-only --keep-db --requests 30
on the same 1M tickets; the code before and after run alternately against the same database, "cpu" is this process's
CPU per request, which the load moves less than wall time):
                                    before (two runs)                     after (two runs)
    list page 1 (cursor)            p50 28-30 ms p95 40-49  cpu 20-24     p50 15-16 ms p95 19-20  cpu  9-12
    list page 1 (page mode, count)  p50 36-56 ms p95 39-69  cpu 27-28     p50 28-29 ms p95 37-39  cpu 12-20
    list filtered (open, 2 chans)   p50 21-40 ms p95 27-48  cpu 17-22     p50 17-21 ms p95 19-28  cpu 10-14
    list filtered, page mode        p50 31-42 ms p95 35-57  cpu 22-24     p50 22-35 ms p95 31-53  cpu 14-15
    list open comments (cursor)     p50 28    ms p95 35     cpu 17-25     p50 14-16 ms p95 16-25  cpu  9-11
    counts                          p50 17-21 ms p95 19-34  cpu 11        p50 14-17 ms p95 17-19  cpu  7-10
    counts, type=comment            p50 14-16 ms p95 20-21  cpu  8-10     p50 11-18 ms p95 21-22  cpu  7-11
    counts with 3 folders           p50 27-28 ms p95 32-36  cpu 14-21     p50 23    ms p95 32-35  cpu 12-16
A list request now makes 2 queries (3 in page mode: the counters) and 2 Redis round trips (the principal cache, the
throttle), was 4 (5): the page reads its tickets as `.values()` with the channel's and the interactor's columns as
primary-key subqueries (evaluated for the page's rows only), the categories in one query, and builds the wire's
camelCase dicts directly (`inbox.api.serializers.ticket_rows_data`, held equal to the detail's TicketOutput by a
test), which the renderer passes through (`core.api.renderers.CamelCaseRows`). Counts read ~1,000 counter rows
without a dict and a str(UUID) per row. The earlier 300 ms figures were the same stack under load 9-17: every figure
here is dominated by how many other processes want the 2 cores.
Ingestion the same day (load 4-5, fresh database, --items 50000 --rule-items 2000 --rule-rounds 1): 1,434 items/s
(2,073/s for the first 2,000; target 2,000/s: missed), 0 duplicates. Profiled over 10,000 items: ~30% waiting on
SQL (12 statements per batch of 500), ~25% Django building the INSERTs (prepare_value per column and row, a model
instance per row), ~15% psycopg quoting parameters client-side (arrays of ids above all), ~10% thread linking and
~10% the report summary's tracking.

Smart rules, measured 2026-11-29 on the same machine (load average 17-22: eight engineers' test runs), PostgreSQL:
    --rule-items 2000  --rule-rounds 1: 0 rules   706 items/s, 20 rules 524 items/s: 0.74 (26% cost)
    --rule-items 5000  --rule-rounds 2: 0 rules   843 items/s, 20 rules 457 items/s: 0.54 (46% cost)
    --rule-items 10000 --rule-rounds 2: 0 rules   832 items/s, 20 rules 381 items/s: 0.46 (54% cost, before
                                        categories were written as id pairs)
After set-wise rule writes (core.db.bulk: one UPDATE, one INSERT each of claims, events, categories; rows as
one JSON parameter) and compiled conditions with one keyword index, 2026-11-29, load 15.8, PostgreSQL:
    --rule-items 10000 --rule-rounds 2: 0 rules   268 items/s, 20 rules 213 items/s: 0.80 (20% cost; 55% before
                                        on the same settings, load 0.3 rising to 20)
Earlier: the target (<= 30%) was met only on the short run. Matching was no longer the cost (20 rules x 500
keywords: ~13 us per ticket and rule, whole-word keywords looked up in a dict of word tuples); what remained was
writing ~1 application per item: the claim row, the history event, the category row and the grouped UPDATEs of the
tickets, about as many rows again as the tickets themselves, on a machine where every statement waits for the CPU.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/inbox_ingest.py \
        [--items 50000] [--tickets 1000000] [--requests 50] [--rule-items 10000] [--rule-rounds 2] [--rules-only] \
        [--list-only] [--keep-db] [--explain]
`--list-only` skips the ingestion phases; `--keep-db` keeps the database (name from DATABASE_TEST_NAME) with its
tickets, so the next run migrates it forward and measures at once (the fill tops up only what is missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import random
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_TEST_NAME", "hubbub_bench_inbox")
os.environ["THROTTLE_RATE"] = "100000000/min"  # measure the stack, not the rate limiter

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench._throwaway_db import throwaway_database  # noqa: E402
from core.db.rls import owner_mode  # noqa: E402

CHANNELS = 40
BATCH = 500
START = datetime(2026, 1, 1, tzinfo=UTC)


def items_for(prefix: str, count: int):
    from inbox.incoming import IncomingItem

    return [
        IncomingItem(
            network_item_id=f"{prefix}-{i}",
            type="comment" if i % 4 else "reply",
            text=f"comment {i} " + "lorem ipsum " * (i % 7),
            author_id=f"author-{i % 1000}",
            author_name=f"Author {i % 1000}",
            created_at=START + timedelta(seconds=i),
            parent_id=f"post-{i // 100}" if i % 4 else f"{prefix}-{i - 1}",
        )
        for i in range(count)
    ]


def setup_tenant():
    """The bench tenant, its owner and channels: created, or found again in a kept database (`--keep-db`)."""
    from core import tenancy
    from social.models import Channel
    from tenants.models import Membership, Tenant, User

    with tenancy.platform_access():
        tenant = Tenant.objects.filter(slug="bench-inbox").first()
    if tenant is not None:
        with tenancy.tenant_context(tenant):
            owner = Membership.objects.select_related("user", "tenant").get(role="OWNER")
            channels = list(
                Channel.objects.filter(external_id__startswith="bench-")
                .exclude(external_id__startswith="bench-rules-")
                .order_by("name")
            )
        return tenant, owner, channels
    with tenancy.platform_access():
        tenant = Tenant.objects.create(name="Bench", slug="bench-inbox", plan="business")
    with tenancy.tenant_context(tenant):
        user = User.objects.create_user("owner@bench.local", None, first_name="O", last_name="W")
        owner = Membership.objects.create(user=user, role="OWNER")
        channels = Channel.objects.bulk_create(
            [
                Channel(tenant=tenant, network="sandbox", external_id=f"bench-{i}", name=f"Channel {i:02}")
                for i in range(CHANNELS + 2)
            ]
        )
    return tenant, owner, channels


def setup_channels(tenant, count: int) -> list:
    from core import tenancy
    from social.models import Channel

    with tenancy.tenant_context(tenant):
        return Channel.objects.bulk_create(
            [
                Channel(tenant=tenant, network="sandbox", external_id=f"bench-rules-{i}", name=f"Rules {i}")
                for i in range(count)
            ]
        )


def ingest_throughput(tenant, channel, count: int) -> float:
    from core import tenancy
    from inbox.services.ingestion import ingest

    items = items_for("t", count)
    t0 = time.perf_counter()
    with tenancy.tenant_context(tenant):
        for offset in range(0, count, BATCH):
            ingest(channel, items[offset : offset + BATCH])
    return count / (time.perf_counter() - t0)


# Smart rules: 20 rules, each with a keyword list of 500 words drawn from VOCABULARY; an item's text has 6 words of a
# 5x larger set, so it matches about 1.2 rules on average (most comments match none or one).
RULE_COUNT = 20
WORDS_PER_LIST = 500
VOCABULARY = [f"{stem}{n}" for stem in ("parcel", "refund", "colour", "size", "voucher") for n in range(2000)]
TEXT_WORDS = VOCABULARY + [f"{stem}{n}" for stem in ("lorem", "ipsum", "dolor", "amet") for n in range(10_000)]


def rule_items(prefix: str, count: int):
    from inbox.incoming import IncomingItem

    rng = random.Random(11)
    return [
        IncomingItem(
            network_item_id=f"{prefix}-{i}",
            type="comment" if i % 4 else "reply",
            text=f"comment {i} about " + " ".join(rng.sample(TEXT_WORDS, 6)) + " lorem ipsum " * (i % 5),
            author_id=f"author-{i % 1000}",
            author_name=f"Author {i % 1000}",
            created_at=START + timedelta(seconds=i),
            parent_id=f"post-{i // 100}",
        )
        for i in range(count)
    ]


def setup_rules(owner) -> None:
    """20 rules with keyword lists of 500 words (from VOCABULARY) and local actions, created inactive."""
    from core import tenancy
    from inbox.models import Category, Rule
    from inbox.services import rules
    from tenants.roles import member_principal

    rng = random.Random(5)
    with tenancy.tenant_context(owner.tenant):
        principal = member_principal(owner)
        category = Category.objects.create(name="Bench")
        steps = [
            [{"type": "markAsPriority"}],
            [{"type": "setSentiment", "value": "NEGATIVE"}],
            [{"type": "categorize", "category_ids": [str(category.pk)]}],
            [{"type": "assign", "user_id": str(owner.user_id)}],
        ]
        for n in range(RULE_COUNT):
            words = rng.sample(VOCABULARY, WORDS_PER_LIST)
            keywords = rules.create_keyword_list(actor=principal, name=f"List {n}", keywords=words)
            conditions = {"message_has_keyword": str(keywords.pk)}
            if n % 3 == 0:
                conditions["type"] = ["comment"]
            rules.create_rule(actor=principal, name=f"Rule {n}", conditions=conditions, actions=steps[n % len(steps)])
        Rule.objects.update(is_active=False)


def rules_throughput(tenant, channels, count: int, rounds: int) -> tuple[float, float, int]:
    """Items/s with 0 and with 20 active rules, alternating `rounds` times on fresh channels (same items)."""
    from core import tenancy
    from inbox.models import Rule, RuleApplication
    from inbox.services.ingestion import ingest

    elapsed = {0: 0.0, RULE_COUNT: 0.0}
    # One untimed batch of each first, on channels of their own: a worker compiles a keyword list once per process
    # and list version, so the steady state the comparison is about starts with the matchers (and caches) warm.
    for active in (0, RULE_COUNT):
        with tenancy.tenant_context(tenant):
            Rule.objects.update(is_active=bool(active))
            ingest(channels[2 * rounds + (1 if active else 0)], rule_items(f"warm-{active}", BATCH))
    with tenancy.tenant_context(tenant):
        warm_applications = RuleApplication.objects.count()
    for n in range(rounds):
        for active in (0, RULE_COUNT):
            channel = channels[2 * n + (1 if active else 0)]
            items = rule_items(f"rules-{n}-{active}", count)
            with tenancy.tenant_context(tenant):
                Rule.objects.update(is_active=bool(active))
                t0 = time.perf_counter()
                for offset in range(0, count, BATCH):
                    ingest(channel, items[offset : offset + BATCH])
                elapsed[active] += time.perf_counter() - t0
    with tenancy.tenant_context(tenant):
        applications = RuleApplication.objects.count() - warm_applications
        Rule.objects.update(is_active=False)  # the other measurements run without rules
    return count * rounds / elapsed[0], count * rounds / elapsed[RULE_COUNT], applications


def double_delivery(tenant, channel, count: int) -> int:
    from core import tenancy
    from inbox.models import Ticket
    from inbox.services.ingestion import ingest

    items = items_for("d", count)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def deliver(order):
        try:
            barrier.wait()
            with tenancy.tenant_context(tenant):
                for offset in range(0, count, BATCH):
                    ingest(channel, order[offset : offset + BATCH])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(o,)) for o in (items, list(reversed(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"double delivery failed: {errors[0]!r}")
    with tenancy.tenant_context(tenant):
        return Ticket.objects.filter(channel=channel).count()


TICKET_COLUMNS = (
    "id, tenant_id, created_at, updated_at, channel_id, network, type, network_item_id, parent_network_item_id, "
    "root_network_item_id, interactor_id, text, attachments, url, status, archive_reason, sentiment, is_priority, "
    "is_unread, is_hidden, is_liked, is_own, is_deleted_in_network, is_edited, edit_history"
)


def fill(tenant, channels, total: int) -> int:
    """Top the tenant up to `total` tickets by `COPY ... FROM STDIN` (the counter triggers fire as for any INSERT),
    spread over the year before START in arrival order, 40 channels, every status and type. Returns how many were
    added (0 when a kept database already holds them)."""
    from core import tenancy
    from inbox.models import Interactor, Ticket

    rng = random.Random(7)
    with tenancy.tenant_context(tenant):
        existing = Ticket.objects.count()
        if existing >= total:
            return 0
        interactors = [
            i.pk
            for i in Interactor.objects.bulk_create(
                [
                    Interactor(tenant=tenant, network="sandbox", network_user_id=f"fill-{existing}-{i}", name=f"P {i}")
                    for i in range(5000)
                ]
            )
        ]
    statuses = ["open"] * 3 + ["archived"] * 6 + ["deleted"]
    year = timedelta(days=365)
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # through Django's wrapper: switches the session to the owner role first
        with cursor.cursor.copy(f"COPY inbox_ticket ({TICKET_COLUMNS}) FROM STDIN") as copy:
            for i in range(existing, total):
                status = rng.choice(statuses)
                created = START - year + year * i / total
                copy.write_row(
                    (
                        uuid.uuid4(),
                        tenant.pk,
                        created,
                        created,
                        channels[i % CHANNELS].pk,
                        "sandbox",
                        rng.choice(["comment", "comment", "reply", "message", "mention"]),
                        f"fill-{i}",
                        f"post-{i // 50}",
                        f"post-{i // 50}",
                        interactors[i % len(interactors)],
                        f"Ticket {i} " + "lorem ipsum " * rng.randrange(1, 12),
                        "[]",
                        "",
                        status,
                        "",
                        rng.choice(["", "", "POSITIVE", "NEGATIVE", "NEUTRAL"]),
                        rng.random() < 0.05,
                        status == "open" and rng.random() < 0.5,
                        False,
                        False,
                        False,
                        False,
                        False,
                        "[]",
                    )
                )
        cursor.execute("VACUUM ANALYZE inbox_ticket")
    return total - existing


def measure(client: Client, path: str, params: dict, requests: int) -> dict[str, float]:
    for _ in range(3):
        response = client.get(path, params)
        if response.status_code != 200:
            raise SystemExit(f"{path} returned {response.status_code}: {response.content[:300]!r}")
    latencies, cpu = [], []
    for _ in range(requests):
        c0, t0 = time.process_time(), time.perf_counter()
        client.get(path, params)
        latencies.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    latencies.sort()
    # CPU of this process per request (the stack's own work; the database's and Redis' are not in it): less at the
    # mercy of the machine's load than wall time, so runs of two versions under different loads compare.
    return {
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
        "cpu": statistics.median(cpu) * 1000,
    }


def setup_folders(tenant) -> None:
    """Three saved folders whose filters the counters hold (what `counts?folders=1` polls)."""
    from core import tenancy
    from inbox.models import Folder

    with tenancy.tenant_context(tenant):
        if not Folder.objects.exists():
            Folder.objects.bulk_create(
                [
                    Folder(tenant=tenant, name="Open comments", filters={"type": ["comment"], "status": ["open"]}),
                    Folder(tenant=tenant, name="Unread", filters={"unread": True}),
                    Folder(tenant=tenant, name="Messages", filters={"type": ["message"]}),
                ]
            )


def explain(tenant, owner, channels) -> None:
    """EXPLAIN ANALYZE of the list's and the counts' queries, as the API runs them."""
    from core import tenancy
    from inbox import selectors
    from inbox.api.views import filter_tickets
    from tenants.roles import member_principal

    with tenancy.tenant_context(tenant):
        principal = member_principal(owner)
        listed = selectors.ticket_list(principal)
        cases = [
            ("list page 1", listed, {}),
            ("list open, 2 channels", listed, {"status": ["open"], "channel": [channels[1].pk, channels[2].pk]}),
            ("list type=comment, open", listed, {"status": ["open"], "type": ["comment"]}),
        ]
        for label, queryset, filters in cases:
            print(f"--- {label}")
            print(selectors.ticket_rows(filter_tickets(queryset, filters, principal))[:26].explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rule-items", type=int, default=10_000, help="items per run of the rules comparison")
    parser.add_argument("--rule-rounds", type=int, default=2)
    parser.add_argument("--rules-only", action="store_true", help="only the 0-vs-20-rules comparison")
    parser.add_argument("--list-only", action="store_true", help="only the list and counts latencies")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (and its tickets) for the next run")
    parser.add_argument("--explain", action="store_true", help="print the plans of the list's queries")
    args = parser.parse_args()

    setup_test_environment()
    with throwaway_database(keep=args.keep_db) as test_db:
        from tenants.tokens import start_session

        tenant, owner, channels = setup_tenant()
        print(f"database {test_db} ({connection.vendor})")
        if not args.list_only:
            ingest_phases(tenant, owner, channels, args)
            if args.rules_only:
                return
        t0 = time.perf_counter()
        added = fill(tenant, channels, args.tickets)
        print(f"filled to {args.tickets} tickets ({added} added) in {time.perf_counter() - t0:.0f}s")
        setup_folders(tenant)
        if args.explain:
            explain(tenant, owner, channels)
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(owner).access_token}"
        two = [str(channels[1].pk), str(channels[2].pk)]
        cases = [
            ("list page 1 (cursor)", "/api/v1/inbox/tickets/", {"cursor": "", "pageSize": 25}),
            ("list page 1 (page mode, count)", "/api/v1/inbox/tickets/", {"pageSize": 25}),
            (
                "list filtered (open, 2 chans)",
                "/api/v1/inbox/tickets/",
                {"cursor": "", "status": "open", "channel": two},
            ),
            ("list filtered, page mode", "/api/v1/inbox/tickets/", {"status": "open", "channel": two}),
            (
                "list open comments (cursor)",
                "/api/v1/inbox/tickets/",
                {"cursor": "", "status": "open", "type": "comment"},
            ),
            ("counts", "/api/v1/inbox/tickets/counts", {}),
            ("counts, one channel", "/api/v1/inbox/tickets/counts", {"channel": str(channels[3].pk)}),
            ("counts, type=comment", "/api/v1/inbox/tickets/counts", {"type": "comment"}),
            ("counts, type=message, 2 chans", "/api/v1/inbox/tickets/counts", {"type": "message", "channel": two}),
            ("counts with 3 folders", "/api/v1/inbox/tickets/counts", {"folders": "1"}),
        ]
        for label, path, params in cases:
            r = measure(client, path, params, args.requests)
            print(
                f"GET {label:<34} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms"
                f"  cpu p50 {r['cpu']:6.2f} ms"
            )
        # The counters above were read as the fill left them (one row per key and statement); the beat folds them to
        # one row per key within a minute. Counts again once folded.
        from inbox.services.counters import compact_ticket_counts

        print(f"counter rows after compaction: {compact_ticket_counts()}")
        for label, path, params in [
            ("counts (counters compacted)", "/api/v1/inbox/tickets/counts", {}),
            ("counts, type=comment (compacted)", "/api/v1/inbox/tickets/counts", {"type": "comment"}),
        ]:
            r = measure(client, path, params, args.requests)
            print(
                f"GET {label:<34} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms"
                f"  cpu p50 {r['cpu']:6.2f} ms"
            )
    print(f"kept {test_db}" if args.keep_db else f"dropped {test_db}")


def ingest_phases(tenant, owner, channels, args) -> None:
    """Rules comparison, ingestion throughput and double delivery (skipped by --list-only)."""
    setup_rules(owner)
    rule_channels = setup_channels(tenant, 2 * args.rule_rounds + 2)  # the last two for the warm-up
    bare, ruled, applied = rules_throughput(tenant, rule_channels, args.rule_items, args.rule_rounds)
    print(
        f"ingest {args.rule_items} items x {args.rule_rounds} rounds: 0 rules {bare:,.0f} items/s, "
        f"{RULE_COUNT} rules ({WORDS_PER_LIST} keywords each) {ruled:,.0f} items/s: "
        f"{ruled / bare:.2f} of the throughput ({(1 - ruled / bare) * 100:.0f}% cost), {applied} rule applications"
    )
    if args.rules_only:
        return
    rate = ingest_throughput(tenant, channels[CHANNELS], args.items)
    print(f"ingest {args.items} new items in batches of {BATCH}: {rate:,.0f} items/s")
    tickets = double_delivery(tenant, channels[CHANNELS + 1], args.items)
    print(f"same {args.items} items delivered twice at once: {tickets} tickets, {tickets - args.items} duplicates")


if __name__ == "__main__":
    main()
