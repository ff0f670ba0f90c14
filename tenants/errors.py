"""Domain errors of the tenants app, with stable codes (rendered by core's exception handler)."""

from __future__ import annotations

from core.errors import (
    Conflict,
    InvalidState,
    LimitReached,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)


class FeatureNotAvailable(PermissionDenied):
    code = "FEATURE_NOT_AVAILABLE"
    message = "Your plan does not include this feature."


class UserLimitReached(LimitReached):
    message = "Your plan's user limit has been reached."


class OwnerRequired(PermissionDenied):
    code = "OWNER_REQUIRED"
    message = "Only an owner may grant, change or remove the owner role."


class PermissionEscalation(PermissionDenied):
    code = "PERMISSION_ESCALATION"
    message = "You cannot grant permissions you do not hold yourself."


class LastOwner(Conflict):
    code = "LAST_OWNER"
    message = "The last owner of a tenant cannot be demoted or removed."


class SlugTaken(Conflict):
    code = "SLUG_TAKEN"
    message = "This alias is already used by another tenant."


class ExternalIdTaken(Conflict):
    code = "EXTERNAL_ID_TAKEN"
    message = "This external id is already assigned to another client tenant of the same parent."


class PlanReadOnly(PermissionDenied):
    code = "PLAN_READ_ONLY"
    message = "The plan is changed by Hubbub staff or billing, not through the tenant API."

    def __init__(self) -> None:
        super().__init__(details={"plan": ["Read-only."]})


class AlreadyMember(Conflict):
    code = "ALREADY_MEMBER"
    message = "This user is already a member of the tenant."


class ExternalUserIdTaken(Conflict):
    code = "EXTERNAL_USER_ID_TAKEN"
    message = "This external user id is already used by another member."


class TeamNameTaken(Conflict):
    code = "TEAM_NAME_TAKEN"
    message = "A team with this name already exists."


class DefaultTeamUndeletable(Conflict):
    code = "DEFAULT_TEAM_UNDELETABLE"
    message = "The default team cannot be deleted."


class TenantNotEnableable(InvalidState):
    message = "Only pending or suspended tenants can be enabled."


class TenantNotArchived(InvalidState):
    message = "Only an archived tenant can be reactivated."


class StaffOnly(PermissionDenied):
    code = "STAFF_ONLY"
    message = "Only Hubbub platform staff, signed in as themselves, may do this."


# Per-item failure codes of the team member batch endpoints (seed 002 `failed[]`).
NOT_A_MEMBER = "NOT_A_MEMBER"
ALREADY_IN_TEAM = "ALREADY_IN_TEAM"
NOT_IN_TEAM = "NOT_IN_TEAM"
DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"


# Credentials (login, tokens, TOTP, passwords): documented in the auth endpoints' OpenAPI descriptions.


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"
    message = "The email or password is incorrect."


class OtpRequired(Unauthorized):
    code = "OTP_REQUIRED"
    message = "This account uses two-factor authentication: send `otp` (an authenticator code or a recovery code)."


class InvalidOtp(Unauthorized):
    code = "INVALID_OTP"
    message = "The one-time code is wrong or was already used."


class AccountLocked(RateLimited):
    code = "ACCOUNT_LOCKED"
    message = "Too many failed sign-in attempts; try again later."


class AccountDisabled(PermissionDenied):
    code = "ACCOUNT_DISABLED"
    message = "This account is disabled."


class TenantInactive(PermissionDenied):
    code = "TENANT_INACTIVE"
    message = "This tenant is not active."


class MembershipInactive(PermissionDenied):
    code = "MEMBERSHIP_INACTIVE"
    message = "Your access to this tenant is disabled."


class NoActiveMembership(PermissionDenied):
    code = "NO_ACTIVE_MEMBERSHIP"
    message = "This account has no active tenant to sign in to."


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"
    message = "An account with this email already exists."


class ExternalUserNotFound(NotFound):
    code = "EXTERNAL_USER_NOT_FOUND"
    message = "No user with this externalUserId in this tenant, and this API key may not provision users."


class ExchangeRoleForbidden(PermissionDenied):
    code = "EXCHANGE_ROLE_FORBIDDEN"
    message = "Tokens for OWNER or ADMIN members need an API key with the admin scope."


class InvalidResetToken(ValidationFailed):
    code = "INVALID_RESET_TOKEN"
    message = "The password reset link is invalid, expired or already used."


class TotpAlreadyEnabled(Conflict):
    code = "TOTP_ALREADY_ENABLED"
    message = "Two-factor authentication is already enabled."


class TotpNotSetUp(Conflict):
    code = "TOTP_NOT_SET_UP"
    message = "Start with POST /api/v1/auth/totp/setup."


