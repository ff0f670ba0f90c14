"""/api/v1/auth/: sign-in, tokens, second factor, passwords. Thin: parse, call tenants.services.auth, render.

Endpoints that take a credential in the body (register, login, refresh, logout, password reset) need no
authentication header; switch-tenant, TOTP and password change need a bearer token; token exchange needs an API key.
Every error has the documented error shape; the auth-specific codes are listed in each operation's description.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.inputs import validated
from core.api.schema import ErrorSerializer, error_responses
from core.api.throttling import AuthRateThrottle
from core.api.viewsets import TenantAPIView
from tenants import tokens
from tenants.api.serializers import auth as s
from tenants.api.serializers import sso as sso_s
from tenants.authentication import ApiKeyAuthentication, BasicApiKeyAuthentication, BearerTokenAuthentication
from tenants.services import auth as auth_services
from tenants.services import sso as sso_services
from tenants.services import verification
from tenants.services.impersonation import refuse_if_impersonating

TAGS = ["auth"]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


class CredentialView(APIView):
    """The credential is in the body: no authentication header, rate-limited per client IP."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]


class BearerView(TenantAPIView):
    """Acts on the signed-in user: bearer tokens only (an API key has no user)."""

    authentication_classes = [BearerTokenAuthentication]


class RegisterView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Create a tenant and its owner",
        description=(
            "Creates the tenant (with its default team) and its OWNER user in one transaction and signs them in. "
            "The password must pass the password rules (details under `password`). An email that already has an "
            "account gives 409 `EMAIL_TAKEN`."
        ),
        request=s.RegisterInput,
        responses={201: s.TokenOutput, 409: _error("`EMAIL_TAKEN`: an account with this email exists.")},
    )
    def post(self, request):
        data = validated(s.RegisterInput, request)
        pair = auth_services.register(**data, user_agent=_user_agent(request))
        return Response(s.token_output(pair), status=status.HTTP_201_CREATED)


class LoginView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Sign in with email and password",
        description=(
            "Email is case-insensitive. Unknown email and wrong password both give 401 `INVALID_CREDENTIALS`. "
            "Accounts with two-factor authentication need `otp` (a 6-digit code or a single-use recovery code): "
            "without it 401 `OTP_REQUIRED`, wrong 401 `INVALID_OTP`. After `LOGIN_MAX_FAILURES` consecutive "
            "failures the account is locked for `LOGIN_LOCKOUT`: 429 `ACCOUNT_LOCKED` with `Retry-After`, even for "
            "the right password; a successful login resets the count. Without `tenantId` the tenant of the most "
            "recently used session is chosen, else the oldest membership. 403 `TENANT_INACTIVE`, "
            "`MEMBERSHIP_INACTIVE`, `NO_ACTIVE_MEMBERSHIP` or `ACCOUNT_DISABLED` when the account may not sign in "
            "there; 404 when `tenantId` is not one of the user's tenants."
        ),
        request=s.LoginInput,
        responses={
            200: s.TokenOutput,
            **error_responses(404),
            401: _error("`INVALID_CREDENTIALS`, `OTP_REQUIRED` or `INVALID_OTP`."),
            403: _error("`TENANT_INACTIVE`, `MEMBERSHIP_INACTIVE`, `NO_ACTIVE_MEMBERSHIP`, `ACCOUNT_DISABLED`."),
            429: _error("`ACCOUNT_LOCKED` (see `Retry-After`) or `RATE_LIMITED`."),
        },
    )
    def post(self, request):
        data = validated(s.LoginInput, request)
        pair = auth_services.login(
            email=data["email"],
            password=data["password"],
            otp=data.get("otp") or "",
            tenant_id=data.get("tenant_id"),
            user_agent=_user_agent(request),
        )
        return Response(s.token_output(pair))


