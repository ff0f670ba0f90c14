"""The offline `sandbox` ad platform: connected like Meta (any OAuth code works), with seeded accounts, campaigns,
ad sets, creatives and ads, insights that grow by one row per object every day, lead forms that gather two leads a
day, and targeting search over a small fixed catalogue. Its objects live in `SandboxAdObject` (global, like an
external system). A creative whose text contains `SANDBOX_FAIL` is refused, so compensation can be shown offline.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ads.models import SandboxAdObject
from ads.platforms.base import (
    AuthExpired,
    Grant,
    InsightRow,
    InvalidRequest,
    NotFound,
    PermissionMissing,
    RemoteAccount,
    RemoteLead,
    RemoteLeadForm,
    RemoteObject,
    SyncSnapshot,
)

TOKEN_PREFIX = "sbx-ads-"
FAIL_MARKER = "SANDBOX_FAIL"
SEED_DAYS = 20
BREAKDOWN_VALUES = {
    "age": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "gender": ["female", "male", "unknown"],
    "country": ["US", "GB", "DE"],
    "publisher_platform": ["facebook", "instagram", "audience_network", "messenger"],
    "impression_device": ["iphone", "android_smartphone", "desktop"],
}
CATALOGUE = {
    "location": [
        {"id": "US", "name": "United States", "type": "country", "country_code": "US"},
        {"id": "GB", "name": "United Kingdom", "type": "country", "country_code": "GB"},
        {"id": "DE", "name": "Germany", "type": "country", "country_code": "DE"},
        {"id": "2490299", "name": "New York", "type": "city", "country_code": "US"},
        {"id": "2421178", "name": "London", "type": "city", "country_code": "GB"},
        {"id": "3847", "name": "California", "type": "region", "country_code": "US"},
    ],
    "interest": [
        {"id": "6003139266461", "name": "Movies", "type": "interests", "path": ["Entertainment", "Movies"]},
        {"id": "6003020834693", "name": "Music", "type": "interests", "path": ["Entertainment", "Music"]},
        {"id": "6003107902433", "name": "Association football (Soccer)", "type": "interests", "path": ["Sports"]},
        {"id": "6003384248805", "name": "Fitness and wellness", "type": "interests", "path": ["Fitness"]},
    ],
    "behavior": [
        {"id": "6002714895372", "name": "Frequent travelers", "type": "behaviors", "path": ["Travel"]},
        {"id": "6071631541183", "name": "Engaged shoppers", "type": "behaviors", "path": ["Purchase behavior"]},
    ],
    "demographic": [
        {"id": "6002714398172", "name": "Parents (All)", "type": "family_statuses", "path": ["Parents"]},
        {"id": "6012903167183", "name": "Newly engaged (1 year)", "type": "life_events", "path": ["Life events"]},
    ],
    "locale": [{"id": "6", "name": "English (US)", "type": "locale"}, {"id": "5", "name": "German", "type": "locale"}],
}
OBJECTIVES = {
    "OUTCOME_TRAFFIC",
    "OUTCOME_SALES",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_APP_PROMOTION",
}
MIN_DAILY_BUDGET_MINOR = 100


def _digest(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:12], 16)


def _store_time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SandboxAdsAdapter:
    platform = "sandbox"
    scopes = ("ads_management", "ads_read", "business_management")

    def __init__(self) -> None:
        self.requests_made = 0

    # --- access ---
    def _check_token(self, token: str) -> str:
        self.requests_made += 1
        if not token.startswith(TOKEN_PREFIX):
            raise AuthExpired("The sandbox token is not valid.", status_code=401, platform_code=190)
        return token

    def _account(self, token: str, account_id: str) -> SandboxAdObject:
        self._check_token(token)
        account = SandboxAdObject.objects.filter(kind="account", remote_id=account_id).first()
        if account is None:
            raise NotFound(f"Unknown ad account {account_id}.", platform_code=100, platform_subcode=33)
        if account.data.get("token") != token:
            raise PermissionMissing("This grant does not give access to this ad account.", platform_code=200)
        return account

    def _object(self, token: str, remote_id: str) -> SandboxAdObject:
        self._check_token(token)
        obj = SandboxAdObject.objects.filter(remote_id=remote_id).exclude(kind="account").first()
        if obj is None:
            raise NotFound(f"Unknown object {remote_id}.", platform_code=100, platform_subcode=33)
        self._account(token, obj.account_external_id)
        self.requests_made -= 1  # the ownership check is part of the same call
        return obj

    # --- OAuth ---
    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """The sandbox consents at once: straight back to our callback with a fresh code."""
        return f"{redirect_uri}?{urlencode({'code': 'sbx-' + secrets.token_urlsafe(12), 'state': state})}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> Grant:
        self.requests_made += 1
        if not code:
            raise InvalidRequest("The code is missing.")
        seed = _digest("grant", code)
        token = f"{TOKEN_PREFIX}{seed:012x}"
        accounts = []
        for n, (name, currency) in enumerate((("Sandbox Ads (USD)", "USD"), ("Sandbox Ads (EUR)", "EUR")), start=1):
            remote_id = f"act_{seed % 10**10:010d}{n}"
            self._seed_account(remote_id, token=token, name=name, currency=currency)
            accounts.append(RemoteAccount(remote_id, name, currency, "UTC", "active", "Sandbox Business"))
        return Grant(
            access_token=token,
            expires_at=timezone.now() + timedelta(days=60),
            external_user_id=f"sbx-user-{seed % 10**8}",
            scopes=self.scopes,
            accounts=tuple(accounts),
        )

    @transaction.atomic
    def _seed_account(self, remote_id: str, *, token: str, name: str, currency: str) -> None:
        account, created = SandboxAdObject.objects.get_or_create(
            kind="account",
            remote_id=remote_id,
            defaults={"account_external_id": remote_id, "data": {"name": name, "currency": currency, "token": token}},
        )
        if not created:
            account.data = {**account.data, "token": token}
            account.save(update_fields=["data", "updated_at"])
            return
        start = (timezone.now() - timedelta(days=SEED_DAYS)).isoformat()
        page_id = f"sbx-page-{remote_id[4:]}"
        seeds = (
            ("Spring traffic", "OUTCOME_TRAFFIC", "LINK_CLICKS", "ACTIVE"),
            ("Brand awareness", "OUTCOME_AWARENESS", "REACH", "ACTIVE"),
            ("Post engagement", "OUTCOME_ENGAGEMENT", "POST_ENGAGEMENT", "PAUSED"),
        )
        for index, (label, objective, goal, status) in enumerate(seeds, start=1):
            base = f"{remote_id[4:]}{index}"
            common = {"created_time": start, "updated_time": start, "status": status}
            paused = {"paused_since": start[:10]} if status == "PAUSED" else {}
            self._put(
                "campaign",
                f"9{base}1",
                remote_id,
                "",
                {
                    **common,
                    **paused,
                    "name": label,
                    "objective": objective,
                    "daily_budget": 2000 * index,
                    "special_ad_categories": [],
                },
            )
            self._put(
                "adset",
                f"9{base}2",
                remote_id,
                f"9{base}1",
                {
                    **common,
                    **paused,
                    "name": f"{label} - ad set",
                    "optimization_goal": goal,
                    "billing_event": "IMPRESSIONS",
                    "start_time": start,
                    "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 65},
                },
            )
            self._put(
                "creative",
                f"9{base}3",
                remote_id,
                "",
                {
                    "name": f"{label} - creative",
                    "status": "ACTIVE",
                    "object_story_spec": {
                        "page_id": page_id,
                        "link_data": {
                            "message": f"{label}: see what is new",
                            "link": "https://example.com",
                            "name": label,
                            "call_to_action": {"type": "LEARN_MORE"},
                        },
                    },
                },
            )
            self._put(
                "ad",
                f"9{base}4",
                remote_id,
                f"9{base}2",
                {
                    **common,
                    **paused,
                    "name": f"{label} - ad",
                    "creative_id": f"9{base}3",
                },
            )
        self._put(
            "leadform",
            f"9{remote_id[4:]}5",
            remote_id,
            page_id,
            {
                "name": "Newsletter sign-up",
                "status": "ACTIVE",
                "locale": "en_US",
                "created_time": start,
                "questions": [{"type": "FULL_NAME", "key": "full_name"}, {"type": "EMAIL", "key": "email"}],
            },
        )

    @staticmethod
    def _put(kind: str, remote_id: str, account_id: str, parent: str, data: dict) -> SandboxAdObject:
        return SandboxAdObject.objects.create(
            kind=kind,
            remote_id=remote_id,
            account_external_id=account_id,
            parent_remote_id=parent,
            data={k: _store_time(v) for k, v in data.items()},
        )

    # --- mirror ---
    def pull(self, token: str, account_id: str, *, since: datetime | None, currency: str) -> SyncSnapshot:
        self._account(token, account_id)
        rows = SandboxAdObject.objects.filter(account_external_id=account_id).exclude(kind="account")
        if since is not None:
            rows = rows.filter(updated_at__gt=since)
        by_kind: dict[str, list[RemoteObject]] = {"campaign": [], "adset": [], "ad": [], "creative": []}
        parents = dict(
            SandboxAdObject.objects.filter(account_external_id=account_id, kind="adset").values_list(
                "remote_id", "parent_remote_id"
            )
        )
        for row in rows:
            if row.kind in by_kind:
                by_kind[row.kind].append(self._remote(row, currency, parents))
        return SyncSnapshot(
            campaigns=by_kind["campaign"], ad_sets=by_kind["adset"], ads=by_kind["ad"], creatives=by_kind["creative"]
        )

    @staticmethod
    def _remote(row: SandboxAdObject, currency: str, adset_parents: dict[str, str]) -> RemoteObject:
        d = row.data
        status = d.get("status", "")
        common = {"status": status, "effective_status": status, "remote_created_at": _time(d.get("created_time"))}
        money = {
            key: Decimal(d[key]) / 100 if d.get(key) is not None else None
            for key in ("daily_budget", "lifetime_budget", "bid_amount")
        }
        if row.kind == "campaign":
            fields = {
                **common,
                "objective": d.get("objective", ""),
                "daily_budget": money["daily_budget"],
                "lifetime_budget": money["lifetime_budget"],
                "special_ad_categories": d.get("special_ad_categories", []),
                "start_time": _time(d.get("start_time")),
                "stop_time": _time(d.get("stop_time")),
            }
        elif row.kind == "adset":
            fields = {
                **common,
                "campaign_remote_id": row.parent_remote_id,
                "optimization_goal": d.get("optimization_goal", ""),
                "billing_event": d.get("billing_event", ""),
                "bid_amount": money["bid_amount"],
                "daily_budget": money["daily_budget"],
                "lifetime_budget": money["lifetime_budget"],
                "start_time": _time(d.get("start_time")),
                "end_time": _time(d.get("end_time")),
                "targeting": d.get("targeting", {}),
            }
        elif row.kind == "ad":
            fields = {
                **common,
                "campaign_remote_id": adset_parents.get(row.parent_remote_id, ""),
                "ad_set_remote_id": row.parent_remote_id,
                "creative_remote_id": d.get("creative_id", ""),
            }
        else:
            fields = {
                "status": d.get("status", "ACTIVE"),
                "object_story_spec": d.get("object_story_spec", {}),
                "object_story_id": d.get("object_story_id", ""),
            }
        return RemoteObject(
            kind=row.kind, remote_id=row.remote_id, name=d.get("name", ""), fields=fields, updated_at=row.updated_at
        )

    # --- insights: ad-level days from a hash, summed upwards ---
    def insights(
        self,
        token: str,
        account_id: str,
        *,
        level: str,
        since: date,
        until: date,
        breakdown: str = "",
        ids: list[str] | None = None,
        daily: bool = True,
    ) -> Iterator[InsightRow]:
        self._account(token, account_id)
        today = timezone.now().date()
        ads = list(SandboxAdObject.objects.filter(account_external_id=account_id, kind="ad"))
        adsets = dict(
            SandboxAdObject.objects.filter(account_external_id=account_id, kind="adset").values_list(
                "remote_id", "parent_remote_id"
            )
        )
        totals: dict[tuple[str, date, str], dict[str, Any]] = {}
        values = BREAKDOWN_VALUES.get(breakdown, [""]) if breakdown else [""]
        for ad in ads:
            first = (_time(ad.data.get("created_time")) or ad.created_at).date()
            paused = date.fromisoformat(ad.data["paused_since"]) if ad.data.get("paused_since") else None
            key_for = {
                "account": account_id,
                "campaign": adsets.get(ad.parent_remote_id, ""),
                "adset": ad.parent_remote_id,
                "ad": ad.remote_id,
            }
            object_id = key_for[level]
            if ids and object_id not in ids:
                continue
            day = max(since, first)
            while day <= min(until, today):
                if paused is None or day < paused:
                    for share_index, value in enumerate(values):
                        self._add(
                            totals,
                            object_id,
                            day if daily else since,
                            value,
                            ad.remote_id,
                            day,
                            share_index,
                            len(values),
                        )
                day += timedelta(days=1)
        for (object_id, day, value), t in sorted(totals.items()):
            impressions, clicks, spend = t["impressions"], t["clicks"], t["spend"].quantize(Decimal("0.01"))
            yield InsightRow(
                level=level,
                object_id=object_id,
                day=day,
                impressions=impressions,
                reach=t["reach"],
                clicks=clicks,
                spend=spend,
                cpm=(spend * 1000 / impressions).quantize(Decimal("0.0001")) if impressions else None,
                cpc=(spend / clicks).quantize(Decimal("0.0001")) if clicks else None,
                ctr=(Decimal(clicks) * 100 / impressions).quantize(Decimal("0.0001")) if impressions else None,
                actions={"link_click": Decimal(clicks), "post_engagement": Decimal(clicks * 2)},
                action_values={},
                breakdown=breakdown,
                breakdown_value=value,
            )

    @staticmethod
    def _add(totals, object_id, bucket, value, ad_id, day, share_index, shares) -> None:
        h = _digest(ad_id, day.isoformat())
        impressions = 800 + h % 1200
        weight = (share_index + 1) / (shares * (shares + 1) / 2)  # breakdown values share the day unevenly
        impressions = int(impressions * weight)
        clicks = impressions * (1 + h % 4) // 100
        spend = Decimal(impressions) * Decimal(5 + h % 8) / 1000
        entry = totals.setdefault(
            (object_id, bucket, value), {"impressions": 0, "reach": 0, "clicks": 0, "spend": Decimal("0")}
        )
        entry["impressions"] += impressions
        entry["reach"] += impressions * 7 // 10
        entry["clicks"] += clicks
        entry["spend"] += spend

    # --- writes ---
    def create(self, token: str, account_id: str, kind: str, params: dict[str, Any], *, currency: str) -> str:
        self._account(token, account_id)
        data = {k: (int(v * 100) if isinstance(v, Decimal) else _store_time(v)) for k, v in params.items()}
        now = timezone.now().isoformat()
        data.update(created_time=now, updated_time=now)
        parent = ""
        if kind == "campaign":
            if data.get("objective") not in OBJECTIVES:
                raise InvalidRequest(f"Invalid objective {data.get('objective')!r}.", platform_code=100)
            budget = data.get("daily_budget") or data.get("lifetime_budget")
            if budget is not None and budget < MIN_DAILY_BUDGET_MINOR:
                raise InvalidRequest("The budget is too low.", platform_code=100, platform_subcode=1885272)
        elif kind == "adset":
            parent = str(data.get("campaign_id") or "")
            if not SandboxAdObject.objects.filter(kind="campaign", remote_id=parent).exists():
                raise InvalidRequest("Unknown campaign.", platform_code=100)
            if not (data.get("targeting") or {}).get("geo_locations"):
                raise InvalidRequest("Targeting needs geo_locations.", platform_code=100, platform_subcode=1487079)
        elif kind == "creative":
            if FAIL_MARKER in str(data.get("object_story_spec", "")) or FAIL_MARKER in str(data.get("name", "")):
                raise InvalidRequest("The sandbox refuses this creative.", platform_code=100, platform_subcode=1487390)
        elif kind == "ad":
            parent = str(data.get("adset_id") or "")
            data["creative_id"] = str((data.pop("creative", None) or {}).get("creative_id", ""))
            if not SandboxAdObject.objects.filter(kind="adset", remote_id=parent).exists():
                raise InvalidRequest("Unknown ad set.", platform_code=100)
        if data.get("status") == "PAUSED":
            data["paused_since"] = now[:10]
        remote_id = f"9{_digest(account_id, kind, secrets.token_hex(8)) % 10**14:014d}"
        self._put(kind, remote_id, account_id, parent, data)
        return remote_id

    def delete(self, token: str, remote_id: str) -> None:
        obj = self._object(token, remote_id)
        doomed = {obj.remote_id}
        frontier = {obj.remote_id}
        while frontier:  # deleting a campaign deletes its ad sets and their ads, as on Meta
            children = set(
                SandboxAdObject.objects.filter(parent_remote_id__in=frontier)
                .filter(Q(kind="adset") | Q(kind="ad"))
                .values_list("remote_id", flat=True)
            )
            frontier = children - doomed
            doomed |= children
        SandboxAdObject.objects.filter(remote_id__in=doomed).delete()

    def set_status(self, token: str, remote_id: str, status: str) -> tuple[str, str]:
        obj = self._object(token, remote_id)
        if obj.kind not in {"campaign", "adset", "ad"}:
            raise InvalidRequest("Only campaigns, ad sets and ads have a status.", platform_code=100)
        if status == "PAUSED" and obj.data.get("status") != "PAUSED":
            obj.data["paused_since"] = timezone.now().date().isoformat()
        elif status == "ACTIVE":
            obj.data.pop("paused_since", None)
        obj.data["status"] = status
        obj.data["updated_time"] = timezone.now().isoformat()
        targets = [obj]
        if obj.kind != "ad":  # delivery of the ads below follows the parent's status
            targets += self._ads_under(obj)
        for target in targets:
            if target is not obj:
                target.data = {k: v for k, v in target.data.items() if k != "paused_since"}
                if status == "PAUSED" or obj.data.get("paused_since"):
                    target.data["paused_since"] = obj.data["paused_since"]
            target.save(update_fields=["data", "updated_at"])
        return status, status

    def _ads_under(self, obj: SandboxAdObject) -> list[SandboxAdObject]:
        adsets = (
            [obj.remote_id]
            if obj.kind == "adset"
            else list(
                SandboxAdObject.objects.filter(kind="adset", parent_remote_id=obj.remote_id).values_list(
                    "remote_id", flat=True
                )
            )
        )
        return list(SandboxAdObject.objects.filter(kind="ad", parent_remote_id__in=adsets))

    # --- pages and lead forms ---
    def pages(self, token: str, account_id: str) -> list[dict]:
        self._account(token, account_id)
        return [{"id": f"sbx-page-{account_id[4:]}", "name": "Sandbox Page"}]

    def page_token(self, token: str, page_id: str) -> str:
        self._check_token(token)
        return token

    def lead_forms(self, token: str, page_id: str) -> list[RemoteLeadForm]:
        self._check_token(token)
        forms = SandboxAdObject.objects.filter(kind="leadform", parent_remote_id=page_id)
        return [
            RemoteLeadForm(
                remote_id=f.remote_id,
                page_id=page_id,
                name=f.data.get("name", ""),
                status=f.data.get("status", "ACTIVE"),
                locale=f.data.get("locale", ""),
                questions=f.data.get("questions", []),
                leads_count=sum(1 for _ in self._form_leads(f, since=None)),
                created_at=_time(f.data.get("created_time")),
            )
            for f in forms
        ]

    def create_lead_form(self, token: str, page_id: str, spec: dict[str, Any]) -> str:
        self._check_token(token)
        account_id = "act_" + page_id.removeprefix("sbx-page-")
        remote_id = f"9{_digest(page_id, secrets.token_hex(8)) % 10**14:014d}"
        self._put("leadform", remote_id, account_id, page_id, {**spec, "created_time": timezone.now().isoformat()})
        return remote_id

    def leads(self, token: str, form_id: str, *, since: datetime | None) -> Iterator[RemoteLead]:
        self._check_token(token)
        form = SandboxAdObject.objects.filter(kind="leadform", remote_id=form_id).first()
        if form is None:
            raise NotFound(f"Unknown lead form {form_id}.", platform_code=100, platform_subcode=33)
        yield from self._form_leads(form, since=since)

    @staticmethod
    def _form_leads(form: SandboxAdObject, *, since: datetime | None) -> Iterator[RemoteLead]:
        start = (_time(form.data.get("created_time")) or form.created_at).date()
        now = timezone.now()
        day, n = start, 0
        while day <= now.date():
            for slot in (10, 15):  # two leads a day, at 10:00 and 15:00 UTC
                n += 1
                at = datetime.combine(day, time(slot), tzinfo=UTC)
                if at > now or (since is not None and at <= since):
                    continue
                yield RemoteLead(
                    remote_id=f"{form.remote_id}{day:%Y%m%d}{slot}",
                    form_id=form.remote_id,
                    created_at=at,
                    ad_id="",
                    field_data={"full_name": f"Sandbox Lead {n}", "email": f"lead{n}@example.com"},
                )
            day += timedelta(days=1)

    # --- targeting ---
    def search_targeting(self, token: str, account_id: str, *, kind: str, query: str) -> list[dict]:
        self._account(token, account_id)
        needle = query.casefold()
        return [
            {
                "path": [],
                "country_code": "",
                "audience_size_lower_bound": None,
                "audience_size_upper_bound": None,
                **item,
            }
            for item in CATALOGUE.get(kind, [])
            if needle in item["name"].casefold()
        ]
