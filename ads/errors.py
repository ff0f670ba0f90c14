"""Error codes of the ads app (rendered by core's exception handler)."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited, ValidationFailed


class PlatformNotConnectable(ValidationFailed):
    code = "PLATFORM_NOT_CONNECTABLE"
    message = "This ad platform cannot be connected."


class OAuthStateInvalid(DomainError):
    code = "OAUTH_STATE_INVALID"
    message = "The OAuth state is missing or not valid."


class AdAccountNotFound(NotFound):
    message = "Ad account not found."


class AdPermissionDenied(PermissionDenied):
    code = "AD_PERMISSION_DENIED"
    message = "Your permission on this ad account does not allow this."


class BudgetTooLow(ValidationFailed):
    code = "BUDGET_TOO_LOW"
    message = "The budget is below the platform minimum."


class CurrencyMismatch(ValidationFailed):
    code = "CURRENCY_MISMATCH"
    message = "Amounts must be in the ad account's currency."


class ObjectiveGoalMismatch(ValidationFailed):
    code = "OBJECTIVE_GOAL_MISMATCH"
    message = "The platform does not allow this optimization goal for this objective."


class DateInPast(ValidationFailed):
    code = "DATE_IN_PAST"
    message = "Dates must not be in the past."


class PostNotBoostable(ValidationFailed):
    code = "POST_NOT_BOOSTABLE"
    message = "Only a published post with a remote id can be boosted."


class PlatformRefused(DomainError):
    """The platform refused the request's content; details carry its message."""

    status = 400
    code = "PLATFORM_REFUSED"
    message = "The ad platform refused the request."


class PlatformAuthExpired(Conflict):
    code = "AD_ACCOUNT_NEEDS_RECONNECT"
    message = "The ad platform grant expired or was revoked: reconnect the account."


class PlatformPermissionMissing(PermissionDenied):
    code = "PLATFORM_PERMISSION_MISSING"
    message = "The connected platform user lacks a permission on this object."


class PlatformRateLimited(RateLimited):
    code = "PLATFORM_RATE_LIMITED"
    message = "The ad platform asks us to slow down; try again later."


class PlatformUnavailable(DomainError):
    status = 503
    code = "PLATFORM_UNAVAILABLE"
    message = "The ad platform is not answering; try again later."


class PlatformOutcomeUnknown(DomainError):
    status = 502
    code = "PLATFORM_OUTCOME_UNKNOWN"
    message = "The request reached the ad platform but no answer came back; the next sync shows whether it happened."


class CreationFailed(DomainError):
    """A step of a one-call creation failed; `details` says which step, the platform's answer, and what the
    compensation deleted (or could not delete)."""

    status = 400
    code = "AD_CREATION_FAILED"
    message = "Creating the campaign failed; what was created at the platform has been deleted."
