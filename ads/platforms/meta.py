"""Meta (Facebook/Instagram) ads through the Marketing API on the Graph API.

Real endpoints: OAuth dialog + /oauth/access_token, /me/adaccounts, /act_{id}/{campaigns,adsets,ads,adcreatives},
/act_{id}/insights (level, time_range, time_increment, breakdowns, filtering), /act_{id}/promote_pages,
/{page}/leadgen_forms, /{form}/leads, /search (adgeolocation, adinterest, adTargetingCategory, adlocale), POST
/{id} for status, DELETE /{id}, and the batch endpoint (POST / with `batch=`) for the first pages of a sync.

Errors: the Graph error payload `{"error": {"code", "error_subcode", "is_transient", "message",
"error_user_title", "error_user_msg"}}` is classified; the throttling codes (4, 17, 32, 613, 80000-80014; 80004 is
the ads-management bucket) become RateLimited with the time to regain access from `X-Business-Use-Case-Usage`
(minutes), else `X-Ad-Account-Usage`'s `reset_time_duration` (seconds). Transient errors are retried here with
backoff; a write that was sent without an answer is UnknownOutcome and never retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from ads import conf
from ads.platforms.base import (
    AuthExpired,
    Grant,
    InsightRow,
    InvalidRequest,
    NotFound,
    PermissionMissing,
    PlatformError,
    RateLimited,
    RemoteAccount,
    RemoteLead,
    RemoteLeadForm,
    RemoteObject,
    SyncSnapshot,
    TemporaryError,
    UnknownOutcome,
)

# The one place the Graph API version is pinned.
GRAPH_VERSION = "v21.0"
GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}"
DIALOG = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"

SCOPES = (
    "ads_management",
    "ads_read",
    "business_management",
    "pages_show_list",
    "pages_manage_ads",
    "leads_retrieval",
)

AUTH_CODES = {102, 190}
PERMISSION_CODES = {10} | set(range(200, 300))
RATE_CODES = {4, 17, 32, 613} | set(range(80000, 80015))
TEMPORARY_CODES = {1, 2}
DEFAULT_RATE_LIMIT_SECONDS = 300
PAGE_LIMIT = 500
IDS_PER_LOOKUP = 50  # Graph's ?ids= lookup takes at most 50 ids

# Meta amounts are integers in the currency's minor unit ("offset" 100), except these offset-1 currencies.
OFFSET_ONE_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"})

CAMPAIGN_FIELDS = (
    "id,name,objective,status,effective_status,daily_budget,lifetime_budget,budget_remaining,"
    "special_ad_categories,start_time,stop_time,created_time,updated_time"
)
ADSET_FIELDS = (
    "id,name,campaign_id,status,effective_status,optimization_goal,billing_event,bid_amount,daily_budget,"
    "lifetime_budget,budget_remaining,start_time,end_time,targeting,created_time,updated_time"
)
AD_FIELDS = "id,name,campaign_id,adset_id,creative{id},status,effective_status,created_time,updated_time"
CREATIVE_FIELDS = "id,name,status,object_story_spec,object_story_id,title,body,image_url,call_to_action_type"
INSIGHT_FIELDS = (
    "account_id,campaign_id,adset_id,ad_id,impressions,reach,clicks,spend,cpm,cpc,ctr,actions,action_values,"
    "date_start,date_stop"
)
ACCOUNT_FIELDS = "account_id,id,name,currency,timezone_name,account_status,business{name}"
LEAD_FORM_FIELDS = "id,name,status,locale,questions,leads_count,created_time"
LEAD_FIELDS = "id,created_time,ad_id,form_id,field_data"

EDGES = {"campaign": "campaigns", "adset": "adsets", "ad": "ads", "creative": "adcreatives"}
LEVEL_ID_FIELD = {"account": "account_id", "campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
TARGETING_SEARCH = {
    "location": {"type": "adgeolocation", "location_types": '["country","region","city","zip"]'},
    "interest": {"type": "adinterest"},
    "behavior": {"type": "adTargetingCategory", "class": "behaviors"},
    "demographic": {"type": "adTargetingCategory", "class": "demographics"},
    "locale": {"type": "adlocale"},
}
BROWSE_TYPES = {"behavior", "demographic"}  # browsed lists: the query filters them here


# --- money ---------------------------------------------------------------------------------------------------------
def currency_offset(currency: str) -> int:
    return 1 if currency.upper() in OFFSET_ONE_CURRENCIES else 100


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount * currency_offset(currency)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor(value: Any, currency: str) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)) / currency_offset(currency)


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def parse_time(value: Any) -> datetime | None:
    """Graph times: 2024-05-01T10:00:00+0000."""
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ts(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000") if value else ""


# --- errors --------------------------------------------------------------------------------------------------------
def retry_after_from_headers(headers: httpx.Headers | dict) -> int | None:
    """Seconds until access is regained: X-Business-Use-Case-Usage's `estimated_time_to_regain_access` (minutes,
    the largest over every business and bucket), else X-Ad-Account-Usage's `reset_time_duration` (seconds)."""
    lower = {k.lower(): v for k, v in dict(headers).items()}
    minutes: list[float] = []
    raw = lower.get("x-business-use-case-usage")
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        for entries in data.values() if isinstance(data, dict) else []:
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict) and entry.get("estimated_time_to_regain_access") is not None:
                    minutes.append(float(entry["estimated_time_to_regain_access"]))
    if minutes and max(minutes) > 0:
        return int(max(minutes) * 60)
    raw = lower.get("x-ad-account-usage")
    if raw:
        try:
            reset = json.loads(raw).get("reset_time_duration")
        except (ValueError, AttributeError):
            reset = None
        if reset:
            return int(reset)
    return None


