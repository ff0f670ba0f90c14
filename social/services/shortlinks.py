"""Short links: create (own /s/<code> or the tenant's bit.ly), delete, and the public click counter.

Codes are 7 random base62 characters (62^7 ~ 3.5e12), globally unique; a collision (with any tenant's code) is
retried with a new code. The tenant setting `shortenerMode` (OFF | GENERIC | OWN, default GENERIC) decides who
shortens: OWN uses the tenant's bit.ly account (`BitlyAccount`); OFF only stops posts from shortening their links
automatically, an explicit API call still creates a Hubbub link. The plan feature `linkShortener` is required.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import audit, signed_state, tenancy
from core.auth import Principal
from core.errors import PermissionDenied, ValidationFailed
from core.signed_state import ConnectStart
from social import oauth_state
from social.errors import NetworkNotConfigured, ShortenerNotConfigured, ShortenerUnavailable
from social.models import BitlyAccount, ShortLink, ShortLinkProvider
from social.services import oauth
from social.shorteners import bitly
from tenants.services import workspaces

# `lookup(principal, post_id) -> bool`: whether the id names a post the principal may see. The content planner
# registers it (this app cannot import the planner); with none registered, no post id is accepted.
PostLookup = Callable[[Principal, uuid.UUID], bool]
_post_lookups: list[PostLookup] = []

logger = logging.getLogger(__name__)


def register_post_lookup(lookup: PostLookup) -> PostLookup:
    """Register the check of a short link's `postId` (idempotent)."""
    if lookup not in _post_lookups:
        _post_lookups.append(lookup)
    return lookup


def post_exists_for(principal: Principal, post_id: uuid.UUID) -> bool:
    return any(lookup(principal, post_id) for lookup in _post_lookups)


CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7
MAX_CODE_ATTEMPTS = 5
MAX_URL_LENGTH = 2000


def require_link_shortener() -> None:
    """403 FEATURE_NOT_AVAILABLE unless the current tenant's plan includes the link shortener."""
    workspaces.require_feature(tenancy.require_current_tenant(), "linkShortener")


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def validate_target_url(url: str) -> str:
    """An absolute http(s) URL that is not itself one of our short links (that would chain redirects)."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(details={"url": [f"At most {MAX_URL_LENGTH} characters."]})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise ValidationFailed(details={"url": ["Enter a valid http or https URL."]}) from None
    if url.startswith(f"{settings.PUBLIC_BASE_URL}/s/"):
        raise ValidationFailed(details={"url": ["This is already a short link."]})
    return url


def shortener_mode(tenant) -> str:
    return str((tenant.settings or {}).get("shortener_mode", "GENERIC")).upper()


def create_short_link(url: str, *, actor: Principal, title: str = "", post_id: uuid.UUID | None = None) -> ShortLink:
    """Shorten `url` for the current tenant (see module docstring for OWN mode). Returns the saved link."""
    require_link_shortener()
    url = validate_target_url(url)
    tenant = tenancy.require_current_tenant()
    external = ""
    provider = ShortLinkProvider.HUBBUB
    if shortener_mode(tenant) == "OWN":
        account = BitlyAccount.objects.first()
        if account is None:
            raise ShortenerNotConfigured()
        try:
            external = bitly.shorten(url, access_token=account.access_token, group_guid=account.group_guid)
        except bitly.BitlyError as exc:
            raise ShortenerUnavailable(details={"provider": "bitly", "reason": str(exc)}) from exc
        provider = ShortLinkProvider.BITLY
    with transaction.atomic():
        link = _insert_with_fresh_code(
            target_url=url,
            title=title,
            created_by=actor.user,
            post_id=post_id,
            provider=provider,
            external_short_url=external,
        )
        audit.record(
            "shortlink.created", link, changes={"code": link.code, "url": url, "provider": provider}, actor=actor
        )
    return link


# --- the tenant's own bit.ly account, connected with OAuth ---------------------------------------------------------
BITLY = "bitly"  # the provider name in OAuth states


def bitly_callback_url() -> str:
    return signed_state.callback_url("shortlink-bitly-callback")


def start_bitly_connect(*, actor: Principal, redirect_uri: str) -> ConnectStart:
    """bit.ly's authorize URL with our signed, single-use state; the callback stores the account's token."""
    missing = [f"BITLY_{key.upper()}" for key, value in settings.BITLY_APP.items() if not value]
    if missing:
        raise NetworkNotConfigured(
            f"bit.ly is not configured on this installation: an operator must set {' and '.join(missing)}.",
            details={"network": BITLY, "missingSettings": missing},
        )
    if actor.user is None:  # the callback acts as the member who consented in the browser
        raise PermissionDenied("Connecting bit.ly needs a signed-in member, not an API key.")
    oauth.validate_redirect_uri(redirect_uri)
    issued = oauth_state.issue_state(
        tenant_id=tenancy.require_current_tenant().pk, user_id=actor.user.pk, network=BITLY, redirect_uri=redirect_uri
    )
    audit.record("shortlink.bitly_connect_started", object_type="social.bitlyaccount", actor=actor)
    auth_url = bitly.authorize_url(redirect_uri=bitly_callback_url(), state=issued.state)
    return ConnectStart(auth_url=auth_url, state=issued.state, expires_at=issued.expires_at)


def handle_bitly_callback(params: dict[str, str]) -> oauth.CallbackOutcome:
    return oauth.handle_callback(network=BITLY, params=params, finish=_finish_bitly_connect)


def _finish_bitly_connect(*, code: str, payload, fail, actor: Principal, **kwargs) -> oauth.CallbackOutcome:
    try:
        token, group_guid = bitly.exchange_code(code=code, redirect_uri=bitly_callback_url())
    except bitly.BitlyError as exc:
        logger.warning("bit.ly code exchange failed", extra={"status": exc.status_code, "detail": str(exc)})
        return fail("NETWORK_REFUSED")
    set_bitly_account(actor=actor, access_token=token, group_guid=group_guid)
    return oauth.CallbackOutcome(redirect_url=oauth.with_query(payload.redirect_uri, status="connected"), channels=[])


@transaction.atomic
def set_bitly_account(*, actor: Principal, access_token: str, group_guid: str = "") -> BitlyAccount:
    """Store (or replace) the current tenant's bit.ly token, used when its shortener mode is OWN."""
    account = BitlyAccount.objects.select_for_update().first() or BitlyAccount()
    account.access_token = access_token
    account.group_guid = group_guid
    account.connected_by = actor.user
    account.save()
    audit.record("shortlink.bitly_connected", account, changes={"groupGuid": group_guid}, actor=actor)
    return account


