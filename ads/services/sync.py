"""Sync of one ad account from its platform into the mirror: objects changed since the last watermark
(`updated_time`), daily insight rows (the last days are re-read, since platforms revise recent figures), lead
forms and new leads.

One sync per account at a time (a claim with an expiry, taken by a conditional UPDATE). A rate limit pauses the
account's sync until the time the platform advertises; requests served from the mirror are not affected. Safe to
run twice: every write is an upsert on the platform's ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ads import conf
from ads.models import (
    Ad,
    AdAccount,
    AdAccountStatus,
    AdSet,
    Campaign,
    Creative,
    Insight,
    InsightBreakdown,
    InsightLevel,
    Lead,
    LeadForm,
)
from ads.platforms import base as platform
from ads.services.access import adapter_for, pause_for_rate_limit

logger = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=15)
REFETCH_DAYS = 3
WATERMARK_OVERLAP = timedelta(minutes=5)  # platforms' updated_time is not strictly ordered with our clock
BULK = 1000
MIRROR_FIELDS = ["name", "status", "effective_status", "remote_created_at", "remote_updated_at", "updated_at"]
INSIGHT_FIELDS = ["impressions", "reach", "clicks", "spend", "cpm", "cpc", "ctr", "actions", "action_values"]


@dataclass
class SyncReport:
    status: str  # ok | paused | busy | needsReconnect | failed | missing
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retry_at: datetime | None = None
    error: str = ""


def _claim(account_id) -> bool:
    now = timezone.now()
    return bool(
        AdAccount.objects.filter(pk=account_id)
        .filter(Q(sync_claimed_until__isnull=True) | Q(sync_claimed_until__lt=now))
        .filter(Q(sync_paused_until__isnull=True) | Q(sync_paused_until__lte=now))
        .exclude(status=AdAccountStatus.NEEDS_RECONNECT)
        .update(sync_claimed_until=now + CLAIM_FOR)
    )


def sync_account(account_id, *, full: bool = False, today: date | None = None) -> SyncReport:
    """Pull the account (see module docstring). Returns what happened; never raises platform errors."""
    account = AdAccount.objects.select_related("connection").filter(pk=account_id).first()
    if account is None:
        return SyncReport("missing")
    if not _claim(account.pk):
        if account.status == AdAccountStatus.NEEDS_RECONNECT:
            return SyncReport("needsReconnect")
        paused = account.sync_paused_until and account.sync_paused_until > timezone.now()
        return SyncReport("paused" if paused else "busy", retry_at=account.sync_paused_until if paused else None)
    adapter = adapter_for(account)
    report = SyncReport("ok")
    started = timezone.now()
    try:
        if account.connection is None:
            raise platform.AuthExpired("The account has no connection.")
        token = account.connection.access_token
        since = None if full or account.objects_synced_at is None else account.objects_synced_at - WATERMARK_OVERLAP
        snapshot = adapter.pull(token, account.external_id, since=since, currency=account.currency)
        report.counts.update(upsert_mirror(account, snapshot))
        AdAccount.objects.filter(pk=account.pk).update(objects_synced_at=started)
        report.counts["insights"] = sync_insights(account, adapter, token, today=today or started.date())
        report.counts["leads"] = sync_leads(account, adapter, token)
    except platform.RateLimited as exc:
        pause_for_rate_limit(account, exc.retry_after)
        report = SyncReport("paused", report.counts, retry_at=account.sync_paused_until, error=exc.message)
    except platform.AuthExpired as exc:
        AdAccount.objects.filter(pk=account.pk).update(status=AdAccountStatus.NEEDS_RECONNECT)
        report = SyncReport("needsReconnect", report.counts, error=exc.message)
    except platform.PlatformError as exc:
        logger.warning("ad account sync failed", extra={"account_id": str(account.pk), "code": exc.code})
        report = SyncReport("failed", report.counts, error=f"{exc.code}: {exc.message}"[:500])
    report.requests = adapter.requests_made
    values = {
        "sync_claimed_until": None,
        "last_sync_error": report.error,
        "platform_requests_count": F("platform_requests_count") + adapter.requests_made,
    }
    if report.status == "ok":
        values["last_synced_at"] = timezone.now()
    AdAccount.objects.filter(pk=account.pk).update(**values)
    return report


def _upsert(model, rows: list, update_fields: list[str]) -> None:
    for start in range(0, len(rows), BULK):
        model.objects.bulk_create(
            rows[start : start + BULK],
            update_conflicts=True,
            unique_fields=["ad_account", "remote_id"],
            update_fields=update_fields,
        )


def _ids(model, account: AdAccount) -> dict[str, object]:
    return dict(model.objects.filter(ad_account=account).values_list("remote_id", "pk"))


def _mirror_row(model, account: AdAccount, obj: platform.RemoteObject, extra: dict | None = None):
    values = {k: v for k, v in obj.fields.items() if k in {f.name for f in model._meta.fields}}
    return model(
        tenant_id=account.tenant_id,
        ad_account=account,
        remote_id=obj.remote_id,
        name=obj.name[:400],
        remote_updated_at=obj.updated_at,
        **values,
        **(extra or {}),
    )


@transaction.atomic
def upsert_mirror(account: AdAccount, snapshot: platform.SyncSnapshot) -> dict[str, int]:
    """Write what the platform returned; parents first so foreign keys resolve by remote id."""
    _upsert(
        Campaign,
        [_mirror_row(Campaign, account, o) for o in snapshot.campaigns],
        [
            *MIRROR_FIELDS,
            "objective",
            "daily_budget",
            "lifetime_budget",
            "special_ad_categories",
            "start_time",
            "stop_time",
        ],
    )
    campaigns = _ids(Campaign, account)
    _upsert(
        AdSet,
        [
            _mirror_row(AdSet, account, o, {"campaign_id": campaigns.get(o.fields.get("campaign_remote_id"))})
            for o in snapshot.ad_sets
        ],
        [
            *MIRROR_FIELDS,
            "campaign",
            "campaign_remote_id",
            "optimization_goal",
            "billing_event",
            "bid_amount",
            "daily_budget",
            "lifetime_budget",
            "start_time",
            "end_time",
            "targeting",
        ],
    )
    _upsert(
        Creative,
        [_mirror_row(Creative, account, o) for o in snapshot.creatives],
        [*MIRROR_FIELDS, "object_story_spec", "object_story_id"],
    )
    ad_sets, creatives = _ids(AdSet, account), _ids(Creative, account)
    _upsert(
        Ad,
        [
            _mirror_row(
                Ad,
                account,
                o,
                {
                    "campaign_id": campaigns.get(o.fields.get("campaign_remote_id")),
                    "ad_set_id": ad_sets.get(o.fields.get("ad_set_remote_id")),
                    "creative_id": creatives.get(o.fields.get("creative_remote_id")),
                },
            )
            for o in snapshot.ads
        ],
        [
            *MIRROR_FIELDS,
            "campaign",
            "ad_set",
            "creative",
            "campaign_remote_id",
            "ad_set_remote_id",
            "creative_remote_id",
        ],
    )
    return {
        "campaigns": len(snapshot.campaigns),
        "adSets": len(snapshot.ad_sets),
        "ads": len(snapshot.ads),
        "creatives": len(snapshot.creatives),
    }


def store_insight_rows(account: AdAccount, rows) -> int:
    batch: list[Insight] = []
    count = 0
    for row in rows:
        batch.append(
            Insight(
                tenant_id=account.tenant_id,
                ad_account=account,
                level=row.level,
                object_remote_id=row.object_id,
                date=row.day,
                breakdown=row.breakdown,
                breakdown_value=row.breakdown_value,
                impressions=row.impressions,
                reach=row.reach,
                clicks=row.clicks,
                spend=row.spend,
                cpm=row.cpm,
                cpc=row.cpc,
                ctr=row.ctr,
                actions={k: str(v) for k, v in row.actions.items()},
                action_values={k: str(v) for k, v in row.action_values.items()},
            )
        )
        if len(batch) >= BULK:
            count += _flush_insights(batch)
            batch = []
    return count + _flush_insights(batch)


def _flush_insights(batch: list[Insight]) -> int:
    if batch:
        Insight.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["ad_account", "level", "object_remote_id", "date", "breakdown", "breakdown_value"],
            update_fields=[*INSIGHT_FIELDS, "updated_at"],
        )
    return len(batch)


def sync_insights(account: AdAccount, adapter, token: str, *, today: date) -> int:
    """Daily rows for every level, and per breakdown for campaigns, from the backfill start (first sync) or the
    last few days (later syncs) through today."""
    if account.insights_synced_through is None:
        since = today - timedelta(days=conf.insights_backfill_days() - 1)
    else:
        since = min(account.insights_synced_through, today) - timedelta(days=REFETCH_DAYS - 1)
    stored = 0
    for level in InsightLevel.values:
        stored += store_insight_rows(
            account, adapter.insights(token, account.external_id, level=level, since=since, until=today)
        )
    for breakdown in InsightBreakdown.values:
        rows = adapter.insights(
            token, account.external_id, level=InsightLevel.CAMPAIGN, since=since, until=today, breakdown=breakdown
        )
        stored += store_insight_rows(account, rows)
    first = min(filter(None, [account.insights_synced_from, since]))
    AdAccount.objects.filter(pk=account.pk).update(insights_synced_from=first, insights_synced_through=today)
    account.insights_synced_from, account.insights_synced_through = first, today
    return stored


def sync_leads(account: AdAccount, adapter, token: str) -> int:
    """Lead forms of the pages the account promotes, and the leads that arrived since the last sync."""
    new_leads = 0
    for page in adapter.pages(token, account.external_id):
        page_token = adapter.page_token(token, page["id"])
        for remote in adapter.lead_forms(page_token, page["id"]):
            form, _ = LeadForm.objects.update_or_create(
                ad_account=account,
                remote_id=remote.remote_id,
                defaults={
                    "page_id": remote.page_id,
                    "name": remote.name[:255],
                    "status": remote.status,
                    "locale": remote.locale,
                    "questions": remote.questions,
                    "leads_count": remote.leads_count,
                    "remote_created_at": remote.created_at,
                },
            )
            new_leads += sync_form_leads(form, adapter, page_token)
    return new_leads


def sync_form_leads(form: LeadForm, adapter, token: str) -> int:
    started = timezone.now()
    rows = [
        Lead(
            tenant_id=form.tenant_id,
            lead_form=form,
            remote_id=lead.remote_id,
            remote_created_at=lead.created_at,
            ad_remote_id=lead.ad_id,
            field_data=lead.field_data,
        )
        for lead in adapter.leads(token, form.remote_id, since=form.leads_synced_at)
    ]
    before = Lead.objects.filter(lead_form=form).count()
    Lead.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BULK)
    LeadForm.objects.filter(pk=form.pk).update(leads_synced_at=started)
    return Lead.objects.filter(lead_form=form).count() - before


def accounts_due_for_sync() -> list[tuple[str, str]]:
    """(account id, tenant id) of every account whose last sync is older than the interval (all tenants; the
    caller holds platform access)."""
    now = timezone.now()
    stale = now - timedelta(minutes=conf.sync_interval_minutes())
    return [
        (str(pk), str(tenant_id))
        for pk, tenant_id in AdAccount.all_tenants.filter(status=AdAccountStatus.ACTIVE)
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=stale))
        .filter(Q(sync_paused_until__isnull=True) | Q(sync_paused_until__lte=now))
        .values_list("pk", "tenant_id")
    ]
