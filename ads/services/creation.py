"""Creating ads in one call (campaign -> ad set -> creative -> ad, per objective), boosting a published post, and
status changes.

Rules are checked before anything is sent (budget minimum and currency, objective/goal pair, dates). The steps go
to the platform in order; when one fails, what was already created is deleted at the platform in reverse order
(compensation) and the error says which step failed, what was deleted and anything that could not be. The mirror
is written only after every step succeeded, from the platform's ids: nothing that did not happen is recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ads.errors import (
    BudgetTooLow,
    CreationFailed,
    CurrencyMismatch,
    DateInPast,
    ObjectiveGoalMismatch,
    PostNotBoostable,
)
from ads.models import Ad, AdAccount, AdPermissionLevel, AdSet, Campaign, Creative
from ads.platforms import base as platform
from ads.services.access import adapter_for, call_platform, platform_details, require, token_of, translate
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Objective:
    platform_objective: str
    goals: frozenset[str]
    default_goal: str


OBJECTIVES = {
    "traffic": Objective(
        "OUTCOME_TRAFFIC", frozenset({"LINK_CLICKS", "LANDING_PAGE_VIEWS", "IMPRESSIONS", "REACH"}), "LINK_CLICKS"
    ),
    "sales": Objective(
        "OUTCOME_SALES",
        frozenset({"OFFSITE_CONVERSIONS", "LANDING_PAGE_VIEWS", "LINK_CLICKS", "VALUE", "IMPRESSIONS", "REACH"}),
        "OFFSITE_CONVERSIONS",
    ),
    "awareness": Objective("OUTCOME_AWARENESS", frozenset({"REACH", "IMPRESSIONS", "AD_RECALL_LIFT"}), "REACH"),
    "engagement": Objective(
        "OUTCOME_ENGAGEMENT",
        frozenset({"POST_ENGAGEMENT", "PAGE_LIKES", "THRUPLAY", "IMPRESSIONS", "REACH", "EVENT_RESPONSES"}),
        "POST_ENGAGEMENT",
    ),
}
# Meta's minimum daily budget for impression billing, in major units of the currency (1.00 for most).
MIN_DAILY_BUDGET = {"JPY": Decimal("100"), "KRW": Decimal("1000"), "HUF": Decimal("300"), "IDR": Decimal("10000")}
DEFAULT_MIN_DAILY_BUDGET = Decimal("1.00")
ENGAGEMENT_DESTINATIONS = {"POST_ENGAGEMENT": "ON_POST", "PAGE_LIKES": "ON_PAGE", "THRUPLAY": "ON_VIDEO"}


@dataclass(frozen=True)
class Step:
    kind: str  # campaign | adset | creative | ad
    params: dict[str, Any]


@dataclass
class Created:
    campaign: Campaign
    ad_set: AdSet
    creative: Creative
    ad: Ad
    steps: list[dict] = field(default_factory=list)


def minimum_budget(currency: str) -> Decimal:
    return MIN_DAILY_BUDGET.get(currency.upper(), DEFAULT_MIN_DAILY_BUDGET)


def check_budget(account: AdAccount, budget: Decimal, currency: str | None) -> None:
    if currency and currency.upper() != account.currency.upper():
        raise CurrencyMismatch(details={"currency": [f"The ad account bills in {account.currency}."]})
    minimum = minimum_budget(account.currency)
    if budget < minimum:
        raise BudgetTooLow(
            f"The daily budget must be at least {minimum} {account.currency}.",
            details={"budget": [f"Minimum {minimum} {account.currency}."], "minimum": str(minimum)},
        )


def check_goal(objective: str, goal: str | None) -> str:
    spec = OBJECTIVES[objective]
    goal = goal or spec.default_goal
    if goal not in spec.goals:
        raise ObjectiveGoalMismatch(
            f"{objective} ({spec.platform_objective}) cannot optimize for {goal}.",
            details={"optimizationGoal": [f"{objective}/{goal} is refused; allowed: {', '.join(sorted(spec.goals))}."]},
        )
    return goal


def check_dates(start: date | None, end: date | None, *, required: bool = False) -> None:
    today = timezone.now().date()
    if required and (start is None or end is None):
        raise ValidationFailed(details={"startDate": ["startDate and endDate are required for this objective."]})
    if start is not None and start < today:
        raise DateInPast(details={"startDate": [f"{start} is in the past."]})
    if end is not None and end < today:
        raise DateInPast(details={"endDate": [f"{end} is in the past."]})
    if start is not None and end is not None and end <= start:
        raise ValidationFailed(details={"endDate": ["endDate must be after startDate."]})


def _day_start(value: date | None) -> datetime | None:
    return datetime.combine(value, time(0), tzinfo=UTC) if value else None


def platform_targeting(targeting: dict) -> dict:
    """Our camelCase-free targeting input -> Meta's targeting spec."""

    def geo(locations: list[dict]) -> dict:
        spec: dict[str, list] = {}
        for loc in locations or []:
            if loc["type"] == "country":
                spec.setdefault("countries", []).append(loc["id"])
            else:
                spec.setdefault(f"{loc['type']}s" if loc["type"] != "city" else "cities", []).append({"key": loc["id"]})
        return spec

    spec: dict[str, Any] = {"geo_locations": geo(targeting.get("geo_locations") or [])}
    if targeting.get("excluded_geo_locations"):
        spec["excluded_geo_locations"] = geo(targeting["excluded_geo_locations"])
    for ours, theirs in (("age_min", "age_min"), ("age_max", "age_max"), ("locales", "locales")):
        if targeting.get(ours):
            spec[theirs] = targeting[ours]
    genders = [g for g in targeting.get("genders") or [] if g in (1, 2)]  # 0 = all: say nothing
    if genders:
        spec["genders"] = genders
    flexible = {
        k: targeting[k] for k in ("interests", "behaviors", "life_events", "industries", "income") if targeting.get(k)
    }
    if flexible:
        spec["flexible_spec"] = [flexible]
    if targeting.get("audience_ids"):
        spec["custom_audiences"] = [{"id": i} for i in targeting["audience_ids"]]
    return spec