class TotpNotEnabled(Conflict):
    code = "TOTP_NOT_ENABLED"
    message = "Two-factor authentication is not enabled."


class InvalidPassword(ValidationFailed):
    code = "INVALID_PASSWORD"
    message = "The password is incorrect."


class WrongOtpInput(ValidationFailed):
    """A wrong code in a form field (400 with field details), unlike a failed sign-in (401 `INVALID_OTP`)."""

    code = "INVALID_OTP"
    message = "The one-time code is wrong or expired."


class ImpersonationRestricted(PermissionDenied):
    code = "IMPERSONATION_RESTRICTED"
    message = "An impersonation session is bound to its tenant."


class ExchangeSessionBound(PermissionDenied):
    """A session minted by token exchange is capped by its key's scopes in that tenant: a switch would open an
    uncapped session elsewhere."""

    code = "EXCHANGE_SESSION_BOUND"
    message = "A session from token exchange is bound to its tenant."


class ImpersonationReadOnly(PermissionDenied):
    """403: a read-only impersonation session tried to change something."""

    code = "IMPERSONATION_READ_ONLY"
    message = "This impersonation session is read-only."


class EmailNotVerified(PermissionDenied):
    """403: a self-registered user must verify their email before inviting others or connecting channels."""

    code = "EMAIL_NOT_VERIFIED"
    message = "Verify your email address first (see the mail we sent, or POST /auth/email/verify/resend)."


class InvalidVerificationToken(ValidationFailed):
    code = "INVALID_VERIFICATION_TOKEN"
    message = "The verification link is invalid or has expired."


# Single sign-on (OpenID Connect per tenant): tenants/services/sso.py.


class SsoIssuerUnreachable(ValidationFailed):
    """400: the issuer's discovery document could not be fetched (bad URL, private address, timeout, HTTP error)."""

    code = "SSO_ISSUER_UNREACHABLE"
    message = "The issuer's discovery document (/.well-known/openid-configuration) could not be fetched."


class SsoIssuerInvalid(ValidationFailed):
    """400: the discovery document was fetched but is not a usable OpenID Provider configuration."""

    code = "SSO_ISSUER_INVALID"
    message = "The issuer's discovery document is not a valid OpenID Connect configuration."


class SsoNotConfigured(NotFound):
    code = "SSO_NOT_CONFIGURED"
    message = "No single sign-on is configured for this tenant or email domain."


class SsoTenantAmbiguous(Conflict):
    code = "SSO_TENANT_AMBIGUOUS"
    message = "Several tenants sign in this email domain with SSO: send `tenant` (the alias) instead."


class SsoRequired(PermissionDenied):
    """403: password login is switched off for this tenant's members (owners excepted)."""

    code = "SSO_REQUIRED"
    message = "This tenant signs its members in with single sign-on: use POST /api/v1/auth/sso/start."


class SsoSessionBound(PermissionDenied):
    """403: a session from an SSO sign-in is bound to the tenant whose identity provider vouched for the person."""

    code = "SSO_SESSION_BOUND"
    message = "A session from single sign-on is bound to its tenant: sign in again for another tenant."


class SsoStateInvalid(ValidationFailed):
    code = "SSO_STATE_INVALID"
    message = "The sign-in state is missing, not ours, expired or already used: start again."


class SsoProviderError(Unauthorized):
    """401: the identity provider refused the sign-in or the code exchange."""

    code = "SSO_PROVIDER_ERROR"
    message = "The identity provider did not complete the sign-in."


class SsoTokenInvalid(Unauthorized):
    """401: the ID token failed validation (signature, issuer, audience, expiry, nonce)."""

    code = "SSO_TOKEN_INVALID"
    message = "The identity provider's ID token is not valid for this sign-in."


class SsoEmailNotVerified(PermissionDenied):
    code = "SSO_EMAIL_NOT_VERIFIED"
    message = "The identity provider did not vouch for this email address (email_verified)."


class SsoDomainNotAllowed(PermissionDenied):
    code = "SSO_DOMAIN_NOT_ALLOWED"
    message = "This email domain may not sign in to this tenant with SSO."


class SsoAccountNotAllowed(PermissionDenied):
    code = "SSO_ACCOUNT_NOT_ALLOWED"
    message = "This account cannot sign in with a tenant's identity provider."


class SsoAccountExists(PermissionDenied):
    """403: a tenant's provider vouches for addresses, not for accounts made elsewhere with a password."""

    code = "SSO_ACCOUNT_EXISTS"
    message = (
        "An account with this email already exists: ask an admin of this tenant to invite it, accept the "
        "invitation, then sign in with single sign-on."
    )


class SsoMemberRemoved(PermissionDenied):
    code = "SSO_MEMBER_REMOVED"
    message = "You were removed from this tenant; ask an admin to invite you again."
