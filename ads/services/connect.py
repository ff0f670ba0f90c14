"""Connecting an ad platform: the authorize URL with a signed, expiring, single-use state, and the callback that
exchanges the code and upserts every ad account the grant gives (token stored encrypted on the connection).

The callback is public (the browser returns without our credential): the signed state names the tenant and the
user, who must still be a member allowed to manage ad accounts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ads.errors import OAuthStateInvalid, PlatformNotConnectable
from ads.models import AdAccount, AdAccountStatus, AdConnection, AdOAuthState, AdPlatform
from ads.platforms import base as platform
from ads.platforms.registry import get_adapter
from core import audit, signed_state, tenancy
from core.auth import Principal
from core.errors import PermissionDenied
from core.signed_state import ConnectStart
from social.services.oauth import validate_redirect_uri, with_query
from tenants import selectors as tenant_selectors
from tenants.models import Team, Tenant
from tenants.roles import permissions_for_role

logger = logging.getLogger(__name__)

STATE_SALT = "ads.oauth.state"
STATE_MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class CallbackOutcome:
    redirect_url: str
    accounts: list[AdAccount]
    error_code: str = ""


def callback_url(platform_name: str) -> str:
    return signed_state.callback_url("ads-oauth-callback", platform=platform_name)


def start_connect(*, actor: Principal, platform_name: str, redirect_uri: str, team: Team | None = None) -> ConnectStart:
    """The platform's authorize URL (scopes ads_management, ads_read, business_management...) with our state."""
    if platform_name not in AdPlatform.values:
        raise PlatformNotConnectable(details={"platform": [f"{platform_name!r} is not an ad platform we connect."]})
    if actor.user is None:  # the callback acts as the member who consented in the browser
        raise PermissionDenied("Connecting an ad platform needs a signed-in member, not an API key.")
    validate_redirect_uri(redirect_uri)
    issued = signed_state.issue(
        {
            "t": str(actor.tenant.pk),
            "u": str(actor.user.pk) if actor.user else None,
            "tm": str(team.pk) if team else None,
            "p": platform_name,
            "r": redirect_uri,
        },
        salt=STATE_SALT,
    )
    expires_at = timezone.now() + STATE_MAX_AGE
    AdOAuthState.objects.create(nonce=issued.nonce, platform=platform_name, user=actor.user, expires_at=expires_at)
    auth_url = get_adapter(platform_name).authorize_url(redirect_uri=callback_url(platform_name), state=issued.token)
    audit.record("ads.connect_started", object_type="ads.adaccount", changes={"platform": platform_name}, actor=actor)
    return ConnectStart(auth_url=auth_url, state=issued.token, expires_at=expires_at)


def _principal_for(tenant: Tenant, user_id: str | None) -> Principal:
    membership = tenant_selectors.members().filter(user_id=user_id, is_active=True).first() if user_id else None
    if membership is None or not membership.user.is_active:
        raise PermissionDenied("The user who started connecting is no longer a member.")
    permissions = permissions_for_role(membership.role, membership.custom_permissions)
    if "ads.account.manage" not in permissions:
        raise PermissionDenied()
    return Principal(
        tenant=tenant,
        permissions=permissions,
        kind="user",
        user=membership.user,
        membership=membership,
        role=membership.role,
    )