def map_error(status: int, body: Any, headers: httpx.Headers | dict) -> PlatformError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if status >= 500:
            return TemporaryError(f"Meta answered HTTP {status}.", status_code=status, response_body=body)
        return PlatformError(f"Meta answered HTTP {status}.", status_code=status, response_body=body)
    code = int(error.get("code") or 0)
    subcode = error.get("error_subcode")
    message = error.get("error_user_msg") or error.get("message") or f"Graph error {code}"
    kwargs = {"status_code": status, "platform_code": code, "platform_subcode": subcode, "response_body": body}
    if code in AUTH_CODES:
        return AuthExpired(message, **kwargs)
    if code in RATE_CODES:
        return RateLimited(
            message, retry_after=retry_after_from_headers(headers) or DEFAULT_RATE_LIMIT_SECONDS, **kwargs
        )
    if code in PERMISSION_CODES:
        return PermissionMissing(message, **kwargs)
    if code == 100 and subcode == 33:
        return NotFound(message, **kwargs)
    if error.get("is_transient") or code in TEMPORARY_CODES or status >= 500:
        return TemporaryError(message, **kwargs)
    title = error.get("error_user_title") or ""
    return InvalidRequest(message, details={"platform": [f"{title}: {message}" if title else message]}, **kwargs)


