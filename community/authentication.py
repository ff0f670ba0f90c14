"""Acting as a community member: a member token (`Authorization: Bearer hbm_...`), or a tenant API key plus
`X-Member-Id` (the member's id or handle). Both build a principal whose permissions come from the member's
community role (`community.access.member_principal`) and activate its tenant, as the tenants authenticators do;
`core.middleware.TenantContextMiddleware` clears both when the request ends.

Community views list these before the default authenticators, so a member token never reaches the staff JWT
check and a key with `X-Member-Id` never acts as the bare key.
"""

from __future__ import annotations

import uuid

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from community import tokens
from community.access import member_principal, member_token_principal
from community.models import Member, MemberStatus
from core import tenancy
from core.auth import Principal
from tenants.authentication import ApiKeyAuthentication, BasicApiKeyAuthentication
from tenants.selectors import tenant_by_id

MEMBER_HEADER = "HTTP_X_MEMBER_ID"


def _activate(request, principal: Principal) -> tuple[None, Principal]:
    tenancy.enter_for_request(request, principal)
    return None, principal


def _rejected(message: str, code: str = "UNAUTHORIZED") -> AuthenticationFailed:
    error = AuthenticationFailed(message, code=code)
    error.error_code = code
    return error


def find_member(reference: str) -> Member | None:
    """A member of the current tenant by id or handle (never a deleted one)."""
    queryset = Member.objects.select_related("role").exclude(status=MemberStatus.DELETED)
    try:
        return queryset.filter(pk=uuid.UUID(reference)).first()
    except ValueError:
        return queryset.filter(handle=reference).first()


class MemberTokenAuthentication(authentication.BaseAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not tokens.is_member_token(raw):
            return None
        try:
            claims = tokens.decode_member_token(raw)
            tenant_id, member_id = uuid.UUID(claims["tid"]), uuid.UUID(claims["mid"])
        except tokens.InvalidMemberToken as exc:
            raise _rejected(str(exc), "TOKEN_EXPIRED" if "expired" in str(exc) else "UNAUTHORIZED") from exc
        except ValueError as exc:
            raise _rejected("The member token is invalid.") from exc
        tenant = tenant_by_id(tenant_id)
        if tenant is None or not tenant.is_usable:
            raise _rejected("This tenant is not active.", "TENANT_INACTIVE")
        with tenancy.tenant_context(tenant):
            member = find_member(str(member_id))
        if member is None or member.token_version != claims["tv"]:
            raise _rejected("The member token was revoked.", "SESSION_REVOKED")
        return _activate(request, member_token_principal(tenant, member))


class ApiKeyMemberAuthentication(authentication.BaseAuthentication):
    """A tenant API key (any accepted form) plus `X-Member-Id`: the key's system acts as that member."""

    def authenticate_header(self, request) -> str:
        return "ApiKey"

    def authenticate(self, request):
        reference = (request.META.get(MEMBER_HEADER) or "").strip()
        if not reference:
            return None
        result = ApiKeyAuthentication().authenticate(request) or BasicApiKeyAuthentication().authenticate(request)
        if result is None:
            raise _rejected("X-Member-Id is accepted only with a tenant API key.")
        key_principal = result[1]
        if not key_principal.has("community.participate"):
            raise DRFPermissionDenied("This API key may not act as a community member.")
        member = find_member(reference)
        if member is None:
            raise _rejected("X-Member-Id names no member of this community.", "MEMBER_UNKNOWN")
        return _activate(request, member_principal(key_principal, member))


class MemberTokenScheme(OpenApiAuthenticationExtension):
    target_class = "community.authentication.MemberTokenAuthentication"
    name = "memberToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A member token (`hbm_...`) from `POST /api/v1/community/auth/token`.",
        }


class ApiKeyMemberScheme(OpenApiAuthenticationExtension):
    target_class = "community.authentication.ApiKeyMemberAuthentication"
    name = "memberIdHeader"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Member-Id",
            "description": "With a tenant API key: act as this member (id or handle).",
        }
