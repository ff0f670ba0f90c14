"""Single sign-on with OpenID Connect, one identity provider per tenant, with just-in-time membership.

Configuration (`GET/PUT/DELETE /api/v1/tenant/sso`, OWNER/ADMIN): issuer, client id, write-only client secret
(encrypted), allowed email domains, the role of members created on first sign-in (never OWNER) and `enforce`. Saving
fetches the issuer's discovery document through core.url_safety (public hosts only, pinned DNS, capped size and
time); its `issuer` must equal the configured one exactly, and its endpoints are kept on the row.

Sign-in: `start_sign_in` resolves the tenant (alias, or the email's domain among the tenants that allow it), stores a
single-use row with the OIDC nonce and the PKCE verifier, and returns the authorization URL whose `state` is signed
by core.signed_state (10 minutes). `complete_sign_in` (the public callback) consumes that row once, exchanges the
code (PKCE, client secret) at the token endpoint, validates the ID token against the issuer's JWKS (asymmetric
signature, iss, aud, exp, iat, nonce, azp, at_hash) and then lets the person in:

- the account is found by its link (issuer, sub) in this tenant, else by the verified email if it is already a
  member here (an account of that email without a membership here is refused: the provider may not take over an
  account made elsewhere; an invitation accepted by its owner comes first), else created (no password); a new link
  is made on first sign-in;
- the email must be verified by the provider (`email_verified`) and its domain allowed, for every sign-in;
- platform staff accounts are never signed in by a tenant's provider;
- a missing membership is created with the default role (plan user limit applies), unless the link exists, which
  means the member was removed: refused until an admin invites them again. A disabled membership or account is
  refused.

Tokens come from tenants.services.auth.sign_in_member, as for password login. With `enforce`, password login (and
switching into the tenant) is refused for its members except owners, who keep the password as break-glass.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.oidc.core import CodeIDToken
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_domain_name
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from core import audit, signed_state, tenancy, url_safety
from core.auth import Principal
from core.errors import ValidationFailed
from tenants import tokens
from tenants.errors import (
    AccountDisabled,
    MembershipInactive,
    SsoAccountExists,
    SsoAccountNotAllowed,
    SsoDomainNotAllowed,
    SsoEmailNotVerified,
    SsoIssuerInvalid,
    SsoIssuerUnreachable,
    SsoMemberRemoved,
    SsoNotConfigured,
    SsoProviderError,
    SsoStateInvalid,
    SsoTenantAmbiguous,
    SsoTokenInvalid,
    TenantInactive,
    UserLimitReached,
)
from tenants.models import Membership, SsoIdentity, SsoLoginState, Team, TeamMember, Tenant, TenantSso, User
from tenants.roles import Role

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
STATE_SALT = "tenants.sso.state"
STATE_MAX_AGE = timedelta(minutes=10)
STATE_RETENTION = timedelta(days=1)  # used or expired rows answer replays until purged; then the signature expired
SCOPE = "openid email profile"
MAX_DOCUMENT_BYTES = 256 * 1024
HTTP_TIMEOUT_SECONDS = 10.0
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are never accepted for ID tokens.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


# --- configuration -------------------------------------------------------------------------------------------------


def normalize_domains(domains: list[str]) -> list[str]:
    """Lower-cased, de-duplicated, each a valid domain name (400 with the offending entries)."""
    cleaned, invalid = [], []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        try:
            validate_domain_name(domain)
        except DjangoValidationError:
            invalid.append(raw)
            continue
        if domain not in cleaned:
            cleaned.append(domain)
    if invalid:
        raise ValidationFailed(details={"allowed_domains": [f"Not a domain name: {', '.join(invalid)}."]})
    return cleaned


def discover(issuer: str) -> dict[str, Any]:
    """The issuer's endpoints from its discovery document, fetched SSRF-safely. Raises SsoIssuerUnreachable or
    SsoIssuerInvalid (400, the reason under `details.issuer`)."""
    if not issuer.startswith("https://"):
        raise SsoIssuerInvalid(details={"issuer": ["The issuer must be an https URL."]})
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        document = _fetch_json(url)
    except url_safety.UrlFetchError as exc:
        raise SsoIssuerUnreachable(details={"issuer": [str(exc)], "reason": exc.reason}) from exc
    except ValueError as exc:
        raise SsoIssuerInvalid(details={"issuer": ["The discovery document is not a JSON object."]}) from exc
    missing = [name for name in REQUIRED_METADATA if not isinstance(document.get(name), str) or not document[name]]
    if missing:
        raise SsoIssuerInvalid(details={"issuer": [f"The discovery document lacks {', '.join(missing)}."]})
    if document["issuer"] != issuer:
        raise SsoIssuerInvalid(
            details={"issuer": [f"The discovery document names the issuer {document['issuer']!r}, not {issuer!r}."]}
        )
    if "code" not in document.get("response_types_supported", ["code"]):
        raise SsoIssuerInvalid(details={"issuer": ["The provider does not support the authorization-code flow."]})
    algorithms = document.get("id_token_signing_alg_values_supported", ["RS256"])
    if not isinstance(algorithms, list) or not set(map(str, algorithms)) & set(SIGNING_ALGORITHMS):
        raise SsoIssuerInvalid(details={"issuer": ["The provider signs ID tokens with no asymmetric algorithm."]})
    return {
        "issuer": document["issuer"],
        "authorization_endpoint": document["authorization_endpoint"],
        "token_endpoint": document["token_endpoint"],
        "jwks_uri": document["jwks_uri"],
        "id_token_signing_alg_values_supported": algorithms,
    }


def _fetch_json(url: str) -> dict[str, Any]:
    fetched = url_safety.fetch_to_tempfile(
        url, max_bytes=MAX_DOCUMENT_BYTES, timeout=HTTP_TIMEOUT_SECONDS, headers={"Accept": "application/json"}
    )
    with fetched.file as handle:
        document = json.loads(handle.read())
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


def save_config(
    *,
    actor: Principal,
    issuer: str,
    client_id: str,
    allowed_domains: list[str],
    default_role: str,
    enforce: bool,
    client_secret: str | None = None,
) -> TenantSso:
    """Create or replace the current tenant's SSO configuration after checking the issuer's discovery document.
    `client_secret` may be omitted on a change (the stored one is kept), not on creation."""
    if default_role == Role.OWNER:
        raise ValidationFailed(details={"default_role": ["Members created by SSO are never owners."]})
    domains = normalize_domains(allowed_domains)
    if not domains:
        raise ValidationFailed(details={"allowed_domains": ["Name at least one email domain."]})
    existing = TenantSso.objects.first()
    if not client_secret and (existing is None or not existing.client_secret):
        raise ValidationFailed(details={"client_secret": ["Required when single sign-on is first configured."]})
    metadata = discover(issuer)  # outside the transaction: a slow provider holds no lock
    with transaction.atomic():
        config = TenantSso.objects.select_for_update().first() or TenantSso()
        created = config._state.adding
        before = _snapshot(config)
        config.issuer = issuer
        config.client_id = client_id
        if client_secret:
            config.client_secret = client_secret
        config.allowed_domains = domains
        config.default_role = default_role
        config.enforce = enforce
        config.provider_metadata = metadata
        config.metadata_fetched_at = timezone.now()
        config.save()
        after = _snapshot(config)
        changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        if client_secret:
            changes["client_secret"] = "changed"
        audit.record("tenant.sso_configured" if created else "tenant.sso_updated", config, actor=actor, changes=changes)
    return config


def _snapshot(config: TenantSso) -> dict[str, Any]:
    return {
        "issuer": config.issuer,
        "client_id": config.client_id,
        "allowed_domains": list(config.allowed_domains),
        "default_role": config.default_role,
        "enforce": config.enforce,
    }


@transaction.atomic
def delete_config(*, actor: Principal) -> None:
    """Remove the tenant's SSO: password login applies again to everyone; links (issuer, sub) are kept."""
    config = TenantSso.objects.select_for_update().first()
    if config is None:
        raise SsoNotConfigured()
    audit.record("tenant.sso_deleted", config, actor=actor, changes=_snapshot(config))
    config.delete()


