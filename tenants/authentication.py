"""DRF authentication: JWT bearer, API key (`ApiKey` scheme or `X-Api-Key`), Basic (caller name + API key).

Each builds a `core.auth.Principal` (the role policy applied in tenants.roles) and enters `tenancy.acting_as` for the
rest of the request through `tenancy.enter_for_request`; `core.middleware.TenantContextMiddleware` owns the scope and
resets it when the request ends.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS

from core import tenancy
from core.auth import Principal
from core.errors import Unauthorized
from tenants import principal_cache
from tenants.errors import ImpersonationReadOnly
from tenants.models import API_KEY_PREFIX, ApiKey, AuthSession, Membership, MonthlyActiveUser, Tenant, User, hash_secret
from tenants.roles import api_key_principal, member_principal, permissions_for_role, permissions_for_scopes
from tenants.services.activity import IMPERSONATED_PREFIX
from tenants.tokens import decode_access_token

API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _activate(request, principal: Principal) -> tuple[None, Principal]:
    tenancy.enter_for_request(request, principal)
    return None, principal


def _fail(exc: Unauthorized) -> AuthenticationFailed:
    return _rejected(exc.message, exc.code)


def _rejected(message: str, code: str) -> AuthenticationFailed:
    """A 401 whose body names `code` (the error handler reads `error_code`): bearer clients act on it."""
    error = AuthenticationFailed(message, code=code)
    error.error_code = code
    return error


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            claims = decode_access_token(token.strip())
            session_id, tenant_id, user_id = (
                uuid.UUID(claims["sid"]),
                uuid.UUID(claims["tid"]),
                uuid.UUID(claims["sub"]),
            )
        except Unauthorized as exc:
            raise _fail(exc) from exc
        except ValueError as exc:
            raise AuthenticationFailed("The access token is invalid.") from exc
        lookup = principal_cache.Lookup(
            principal_cache.session_entry_key(session_id),
            [principal_cache.tenant_stamp_key(tenant_id), principal_cache.user_stamp_key(user_id)],
        )
        rows = lookup.entry
        if rows is None:
            rows = _session_rows(session_id, tenant_id, user_id)
            if rows is not None:
                lookup.store(rows)
        session = _rebuild_session(rows) if rows is not None else None
        if session is None or not session.is_active:
            raise _rejected("The session has ended; sign in again.", "SESSION_REVOKED")
        membership, tenant, user = session.membership, session.membership.tenant, session.membership.user
        if not membership.is_active or not user.is_active:
            raise AuthenticationFailed("This account is disabled.")
        if not tenant.is_usable:
            raise _rejected("This tenant is not active.", "TENANT_INACTIVE")
        permissions = permissions_for_role(membership.role, membership.custom_permissions)
        if session.api_key is not None:
            # Minted by token exchange: never more than the key that minted it, and never after it is revoked.
            if not session.api_key.is_usable:
                raise _rejected("The API key that issued this session was revoked.", "API_KEY_REVOKED")
            permissions &= permissions_for_scopes(session.api_key.valid_scopes)
        principal = member_principal(
            membership, tenant=tenant, session_id=session.pk, claims=claims, permissions=permissions
        )
        if session.impersonator_id:
            if session.impersonation_read_only and request.method not in SAFE_METHODS:
                raise ImpersonationReadOnly()
            # Every audit entry of the session names the staff user behind it.
            impersonator = rows["impersonator_email"] or "deleted staff user"
            principal = dataclasses.replace(principal, caller_name=f"{IMPERSONATED_PREFIX}{impersonator}"[:120])
        else:
            _record_monthly_activity(tenant, user)  # staff looking around is not the customer's activity
        return _activate(request, principal)


def _session_rows(session_id: uuid.UUID, tenant_id: uuid.UUID, user_id: uuid.UUID) -> dict | None:
    """The rows a bearer principal is built from, as cache entry values (`principal_cache.snapshot`)."""
    # Read in the token's tenant (as the application role), not under platform access: the request then goes on
    # in the same tenant, so the database session keeps its tenant setting instead of switching role twice.
    with tenancy.tenant_context(tenancy.get_tenant_model()(pk=tenant_id)):
        session = (
            AuthSession.all_tenants.select_related("membership__tenant", "membership__user", "api_key", "impersonator")
            .filter(pk=session_id, tenant_id=tenant_id, user_id=user_id)
            .first()
        )
    if session is None:
        return None
    return {
        "session": principal_cache.snapshot(session),
        "membership": principal_cache.snapshot(session.membership),
        "tenant": principal_cache.snapshot(session.membership.tenant),
        "user": principal_cache.snapshot(session.membership.user),
        "api_key": principal_cache.snapshot(session.api_key),
        "impersonator_email": session.impersonator.email if session.impersonator else None,
    }


def _rebuild_session(rows: dict) -> AuthSession:
    """The session with its membership, tenant, user and exchanging API key, as `_session_rows` read them."""
    session = principal_cache.rebuild(AuthSession, rows["session"])
    tenant = principal_cache.rebuild(Tenant, rows["tenant"])
    membership = principal_cache.rebuild(Membership, rows["membership"])
    membership.tenant, membership.user = tenant, principal_cache.rebuild(User, rows["user"])
    session.membership, session.user = membership, membership.user
    api_key = principal_cache.rebuild(ApiKey, rows["api_key"])
    if api_key is not None:
        api_key.tenant = tenant
        session.api_key = api_key
    return session


def parse_api_key(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def principal_for_api_key(raw: str, *, caller_name: str = "") -> Principal:
    parsed = parse_api_key(raw)
    if parsed is None:
        raise AuthenticationFailed("The API key is malformed.")
    prefix, _secret = parsed
    raw = raw.strip()
    # The key's tenant (kept a day once known): its stamp is read before the key row, as an entry needs.
    tenant_id = cache.get(principal_cache.api_key_tenant_key(prefix)) if principal_cache.enabled() else None
    lookup = (
        principal_cache.Lookup(principal_cache.api_key_entry_key(raw), [principal_cache.tenant_stamp_key(tenant_id)])
        if tenant_id
        else None
    )
    # An entry is found only under an HMAC of this exact key, stored after its hash matched.
    key = _rebuild_api_key(lookup.entry) if lookup is not None and lookup.entry is not None else None
    fresh = key is None
    if key is None:
        with tenancy.platform_access():
            key = ApiKey.all_tenants.select_related("tenant").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_secret(raw)):
            raise AuthenticationFailed("The API key is invalid.")
        if tenant_id != str(key.tenant_id) and principal_cache.enabled():
            cache.set(principal_cache.api_key_tenant_key(prefix), str(key.tenant_id), timeout=86400)
            lookup = None  # its stamp was not read before the row
    if not key.is_usable:
        raise _rejected("The API key was revoked or has expired.", "API_KEY_REVOKED")
    if not key.tenant.is_usable:
        raise _rejected("This tenant is not active.", "TENANT_INACTIVE")
    touched = _touch_api_key(key)
    if lookup is not None and (fresh or touched):
        lookup.store({"api_key": principal_cache.snapshot(key), "tenant": principal_cache.snapshot(key.tenant)})
    return api_key_principal(key, caller_name=caller_name)


def _rebuild_api_key(rows: dict) -> ApiKey:
    key = principal_cache.rebuild(ApiKey, rows["api_key"])
    key.tenant = principal_cache.rebuild(Tenant, rows["tenant"])
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate_header(self, request) -> str:
        return "ApiKey"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "apikey":
            raw = value
        elif not header and request.META.get("HTTP_X_API_KEY"):
            raw = request.META["HTTP_X_API_KEY"]
        else:
            return None
        return _activate(request, principal_for_api_key(raw))


class BasicApiKeyAuthentication(authentication.BaseAuthentication):
    """`Basic base64(caller:key)`: the username names the calling system and is recorded in the audit log."""

    def authenticate_header(self, request) -> str:
        return 'Basic realm="api"'

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            caller, _, raw = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthenticationFailed("The Basic credential is malformed.") from exc
        return _activate(request, principal_for_api_key(raw, caller_name=caller))


def _touch_api_key(key: ApiKey) -> bool:
    """Record `last_used_at` at most once a minute per key, so hot keys do not write on every request."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at <= API_KEY_LAST_USED_RESOLUTION:
        return False
    with tenancy.platform_access():
        ApiKey.all_tenants.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
    return True