@transaction.atomic
def remove_bitly_account(*, actor: Principal) -> bool:
    """Forget the current tenant's bit.ly token; True if there was one."""
    account = BitlyAccount.objects.first()
    if account is None:
        return False
    audit.record("shortlink.bitly_disconnected", account, actor=actor)
    account.delete()
    return True


def _insert_with_fresh_code(**fields) -> ShortLink:
    for attempt in range(MAX_CODE_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: a collision must not break the outer transaction
                return ShortLink.objects.create(code=generate_code(), **fields)
        except IntegrityError:
            if attempt == MAX_CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def delete_short_link(link: ShortLink, *, actor: Principal) -> None:
    """Delete the link: `/s/<code>` answers 404 from now on."""
    audit.record("shortlink.deleted", link, changes={"code": link.code, "url": link.target_url}, actor=actor)
    link.delete()


def record_click(code: str) -> str | None:
    """Count one click on `code` (any tenant: the public redirect has no credential) and return the target URL.

    One atomic `UPDATE ... SET click_count = click_count + 1 ... RETURNING target_url` (PostgreSQL and SQLite >= 3.35),
    so concurrent clicks are never lost and the redirect costs a single statement. None for an unknown code.
    """
    if not code or len(code) > ShortLink._meta.get_field("code").max_length:
        return None
    table = connection.ops.quote_name(ShortLink._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # One statement in autocommit: atomic on its own, one round trip (no BEGIN/COMMIT around it).
    sql = f"UPDATE {table} SET click_count = click_count + 1, last_clicked_at = %s WHERE code = %s"
    if connection.vendor == "postgresql":
        # A click counter may lose its last fraction of a second if the database server crashes; waiting for the
        # WAL flush on every redirect would instead cost several milliseconds per click. Set for this statement's
        # own (implicit) transaction, inside the statement, so it costs no round trip of its own.
        sql += " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
    with tenancy.platform_access(), connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING target_url", [now, code])
        row = cursor.fetchone()
    return row[0] if row else None


def peek_target(code: str) -> str | None:
    """The target of `code` without counting a click (HEAD requests, link-preview probes)."""
    with tenancy.platform_access():
        return ShortLink.all_tenants.filter(code=code).values_list("target_url", flat=True).first()