class SsoStartView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Start signing in with the tenant's identity provider (OpenID Connect)",
        description=(
            "Send the tenant's alias (`tenant`) or an email address (`email`: its domain finds the tenant whose SSO "
            "allows it). Returns the provider's authorization URL (authorization-code flow with PKCE, `state` and "
            "`nonce`); the provider returns the browser to `GET /api/v1/auth/sso/callback`. The state is signed, "
            "single use and expires after 10 minutes. 404 `SSO_NOT_CONFIGURED`; 409 `SSO_TENANT_AMBIGUOUS` when "
            "several tenants allow the email's domain (send `tenant`); 403 `TENANT_INACTIVE`."
        ),
        request=sso_s.SsoStartInput,
        responses={
            200: sso_s.SsoStartOutput,
            403: _error("`TENANT_INACTIVE`."),
            404: _error("`SSO_NOT_CONFIGURED`."),
            409: _error("`SSO_TENANT_AMBIGUOUS`."),
        },
    )
    def post(self, request):
        data = validated(sso_s.SsoStartInput, request)
        start = sso_services.start_sign_in(alias=data.get("tenant") or "", email=data.get("email") or "")
        return Response(sso_s.SsoStartOutput(start).data)


class SsoCallbackView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Finish signing in with the identity provider: tokens, as from password login",
        description=(
            "The redirect URI to register with the provider (`redirectUri` of `GET /api/v1/tenant/sso`). Exchanges "
            "`code` (with the PKCE verifier), validates the ID token against the provider's JWKS (signature, "
            "issuer, audience, expiry, nonce) and answers the same tokens as `POST /api/v1/auth/login`. The email "
            "must be verified by the provider and of an allowed domain. A person unknown to the tenant becomes a "
            "member with the configured default role (a new account when the email is new); the account is "
            "linked by the provider's (issuer, sub). Refusals create nothing: 400 `SSO_STATE_INVALID` (missing, "
            "forged, expired or used state), 401 `SSO_PROVIDER_ERROR` (the provider refused or failed), 401 "
            "`SSO_TOKEN_INVALID`, 403 `SSO_EMAIL_NOT_VERIFIED`, `SSO_DOMAIN_NOT_ALLOWED`, `SSO_MEMBER_REMOVED` "
            "(removed members need a new invite), `SSO_ACCOUNT_EXISTS` (an account made elsewhere must be invited "
            "first), `SSO_ACCOUNT_NOT_ALLOWED` (platform staff), "
            "`MEMBERSHIP_INACTIVE`, `ACCOUNT_DISABLED`, `TENANT_INACTIVE`, `LIMIT_REACHED`; 404 `SSO_NOT_CONFIGURED`. "
            "A session begun here cannot switch tenants."
        ),
        parameters=[sso_s.SsoCallbackInput],
        responses={
            200: s.TokenOutput,
            400: _error("`SSO_STATE_INVALID`."),
            401: _error("`SSO_PROVIDER_ERROR` or `SSO_TOKEN_INVALID`."),
            403: _error(
                "`SSO_EMAIL_NOT_VERIFIED`, `SSO_DOMAIN_NOT_ALLOWED`, `SSO_MEMBER_REMOVED`, `SSO_ACCOUNT_EXISTS`, "
                "`SSO_ACCOUNT_NOT_ALLOWED`, `MEMBERSHIP_INACTIVE`, "
                "`ACCOUNT_DISABLED`, `TENANT_INACTIVE` or `LIMIT_REACHED`."
            ),
            404: _error("`SSO_NOT_CONFIGURED`."),
            # The web server's own answer, before the application: a request line over 8 KB.
            414: OpenApiResponse(description="The request line is over 8 KB (the web server's limit)."),
        },
    )
    def get(self, request):
        data = validated(sso_s.SsoCallbackInput, request, source="query")
        pair = sso_services.complete_sign_in(**data, user_agent=_user_agent(request))
        response = Response(s.token_output(pair))
        response["Cache-Control"] = "no-store"
        return response


class RefreshView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Exchange a refresh token for a new pair",
        description=(
            "The refresh token is single use. Presenting one that was already used revokes its whole session "
            "(401 `TOKEN_REUSED`): every token of that session, including access tokens, stops working."
        ),
        request=s.RefreshTokenInput,
        responses={200: s.TokenOutput, 401: _error("`UNAUTHORIZED` (invalid, expired, revoked) or `TOKEN_REUSED`.")},
    )
    def post(self, request):
        data = validated(s.RefreshTokenInput, request)
        return Response(s.token_output(tokens.rotate_refresh_token(data["refresh_token"])))


