"""The ad platform contract: one interface, frozen value types and one classified error hierarchy.

Meta is the first real platform; LinkedIn and TikTok ads fit the same shape (accounts under a grant, a
campaign > ad set (LinkedIn: campaign group > campaign) > ad tree, daily insight rows, lead forms). Amounts cross
this boundary as `Decimal` in the account's currency, never as the platform's minor units.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


# --- errors --------------------------------------------------------------------------------------------------------
class PlatformError(Exception):
    code = "PLATFORM_ERROR"
    retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        platform_code: int | None = None,
        platform_subcode: int | None = None,
        details: dict | None = None,
        response_body: Any = None,
    ) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.status_code = status_code
        self.platform_code = platform_code
        self.platform_subcode = platform_subcode
        self.details = details or {}
        self.response_body = response_body


class AuthExpired(PlatformError):
    code = "AUTH_EXPIRED"


class PermissionMissing(PlatformError):
    code = "PERMISSION_MISSING"


class NotFound(PlatformError):
    code = "NOT_FOUND"


class InvalidRequest(PlatformError):
    """The platform refused the request's content (bad budget, refused goal, bad targeting...)."""

    code = "PLATFORM_REFUSED"


class RateLimited(PlatformError):
    code = "RATE_LIMITED"
    retryable = True

    def __init__(self, message: str = "", *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TemporaryError(PlatformError):
    code = "PLATFORM_UNAVAILABLE"
    retryable = True


class UnknownOutcome(PlatformError):
    """A write was sent and no answer came back: it may have taken effect. Never retried blindly."""

    code = "UNKNOWN_OUTCOME"


class NotSupported(PlatformError):
    code = "NOT_SUPPORTED"


# --- values --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RemoteAccount:
    external_id: str  # act_<id> on Meta
    name: str
    currency: str
    timezone: str
    status: str  # "active" | "disabled"
    business_name: str = ""


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_at: datetime | None
    external_user_id: str
    scopes: tuple[str, ...]
    accounts: tuple[RemoteAccount, ...]


@dataclass(frozen=True)
class RemoteObject:
    """One campaign, ad set, ad or creative as the platform describes it, normalised."""

    kind: str  # campaign | adset | ad | creative
    remote_id: str
    name: str
    fields: dict[str, Any]  # normalised values (Decimal budgets, datetimes); keys are our model field names
    updated_at: datetime | None = None


@dataclass(frozen=True)
class InsightRow:
    level: str
    object_id: str
    day: date
    impressions: int
    reach: int
    clicks: int
    spend: Decimal
    cpm: Decimal | None
    cpc: Decimal | None
    ctr: Decimal | None
    actions: dict[str, Decimal] = field(default_factory=dict)
    action_values: dict[str, Decimal] = field(default_factory=dict)
    breakdown: str = ""
    breakdown_value: str = ""


@dataclass(frozen=True)
class RemoteLeadForm:
    remote_id: str
    page_id: str
    name: str
    status: str
    locale: str
    questions: list
    leads_count: int
    created_at: datetime | None


@dataclass(frozen=True)
class RemoteLead:
    remote_id: str
    form_id: str
    created_at: datetime
    ad_id: str
    field_data: dict[str, str]


@dataclass(frozen=True)
class SyncSnapshot:
    """What one incremental pull of an account returned."""

    campaigns: list[RemoteObject]
    ad_sets: list[RemoteObject]
    ads: list[RemoteObject]
    creatives: list[RemoteObject]


class AdPlatformAdapter(Protocol):
    platform: str
    scopes: tuple[str, ...]
    requests_made: int

    def authorize_url(self, *, redirect_uri: str, state: str) -> str: ...

    def exchange_code(self, *, code: str, redirect_uri: str) -> Grant: ...

    def pull(self, token: str, account_id: str, *, since: datetime | None, currency: str) -> SyncSnapshot: ...

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
    ) -> Iterator[InsightRow]: ...

    def create(self, token: str, account_id: str, kind: str, params: dict[str, Any], *, currency: str) -> str: ...

    def delete(self, token: str, remote_id: str) -> None: ...

    def set_status(self, token: str, remote_id: str, status: str) -> tuple[str, str]: ...

    def pages(self, token: str, account_id: str) -> list[dict]: ...

    def page_token(self, token: str, page_id: str) -> str: ...

    def lead_forms(self, token: str, page_id: str) -> list[RemoteLeadForm]: ...

    def create_lead_form(self, token: str, page_id: str, spec: dict[str, Any]) -> str: ...

    def leads(self, token: str, form_id: str, *, since: datetime | None) -> Iterator[RemoteLead]: ...

    def search_targeting(self, token: str, account_id: str, *, kind: str, query: str) -> list[dict]: ...
