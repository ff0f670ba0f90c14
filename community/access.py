"""Who acts in the community, and what they may see and do.

A request acts either as a **member** (a member token, or a tenant API key with `X-Member-Id`) or as the tenant's
staff/integration (a staff JWT or an API key alone). Seed 003: permission checks are "evaluated against the API
user", so a member is checked against their community role and the board's rules, while staff and keys are
checked against their Hubbub permissions (`community.participate`, `community.moderate`, `community.manage`).
A read-only credential without a member sees what a guest sees.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from community import errors
from community.models import Board, BoardMember, BoardVisibility, Member, MemberStatus, RolePermission
from core.auth import Principal

if TYPE_CHECKING:
    from tenants.models import Tenant

MEMBER_CLAIM = "community_member"
MEMBER_KIND = "community_member"

# Staff and API keys: which Hubbub permission stands for a community role permission.
_STAFF_EQUIVALENT = {
    RolePermission.POST_CREATE: "community.participate",
    RolePermission.COMMENT_CREATE: "community.participate",
    RolePermission.REACT: "community.participate",
    RolePermission.CONTENT_MODERATE: "community.moderate",
    RolePermission.MEMBER_MODERATE: "community.moderate",
    RolePermission.COMMUNITY_MANAGE: "community.manage",
}


def member_principal(base: Principal, member: Member) -> Principal:
    """`base` (a key's principal, or a bare one for member tokens) acting as `member` with the member's role."""
    permissions = {"community.read", "community.participate"}
    if member.role.allows(RolePermission.CONTENT_MODERATE) or member.role.allows(RolePermission.MEMBER_MODERATE):
        permissions.add("community.moderate")
    if member.role.allows(RolePermission.COMMUNITY_MANAGE):
        permissions.add("community.manage")
    return replace(
        base,
        permissions=frozenset(permissions),
        kind=MEMBER_KIND,
        role=f"community:{member.role.name}",
        claims={**base.claims, MEMBER_CLAIM: member},
    )


def member_token_principal(tenant: Tenant, member: Member) -> Principal:
    """`member` acting with their own member token (or in the demo data): no Hubbub credential stands behind it."""
    return member_principal(Principal(tenant=tenant, permissions=frozenset(), kind=MEMBER_KIND), member)


def acting_member(actor: Principal | None) -> Member | None:
    if actor is None:
        return None
    return actor.claims.get(MEMBER_CLAIM)


def actor_label(actor: Principal) -> str:
    """The audit log's name for the actor: the member's handle when a member acts."""
    member = acting_member(actor)
    if member is not None:
        via = f" via {actor.label}" if actor.api_key is not None else ""
        return f"member:{member.handle}{via}"
    return actor.label


def can(actor: Principal, permission: str) -> bool:
    member = acting_member(actor)
    if member is not None:
        return member.status == MemberStatus.ACTIVE and member.role.allows(permission)
    return actor.has(_STAFF_EQUIVALENT[permission])


def require(actor: Principal, permission: str) -> None:
    """Refuse (403) unless the actor may `permission`; a member who is not active hears why."""
    member = acting_member(actor)
    if member is not None:
        require_active(member)
    if not can(actor, permission):
        raise errors.CommunityPermissionDenied(details={"requires": permission})


def require_active(member: Member) -> None:
    if member.status == MemberStatus.BANNED:
        raise errors.MemberBanned()
    if member.status != MemberStatus.ACTIVE:
        raise errors.MemberNotActive(details={"status": member.status})


def require_member(actor: Principal) -> Member:
    member = acting_member(actor)
    if member is None:
        raise errors.ActingMemberRequired()
    require_active(member)
    return member


@dataclass(frozen=True)
class Viewer:
    """What a read needs to know: the acting member (if any) and whether the actor moderates (sees everything)."""

    member: Member | None
    sees_all: bool

    @property
    def is_member(self) -> bool:
        return self.member is not None and self.member.status == MemberStatus.ACTIVE


def viewer_of(actor: Principal) -> Viewer:
    sees_all = can(actor, RolePermission.CONTENT_MODERATE) or can(actor, RolePermission.COMMUNITY_MANAGE)
    return Viewer(member=acting_member(actor), sees_all=sees_all)


def _is_board_member(viewer: Viewer, board_ref: str = "pk") -> Exists:
    return Exists(BoardMember.objects.filter(board_id=OuterRef(board_ref), member_id=viewer.member.pk))


def visible_boards_q(viewer: Viewer) -> Q:
    """Boards the viewer sees listed (seed `hidden_type`: everyone, logged-in members, board members)."""
    if viewer.sees_all:
        return Q()
    if not viewer.is_member:
        return Q(visibility=BoardVisibility.EVERYONE)
    return Q(visibility__in=[BoardVisibility.EVERYONE, BoardVisibility.MEMBERS]) | Q(_is_board_member(viewer))


def readable_boards_q(viewer: Viewer) -> Q:
    """Boards whose posts the viewer may read: visible, and for private boards only board members."""
    if viewer.sees_all:
        return Q()
    if not viewer.is_member:
        return Q(visibility=BoardVisibility.EVERYONE, is_private=False)
    return (Q(visibility__in=[BoardVisibility.EVERYONE, BoardVisibility.MEMBERS]) & Q(is_private=False)) | Q(
        _is_board_member(viewer)
    )


def can_read_board(viewer: Viewer, board: Board) -> bool:
    return Board.objects.filter(readable_boards_q(viewer), pk=board.pk).exists()


def require_may_post(actor: Principal, board: Board) -> None:
    """The board's rules for the acting member (403 naming the rule); staff and keys need `post.create` only."""
    require(actor, RolePermission.POST_CREATE)
    member = acting_member(actor)
    if member is None or can(actor, RolePermission.COMMUNITY_MANAGE):
        return
    viewer = viewer_of(actor)
    if not can_read_board(viewer, board):
        raise errors.PostingNotAllowed(
            "Only members of this board may post in it.", details={"rule": "boardMembersOnly", "board": str(board.pk)}
        )
    allowed = list(board.posting_roles.all())
    if allowed and member.role_id not in {role.pk for role in allowed}:
        raise errors.PostingNotAllowed(
            "Your role may not post in this board.",
            details={"rule": "postingRoles", "allowedRoles": [role.name for role in allowed]},
        )
