"""Ad account upkeep: rename/assign a team, remove (with its connection data), per-member permissions, sync now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ads.models import AdAccount, AdAccountPermission, AdConnection, AdPermissionLevel
from ads.services.access import require
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed
from tenants import selectors as tenant_selectors
from tenants.models import Team, User


@dataclass(frozen=True)
class Removal:
    ad_account_id: str
    deleted_connections: int
    deleted_ad_account: bool


@transaction.atomic
def update_account(
    account: AdAccount, *, actor: Principal, name: str | None = None, team: Team | None = None, clear_team: bool = False
) -> AdAccount:
    require(actor, account, AdPermissionLevel.ADMIN)
    before = {"name": account.name, "team": str(account.team_id or "")}
    if name is not None:
        account.name = name
    if team is not None or clear_team:
        account.team = team
    account.save(update_fields=["name", "team", "updated_at"])
    audit.record(
        "ads.account_updated",
        account,
        changes=audit.diff(before, {"name": account.name, "team": str(account.team_id or "")}),
        actor=actor,
    )
    return account


@transaction.atomic
def remove_account(account: AdAccount, *, actor: Principal) -> Removal:
    """Delete the account, its mirror, insights, lead forms and grants; delete its connection (the encrypted
    token) when no other account of this tenant uses it. Nothing is changed at the platform."""
    require(actor, account, AdPermissionLevel.ADMIN)
    connection_id = account.connection_id
    account_id = str(account.pk)
    audit.record("ads.account_removed", account, changes={"externalId": account.external_id}, actor=actor)
    account.delete()
    deleted_connections = 0
    if connection_id and not AdAccount.objects.filter(connection_id=connection_id).exists():
        deleted_connections, _ = AdConnection.objects.filter(pk=connection_id).delete()
    return Removal(ad_account_id=account_id, deleted_connections=deleted_connections, deleted_ad_account=True)


def member_user(user_id) -> User:
    membership = tenant_selectors.members().filter(user_id=user_id, is_active=True).first()
    if membership is None:
        raise ValidationFailed(details={"userId": [f"Unknown member: {user_id}."]})
    return membership.user


@transaction.atomic
def grant_permission(account: AdAccount, *, actor: Principal, user: User, permission: str) -> AdAccountPermission:
    """Give or change a member's permission on the account (idempotent)."""
    require(actor, account, AdPermissionLevel.ADMIN)
    grant, created = AdAccountPermission.objects.select_for_update().get_or_create(
        ad_account=account, user=user, defaults={"permission": permission}
    )
    previous = None if created else grant.permission
    if not created and grant.permission != permission:
        grant.permission = permission
        grant.save(update_fields=["permission", "updated_at"])
    audit.record(
        "ads.permission_granted",
        account,
        changes={"userId": str(user.pk), "permission": [previous, permission]},
        actor=actor,
    )
    return grant


@transaction.atomic
def revoke_permission(account: AdAccount, *, actor: Principal, user: User) -> bool:
    require(actor, account, AdPermissionLevel.ADMIN)
    deleted, _ = AdAccountPermission.objects.filter(ad_account=account, user=user).delete()
    if deleted:
        audit.record("ads.permission_revoked", account, changes={"userId": str(user.pk)}, actor=actor)
    return bool(deleted)


def request_sync(account: AdAccount, *, actor: Principal, full: bool = False) -> None:
    """Queue a sync of the account after commit (queue `sync`)."""
    from ads import tasks

    require(actor, account, AdPermissionLevel.MANAGER)
    audit.record("ads.sync_requested", account, changes={"full": full}, actor=actor)
    transaction.on_commit(
        lambda: tasks.sync_ad_account.delay(account_id=str(account.pk), tenant_id=str(account.tenant_id), full=full)
    )
