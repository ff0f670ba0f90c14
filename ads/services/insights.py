"""Insights queries: served from the stored daily rows when the account's synced range covers the request and
the level/breakdown is one we store (every level without breakdown; breakdowns at campaign level), else fetched
live from the platform. The answer says which (`source`). Money is Decimal in the account's currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ads import selectors
from ads.models import AdAccount, AdPermissionLevel, InsightLevel
from ads.platforms.base import InsightRow
from ads.services.access import call_platform, require
from core.auth import Principal

METRICS = ("impressions", "reach", "clicks", "spend", "cpm", "cpc", "ctr", "actions", "action_values")
MAX_LIVE_ROWS = 5000


@dataclass(frozen=True)
class InsightResult:
    source: str  # stored | live
    currency: str
    level: str
    breakdown: str
    since: date
    until: date
    metrics: tuple[str, ...]
    rows: list[dict]
    totals: dict


def is_stored(account: AdAccount, *, level: str, breakdown: str, since: date, until: date) -> bool:
    if breakdown and level != InsightLevel.CAMPAIGN:
        return False
    covered_from, covered_to = account.insights_synced_from, account.insights_synced_through
    return bool(covered_from and covered_to and covered_from <= since and until <= covered_to)


def query_insights(
    account: AdAccount,
    *,
    actor: Principal,
    level: str,
    since: date,
    until: date,
    breakdown: str = "",
    metrics: tuple[str, ...] = METRICS,
    ids: list[str] | None = None,
) -> InsightResult:
    require(actor, account, AdPermissionLevel.VIEWER)
    if is_stored(account, level=level, breakdown=breakdown, since=since, until=until):
        source = "stored"
        rows = [
            _row(
                r.date,
                r.object_remote_id,
                r.breakdown_value,
                r.impressions,
                r.reach,
                r.clicks,
                r.spend,
                r.cpm,
                r.cpc,
                r.ctr,
                r.actions,
                r.action_values,
            )
            for r in selectors.stored_insights(
                account, level=level, since=since, until=until, breakdown=breakdown, ids=ids
            ).iterator()
        ]
    else:
        source = "live"

        def fetch(adapter, token) -> list[InsightRow]:
            found = []
            for row in adapter.insights(
                token, account.external_id, level=level, since=since, until=until, breakdown=breakdown, ids=ids
            ):
                found.append(row)
                if len(found) >= MAX_LIVE_ROWS:
                    break
            return found

        rows = [
            _row(
                r.day,
                r.object_id,
                r.breakdown_value,
                r.impressions,
                r.reach,
                r.clicks,
                r.spend,
                r.cpm,
                r.cpc,
                r.ctr,
                {k: str(v) for k, v in r.actions.items()},
                {k: str(v) for k, v in r.action_values.items()},
            )
            for r in call_platform(account, fetch)
        ]
    totals = _totals(rows)
    keep = set(metrics)
    rows = [
        {k: v for k, v in row.items() if k in keep or k in {"date", "object_id", "breakdown_value"}} for row in rows
    ]
    return InsightResult(source, account.currency, level, breakdown, since, until, metrics, rows, totals)


def _row(day, object_id, value, impressions, reach, clicks, spend, cpm, cpc, ctr, actions, action_values) -> dict:
    return {
        "date": day,
        "object_id": object_id,
        "breakdown_value": value,
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks,
        "spend": Decimal(spend),
        "cpm": cpm,
        "cpc": cpc,
        "ctr": ctr,
        "actions": actions,
        "action_values": action_values,
    }


def _totals(rows: list[dict]) -> dict:
    """Sums, and the ratios recomputed from them (reach is not additive across days, so it is left out)."""
    impressions = sum(r["impressions"] for r in rows)
    clicks = sum(r["clicks"] for r in rows)
    spend = sum((r["spend"] for r in rows), Decimal("0"))
    return {
        "impressions": impressions,
        "clicks": clicks,
        "spend": spend.quantize(Decimal("0.01")),
        "cpm": (spend * 1000 / impressions).quantize(Decimal("0.0001")) if impressions else None,
        "cpc": (spend / clicks).quantize(Decimal("0.0001")) if clicks else None,
        "ctr": (Decimal(clicks) * 100 / impressions).quantize(Decimal("0.0001")) if impressions else None,
    }