# --- the adapter ---------------------------------------------------------------------------------------------------
class MetaAdsAdapter:
    platform = "meta"
    scopes = SCOPES

    def __init__(
        self, *, client: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep, max_attempts: int = 3
    ) -> None:
        self._client = client
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.requests_made = 0

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            seconds = conf.http_timeout_seconds()
            self._client = httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 10.0)))
        return self._client

    def _auth(self, token: str) -> dict[str, str]:
        _app_id, secret = conf.meta_app()
        params = {"access_token": token}
        if secret:
            params["appsecret_proof"] = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        return params

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with `is_transient`/5xx retries (backoff 1, 2, 4 s). Not sent -> retryable; sent without
        an answer -> GET retryable, a write is UnknownOutcome."""
        for attempt in range(self.max_attempts):
            last = attempt + 1 == self.max_attempts
            try:
                self.requests_made += 1
                response = self.client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                error: PlatformError = TemporaryError(f"Meta: could not connect ({type(exc).__name__}).")
            except httpx.TransportError as exc:
                if method != "GET":
                    raise UnknownOutcome(f"Meta: request sent, no response ({type(exc).__name__}).") from None
                error = TemporaryError(f"Meta: no response ({type(exc).__name__}).")
            else:
                if response.status_code < 400:
                    return response
                try:
                    body = response.json()
                except ValueError:
                    body = {"raw": response.text[:2000]}
                error = map_error(response.status_code, body, response.headers)
            if not isinstance(error, TemporaryError) or last:
                raise error
            self.sleep(2**attempt)
        raise AssertionError("unreachable")

    def _get(self, path: str, token: str, **params: Any) -> dict:
        url = path if path.startswith("https://") else f"{GRAPH}/{path}"
        return self._send("GET", url, params={**params, **self._auth(token)}).json()

    def _post(self, path: str, token: str, data: dict[str, Any]) -> dict:
        form = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in data.items() if v is not None}
        return self._send("POST", f"{GRAPH}/{path}", params=self._auth(token), data=form).json()

    def _paged(self, first: dict, token: str) -> Iterator[dict]:
        """Items of a Graph list and of its following pages, following `paging.cursors.after` while `next` is
        present (the `next` URL carries our token; we rebuild it from the cursor instead of echoing it)."""
        page = first
        while True:
            yield from page.get("data") or []
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            parts = urlsplit(paging["next"])
            params = {k: v for k, v in parse_qsl(parts.query) if k not in {"access_token", "appsecret_proof"}}
            params["after"] = after
            page = self._get(f"https://{parts.netloc}{parts.path}", token, **params)

    def _list(self, path: str, token: str, **params: Any) -> Iterator[dict]:
        return self._paged(self._get(path, token, **params), token)

    def batch(self, token: str, requests: list[dict[str, str]]) -> list[dict]:
        """Graph batch: up to 50 requests in one HTTP call; each answer is mapped like a single response."""
        answers = self._post("", token, {"batch": requests})  # headers kept: they carry the usage figures
        results = []
        for answer in answers if isinstance(answers, list) else []:
            if answer is None:  # this part timed out on Meta's side: a read, retry it alone
                results.append(None)
                continue
            body = json.loads(answer.get("body") or "{}")
            if int(answer.get("code", 200)) >= 400:
                headers = {h["name"]: h["value"] for h in answer.get("headers") or []}
                raise map_error(int(answer["code"]), body, headers)
            results.append(body)
        return results

    # --- OAuth ---
    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        app_id, _secret = conf.meta_app()
        params = {
            "client_id": app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": ",".join(self.scopes),
            "response_type": "code",
        }
        return f"{DIALOG}?{urlencode(params)}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> Grant:
        app_id, secret = conf.meta_app()
        short = self._send(
            "GET",
            f"{GRAPH}/oauth/access_token",
            params={"client_id": app_id, "client_secret": secret, "redirect_uri": redirect_uri, "code": code},
        ).json()
        long = self._send(
            "GET",
            f"{GRAPH}/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": app_id,
                "client_secret": secret,
                "fb_exchange_token": short["access_token"],
            },
        ).json()
        token = long["access_token"]
        me = self._get("me", token, fields="id")
        expires_in = long.get("expires_in")
        expires_at = datetime.fromtimestamp(time.time() + int(expires_in), UTC) if expires_in else None
        accounts = tuple(
            self._account(item) for item in self._list("me/adaccounts", token, fields=ACCOUNT_FIELDS, limit=100)
        )
        return Grant(
            access_token=token,
            expires_at=expires_at,
            external_user_id=str(me["id"]),
            scopes=self.scopes,
            accounts=accounts,
        )

    @staticmethod
    def _account(item: dict) -> RemoteAccount:
        # account_status: 1 ACTIVE, 2 DISABLED, 3 UNSETTLED, 7 PENDING_RISK_REVIEW, 9 IN_GRACE_PERIOD, 101 CLOSED...
        return RemoteAccount(
            external_id=item["id"],
            name=item.get("name") or item["id"],
            currency=item.get("currency") or "USD",
            timezone=item.get("timezone_name") or "UTC",
            status="active" if int(item.get("account_status") or 1) in (1, 9) else "disabled",
            business_name=(item.get("business") or {}).get("name", ""),
        )

    # --- mirror ---
    def pull(self, token: str, account_id: str, *, since: datetime | None, currency: str) -> SyncSnapshot:
        """Campaigns, ad sets and ads changed since `since` (all on a first sync) and the creatives they use.
        The four first pages come in one batch request; further pages follow their `after` cursors."""
        filtering = ""
        if since is not None:
            rule = [{"field": "updated_time", "operator": "GREATER_THAN", "value": int(since.timestamp())}]
            filtering = "&filtering=" + json.dumps(rule, separators=(",", ":"))
        relative = {
            "campaign": f"{account_id}/campaigns?fields={CAMPAIGN_FIELDS}&limit={PAGE_LIMIT}{filtering}",
            "adset": f"{account_id}/adsets?fields={ADSET_FIELDS}&limit={PAGE_LIMIT}{filtering}",
            "ad": f"{account_id}/ads?fields={AD_FIELDS}&limit={PAGE_LIMIT}{filtering}",
        }
        if since is None:
            relative["creative"] = f"{account_id}/adcreatives?fields={CREATIVE_FIELDS}&limit={PAGE_LIMIT}"
        kinds = list(relative)
        firsts = self.batch(token, [{"method": "GET", "relative_url": relative[k]} for k in kinds])
        items: dict[str, list[dict]] = {}
        for kind, first in zip(kinds, firsts, strict=True):
            if first is None:
                first = self._get(relative[kind].split("?")[0], token, **dict(parse_qsl(relative[kind].split("?")[1])))
            items[kind] = list(self._paged(first, token))
        if since is not None:
            wanted = sorted({(ad.get("creative") or {}).get("id") for ad in items["ad"]} - {None})
            items["creative"] = self._by_ids(token, wanted, CREATIVE_FIELDS)
        return SyncSnapshot(
            campaigns=[self._campaign(i, currency) for i in items["campaign"]],
            ad_sets=[self._ad_set(i, currency) for i in items["adset"]],
            ads=[self._ad(i) for i in items["ad"]],
            creatives=[self._creative(i) for i in items["creative"]],
        )

    def _by_ids(self, token: str, ids: list[str], fields: str) -> list[dict]:
        found: list[dict] = []
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            chunk = ids[start : start + IDS_PER_LOOKUP]
            found.extend(self._get("", token, ids=",".join(chunk), fields=fields).values())
        return found

    @staticmethod
    def _campaign(item: dict, currency: str) -> RemoteObject:
        return RemoteObject(
            kind="campaign",
            remote_id=item["id"],
            name=item.get("name", ""),
            updated_at=parse_time(item.get("updated_time")),
            fields={
                "objective": item.get("objective", ""),
                "status": item.get("status", ""),
                "effective_status": item.get("effective_status", ""),
                "daily_budget": from_minor(item.get("daily_budget"), currency),
                "lifetime_budget": from_minor(item.get("lifetime_budget"), currency),
                "special_ad_categories": item.get("special_ad_categories") or [],
                "start_time": parse_time(item.get("start_time")),
                "stop_time": parse_time(item.get("stop_time")),
                "remote_created_at": parse_time(item.get("created_time")),
            },
        )

    @staticmethod
    def _ad_set(item: dict, currency: str) -> RemoteObject:
        return RemoteObject(
            kind="adset",
            remote_id=item["id"],
            name=item.get("name", ""),
            updated_at=parse_time(item.get("updated_time")),
            fields={
                "campaign_remote_id": item.get("campaign_id", ""),
                "status": item.get("status", ""),
                "effective_status": item.get("effective_status", ""),
                "optimization_goal": item.get("optimization_goal", ""),
                "billing_event": item.get("billing_event", ""),
                "bid_amount": from_minor(item.get("bid_amount"), currency),
                "daily_budget": from_minor(item.get("daily_budget"), currency),
                "lifetime_budget": from_minor(item.get("lifetime_budget"), currency),
                "start_time": parse_time(item.get("start_time")),
                "end_time": parse_time(item.get("end_time")),
                "targeting": item.get("targeting") or {},
                "remote_created_at": parse_time(item.get("created_time")),
            },
        )

    @staticmethod
    def _ad(item: dict) -> RemoteObject:
        return RemoteObject(
            kind="ad",
            remote_id=item["id"],
            name=item.get("name", ""),
            updated_at=parse_time(item.get("updated_time")),
            fields={
                "campaign_remote_id": item.get("campaign_id", ""),
                "ad_set_remote_id": item.get("adset_id", ""),
                "creative_remote_id": (item.get("creative") or {}).get("id", ""),
                "status": item.get("status", ""),
                "effective_status": item.get("effective_status", ""),
                "remote_created_at": parse_time(item.get("created_time")),
            },
        )

    @staticmethod
    def _creative(item: dict) -> RemoteObject:
        return RemoteObject(
            kind="creative",
            remote_id=item["id"],
            name=item.get("name", ""),
            fields={
                "status": item.get("status", ""),
                "object_story_spec": item.get("object_story_spec") or {},
                "object_story_id": item.get("object_story_id", ""),
            },
        )

    # --- insights ---
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
        params: dict[str, Any] = {
            "level": level,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": INSIGHT_FIELDS,
            "limit": PAGE_LIMIT,
        }
        if daily:
            params["time_increment"] = 1
        if breakdown:
            params["breakdowns"] = breakdown
        if ids and level != "account":
            params["filtering"] = json.dumps([{"field": f"{level}.id", "operator": "IN", "value": ids}])
        for item in self._list(f"{account_id}/insights", token, **params):
            yield InsightRow(
                level=level,
                object_id=account_id if level == "account" else str(item.get(LEVEL_ID_FIELD[level], "")),
                day=date.fromisoformat(item["date_start"]),
                impressions=int(item.get("impressions") or 0),
                reach=int(item.get("reach") or 0),
                clicks=int(item.get("clicks") or 0),
                spend=_decimal(item.get("spend")) or Decimal("0"),
                cpm=_decimal(item.get("cpm")),
                cpc=_decimal(item.get("cpc")),
                ctr=_decimal(item.get("ctr")),
                actions={a["action_type"]: Decimal(str(a["value"])) for a in item.get("actions") or []},
                action_values={a["action_type"]: Decimal(str(a["value"])) for a in item.get("action_values") or []},
                breakdown=breakdown,
                breakdown_value=str(item.get(breakdown, "")) if breakdown else "",
            )

    # --- writes ---
    def create(self, token: str, account_id: str, kind: str, params: dict[str, Any], *, currency: str) -> str:
        """Create one campaign/adset/creative/ad under the account; budgets and bids are converted to minor units."""
        data = {
            key: to_minor(value, currency) if isinstance(value, Decimal) else value
            for key, value in params.items()
            if value is not None
        }
        for key in ("start_time", "end_time", "stop_time"):
            if isinstance(data.get(key), datetime):
                data[key] = _ts(data[key])
        return str(self._post(f"{account_id}/{EDGES[kind]}", token, data)["id"])

    def delete(self, token: str, remote_id: str) -> None:
        self._send("DELETE", f"{GRAPH}/{remote_id}", params=self._auth(token))

    def set_status(self, token: str, remote_id: str, status: str) -> tuple[str, str]:
        """Set ACTIVE/PAUSED, then read back what Meta holds (status, effective_status) for the mirror."""
        self._post(remote_id, token, {"status": status})
        answer = self._get(remote_id, token, fields="status,effective_status")
        return answer.get("status", status), answer.get("effective_status", "")

    # --- pages and lead forms ---
    def pages(self, token: str, account_id: str) -> list[dict]:
        return [{"id": p["id"], "name": p.get("name", "")} for p in self._list(f"{account_id}/promote_pages", token)]

    def page_token(self, token: str, page_id: str) -> str:
        """Lead forms are a page's: Meta wants the page access token the user's token grants."""
        return self._get(page_id, token, fields="access_token").get("access_token") or token

    def lead_forms(self, token: str, page_id: str) -> list[RemoteLeadForm]:
        return [
            RemoteLeadForm(
                remote_id=f["id"],
                page_id=page_id,
                name=f.get("name", ""),
                status=f.get("status", ""),
                locale=f.get("locale", ""),
                questions=f.get("questions") or [],
                leads_count=int(f.get("leads_count") or 0),
                created_at=parse_time(f.get("created_time")),
            )
            for f in self._list(f"{page_id}/leadgen_forms", token, fields=LEAD_FORM_FIELDS, limit=100)
        ]

    def create_lead_form(self, token: str, page_id: str, spec: dict[str, Any]) -> str:
        return str(self._post(f"{page_id}/leadgen_forms", token, spec)["id"])

    def leads(self, token: str, form_id: str, *, since: datetime | None) -> Iterator[RemoteLead]:
        params: dict[str, Any] = {"fields": LEAD_FIELDS, "limit": PAGE_LIMIT}
        if since is not None:
            params["filtering"] = json.dumps(
                [{"field": "time_created", "operator": "GREATER_THAN", "value": int(since.timestamp())}]
            )
        for item in self._list(f"{form_id}/leads", token, **params):
            yield RemoteLead(
                remote_id=item["id"],
                form_id=form_id,
                created_at=parse_time(item.get("created_time")) or datetime.now(UTC),
                ad_id=item.get("ad_id", ""),
                field_data={f["name"]: ", ".join(f.get("values") or []) for f in item.get("field_data") or []},
            )

    # --- targeting ---
    def search_targeting(self, token: str, account_id: str, *, kind: str, query: str) -> list[dict]:
        params: dict[str, Any] = {**TARGETING_SEARCH[kind], "limit": 50}
        if kind not in BROWSE_TYPES:
            params["q"] = query
        results = []
        for item in self._get("search", token, **params).get("data") or []:
            name = item.get("name", "")
            if kind in BROWSE_TYPES and query.casefold() not in name.casefold():
                continue
            results.append(
                {
                    "id": str(item.get("id") or item.get("key") or ""),
                    "name": name,
                    "type": item.get("type", kind),
                    "path": item.get("path") or [],
                    "country_code": item.get("country_code", ""),
                    "audience_size_lower_bound": item.get("audience_size_lower_bound"),
                    "audience_size_upper_bound": item.get("audience_size_upper_bound"),
                }
            )
        return results
