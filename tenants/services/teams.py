"""Writes for teams and their members (seed 002 batch add/remove with per-item results)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from core import audit, tenancy
from core.auth import Principal
from tenants import errors
from tenants.errors import DefaultTeamUndeletable, TeamNameTaken
from tenants.models import Membership, Team, TeamMember
from tenants.services.workspaces import require_feature


@dataclass
class BatchResult:
    """Per-item outcome of a batch: `successful` items carry the team member, `failed` ones a reason and code."""

    successful: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "total": len(self.successful) + len(self.failed),
            "successful": len(self.successful),
            "failed": len(self.failed),
        }

    def fail(self, item: dict[str, Any], code: str, reason: str) -> None:
        self.failed.append({"input": item, "code": code, "reason": reason})


def _ensure_name_free(name: str, *, exclude: Team | None = None) -> None:
    clash = Team.objects.annotate(lname=Lower("name")).filter(lname=name.lower())
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise TeamNameTaken(details={"name": ["A team with this name already exists."]})


def _save_checking_name(team: Team) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise TeamNameTaken(details={"name": ["A team with this name already exists."]}) from exc


@transaction.atomic
def create_team(*, actor: Principal | None, name: str, description: str = "") -> Team:
    """Create a team in the current tenant (plan feature `teams`; names unique case-insensitively)."""
    require_feature(tenancy.require_current_tenant(), "teams")
    _ensure_name_free(name)
    team = Team(name=name, description=description)
    _save_checking_name(team)
    audit.record("team.created", team, actor=actor, changes={"name": name, "description": description})
    return team


@transaction.atomic
def update_team(
    team: Team, *, actor: Principal | None, name: str | None = None, description: str | None = None
) -> Team:
    """Rename or describe a team."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = {"name": team.name, "description": team.description}
    if name is not None and name != team.name:
        _ensure_name_free(name, exclude=team)
        team.name = name
    if description is not None:
        team.description = description
    changes = audit.diff(before, {"name": team.name, "description": team.description})
    if changes:
        _save_checking_name(team)
        audit.record("team.updated", team, actor=actor, changes=changes)
    return team


@transaction.atomic
def delete_team(team: Team, *, actor: Principal | None) -> None:
    """Delete a team and its memberships (not the users, not the channels). The default team stays (409)."""
    if team.is_default:
        raise DefaultTeamUndeletable()
    member_count = TeamMember.objects.filter(team=team).count()
    audit.record("team.deleted", team, actor=actor, changes={"name": team.name, "member_count": member_count})
    team.delete()


def _item_key(item: dict[str, Any]) -> tuple[str, str]:
    if item.get("user_id") is not None:
        return "user_id", str(item["user_id"])
    return "external_user_id", str(item["external_user_id"])


def _wire_input(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the client sent it (snake_case here; the renderer camelizes it)."""
    return {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in item.items()}


@transaction.atomic
def add_team_members(team: Team, *, actor: Principal | None, members: list[dict[str, Any]]) -> BatchResult:
    """Add members of the tenant to a team, each by `user_id` or `external_user_id` with a team role.

    Items fail individually (not a member of the tenant, already in the team, repeated in the request); the
    others are written. A fixed number of queries whatever the batch size."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    user_ids = [item["user_id"] for item in members if item.get("user_id") is not None]
    external_ids = [item["external_user_id"] for item in members if item.get("external_user_id") is not None]
    memberships = Membership.objects.filter(
        Q(user_id__in=user_ids) | Q(external_user_id__in=external_ids), is_active=True
    )
    by_user = {}
    by_external = {}
    for membership in memberships:
        by_user[str(membership.user_id)] = membership
        if membership.external_user_id:
            by_external[membership.external_user_id] = membership
    already = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    result = BatchResult()
    to_create: list[tuple[dict[str, Any], TeamMember]] = []
    seen: set = set()
    for item in members:
        kind, value = _item_key(item)
        membership = (by_user if kind == "user_id" else by_external).get(value)
        wire = _wire_input(item)
        if membership is None:
            result.fail(wire, errors.NOT_A_MEMBER, "No member of this tenant has this id.")
        elif membership.user_id in seen:
            result.fail(wire, errors.DUPLICATE_IN_REQUEST, "This user appears more than once in the request.")
        elif membership.user_id in already:
            result.fail(wire, errors.ALREADY_IN_TEAM, "This user is already a member of the team.")
        else:
            seen.add(membership.user_id)
            member = TeamMember(tenant_id=team.tenant_id, team=team, user_id=membership.user_id, role=item["role"])
            to_create.append((wire, member))
    created = TeamMember.objects.bulk_create([member for _, member in to_create])
    for (wire, _), member in zip(to_create, created, strict=True):
        result.successful.append({"input": wire, "team_member": member})
    if created:
        audit.record(
            "team.members_added",
            team,
            actor=actor,
            changes={"members": [{"user_id": str(m.user_id), "role": m.role} for m in created]},
        )
    return result


@transaction.atomic
def remove_team_members(
    team: Team,
    *,
    actor: Principal | None,
    user_ids: list[uuid.UUID] | None = None,
    external_user_ids: list[str] | None = None,
) -> BatchResult:
    """Remove users from a team by user id or external user id; unknown ones fail individually."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    user_ids, external_user_ids = user_ids or [], external_user_ids or []
    external_to_user = dict(
        Membership.objects.filter(external_user_id__in=external_user_ids).values_list("external_user_id", "user_id")
    )
    current = {
        member.user_id: member
        for member in TeamMember.objects.filter(team=team).filter(user_id__in=[*user_ids, *external_to_user.values()])
    }
    result = BatchResult()
    to_delete: list = []
    requested = [({"user_id": str(uid)}, uid) for uid in user_ids]
    requested += [({"external_user_id": ext}, external_to_user.get(ext)) for ext in external_user_ids]
    for wire, user_id in requested:
        member = current.get(user_id)
        if member is None:
            result.fail(wire, errors.NOT_IN_TEAM, "This user is not a member of the team.")
        elif member.pk in to_delete:
            result.fail(wire, errors.DUPLICATE_IN_REQUEST, "This user appears more than once in the request.")
        else:
            to_delete.append(member.pk)
            result.successful.append({"input": wire, "team_member": member})
    if to_delete:
        TeamMember.objects.filter(pk__in=to_delete).delete()
        audit.record(
            "team.members_removed",
            team,
            actor=actor,
            changes={"user_ids": [str(row["team_member"].user_id) for row in result.successful]},
        )
    return result
