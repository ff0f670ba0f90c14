"""Per-account permission (ADMIN > MANAGER > ANALYST > VIEWER) and the one way a service talks to a platform.

Tenant OWNER/ADMIN hold ADMIN on every account; an API key acts as MANAGER with `ads.write` (VIEWER with only
`ads.read`) and as ADMIN with `ads.account.manage`; any other member needs a grant on the account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.utils import timezone

from ads.errors import (
    AdPermissionDenied,
    PlatformAuthExpired,
    PlatformOutcomeUnknown,
    PlatformPermissionMissing,
    PlatformRateLimited,
    PlatformRefused,
    PlatformUnavailable,
)
from ads.models import PERMISSION_RANK, AdAccount, AdAccountPermission, AdAccountStatus, AdPermissionLevel
from ads.platforms import base as platform
from ads.platforms.registry import get_adapter
from core.auth import Principal
from core.errors import DomainError, NotFound

logger = logging.getLogger(__name__)
T = TypeVar("T")

ADMIN_RANK = PERMISSION_RANK[AdPermissionLevel.ADMIN]


def implicit_rank(principal: Principal) -> int | None:
    """The rank a principal has on every account without a grant, or None when grants decide."""
    if principal.is_tenant_admin or principal.has("ads.account.manage"):
        return ADMIN_RANK
    if principal.api_key is not None:
        if principal.has("ads.write"):
            return PERMISSION_RANK[AdPermissionLevel.MANAGER]
        return PERMISSION_RANK[AdPermissionLevel.VIEWER] if principal.has("ads.read") else 0
    return None


def rank_on(principal: Principal, account: AdAccount) -> int:
    implicit = implicit_rank(principal)
    if implicit is not None:
        return implicit
    granted = getattr(account, "granted_permission", None)  # annotated by selectors.accounts_visible_to
    if granted is None:
        granted = (
            AdAccountPermission.objects.filter(ad_account=account, user=principal.user)
            .values_list("permission", flat=True)
            .first()
        )
    return PERMISSION_RANK.get(granted, 0) if granted else 0


def permission_on(principal: Principal, account: AdAccount) -> str | None:
    rank = rank_on(principal, account)
    return next((level for level, r in PERMISSION_RANK.items() if r == rank), None)


def require(principal: Principal, account: AdAccount, level: str) -> None:
    """403 unless the principal holds `level` or higher on the account."""
    if rank_on(principal, account) < PERMISSION_RANK[level]:
        raise AdPermissionDenied(details={"required": level, "held": permission_on(principal, account)})


def adapter_for(account: AdAccount):
    return get_adapter(account.platform)


def token_of(account: AdAccount) -> str:
    if account.connection is None or account.status == AdAccountStatus.NEEDS_RECONNECT:
        raise PlatformAuthExpired()
    return account.connection.access_token


def call_platform(account: AdAccount, fn: Callable[..., T]) -> T:
    """Run `fn(adapter, token)`; platform errors become API errors (see `translate`)."""
    adapter = adapter_for(account)
    try:
        return fn(adapter, token_of(account))
    except platform.PlatformError as exc:
        raise translate(exc, account) from None


def translate(exc: platform.PlatformError, account: AdAccount) -> DomainError:
    """The API error for a platform error: an expired grant marks the account for reconnection; a rate limit says
    when to retry; a write sent without an answer is reported as unknown, never as done."""
    if isinstance(exc, platform.AuthExpired):
        AdAccount.objects.filter(pk=account.pk).update(status=AdAccountStatus.NEEDS_RECONNECT)
        return PlatformAuthExpired()
    if isinstance(exc, platform.RateLimited):
        return PlatformRateLimited(exc.message, retry_after=exc.retry_after)
    if isinstance(exc, platform.PermissionMissing):
        return PlatformPermissionMissing(exc.message)
    if isinstance(exc, platform.NotFound):
        return NotFound(exc.message)
    if isinstance(exc, platform.InvalidRequest):
        return PlatformRefused(exc.message, details=platform_details(exc))
    if isinstance(exc, platform.UnknownOutcome):
        return PlatformOutcomeUnknown(details={"platform": [exc.message]})
    logger.warning("ad platform error", extra={"account_id": str(account.pk), "code": exc.code})
    return PlatformUnavailable(details={"platform": [exc.message]})


def platform_details(exc: platform.PlatformError) -> dict:
    return {
        "platform": exc.details.get("platform", [exc.message]),
        "platformCode": exc.platform_code,
        "platformSubcode": exc.platform_subcode,
    }


def pause_for_rate_limit(account: AdAccount, retry_after: int | None) -> None:
    until = timezone.now() + timedelta(seconds=retry_after or 300)
    AdAccount.objects.filter(pk=account.pk).update(sync_paused_until=until)
    account.sync_paused_until = until