# One INSERT ... ON CONFLICT DO NOTHING per user, tenant and month at most once a day (per cache), never per request.
MAU_RECORDED_SECONDS = 86400
# Users this process has already seen recorded this month: their next requests skip the cache round trip.
_MAU_SEEN: set[str] = set()
_MAU_SEEN_MAX = 50_000


def _record_monthly_activity(tenant, user) -> None:
    month = timezone.now().date().replace(day=1)
    cache_key = f"mau:{tenant.pk}:{user.pk}:{month.isoformat()}"
    if cache_key in _MAU_SEEN:
        return
    if len(_MAU_SEEN) >= _MAU_SEEN_MAX:
        _MAU_SEEN.clear()
    if cache.get(cache_key):
        _MAU_SEEN.add(cache_key)
        return
    with tenancy.platform_access():
        # ignore_conflicts: a concurrent request may have recorded it first
        MonthlyActiveUser.all_tenants.bulk_create(
            [MonthlyActiveUser(tenant=tenant, user=user, month=month)], ignore_conflicts=True
        )
    cache.set(cache_key, True, timeout=MAU_RECORDED_SECONDS)
    _MAU_SEEN.add(cache_key)


# --- OpenAPI: the security schemes of the classes above (drf-spectacular finds them by subclassing) ---------------


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = ["apiKeyHeader", "apiKeyAuthorization"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: ApiKey <key>`",
            },
        ]


class BasicApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = BasicApiKeyAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username: the calling system's name (audit-logged); password: a tenant API key.",
        }
