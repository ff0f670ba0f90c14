"""Connecting channels: OAuth connect (authorize URL with a signed state) and its callback, WordPress sites.

The callback is public (the browser returns from the network without our credential): the signed state says which
tenant and user it acts for, and the tenant context is entered from it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlparse, urlsplit, urlunsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core import audit, signed_state, tenancy
from core.auth import Principal
from core.errors import DomainError, InvalidState, PermissionDenied, ValidationFailed
from core.signed_state import ConnectStart
from social import oauth_state
from social.errors import NetworkNotConfigured, NetworkNotConnectable, NetworkUnavailable, OAuthStateInvalid
from social.models import Channel, ChannelNetwork, ConnectGrant
from social.models.channels import CONNECTABLE_NETWORKS
from social.networks import catalog
from social.networks.base import (
    AuthExpired,
    AuthorizeRequest,
    ConnectedAccount,
    InvalidContent,
    NetworkError,
    NotFound,
    PermissionMissing,
    TokenSet,
)
from social.networks.registry import UnknownNetwork, get_adapter
from social.oauth_state import StatePayload
from social.services.channels import ensure_channel_capacity, upsert_connected_accounts
from tenants import selectors as tenant_selectors
from tenants.roles import permissions_for_role
from tenants.services.verification import require_verified_email

if TYPE_CHECKING:
    from tenants.models import Team, Tenant

logger = logging.getLogger(__name__)

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
GRANT_MAX_AGE = timedelta(minutes=15)


@dataclass(frozen=True)
class CallbackOutcome:
    redirect_url: str
    channels: list[Channel]
    error_code: str = ""


def callback_url(network: str) -> str:
    """The redirect URI registered with the networks: our public callback."""
    return signed_state.callback_url("social-oauth-callback", network=network)


def validate_redirect_uri(uri: str) -> str:
    """Where the browser goes after the callback: https (or http on localhost for development); when
    settings.OAUTH_ALLOWED_REDIRECT_HOSTS is set, only those hosts."""
    parsed = urlparse(uri)
    host = (parsed.hostname or "").lower()
    if not host or parsed.scheme not in {"https", "http"} or (parsed.scheme == "http" and host not in LOCAL_HOSTS):
        raise ValidationFailed(details={"redirectUri": ["An https URL (http only for localhost) is required."]})
    allowed = settings.OAUTH_ALLOWED_REDIRECT_HOSTS
    if allowed and host not in {h.lower() for h in allowed}:
        raise ValidationFailed(details={"redirectUri": ["This host is not allowed."]})
    return uri


def _adapter_for(network: str):
    if network not in CONNECTABLE_NETWORKS:
        raise NetworkNotConnectable(details={"network": [f"{network!r} is not connected with OAuth."]})
    try:
        return get_adapter(network)
    except (UnknownNetwork, ImportError):
        raise NetworkNotConnectable(details={"network": [f"{network!r} is not available."]}) from None


def start_connect(
    *,
    actor: Principal,
    network: str,
    redirect_uri: str,
    team: Team | None = None,
    channel: Channel | None = None,
    choose: bool = False,
) -> ConnectStart:
    """The network's authorize URL with our signed, single-use state (PKCE where the network supports it).
    `channel` binds the grant to a reconnect of that channel; `choose` lets the user pick which of the grant's
    accounts become channels (`choose_accounts`) instead of connecting all of them."""
    if choose and actor.user is None:
        raise ValidationFailed(details={"choose": ["Choosing accounts needs a signed-in member, not an API key."]})
    tenant = tenancy.require_current_tenant()
    adapter = _adapter_for(network)
    if network != ChannelNetwork.SANDBOX:  # the offline sandbox reaches no one: open for evaluation at once
        require_verified_email(actor, "connectChannel")
    missing = catalog.missing_settings(network)
    if missing:
        # Never send the user to the network with an empty client_id: they would only see its error page.
        raise NetworkNotConfigured(
            f"{network} is not configured on this installation: an operator must set {' and '.join(missing)}.",
            details={"network": network, "missingSettings": list(missing)},
        )
    validate_redirect_uri(redirect_uri)
    if channel is None:
        ensure_channel_capacity(1)
    issued = oauth_state.issue_state(
        tenant_id=tenant.pk,
        user_id=actor.user.pk if actor.user else None,
        network=network,
        redirect_uri=redirect_uri,
        team_id=team.pk if team else None,
        channel_id=channel.pk if channel else None,
        pkce=bool(getattr(adapter, "uses_pkce", False)),
        choose=choose and channel is None,
    )
    auth_url = adapter.authorize_url(
        AuthorizeRequest(redirect_uri=callback_url(network), state=issued.state, code_challenge=issued.code_challenge)
    )
    audit.record(
        "channel.connect_started",
        channel,
        object_type="" if channel else "social.channel",
        changes={"network": network, "reconnect": channel is not None},
        actor=actor,
    )
    return ConnectStart(auth_url=auth_url, state=issued.state, expires_at=issued.expires_at)


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _principal_for(tenant: Tenant, user_id: str | None) -> Principal:
    """The connecting user, still an active member allowed to manage channels (a role may change in 10 min)."""
    membership = (
        tenant_selectors.members().filter(user_id=user_id, is_active=True, user__is_active=True).first()
        if user_id
        else None
    )
    if membership is None:
        raise PermissionDenied("The user who started connecting is no longer a member.")
    permissions = permissions_for_role(membership.role, membership.custom_permissions)
    if "social.channel.manage" not in permissions:
        raise PermissionDenied()
    return Principal(
        tenant=tenant,
        permissions=permissions,
        kind="user",
        user=membership.user,
        membership=membership,
        role=membership.role,
    )


def handle_callback(
    *, network: str, params: dict[str, str], finish: Callable[..., CallbackOutcome] | None = None
) -> CallbackOutcome:
    """Finish a connect. Raises OAuthStateInvalid only when the state is not ours (the redirect URI cannot be
    trusted then); every other refusal redirects the browser with `status=error&code=...` and creates nothing.
    `finish` turns the accepted code into what was connected (channels by default; the bit.ly account)."""
    payload = oauth_state.read_signed(params.get("state", ""))

    def fail(code: str) -> CallbackOutcome:
        return CallbackOutcome(
            redirect_url=with_query(payload.redirect_uri, status="error", code=code), channels=[], error_code=code
        )

    tenant = tenant_selectors.tenant_by_id(payload.tenant_id)
    if tenant is None:
        raise OAuthStateInvalid()
    if not tenant.is_usable:
        return fail("TENANT_INACTIVE")
    with tenancy.tenant_context(tenant):
        try:
            oauth_state.verify_state(params.get("state", ""), network=network)
            row = oauth_state.consume_state(payload)
        except OAuthStateInvalid as exc:
            logger.info("oauth callback refused", extra={"network": network, "code": exc.code})
            return fail(exc.code)
        if params.get("error"):
            # The user said no on the network's consent screen (access_denied), or the network refused.
            audit.record(
                "channel.connect_refused",
                object_type="social.channel",
                changes={"network": network, "error": params["error"]},
                actor=None,
                actor_user=row.user,
            )
            return fail("ACCESS_DENIED" if params["error"] == "access_denied" else "NETWORK_REFUSED")
        if not params.get("code"):
            return fail("CODE_MISSING")
        try:
            principal = _principal_for(tenant, payload.user_id)
        except PermissionDenied as exc:
            return fail(exc.code)
    # The callback request has no credential: act (and audit) as the user who started connecting.
    with tenancy.acting_as(principal):
        return (finish or _finish)(
            network=network,
            code=params["code"],
            payload=payload,
            verifier=row.code_verifier,
            fail=fail,
            actor=principal,
        )


def _finish(
    *,
    network: str,
    code: str,
    payload: StatePayload,
    verifier: str,
    fail: Callable[[str], CallbackOutcome],
    actor: Principal,
) -> CallbackOutcome:
    adapter = _adapter_for(network)
    try:
        accounts = adapter.exchange_code(code=code, redirect_uri=callback_url(network), code_verifier=verifier)
    except NetworkError as exc:
        logger.warning(
            "oauth code exchange failed", extra={"network": network, "code": exc.code, "detail": exc.message}
        )
        return fail(exc.code)
    if not accounts:
        return fail("NO_ACCOUNTS")
    team = tenant_selectors.teams().filter(pk=payload.team_id).first() if payload.team_id else None
    reconnect = Channel.objects.filter(pk=payload.channel_id).first() if payload.channel_id else None
    if payload.channel_id and reconnect is None:
        return fail("NOT_FOUND")
    if payload.choose and reconnect is None:
        grant = ConnectGrant.objects.create(
            network=network,
            user=actor.user,
            team=team,
            accounts=_dump_accounts(accounts),
            expires_at=timezone.now() + GRANT_MAX_AGE,
        )
        url = with_query(payload.redirect_uri, status="choose", grantId=str(grant.pk))
        return CallbackOutcome(redirect_url=url, channels=[])
    try:
        channels = upsert_connected_accounts(accounts, actor=actor, team=team, only_channel=reconnect)
    except DomainError as exc:
        return fail(exc.code)
    url = with_query(payload.redirect_uri, status="connected", channelIds=",".join(str(c.pk) for c in channels))
    return CallbackOutcome(redirect_url=url, channels=channels)


# --- choosing which of a grant's accounts become channels ---------------------------------------------------------
def _dump_accounts(accounts: list[ConnectedAccount]) -> str:
    return json.dumps([asdict(account) for account in accounts], cls=DjangoJSONEncoder)


def grant_accounts(grant: ConnectGrant) -> list[ConnectedAccount]:
    """The accounts a grant reaches, tokens included (never show those)."""
    accounts = []
    for data in json.loads(grant.accounts):
        tokens = data.pop("tokens")
        if tokens:
            tokens = TokenSet(
                **{
                    **tokens,
                    "expires_at": parse_datetime(tokens["expires_at"] or ""),
                    "scopes": tuple(tokens["scopes"]),
                }
            )
        accounts.append(ConnectedAccount(**data, tokens=tokens))
    return accounts


@transaction.atomic
def choose_accounts(grant: ConnectGrant, *, actor: Principal, external_ids: list[str]) -> list[Channel]:
    """Connect the chosen accounts of `grant` (the caller's own, open one) as channels; the grant is used up. A
    choice that does not fit the plan writes nothing and leaves the grant open to choose fewer."""
    offered = {account.external_id: account for account in grant_accounts(grant)}
    unknown = sorted(set(external_ids) - set(offered))
    if unknown:
        raise ValidationFailed(details={"externalIds": [f"Not in this grant: {', '.join(unknown)}."]})
    now = timezone.now()
    taken = ConnectGrant.objects.filter(
        pk=grant.pk, user=actor.user, consumed_at__isnull=True, expires_at__gt=now
    ).update(consumed_at=now, updated_at=now)
    if not taken:  # used meanwhile (another tab) or just expired
        raise InvalidState("This choice was already made or has expired; connect again.")
    chosen = [offered[external_id] for external_id in dict.fromkeys(external_ids)]
    return upsert_connected_accounts(chosen, actor=actor, team=grant.team)


def connect_wordpress(
    *, actor: Principal, site_url: str, username: str, application_password: str, team: Team | None = None
) -> list[Channel]:
    """Connect a WordPress site with an application password (no OAuth). The adapter verifies the credentials
    against the site (and refuses private/internal addresses); the password is stored encrypted as the token.
    Reconnecting the same site updates the existing channel."""
    require_verified_email(actor, "connectChannel")
    adapter_class = type(get_adapter(ChannelNetwork.WORDPRESS))
    try:
        account = adapter_class.connect_with_application_password(site_url, username, application_password)
    except (AuthExpired, NotFound) as exc:
        raise ValidationFailed(
            "The site refused these credentials.", details={"applicationPassword": [exc.message]}
        ) from None
    except PermissionMissing as exc:
        raise ValidationFailed("This user cannot publish.", details={"username": [exc.message]}) from None
    except InvalidContent as exc:
        raise ValidationFailed("This site cannot be used.", details={"siteUrl": [exc.message]}) from None
    except NetworkError as exc:
        raise NetworkUnavailable(details={"networkCode": exc.code}) from None
    return upsert_connected_accounts([account], actor=actor, team=team)
