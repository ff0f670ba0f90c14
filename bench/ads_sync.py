"""Benchmark: first sync of one Meta ad account against a local fake of the Graph API (httpx.MockTransport).

The fake serves Graph-shaped pages (500 items, `after` cursors, the batch endpoint) for an account of
2,000 campaigns, 10,000 ad sets, 30,000 ads and 90 days of daily insights. Prints wall time, platform requests
made and peak memory (max RSS). `--scale 0.1` shrinks every count (quick runs); insight rows at the ad
level are limited to `--delivering` of the ads (most ads of a large account do not deliver every day).

    .venv/bin/python bench/ads_sync.py [--scale 1.0] [--days 90] [--delivering 0.1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/ads_sync.py
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._throwaway_db import setup_django, throwaway_database

ACT = "act_900000001"
PAGE = 500


class FakeGraph:
    """Just enough of the Marketing API to sync: campaigns/adsets/ads/adcreatives edges, insights, batch."""

    def __init__(self, *, campaigns: int, ad_sets: int, ads: int, days: int, delivering: float) -> None:
        self.counts = {"campaigns": campaigns, "adsets": ad_sets, "ads": ads, "adcreatives": ads}
        self.days = days
        self.delivering = delivering
        self.requests = 0

    def item(self, edge: str, i: int) -> dict:
        stamp = "2026-01-01T00:00:00+0000"
        base = {
            "id": f"{edge[:2]}{i}",
            "name": f"{edge} {i}",
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "created_time": stamp,
            "updated_time": stamp,
        }
        if edge == "campaigns":
            return {**base, "objective": "OUTCOME_TRAFFIC", "daily_budget": "2000", "special_ad_categories": []}
        if edge == "adsets":
            return {
                **base,
                "campaign_id": f"ca{i % self.counts['campaigns']}",
                "optimization_goal": "LINK_CLICKS",
                "billing_event": "IMPRESSIONS",
                "targeting": {"geo_locations": {"countries": ["US"]}},
            }
        if edge == "ads":
            adset = i % self.counts["adsets"]
            return {
                **base,
                "adset_id": f"ad{adset}",
                "campaign_id": f"ca{adset % self.counts['campaigns']}",
                "creative": {"id": f"ad{i}c"},
            }
        return {"id": f"ad{i}c", "name": f"creative {i}", "object_story_spec": {"page_id": "1"}}

    def edge_page(self, edge: str, after: int) -> dict:
        total = self.counts[edge]
        items = [self.item(edge, i) for i in range(after, min(after + PAGE, total))]
        page = {"data": items}
        if after + PAGE < total:
            page["paging"] = {
                "cursors": {"after": str(after + PAGE)},
                "next": f"https://graph.facebook.com/v21.0/{ACT}/{edge}?limit=500&after={after + PAGE}",
            }
        return page

    def insights_page(self, params: dict, after: int) -> dict:
        level = params["level"]
        objects = {
            "account": 1,
            "campaign": self.counts["campaigns"],
            "adset": self.counts["adsets"],
            "ad": int(self.counts["ads"] * self.delivering),
        }[level]
        breakdown_values = {"age": 6, "gender": 3, "country": 3, "publisher_platform": 4, "impression_device": 3}
        per_object = breakdown_values.get(params.get("breakdowns", ""), 1)
        total = objects * self.days * per_object
        start = date.fromisoformat(json.loads(params["time_range"])["since"])
        rows = []
        for n in range(after, min(after + PAGE, total)):
            obj, rest = divmod(n, self.days * per_object)
            day, value = divmod(rest, per_object)
            row = {
                "impressions": "1000",
                "reach": "700",
                "clicks": "20",
                "spend": "5.25",
                "cpm": "5.25",
                "cpc": "0.2625",
                "ctr": "2",
                "date_start": (start + timedelta(days=day)).isoformat(),
            }
            row[{"account": "account_id", "campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}[level]] = (
                f"{level[:2]}{obj}"
            )
            if params.get("breakdowns"):
                row[params["breakdowns"]] = f"v{value}"
            rows.append(row)
        page = {"data": rows}
        if after + PAGE < total:
            query = urlencode({**params, "after": after + PAGE})  # Meta's next URL repeats every parameter
            page["paging"] = {
                "cursors": {"after": str(after + PAGE)},
                "next": f"https://graph.facebook.com/v21.0/{ACT}/insights?{query}",
            }
        return page

    def answer(self, path: str, params: dict) -> dict | list:
        after = int(params.get("after") or 0)
        tail = path.rsplit("/", 1)[-1]
        if tail == "insights":
            return self.insights_page(params, after)
        if tail in self.counts:
            return self.edge_page(tail, after)
        if tail == "promote_pages":
            return {"data": []}
        raise AssertionError(f"unexpected path {path}")

    def __call__(self, request):
        import httpx

        self.requests += 1
        url = urlsplit(str(request.url))
        if request.method == "POST" and url.path.endswith("/v21.0/"):
            batch = json.loads(parse_qs(request.content.decode())["batch"][0])
            answers = []
            for part in batch:
                rel = urlsplit(part["relative_url"])
                body = self.answer(rel.path, {k: v[0] for k, v in parse_qs(rel.query).items()})
                answers.append({"code": 200, "body": json.dumps(body)})
            return httpx.Response(200, json=answers)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        return httpx.Response(200, json=self.answer(url.path, params))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--delivering", type=float, default=0.1, help="share of ads with ad-level insight rows")
    args = parser.parse_args()
    setup_django("hubbub_bench_ads")

    import httpx

    from ads.models import Ad, AdSet, Campaign, Insight
    from ads.platforms.meta import MetaAdsAdapter
    from ads.platforms.registry import use_adapter
    from ads.services import sync
    from ads.tests.factories import AdAccountFactory
    from core import tenancy
    from tenants.tests.factories import TenantFactory

    with throwaway_database():
        fake = FakeGraph(
            campaigns=int(2000 * args.scale),
            ad_sets=int(10000 * args.scale),
            ads=int(30000 * args.scale),
            days=args.days,
            delivering=args.delivering,
        )
        tenant = TenantFactory(name="Bench")
        account = AdAccountFactory(tenant=tenant, external_id=ACT)
        client = httpx.Client(transport=httpx.MockTransport(fake))
        os_env = {"ADS_INSIGHTS_BACKFILL_DAYS": str(args.days)}
        import os

        os.environ.update(os_env)
        with use_adapter("meta", lambda: MetaAdsAdapter(client=client)), tenancy.tenant_context(tenant):
            started = time.perf_counter()
            report = sync.sync_account(account.pk)
            elapsed = time.perf_counter() - started
            rows = {m.__name__: m.objects.count() for m in (Campaign, AdSet, Ad, Insight)}
    print(f"status             {report.status} {report.error}")
    print(f"mirrored           {rows}")
    print(f"wall time          {elapsed:.1f} s")
    print(f"platform requests  {fake.requests} (adapter counted {report.requests})")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory        {peak_mb:.0f} MB (max RSS of the process, incl. Django and the fake)")


if __name__ == "__main__":
    main()
