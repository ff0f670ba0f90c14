"""Inbox benchmark: ingestion throughput, duplicates under interleaved double delivery, list and counts latency.

Creates a throwaway database (`hubbub_bench_inbox` on PostgreSQL via Django's test-database helpers), then:
0. smart rules: ingests `--rule-items` new items with 0 active rules and with 20 active rules (each a keyword list
   of 500 words and one local action; an item matches ~1 rule), alternating `--rule-rounds` times on fresh
   channels, and prints both rates and their ratio (target: rules cost at most 30% of the throughput);
1. ingests `--items` new items (1,000 authors) through `inbox.services.ingestion.ingest` in batches of 500 and
   prints items/s;
2. delivers the same `--items` items twice at once from two threads (one in order, one reversed, as a poll and a
   webhook would) on a fresh channel and prints how many tickets exist (must equal `--items`: 0 duplicates);
3. fills one tenant up to `--tickets` tickets (bulk_create, spread over 40 channels and every status), ANALYZEs,
   and times through the full WSGI stack (auth, tenancy, RLS, rendering) the ticket list (first page, a filtered
   page) and the counts, printing p50/p95.
The database is dropped at the end, also on failure.

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
        [--items 50000] [--tickets 1000000] [--requests 50] [--rule-items 10000] [--rule-rounds 2] [--rules-only]
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
    from core import tenancy
    from social.models import Channel
    from tenants.models import Membership, Tenant, User

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
        applications = RuleApplication.objects.count()
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


def fill(tenant, channels, total: int) -> None:
    from core import tenancy
    from inbox.models import Interactor, Ticket

    rng = random.Random(7)
    with tenancy.tenant_context(tenant):
        existing = Ticket.objects.count()
        interactors = Interactor.objects.bulk_create(
            [
                Interactor(tenant=tenant, network="sandbox", network_user_id=f"fill-{i}", name=f"P {i}")
                for i in range(5000)
            ]
        )
        statuses = ["open"] * 3 + ["archived"] * 6 + ["deleted"]
        batch = []
        for i in range(existing, total):
            status = rng.choice(statuses)
            batch.append(
                Ticket(
                    tenant=tenant,
                    channel=channels[i % CHANNELS],
                    network="sandbox",
                    type=rng.choice(["comment", "comment", "reply", "message", "mention"]),
                    network_item_id=f"fill-{i}",
                    parent_network_item_id=f"post-{i // 50}",
                    root_network_item_id=f"post-{i // 50}",
                    interactor=interactors[i % len(interactors)],
                    text=f"Ticket {i} " + "lorem ipsum " * rng.randrange(1, 12),
                    status=status,
                    is_unread=status == "open" and rng.random() < 0.5,
                    sentiment=rng.choice(["", "", "POSITIVE", "NEGATIVE", "NEUTRAL"]),
                    is_priority=rng.random() < 0.05,
                )
            )
            if len(batch) == 10_000:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rule-items", type=int, default=10_000, help="items per run of the rules comparison")
    parser.add_argument("--rule-rounds", type=int, default=2)
    parser.add_argument("--rules-only", action="store_true", help="only the 0-vs-20-rules comparison")
    args = parser.parse_args()

    setup_test_environment()
    with throwaway_database() as test_db:
        from tenants.tokens import start_session

        tenant, owner, channels = setup_tenant()
        setup_rules(owner)
        rule_channels = setup_channels(tenant, 2 * args.rule_rounds)
        bare, ruled, applied = rules_throughput(tenant, rule_channels, args.rule_items, args.rule_rounds)
        print(f"database {test_db} ({connection.vendor})")
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
        t0 = time.perf_counter()
        fill(tenant, channels, args.tickets)
        print(f"filled to {args.tickets} tickets in {time.perf_counter() - t0:.0f}s")
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(owner).access_token}"
        cases = [
            ("list page 1 (cursor)", "/api/v1/inbox/tickets/", {"cursor": "", "pageSize": 25}),
            ("list page 1 (page mode, count)", "/api/v1/inbox/tickets/", {"pageSize": 25}),
            (
                "list filtered (open, 2 channels)",
                "/api/v1/inbox/tickets/",
                {"cursor": "", "status": "open", "channel": [str(channels[1].pk), str(channels[2].pk)]},
            ),
            ("counts", "/api/v1/inbox/tickets/counts", {}),
            ("counts, one channel", "/api/v1/inbox/tickets/counts", {"channel": str(channels[3].pk)}),
        ]
        for label, path, params in cases:
            r = measure(client, path, params, args.requests)
            print(f"GET {label:<34} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms")
        # The counters above were read as the fill left them (one row per key and INSERT statement); the beat folds
        # them to one row per key within a minute. Counts again once folded, and a filter they do not hold (a scan).
        from inbox.services.counters import compact_ticket_counts

        print(f"counter rows after compaction: {compact_ticket_counts()}")
        for label, path, params in [
            ("counts (counters compacted)", "/api/v1/inbox/tickets/counts", {}),
            ("counts, type=comment (scan)", "/api/v1/inbox/tickets/counts", {"type": "comment"}),
        ]:
            r = measure(client, path, params, args.requests)
            print(f"GET {label:<34} {args.requests:>4} requests  p50 {r['p50']:8.2f} ms  p95 {r['p95']:8.2f} ms")
    print(f"dropped {test_db}")


if __name__ == "__main__":
    main()
