"""Staff impersonation ("mask", seed 004): platform staff act as a member from the admin, for a limited time,
read-only unless they hold `tenants.impersonate_write`. Start and end are audit-logged in the tenant's log and in
the staff user's admin history; every request of the session carries the impersonator (token claim `imp`, /me, and
the audit log's caller name). An impersonation never changes the member's password, TOTP or API keys."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import PermissionDenied
from tenants import tokens
from tenants.errors import ImpersonationRestricted
from tenants.models import AuthSession, Membership, User


def refuse_if_impersonating(actor: Principal | None, what: str) -> None:
    """403 IMPERSONATION_RESTRICTED: credentials (password, TOTP, API keys) are the member's own business."""
    if actor is not None and actor.claims.get("imp"):
        raise ImpersonationRestricted(f"{what} cannot be changed while impersonating.")


def _staff_history(staff_user: User, obj, message: str) -> None:
    LogEntry.objects.log_actions(staff_user.pk, [obj], CHANGE, change_message=message, single_object=True)


@transaction.atomic
def start_impersonation(
    membership: Membership, *, staff_user: User, minutes: int | None = None, user_agent: str = ""
) -> tokens.TokenPair:
    """Tokens acting as `membership`'s user in its tenant, ending after `minutes` (IMPERSONATION_MINUTES)."""
    if not (staff_user.is_active and staff_user.is_staff and staff_user.has_perm("tenants.impersonate")):
        raise PermissionDenied("You may not impersonate members.")
    user = membership.user
    if user.pk == staff_user.pk or user.is_superuser:
        raise PermissionDenied("Staff cannot impersonate themselves or a superuser.")
    if not (membership.is_active and user.is_active and membership.tenant.is_usable):
        raise PermissionDenied("This member cannot sign in to this tenant.")
    read_only = not staff_user.has_perm("tenants.impersonate_write")
    expires_at = timezone.now() + timedelta(minutes=minutes or settings.IMPERSONATION_MINUTES)
    pair = tokens.start_session(
        membership, user_agent=user_agent, impersonator=staff_user, expires_at=expires_at, read_only=read_only
    )
    with tenancy.tenant_context(membership.tenant):
        audit.record(
            "impersonation.started",
            pair.session,
            actor=None,
            actor_user=staff_user,
            tenant=membership.tenant,
            changes={"user": user.email, "readOnly": read_only, "expiresAt": expires_at.isoformat()},
        )
    mode = "read-only" if read_only else "with write access"
    _staff_history(staff_user, membership, f"Impersonated {user.email} {mode} until {expires_at.isoformat()}.")
    return pair


@transaction.atomic
def end_impersonation(session: AuthSession, *, staff_user: User) -> bool:
    """End an impersonation session now (its tokens stop working at once). False when it had already ended."""
    if session.impersonator_id is None:
        raise PermissionDenied("This is not an impersonation session.")
    if not session.is_active:
        return False
    tokens.revoke_session(session, reason="impersonation_ended")
    with tenancy.tenant_context(session.tenant):
        audit.record(
            "impersonation.ended",
            session,
            actor=None,
            actor_user=staff_user,
            tenant=session.tenant,
            changes={"user": session.user.email},
        )
    _staff_history(staff_user, session.membership, f"Ended the impersonation of {session.user.email}.")
    return True
