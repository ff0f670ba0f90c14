"""Settings of the ads app, read from the environment when used (so tests and deployments set them alike).

META_APP_ID / META_APP_SECRET: the Meta app used for the Marketing API; when unset, the Facebook app of the social
channels (FACEBOOK_CLIENT_ID / FACEBOOK_CLIENT_SECRET) is used, since one Meta app usually serves both.
"""

from __future__ import annotations

import os

from django.conf import settings


def meta_app() -> tuple[str, str]:
    fallback = getattr(settings, "NETWORK_APPS", {}).get("facebook", {})
    return (
        os.environ.get("META_APP_ID") or fallback.get("client_id", ""),
        os.environ.get("META_APP_SECRET") or fallback.get("client_secret", ""),
    )


def http_timeout_seconds() -> float:
    return float(getattr(settings, "NETWORK_HTTP_TIMEOUT", 20))


def sync_interval_minutes() -> int:
    """How often the beat re-syncs each account (the platform's own data changes slowly; insights daily)."""
    return int(os.environ.get("ADS_SYNC_INTERVAL_MINUTES", "60"))


def insights_backfill_days() -> int:
    """Days of daily insight rows pulled on an account's first sync."""
    return int(os.environ.get("ADS_INSIGHTS_BACKFILL_DAYS", "30"))
