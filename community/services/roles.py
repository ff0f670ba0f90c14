"""Community roles: the three defaults (Admin, Moderator, Member) and custom ones."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from community import access, errors
from community.models import Board, CommunitySettings, Member, Role, RoleKind, RolePermission
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed


def _clean_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(RolePermission.values))
    if unknown:
        raise ValidationFailed(details={"permissions": [f"Unknown permissions: {', '.join(unknown)}."]})
    return sorted(set(permissions))


def _save(role: Role) -> None:
    try:
        with transaction.atomic():
            role.save()
    except IntegrityError as exc:
        raise errors.RoleNameTaken() from exc


@transaction.atomic
def create_role(*, actor: Principal, name: str, description: str = "", permissions: list[str]) -> Role:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    role = Role(name=name, description=description, kind=RoleKind.CUSTOM, permissions=_clean_permissions(permissions))
    _save(role)
    audit.record(
        "community.role.created",
        role,
        actor=actor,
        actor_label=access.actor_label(actor),
        changes={"name": name, "permissions": role.permissions},
    )
    return role


@transaction.atomic
def update_role(
    role: Role,
    *,
    actor: Principal,
    name: str | None = None,
    description: str | None = None,
    permissions: list[str] | None = None,
) -> Role:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    before = {"name": role.name, "description": role.description, "permissions": role.permissions}
    if name is not None and name != role.name:
        if role.is_default:
            raise errors.DefaultRoleLocked()
        role.name = name
    if description is not None:
        role.description = description
    if permissions is not None:
        if role.kind == RoleKind.ADMIN:
            raise errors.DefaultRoleLocked("The Admin role always holds every permission.")
        role.permissions = _clean_permissions(permissions)
    _save(role)
    after = {"name": role.name, "description": role.description, "permissions": role.permissions}
    audit.record(
        "community.role.updated",
        role,
        actor=actor,
        actor_label=access.actor_label(actor),
        changes=audit.diff(before, after),
    )
    return role


@transaction.atomic
def delete_role(role: Role, *, actor: Principal) -> None:
    access.require(actor, RolePermission.COMMUNITY_MANAGE)
    if role.is_default:
        raise errors.DefaultRoleLocked()
    in_use = (
        Member.objects.filter(role=role).exists()
        or Board.posting_roles.through.objects.filter(role_id=role.pk).exists()
        or CommunitySettings.objects.filter(default_role=role).exists()
    )
    if in_use:
        raise errors.RoleInUse()
    audit.record(
        "community.role.deleted", role, actor=actor, actor_label=access.actor_label(actor), changes={"name": role.name}
    )
    role.delete()
