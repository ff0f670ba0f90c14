"""Plans as data: the `Plan` rows (admin-editable) give limits and feature flags; a tenant's own `limit_overrides` /
`feature_overrides` win over its plan's. `SEED_PLANS` is what the data migration created (today's four plans)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

if TYPE_CHECKING:
    from tenants.models import Plan

UNLIMITED = None

FEATURES = (
    "approvalProcess",
    "rules",
    "categories",
    "templates",
    "teams",
    "customChannels",
    "customPermissions",
    "snoozeTickets",
    "inboxAlerts",
    "sentiments",
    "customDashboards",
    "linkShortener",
    "subTenants",
    "ads",
)

# Every limit a plan has (null = unlimited); GET /tenant/usage reports each of them.
LIMITS = ("channels", "users", "monitoringResults", "storageBytes", "monthlyActiveUsers")

# Today's four plans: seeded by the data migration (and again if the table is ever emptied); edit plans in the
# admin afterwards, never here.
SEED_PLANS: dict[str, dict] = {
    "free": {
        "name": "Free",
        "price_label": "Free",
        "sort_order": 10,
        "limits": {"channels": 3, "users": 2, "monitoringResults": 1_000, "storageBytes": 1 * 1024**3},
        "features": ["linkShortener"],
    },
    "team": {
        "name": "Team",
        "price_label": "",
        "sort_order": 20,
        "limits": {"channels": 10, "users": 10, "monitoringResults": 10_000, "storageBytes": 10 * 1024**3},
        "features": ["approvalProcess", "teams", "templates", "categories", "linkShortener", "customChannels"],
    },
    "business": {
        "name": "Business",
        "price_label": "",
        "sort_order": 30,
        "limits": {"channels": 50, "users": 50, "monitoringResults": 100_000, "storageBytes": 100 * 1024**3},
        "features": sorted(set(FEATURES) - {"customDashboards"}),
    },
    "enterprise": {
        "name": "Enterprise",
        "price_label": "",
        "sort_order": 40,
        "limits": {},
        "features": list(FEATURES),
    },
}


def seed_plans(plan_model: type[Plan]) -> None:
    """Create the seed plans that do not exist (`plan_model`: the model, or a migration's historical model)."""
    for code, values in SEED_PLANS.items():
        plan_model.objects.get_or_create(code=code, defaults=values)


def _plan_model() -> type[Plan]:
    from tenants.models import Plan

    return Plan


# Plans are read on every limit check and for every tenant a list renders: cached briefly, dropped on every save
# or delete of a plan (so with a shared cache an admin edit applies at once, with per-process caches within
# PLAN_CACHE_SECONDS).
PLAN_CACHE_SECONDS = 30


def _cache_key(code: str) -> str:
    return f"tenants:plan:{code}"


def forget_plan(code: str) -> None:
    cache.delete(_cache_key(code))


def get_plan(code: str) -> Plan | None:
    """The Plan with this code. An empty plan table (a database flushed by tests or a fresh restore) gets the seed
    plans back first: without any plan every limit would be 0."""
    plan = cache.get(_cache_key(code))
    if plan is not None:
        return plan
    model = _plan_model()
    plan = model.objects.filter(code=code).first()
    if plan is None and not model.objects.exists():
        seed_plans(model)
        plan = model.objects.filter(code=code).first()
    if plan is not None:
        cache.set(_cache_key(code), plan, PLAN_CACHE_SECONDS)
    return plan


def default_plan_code() -> str:
    """The plan new sign-ups get: settings.DEFAULT_PLAN, or, when it is empty (a self-hosted installation), the
    top plan (highest sort order) so nothing a self-hoster runs for themselves is limited."""
    if settings.DEFAULT_PLAN:
        return settings.DEFAULT_PLAN
    model = _plan_model()
    if not model.objects.exists():
        seed_plans(model)
    return model.objects.order_by("-sort_order", "code").values_list("code", flat=True).first() or ""


def plan_limits(plan: Plan | None, overrides: dict | None = None) -> dict[str, int | None]:
    """Every limit of `plan` (missing = unlimited), then the tenant's overrides. No plan row (deleted or unknown
    code): everything 0, so a misconfiguration blocks growth instead of silently lifting every limit."""
    if plan is None:
        limits: dict[str, int | None] = dict.fromkeys(LIMITS, 0)
    else:
        limits = {name: (plan.limits or {}).get(name, UNLIMITED) for name in LIMITS}
    limits.update({k: v for k, v in (overrides or {}).items() if k in LIMITS})
    return limits


def plan_features(plan: Plan | None, overrides: dict | None = None) -> dict[str, bool]:
    enabled = set(plan.features or []) if plan is not None else set()
    features = {name: name in enabled for name in FEATURES}
    features.update({k: bool(v) for k, v in (overrides or {}).items() if k in features})
    return features