def campaign_steps(account: AdAccount, spec: dict) -> list[Step]:
    """The four platform calls of a one-call creation, validated first."""
    objective = OBJECTIVES[spec["objective"]]
    check_budget(account, spec["budget"], spec.get("currency"))
    goal = check_goal(spec["objective"], spec.get("optimization_goal"))
    check_dates(spec.get("start_date"), spec.get("end_date"), required=spec["objective"] == "awareness")
    if spec["objective"] == "sales" and not (spec.get("pixel_id") and spec.get("conversion_event")):
        raise ValidationFailed(details={"pixelId": ["sales needs pixelId and conversionEvent."]})
    status = spec.get("status") or "PAUSED"
    categories = [c for c in spec.get("special_ad_categories") or [] if c != "NONE"]
    if categories and not spec.get("special_ad_countries"):
        raise ValidationFailed(details={"specialAdCountries": ["Required with a special ad category."]})
    promoted: dict[str, Any] | None = None
    destination = None
    if spec["objective"] == "sales":
        promoted = {"pixel_id": spec["pixel_id"], "custom_event_type": spec["conversion_event"]}
        destination = "WEBSITE"
    elif spec["objective"] == "traffic":
        destination = spec.get("conversion_location") or "WEBSITE"
        if destination == "APP":
            if not (spec.get("app_id") and spec.get("object_store_url")):
                raise ValidationFailed(details={"appId": ["APP needs appId and objectStoreUrl."]})
            promoted = {"application_id": spec["app_id"], "object_store_url": spec["object_store_url"]}
    elif spec["objective"] == "engagement":
        destination = ENGAGEMENT_DESTINATIONS.get(goal)
        if goal == "PAGE_LIKES":
            promoted = {"page_id": spec["page_id"]}
    creative = spec["creative"]
    cta = {"type": creative["call_to_action"], "value": {"link": creative.get("url", "")}}
    if creative.get("video_id"):
        story = {
            "video_data": {
                "video_id": creative["video_id"],
                "image_url": creative.get("thumbnail_url", ""),
                "message": creative["primary_text"],
                "title": creative["headline"],
                "call_to_action": cta,
            }
        }
    else:
        link_data = {
            "message": creative["primary_text"],
            "link": creative.get("url", ""),
            "name": creative["headline"],
            "picture": creative.get("image_url", ""),
            "call_to_action": cta,
        }
        if creative.get("description"):
            link_data["description"] = creative["description"]
        story = {"link_data": link_data}
    story["page_id"] = spec["page_id"]
    if spec.get("instagram_actor_id"):
        story["instagram_actor_id"] = spec["instagram_actor_id"]
    return [
        Step(
            "campaign",
            {
                "name": spec["campaign_name"],
                "objective": objective.platform_objective,
                "status": status,
                "special_ad_categories": categories,
                "special_ad_category_country": spec.get("special_ad_countries") or None,
                "daily_budget": spec["budget"],
                "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            },
        ),
        Step(
            "adset",
            {
                "name": spec.get("ad_set_name") or f"{spec['campaign_name']} - ad set",
                "optimization_goal": goal,
                "billing_event": "IMPRESSIONS",
                "targeting": platform_targeting(spec.get("targeting") or {}),
                "status": status,
                "start_time": _day_start(spec.get("start_date")),
                "end_time": _day_start(spec.get("end_date")),
                "destination_type": destination,
                "promoted_object": promoted,
            },
        ),
        Step("creative", {"name": f"{spec['campaign_name']} - creative", "object_story_spec": story}),
        Step("ad", {"name": spec.get("ad_name") or f"{spec['campaign_name']} - ad", "status": status}),
    ]


def run_steps(account: AdAccount, steps: list[Step], *, actor: Principal) -> dict[str, str]:
    """Send the steps in order, linking each to the ids before it; compensate on failure (see module doc)."""
    adapter = adapter_for(account)
    token = token_of(account)
    created: list[tuple[str, str]] = []
    ids: dict[str, str] = {}
    for step in steps:
        params = dict(step.params)
        if step.kind == "adset":
            params["campaign_id"] = ids["campaign"]
        elif step.kind == "ad":
            params["adset_id"] = ids["adset"]
            params["creative"] = {"creative_id": ids["creative"]}
        try:
            ids[step.kind] = adapter.create(token, account.external_id, step.kind, params, currency=account.currency)
        except platform.PlatformError as exc:
            _compensate_and_raise(account, adapter, token, created, step.kind, exc, actor=actor)
        created.append((step.kind, ids[step.kind]))
    return ids


def _compensate_and_raise(account, adapter, token, created, failed_kind, exc, *, actor) -> None:
    deleted, not_deleted = [], []
    # Deleting the campaign would take its ad sets with it, but each object is deleted itself so that a
    # creative (which hangs off the account, not the campaign) is removed too, and every deletion is confirmed.
    for kind, remote_id in reversed(created):
        try:
            adapter.delete(token, remote_id)
            deleted.append({"kind": kind, "id": remote_id})
        except platform.NotFound:
            deleted.append({"kind": kind, "id": remote_id})  # already gone with its parent
        except platform.PlatformError as delete_error:
            not_deleted.append({"kind": kind, "id": remote_id, "error": delete_error.code})
    mapped = translate(exc, account)
    details = {
        "failedStep": failed_kind,
        "cause": mapped.code,
        **platform_details(exc),
        "deleted": deleted,
        "notDeleted": not_deleted,
    }
    if isinstance(exc, platform.UnknownOutcome):
        details["possiblyCreated"] = failed_kind  # sent, no answer: the next sync will show it if it exists
    audit.record(
        "ads.creation_failed",
        account,
        changes={"failedStep": failed_kind, "deleted": deleted, "notDeleted": not_deleted, "cause": mapped.code},
        actor=actor,
    )
    error = CreationFailed(
        f"Creating the {failed_kind} failed: {exc.message}"
        + (" What was created before it has been deleted." if not not_deleted else " Some objects remain."),
        details=details,
    )
    error.status = mapped.status if mapped.status >= 500 or mapped.status == 429 else 400
    if getattr(mapped, "retry_after", None):
        error.retry_after = mapped.retry_after
    raise error


@transaction.atomic
def _mirror_created(account: AdAccount, steps: list[Step], ids: dict[str, str], *, promoted: str = "") -> Created:
    now = timezone.now()
    by_kind = {s.kind: s.params for s in steps}
    c, s, cr, a = by_kind["campaign"], by_kind["adset"], by_kind["creative"], by_kind["ad"]
    campaign = Campaign.objects.create(
        ad_account=account,
        remote_id=ids["campaign"],
        name=c["name"],
        objective=c["objective"],
        status=c["status"],
        daily_budget=c.get("daily_budget"),
        special_ad_categories=c.get("special_ad_categories") or [],
        remote_created_at=now,
        remote_updated_at=now,
    )
    ad_set = AdSet.objects.create(
        ad_account=account,
        campaign=campaign,
        campaign_remote_id=ids["campaign"],
        remote_id=ids["adset"],
        name=s["name"],
        status=s["status"],
        optimization_goal=s["optimization_goal"],
        billing_event=s["billing_event"],
        targeting=s["targeting"],
        start_time=s.get("start_time"),
        end_time=s.get("end_time"),
        daily_budget=s.get("daily_budget"),
        remote_created_at=now,
        remote_updated_at=now,
    )
    creative = Creative.objects.create(
        ad_account=account,
        remote_id=ids["creative"],
        name=cr["name"],
        object_story_spec=cr.get("object_story_spec") or {},
        object_story_id=cr.get("object_story_id") or "",
        remote_created_at=now,
    )
    ad = Ad.objects.create(
        ad_account=account,
        campaign=campaign,
        ad_set=ad_set,
        creative=creative,
        remote_id=ids["ad"],
        name=a["name"],
        status=a["status"],
        campaign_remote_id=ids["campaign"],
        ad_set_remote_id=ids["adset"],
        creative_remote_id=ids["creative"],
        promoted_post_remote_id=promoted,
        remote_created_at=now,
        remote_updated_at=now,
    )
    return Created(campaign=campaign, ad_set=ad_set, creative=creative, ad=ad)


def create_campaign(account: AdAccount, *, actor: Principal, spec: dict) -> Created:
    """One call, four platform objects (see module doc). Needs MANAGER on the account."""
    require(actor, account, AdPermissionLevel.MANAGER)
    steps = campaign_steps(account, spec)
    ids = run_steps(account, steps, actor=actor)
    created = _mirror_created(account, steps, ids)
    audit.record(
        "ads.campaign_created",
        created.campaign,
        changes={"objective": spec["objective"], "remoteIds": ids, "budget": str(spec["budget"])},
        actor=actor,
    )
    return created


def boost_post(account: AdAccount, *, actor: Principal, spec: dict) -> Created:
    """Promote an already published post: an engagement campaign whose creative is the post itself
    (`object_story_id` = `<pageId>_<postId>`), running `days` days from today."""
    require(actor, account, AdPermissionLevel.MANAGER)
    story_id = _story_id(actor, spec)
    check_budget(account, spec["budget"], spec.get("currency"))
    start = timezone.now().date()
    name = spec.get("name") or f"Boost {story_id}"
    start_at = timezone.now() + timedelta(minutes=5)
    steps = [
        Step(
            "campaign",
            {
                "name": name,
                "objective": OBJECTIVES["engagement"].platform_objective,
                "status": spec.get("status") or "ACTIVE",
                "special_ad_categories": [],
                "daily_budget": spec["budget"],
                "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            },
        ),
        Step(
            "adset",
            {
                "name": f"{name} - ad set",
                "optimization_goal": "POST_ENGAGEMENT",
                "billing_event": "IMPRESSIONS",
                "destination_type": "ON_POST",
                "targeting": platform_targeting(spec.get("targeting") or {"geo_locations": []}),
                "status": spec.get("status") or "ACTIVE",
                "start_time": start_at,
                "end_time": _day_start(start + timedelta(days=spec["days"])),
            },
        ),
        Step("creative", {"name": f"{name} - creative", "object_story_id": story_id}),
        Step("ad", {"name": f"{name} - ad", "status": spec.get("status") or "ACTIVE"}),
    ]
    if not steps[1].params["targeting"]["geo_locations"]:
        raise ValidationFailed(details={"targeting": ["geoLocations is required."]})
    ids = run_steps(account, steps, actor=actor)
    created = _mirror_created(account, steps, ids, promoted=story_id)
    audit.record("ads.post_boosted", created.ad, changes={"objectStoryId": story_id, "remoteIds": ids}, actor=actor)
    return created


def _story_id(actor: Principal, spec: dict) -> str:
    """The platform id of the post: from a Hubbub post (contentplanner's public selector), or given directly."""
    if spec.get("post_id"):
        from contentplanner.selectors import posts_visible_to

        post = posts_visible_to(actor).filter(pk=spec["post_id"]).first() if actor.user or actor.api_key else None
        if post is None:
            raise ValidationFailed(details={"postId": [f"Unknown post: {spec['post_id']}."]})
        if post.state != "published" or not post.remote_id:
            raise PostNotBoostable(details={"postId": [f"The post is {post.state}, not published."]})
        remote, page = post.remote_id, post.channel.external_id
    else:
        remote, page = spec.get("remote_post_id") or "", spec.get("page_id") or ""
        if not remote:
            raise ValidationFailed(details={"postId": ["postId or remotePostId is required."]})
    return remote if "_" in remote or not page else f"{page}_{remote}"


MODELS = {"campaign": Campaign, "adset": AdSet, "ad": Ad}


def change_status(obj: Campaign | AdSet | Ad, *, actor: Principal, status: str) -> Campaign | AdSet | Ad:
    """ACTIVE/PAUSED at the platform first; the mirror then holds what the platform answered."""
    account = obj.ad_account
    require(actor, account, AdPermissionLevel.MANAGER)
    new_status, effective = call_platform(
        account, lambda adapter, token: adapter.set_status(token, obj.remote_id, status)
    )
    before = obj.status
    obj.status, obj.effective_status = new_status, effective or new_status
    obj.remote_updated_at = timezone.now()
    obj.save(update_fields=["status", "effective_status", "remote_updated_at", "updated_at"])
    audit.record(
        f"ads.{type(obj).__name__.lower()}_status_changed", obj, changes={"status": [before, new_status]}, actor=actor
    )
    return obj