def handle_callback(*, platform_name: str, params: dict[str, str]) -> CallbackOutcome:
    """Finish a connect. Raises OAuthStateInvalid only when the state is not ours (its redirect URI cannot be
    trusted); every other refusal sends the browser back with `status=error&code=...` and creates nothing."""
    try:
        payload = signed_state.read(params.get("state", ""), salt=STATE_SALT)
    except signed_state.StateInvalid:
        raise OAuthStateInvalid() from None

    def fail(code: str) -> CallbackOutcome:
        return CallbackOutcome(with_query(payload["r"], status="error", code=code), [], code)

    with tenancy.platform_access():
        tenant = Tenant.objects.filter(pk=payload.get("t")).first()
    if tenant is None:
        raise OAuthStateInvalid()
    if not tenant.is_usable:
        return fail("TENANT_INACTIVE")
    with tenancy.tenant_context(tenant):
        if payload.get("p") != platform_name:
            return fail("OAUTH_PLATFORM_MISMATCH")
        try:
            signed_state.verify(params["state"], salt=STATE_SALT, max_age=STATE_MAX_AGE)
        except signed_state.StateExpired:
            return fail("OAUTH_STATE_EXPIRED")
        code = _consume_nonce(payload["x"])
        if code:
            return fail(code)
        if params.get("error"):
            return fail("ACCESS_DENIED" if params["error"] == "access_denied" else "PLATFORM_REFUSED")
        if not params.get("code"):
            return fail("CODE_MISSING")
        try:
            principal = _principal_for(tenant, payload.get("u"))
        except PermissionDenied as exc:
            return fail(exc.code)
        with tenancy.acting_as(principal):
            try:
                grant = get_adapter(platform_name).exchange_code(
                    code=params["code"], redirect_uri=callback_url(platform_name)
                )
            except platform.PlatformError as exc:
                logger.warning("ads code exchange failed", extra={"platform": platform_name, "code": exc.code})
                return fail(exc.code)
            if not grant.accounts:
                return fail("NO_AD_ACCOUNTS")
            team = Team.objects.filter(pk=payload["tm"]).first() if payload.get("tm") else None
            accounts = save_grant(grant, platform_name=platform_name, actor=principal, team=team)
            _queue_first_sync(accounts)
    ids = ",".join(str(a.pk) for a in accounts)
    return CallbackOutcome(with_query(payload["r"], status="connected", adAccountIds=ids), accounts)


def _queue_first_sync(accounts: list[AdAccount]) -> None:
    from ads import tasks

    for account in accounts:
        transaction.on_commit(
            lambda account=account: tasks.sync_ad_account.delay(
                account_id=str(account.pk), tenant_id=str(account.tenant_id)
            )
        )


def _consume_nonce(nonce: str) -> str:
    """Mark the nonce used, once (a conditional UPDATE: two racing callbacks cannot both win); an error code or ''."""
    now = timezone.now()
    taken = AdOAuthState.objects.filter(nonce=nonce, consumed_at__isnull=True, expires_at__gt=now).update(
        consumed_at=now, updated_at=now
    )
    if taken:
        return ""
    row = AdOAuthState.objects.filter(nonce=nonce).first()
    if row is None:
        return "OAUTH_STATE_INVALID"
    return "OAUTH_STATE_EXPIRED" if row.consumed_at is None else "OAUTH_STATE_USED"


@transaction.atomic
def save_grant(grant: platform.Grant, *, platform_name: str, actor: Principal, team: Team | None) -> list[AdAccount]:
    """Upsert the connection (token encrypted) and one AdAccount per account the grant gives; a reconnect
    refreshes the token and revives accounts that needed it."""
    connection, _ = AdConnection.objects.update_or_create(
        platform=platform_name,
        external_user_id=grant.external_user_id,
        defaults={
            "access_token": grant.access_token,
            "token_expires_at": grant.expires_at,
            "scopes": list(grant.scopes),
            "connected_by": actor.user,
        },
    )
    accounts = []
    for remote in grant.accounts:
        defaults = {
            "connection": connection,
            "name": remote.name,
            "currency": remote.currency,
            "timezone_name": remote.timezone,
            "business_name": remote.business_name,
            "status": AdAccountStatus.ACTIVE if remote.status == "active" else AdAccountStatus.DISABLED,
        }
        account, created = AdAccount.objects.get_or_create(
            platform=platform_name, external_id=remote.external_id, defaults={**defaults, "team": team}
        )
        if not created:
            for field, value in defaults.items():
                setattr(account, field, value)
            account.save()
        audit.record(
            "ads.account_connected" if created else "ads.account_reconnected",
            account,
            changes={"platform": platform_name, "externalId": remote.external_id},
            actor=actor,
        )
        accounts.append(account)
    return accounts
