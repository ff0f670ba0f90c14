"""Targeting search (location, interest, behavior, demographic, locale) proxied to the platform and cached: the
platform's catalogue is public and changes slowly, so one answer serves every account of that platform."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from ads.models import AdAccount, AdPermissionLevel
from ads.services.access import call_platform, require
from core.auth import Principal

CACHE_SECONDS = 6 * 3600


def search(account: AdAccount, *, actor: Principal, kind: str, query: str) -> tuple[list[dict], bool]:
    """(results, served from cache)."""
    require(actor, account, AdPermissionLevel.VIEWER)
    digest = hashlib.sha256(f"{kind}|{query.strip().casefold()}".encode()).hexdigest()[:32]
    key = f"ads:targeting:{account.platform}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    results = call_platform(
        account, lambda adapter, token: adapter.search_targeting(token, account.external_id, kind=kind, query=query)
    )
    cache.set(key, results, CACHE_SECONDS)
    return results, False
