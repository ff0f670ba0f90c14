"""Shared dashboard links: a read-only, expiring, revocable URL for clients without an account.

The token is a signed random secret (contentplanner's secret links); only its digest is stored. The link pins the
channels it shows at creation (the dashboard's, else the creator's), so what a client sees never grows with later
channels or with another member's rights, and it exposes only the dashboard's own metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics import metrics
from analytics.errors import SharedLinkInvalid
from analytics.models import Dashboard, SharedLink
from contentplanner.services import secret_links
from core import audit, tenancy
from core.auth import Principal
from core.errors import InvalidState, ValidationFailed

SALT = "analytics.shared-dashboard"
DEFAULT_LIFETIME = timedelta(days=30)
MAX_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class CreatedLink:
    link: SharedLink
    url: str


def link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/public/dashboards/{token}"


def _check_expiry(expires_at: datetime) -> None:
    now = timezone.now()
    if expires_at <= now or expires_at > now + MAX_LIFETIME:
        raise ValidationFailed(details={"expiresAt": ["Must be in the future, at most 365 days ahead."]})


def create_link(
    dashboard: Dashboard, *, actor: Principal, name: str, expires_at: datetime | None = None
) -> CreatedLink:
    """A new link to `dashboard`; the token is in the returned URL only."""
    expires_at = expires_at or timezone.now() + DEFAULT_LIFETIME
    _check_expiry(expires_at)
    scope = metrics.scope_for(actor, dashboard.channel_ids or None, "UTC")
    token, digest = secret_links.issue(SALT)
    with transaction.atomic():
        link = SharedLink.objects.create(
            dashboard=dashboard,
            name=name,
            token_digest=digest,
            channel_ids=[str(i) for i in scope.ids],
            expires_at=expires_at,
            created_by=actor.user,
        )
        audit.record("analytics.shared_link.create", link, actor=actor, changes={"dashboard": str(dashboard.pk)})
    return CreatedLink(link=link, url=link_url(token))


def update_link(link: SharedLink, *, actor: Principal, name: str | None = None, expires_at=None) -> SharedLink:
    if link.revoked_at is not None:
        raise InvalidState("A revoked link cannot be changed.")
    if expires_at is not None:
        _check_expiry(expires_at)
        link.expires_at = expires_at
    if name is not None:
        link.name = name
    with transaction.atomic():
        link.save(update_fields=["name", "expires_at", "updated_at"])
        audit.record("analytics.shared_link.update", link, actor=actor, changes={"expiresAt": str(link.expires_at)})
    return link


def revoke_link(link: SharedLink, *, actor: Principal) -> SharedLink:
    """Stop the link at once (kept for the audit trail); revoking twice is a no-op."""
    if link.revoked_at is None:
        with transaction.atomic():
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at", "updated_at"])
            audit.record("analytics.shared_link.revoke", link, actor=actor)
    return link


def open_link(token: str) -> SharedLink:
    """The usable link `token` names (with its tenant and dashboard), or SHARED_LINK_INVALID for a forged,
    unknown, revoked or expired one, or one whose tenant is not usable."""
    digest = secret_links.digest_of_token(token, SALT)
    if digest is None:
        raise SharedLinkInvalid()
    with tenancy.platform_access():
        link = SharedLink.all_tenants.select_related("tenant", "dashboard").filter(token_digest=digest).first()
    if link is None or not link.is_usable or not link.tenant.is_usable:
        raise SharedLinkInvalid()
    return link


def mark_used(link: SharedLink) -> None:
    SharedLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