class LogoutView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Sign out",
        description="Ends the refresh token's session (its access tokens stop working too). Idempotent: always 204.",
        request=s.RefreshTokenInput,
        responses={204: None},
    )
    def post(self, request):
        data = validated(s.RefreshTokenInput, request)
        tokens.revoke_refresh_token(data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenExchangeView(TenantAPIView):
    authentication_classes = [ApiKeyAuthentication, BasicApiKeyAuthentication]

    @extend_schema(
        tags=TAGS,
        summary="Tokens for an external user (token exchange)",
        description=(
            "Authenticated by a tenant API key. Returns tokens for the member of the key's tenant with this "
            "`externalUserId` (200). An unknown id is provisioned (a new user without password, a membership with "
            "`role`, default EDITOR, never OWNER; 201) when the key has the `users:provision` scope, else 404 "
            "`EXTERNAL_USER_NOT_FOUND`; a `role` granting more than the tenant's `provisionMaxRole` setting "
            "(default EDITOR) is refused (403 `EXCHANGE_ROLE_FORBIDDEN`). Tokens for OWNER/ADMIN members need a "
            "key with the `admin` scope (403 `EXCHANGE_ROLE_FORBIDDEN`). The session acts with the member's role "
            "permissions intersected with the key's scopes, ends when the key is revoked (401 `API_KEY_REVOKED`) "
            "and cannot switch tenants. 409 `EMAIL_TAKEN` when a new user's `email` already has an account; "
            "403 `LIMIT_REACHED` when the plan's user limit is reached; 403 `MEMBERSHIP_INACTIVE`."
        ),
        request=s.TokenExchangeInput,
        responses={
            200: s.TokenOutput,
            201: OpenApiResponse(s.TokenOutput, description="The user was provisioned by this call."),
            **error_responses(404),
            403: _error("`EXCHANGE_ROLE_FORBIDDEN`, `MEMBERSHIP_INACTIVE`, `LIMIT_REACHED`, `FORBIDDEN`."),
            409: _error("`EMAIL_TAKEN`."),
        },
    )
    def post(self, request):
        data = validated(s.TokenExchangeInput, request)
        pair, created = auth_services.exchange_token(actor=self.principal, **data, user_agent=_user_agent(request))
        return Response(s.token_output(pair), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SwitchTenantView(BearerView):
    @extend_schema(
        tags=TAGS,
        summary="Tokens for another of the user's tenants",
        description=(
            "Opens a new session in a tenant where the signed-in user has an active membership; the current "
            "session stays valid. Any other tenant id gives 404."
        ),
        request=s.SwitchTenantInput,
        responses={200: s.TokenOutput, **error_responses(404)},
    )
    def post(self, request):
        data = validated(s.SwitchTenantInput, request)
        pair = auth_services.switch_tenant(
            actor=self.principal, tenant_id=data["tenant_id"], user_agent=_user_agent(request)
        )
        return Response(s.token_output(pair))


class TotpSetupView(BearerView):
    @extend_schema(
        tags=TAGS,
        summary="Start two-factor enrolment",
        description=(
            "Creates a new TOTP secret (RFC 6238) for the signed-in user; it is not enforced until confirmed with "
            "POST /auth/totp/verify. 409 `TOTP_ALREADY_ENABLED`."
        ),
        request=None,
        responses={200: s.TotpSetupOutput, 409: _error("`TOTP_ALREADY_ENABLED`.")},
    )
    def post(self, request):
        refuse_if_impersonating(self.principal, "Two-factor authentication")
        secret, uri = auth_services.setup_totp(self.principal.user)
        return Response(s.TotpSetupOutput({"secret": secret, "otpauth_uri": uri}).data)


class TotpVerifyView(BearerView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Confirm two-factor enrolment",
        description=(
            "Enables TOTP with a current code from the authenticator and returns 10 single-use recovery codes, "
            "shown only now. 400 `INVALID_OTP`; 409 `TOTP_NOT_SET_UP` or `TOTP_ALREADY_ENABLED`."
        ),
        request=s.OtpInput,
        responses={200: s.RecoveryCodesOutput, 409: _error("`TOTP_NOT_SET_UP`, `TOTP_ALREADY_ENABLED`.")},
    )
    def post(self, request):
        data = validated(s.OtpInput, request)
        refuse_if_impersonating(self.principal, "Two-factor authentication")
        codes = auth_services.enable_totp(self.principal.user, otp=data["otp"])
        return Response(s.RecoveryCodesOutput({"recovery_codes": codes}).data)


class TotpView(BearerView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Turn two-factor authentication off",
        description=(
            "Needs a JSON body with `password` or `otp` (a current code or a recovery code); OpenAPI cannot describe "
            "a DELETE body, see POST /auth/totp/disable for its schema. 400 `INVALID_PASSWORD` or `INVALID_OTP`; "
            "409 `TOTP_NOT_ENABLED`."
        ),
        request=None,
        responses={204: None, **error_responses(400), 409: _error("`TOTP_NOT_ENABLED`.")},
    )
    def delete(self, request):
        return _disable_totp(self, request)


class TotpDisableView(BearerView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Turn two-factor authentication off (POST form of DELETE /auth/totp)",
        description="Same as DELETE /auth/totp, for clients that cannot send a DELETE body.",
        request=s.TotpDisableInput,
        responses={204: None, 409: _error("`TOTP_NOT_ENABLED`.")},
    )
    def post(self, request):
        return _disable_totp(self, request)


def _disable_totp(view: BearerView, request) -> Response:
    data = validated(s.TotpDisableInput, request)
    refuse_if_impersonating(view.principal, "Two-factor authentication")
    auth_services.disable_totp(view.principal.user, password=data.get("password", ""), otp=data.get("otp", ""))
    return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Mail a password reset link",
        description=(
            "Always 202, whether or not the email has an account. An active account with a password gets a mail "
            "with a single-use link (uid + token) valid for `PASSWORD_RESET_TIMEOUT` seconds."
        ),
        request=s.PasswordResetInput,
        responses={202: None},
    )
    def post(self, request):
        data = validated(s.PasswordResetInput, request)
        auth_services.request_password_reset(email=data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Set a new password from a reset link",
        description=(
            "Sets the password, ends every session of the user and lifts a lockout. The link then stops working. "
            "400 `INVALID_RESET_TOKEN` (invalid, expired or used) or `VALIDATION_ERROR` (password rules)."
        ),
        request=s.PasswordResetConfirmInput,
        responses={204: None},
    )
    def post(self, request):
        data = validated(s.PasswordResetConfirmInput, request)
        auth_services.confirm_password_reset(**data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(BearerView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Change the password",
        description=(
            "Needs the current password (400 `INVALID_PASSWORD`). Every other session of the user ends; the one "
            "making this request stays signed in."
        ),
        request=s.PasswordChangeInput,
        responses={204: None},
    )
    def post(self, request):
        data = validated(s.PasswordChangeInput, request)
        auth_services.change_password(actor=self.principal, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Confirm an email address",
        description="The token from the verification mail. 400 `INVALID_VERIFICATION_TOKEN` (invalid or expired).",
        request=s.EmailVerifyInput,
        responses={204: None},
    )
    def post(self, request):
        verification.verify_email(validated(s.EmailVerifyInput, request)["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyResendView(BearerView):
    @extend_schema(
        tags=TAGS, summary="Send the verification mail again", request=None, responses={202: None, 204: None}
    )
    def post(self, request):
        user = self.principal.user
        if user.email_verified_at is not None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        verification.send_verification(user)
        return Response(status=status.HTTP_202_ACCEPTED)


class InviteAcceptView(CredentialView):
    @extend_schema(
        tags=TAGS,
        summary="Accept an invite (seed 004 users/activate)",
        description=(
            "`uid` and `token` from the invite mail and the new password: sets the password, confirms the email "
            "address and signs in to the inviting tenant. 400 `INVALID_RESET_TOKEN` (invalid, expired or used) or "
            "`VALIDATION_ERROR` (password rules)."
        ),
        request=s.InviteAcceptInput,
        responses={200: s.TokenOutput},
    )
    def post(self, request):
        data = validated(s.InviteAcceptInput, request)
        pair = verification.accept_invite(**data, user_agent=_user_agent(request))
        return Response(s.token_output(pair))