def refresh_metadata(config: TenantSso) -> TenantSso:
    """Re-read the discovery document (the provider moved an endpoint); for the admin."""
    config.provider_metadata = discover(config.issuer)
    config.metadata_fetched_at = timezone.now()
    config.save(update_fields=["provider_metadata", "metadata_fetched_at", "updated_at"])
    return config


# --- sign-in: start ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SsoStart:
    auth_url: str
    state: str
    expires_at: datetime
    tenant: Tenant


def callback_url() -> str:
    """The redirect URI to register with the identity provider."""
    return signed_state.callback_url("auth-sso-callback")


def _client(config: TenantSso, **kwargs: Any):
    # Imported here: the module warns on import (Authlib deprecates plain httpx for httpx2), which would print on
    # every manage.py command and worker start; only SSO sign-ins load it.
    from authlib.integrations.httpx_client import OAuth2Client

    return OAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scope=SCOPE,
        redirect_uri=callback_url(),
        code_challenge_method="S256",
        trust_env=False,
        follow_redirects=False,
        timeout=HTTP_TIMEOUT_SECONDS,
        **kwargs,
    )


def resolve_tenant(*, alias: str = "", email: str = "") -> tuple[Tenant, TenantSso]:
    """The tenant to sign in to: by alias, else the one tenant whose SSO allows the email's domain."""
    with tenancy.platform_access():
        if alias:
            tenant = Tenant.objects.filter(slug=alias.strip().lower()).first()
            configs = list(TenantSso.all_tenants.filter(tenant=tenant)) if tenant else []
        else:
            domain = email.strip().lower().rpartition("@")[2]
            configs = [c for c in TenantSso.all_tenants.select_related("tenant") if domain in c.allowed_domains]
            if len(configs) > 1:
                raise SsoTenantAmbiguous()
            tenant = configs[0].tenant if configs else None
    if tenant is None or not configs:
        raise SsoNotConfigured()
    if not tenant.is_usable:
        raise TenantInactive()
    return tenant, configs[0]


