"""Plans: default limits and feature flags. A tenant's own `limits`/`features` override its plan's."""

from __future__ import annotations

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

PLANS: dict[str, dict] = {
    "free": {
        "limits": {"channels": 3, "users": 2, "monitoringResults": 1_000, "storageBytes": 1 * 1024**3},
        "features": {"linkShortener"},
    },
    "team": {
        "limits": {"channels": 10, "users": 10, "monitoringResults": 10_000, "storageBytes": 10 * 1024**3},
        "features": {"approvalProcess", "teams", "templates", "categories", "linkShortener", "customChannels"},
    },
    "business": {
        "limits": {"channels": 50, "users": 50, "monitoringResults": 100_000, "storageBytes": 100 * 1024**3},
        "features": set(FEATURES) - {"customDashboards"},
    },
    "enterprise": {
        "limits": {
            "channels": UNLIMITED,
            "users": UNLIMITED,
            "monitoringResults": UNLIMITED,
            "storageBytes": UNLIMITED,
        },
        "features": set(FEATURES),
    },
}


def plan_limits(plan: str, overrides: dict | None = None) -> dict[str, int | None]:
    limits = dict(PLANS[plan]["limits"])
    limits.update(overrides or {})
    return limits


def plan_features(plan: str, overrides: dict | None = None) -> dict[str, bool]:
    enabled = PLANS[plan]["features"]
    features = {name: name in enabled for name in FEATURES}
    features.update({k: bool(v) for k, v in (overrides or {}).items() if k in features})
    return features