def start_sign_in(*, alias: str = "", email: str = "") -> SsoStart:
    """The identity provider's authorization URL (code flow, PKCE S256, state, nonce) for the resolved tenant."""
    tenant, config = resolve_tenant(alias=alias, email=email)
    issued = signed_state.issue({"t": str(tenant.pk)}, salt=STATE_SALT)
    oidc_nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    expires_at = timezone.now() + STATE_MAX_AGE
    with tenancy.tenant_context(tenant):
        SsoLoginState.objects.create(
            state_nonce=issued.nonce, oidc_nonce=oidc_nonce, code_verifier=verifier, expires_at=expires_at
        )
    extra = {"login_hint": email} if email else {}
    with _client(config) as client:
        auth_url, _state = client.create_authorization_url(
            config.provider_metadata["authorization_endpoint"],
            state=issued.token,
            nonce=oidc_nonce,
            code_verifier=verifier,
            **extra,
        )
    return SsoStart(auth_url=auth_url, state=issued.token, expires_at=expires_at, tenant=tenant)


# --- sign-in: callback ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedIdentity:
    issuer: str
    subject: str
    email: str
    first_name: str
    last_name: str


def complete_sign_in(*, state: str, code: str, error: str = "", user_agent: str = "") -> tokens.TokenPair:
    """Finish an SSO sign-in (see the module docstring); every refusal creates nothing."""
    try:
        payload = signed_state.verify(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except (signed_state.StateInvalid, signed_state.StateExpired) as exc:
        raise SsoStateInvalid(str(exc)) from None
    with tenancy.platform_access():
        tenant = Tenant.objects.filter(pk=payload.get("t")).first()
    if tenant is None:
        raise SsoStateInvalid()
    if not tenant.is_usable:
        raise TenantInactive()
    with tenancy.tenant_context(tenant):
        login_state = _consume_state(payload["x"])
        config = TenantSso.objects.first()
        if config is None:
            raise SsoNotConfigured()
        if error:
            raise SsoProviderError(details={"error": [error]})
        if not code:
            raise SsoProviderError(details={"code": ["The provider sent no authorization code."]})
        identity = _verified_identity(config, code=code, login_state=login_state)
        membership = _member_for(config, identity)
        from tenants.services.auth import SSO_METHOD, sign_in_member  # auth imports nothing of sso: one-way edge

        return sign_in_member(membership, method=SSO_METHOD, user_agent=user_agent, changes={"issuer": identity.issuer})


def _consume_state(state_nonce: str) -> SsoLoginState:
    """Mark the started sign-in used, once (a conditional UPDATE: two racing callbacks cannot both win)."""
    now = timezone.now()
    taken = SsoLoginState.objects.filter(state_nonce=state_nonce, consumed_at__isnull=True, expires_at__gt=now).update(
        consumed_at=now, updated_at=now
    )
    if not taken:
        raise SsoStateInvalid()
    return SsoLoginState.objects.get(state_nonce=state_nonce)


def purge_login_states(*, older_than: timedelta = STATE_RETENTION) -> int:
    """Forget started sign-ins older than `older_than`, across tenants (a platform job); returns how many."""
    with tenancy.platform_access():
        deleted, _ = SsoLoginState.all_tenants.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def _verified_identity(config: TenantSso, *, code: str, login_state: SsoLoginState) -> VerifiedIdentity:
    metadata = config.provider_metadata
    token = _exchange_code(config, code=code, code_verifier=login_state.code_verifier)
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoProviderError(details={"idToken": ["The token response has no ID token."]})
    algorithms = [alg for alg in metadata.get("id_token_signing_alg_values_supported", []) if alg in SIGNING_ALGORITHMS]
    try:
        keys = KeySet.import_key_set(_fetch_json(metadata["jwks_uri"]))
    except (url_safety.UrlFetchError, ValueError, JoseError) as exc:
        logger.warning("sso jwks unavailable", extra={"tenant_id": str(config.tenant_id), "error": str(exc)})
        raise SsoProviderError(details={"jwks": ["The provider's signing keys could not be read."]}) from exc
    try:
        decoded = jwt.decode(id_token, keys, registry=JWSRegistry(algorithms=algorithms or ["RS256"]))
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": config.issuer},
                "aud": {"essential": True, "value": config.client_id},
            },
            params={
                "nonce": login_state.oidc_nonce,
                "client_id": config.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        logger.info("sso id token refused", extra={"tenant_id": str(config.tenant_id), "error": repr(exc)})
        raise SsoTokenInvalid(details={"idToken": [str(exc) or type(exc).__name__]}) from exc
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise SsoEmailNotVerified()
    if email.rpartition("@")[2] not in config.allowed_domains:
        raise SsoDomainNotAllowed(details={"email": [email.rpartition("@")[2]]})
    return VerifiedIdentity(
        issuer=config.issuer,
        subject=str(claims["sub"]),
        email=email,
        first_name=str(claims.get("given_name") or "")[:100],
        last_name=str(claims.get("family_name") or "")[:100],
    )


def _exchange_code(config: TenantSso, *, code: str, code_verifier: str) -> dict[str, Any]:
    """POST the code to the token endpoint through a connection pinned to its checked public address."""
    endpoint = config.provider_metadata["token_endpoint"]
    try:
        checked = url_safety.check_url(endpoint)
        with _client(config, transport=url_safety.PinnedTransport(checked)) as client:
            return dict(client.fetch_token(endpoint, code=code, code_verifier=code_verifier))
    except url_safety.UrlFetchError as exc:
        raise SsoProviderError(details={"tokenEndpoint": [str(exc)]}) from exc
    except (AuthlibBaseError, httpx.HTTPError, ValueError) as exc:
        logger.info("sso code exchange failed", extra={"tenant_id": str(config.tenant_id), "error": repr(exc)})
        raise SsoProviderError(details={"code": ["The provider refused the authorization code."]}) from exc


def _member_for(config: TenantSso, identity: VerifiedIdentity) -> Membership:
    """The membership to sign in, creating the user, the link and the membership as the rules allow."""
    try:
        with transaction.atomic():
            return _link_and_admit(config, identity)
    except IntegrityError:
        # A concurrent first sign-in of the same person created the user, link or membership: use theirs.
        with transaction.atomic():
            return _link_and_admit(config, identity)


def _link_and_admit(config: TenantSso, identity: VerifiedIdentity) -> Membership:
    tenant = tenancy.require_current_tenant()
    link = SsoIdentity.objects.select_related("user").filter(issuer=identity.issuer, subject=identity.subject).first()
    user = link.user if link else User.objects.filter(email=identity.email).first()
    if user is not None and not user.is_active:
        raise AccountDisabled()
    if user is not None and (user.is_staff or user.is_superuser):
        raise SsoAccountNotAllowed()  # a tenant's provider never vouches for platform staff
    membership = Membership.objects.select_related("tenant", "user").filter(user=user).first() if user else None
    if membership is None and link is not None:
        raise SsoMemberRemoved()
    if membership is None and user is not None:
        # Found by email only, and not one of ours: the tenant's provider (which its admins control) may not take
        # over an account someone made elsewhere. Once invited and accepted, the email links it.
        raise SsoAccountExists()
    if membership is not None and not membership.is_active:
        raise MembershipInactive()
    new_user = user is None
    if new_user:
        user = User.objects.create_user(
            identity.email,
            None,  # no password: this person signs in through the identity provider
            first_name=identity.first_name,
            last_name=identity.last_name,
            email_verified_at=timezone.now(),
        )
    elif user.email_verified_at is None:
        User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    if link is None:
        link = SsoIdentity.objects.create(
            user=user, issuer=identity.issuer, subject=identity.subject, email=identity.email
        )
        audit.record(
            "auth.sso_linked",
            link,
            actor=None,
            actor_user=user,
            changes={"issuer": identity.issuer, "subject": identity.subject, "email": identity.email},
        )
    SsoIdentity.objects.filter(pk=link.pk).update(email=identity.email, last_login_at=timezone.now())
    if membership is None:
        membership = _admit(config, user, tenant=tenant, new_user=new_user)
    return membership


def _admit(config: TenantSso, user: User, *, tenant: Tenant, new_user: bool) -> Membership:
    """Just-in-time membership with the configured default role, in the default team; the user limit applies."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # serialises the user-limit check
    limit = tenant.limits.get("users")
    if limit is not None and Membership.objects.filter(is_active=True).count() >= limit:
        raise UserLimitReached(details={"limit": limit})
    membership = Membership.objects.create(user=user, role=config.default_role)
    default_team = Team.objects.filter(is_default=True).first()
    if default_team is not None:
        TeamMember.objects.get_or_create(team=default_team, user=user)
    audit.record(
        "member.sso_provisioned",
        membership,
        actor=None,
        actor_user=user,
        changes={"email": user.email, "role": config.default_role, "new_user": new_user},
    )
    membership.tenant = tenant
    membership.user = user
    return membership
