"""Community reads, scoped to what the viewer may see, with their joins done here."""

from __future__ import annotations

import uuid

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from community.access import Viewer, readable_boards_q, visible_boards_q
from community.models import (
    Board,
    Comment,
    ContentStatus,
    Member,
    MemberStatus,
    Post,
    Reaction,
    Reply,
    Report,
    Revision,
    Role,
    Tag,
    TagMapping,
    TagRefType,
    TargetType,
)

MEMBER_SORTS = {"id": ("id",), "joined": ("created_at", "id"), "name": (Lower("username"), "id")}


def roles() -> QuerySet[Role]:
    return Role.objects.order_by("created_at", "id")


def boards_for(viewer: Viewer) -> QuerySet[Board]:
    pinned = Prefetch(
        "posts",
        queryset=Post.objects.filter(pinned_at__isnull=False, status=ContentStatus.PUBLISHED)
        .only("id", "board_id", "pinned_at")
        .order_by("-pinned_at"),
        to_attr="pinned",
    )
    return (
        Board.objects.filter(visible_boards_q(viewer))
        .prefetch_related("posting_roles", pinned)
        .order_by("display_order", "created_at", "id")
    )


def members(*, status: str | None = MemberStatus.ACTIVE, search: str = "", sort_by: str = "id", order: str = "desc"):
    queryset = Member.objects.select_related("role")
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__iexact=search)
        )
    expressions = [F(key) if isinstance(key, str) else key for key in MEMBER_SORTS[sort_by]]
    return queryset.order_by(*[expr.desc() if order == "desc" else expr.asc() for expr in expressions])


def all_members() -> QuerySet[Member]:
    return Member.objects.select_related("role").order_by("-created_at", "-id")


def _content_visible_q(viewer: Viewer) -> Q:
    """Published content for everyone; pending content for its author; pending and hidden for moderators."""
    if viewer.sees_all:
        return Q(status__in=[ContentStatus.PUBLISHED, ContentStatus.PENDING, ContentStatus.HIDDEN])
    visible = Q(status=ContentStatus.PUBLISHED)
    if viewer.member is not None:
        visible |= Q(status=ContentStatus.PENDING, author_id=viewer.member.pk)
    return visible


def readable_board_ids(viewer: Viewer) -> QuerySet:
    return Board.objects.filter(readable_boards_q(viewer)).values("pk")


def posts_for(viewer: Viewer) -> QuerySet[Post]:
    queryset = Post.objects.filter(_content_visible_q(viewer)).select_related("author", "board")
    if not viewer.sees_all:
        queryset = queryset.filter(board_id__in=readable_board_ids(viewer))
    return queryset


def filter_posts(
    queryset: QuerySet[Post],
    *,
    board: uuid.UUID | None = None,
    author: uuid.UUID | None = None,
    tag: uuid.UUID | None = None,
    status: str | None = None,
) -> QuerySet[Post]:
    if board:
        queryset = queryset.filter(board_id=board)
    if author:
        queryset = queryset.filter(author_id=author)
    if status:
        queryset = queryset.filter(status=status)
    if tag:
        queryset = queryset.filter(
            Exists(TagMapping.objects.filter(tag_id=tag, ref_type=TagRefType.POST, ref_id=OuterRef("pk")))
        )
    return queryset


def comments_for(viewer: Viewer, post_id) -> QuerySet[Comment]:
    return any_comments_for(viewer).filter(post_id=post_id)


def any_comments_for(viewer: Viewer) -> QuerySet[Comment]:
    """Comments the viewer may read: visible themselves, on a post the viewer may read (a semi-join per row, so a
    page of one post's comments never evaluates every readable post)."""
    readable_post = posts_for(viewer).filter(pk=OuterRef("post_id"))
    return (
        Comment.objects.filter(_content_visible_q(viewer), Exists(readable_post))
        .select_related("author")
        .order_by("created_at", "id")
    )


def replies_for(viewer: Viewer, comment_id=None) -> QuerySet[Reply]:
    readable_comment = any_comments_for(viewer).filter(pk=OuterRef("comment_id"))
    queryset = Reply.objects.filter(_content_visible_q(viewer), Exists(readable_comment)).select_related("author")
    if comment_id is not None:
        queryset = queryset.filter(comment_id=comment_id)
    return queryset.order_by("created_at", "id")


def my_reactions(member_id, target_type: str, target_ids: list) -> dict[uuid.UUID, list[str]]:
    """{target id: [slots]} of one member, for the `myReactions` field of a page in one query."""
    found: dict[uuid.UUID, list[str]] = {}
    rows = Reaction.objects.filter(member_id=member_id, target_type=target_type, target_id__in=target_ids)
    for target_id, slot in rows.values_list("target_id", "slot").order_by("slot"):
        found.setdefault(target_id, []).append(slot)
    return found


def revisions(target_type: TargetType, target_id) -> QuerySet[Revision]:
    return Revision.objects.filter(target_type=target_type, target_id=target_id).order_by("-created_at", "-id")


def tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name", "id")


def tags_by_prefix(prefix: str) -> QuerySet[Tag]:
    """Prefix search on the hashtag name; the range condition lets the (tenant, name) index serve it."""
    prefix = prefix.strip().lstrip("#").lower()
    return Tag.objects.filter(name__gte=prefix, name__startswith=prefix).order_by("name", "id")


def tags_for_ref(ref_type: str, ref_id) -> QuerySet[Tag]:
    return Tag.objects.filter(mappings__ref_type=ref_type, mappings__ref_id=ref_id).order_by("name", "id")


def reports(*, status: str | None = None, target_type: str | None = None) -> QuerySet[Report]:
    queryset = Report.objects.select_related("reporter")
    if status:
        queryset = queryset.filter(status=status)
    if target_type:
        queryset = queryset.filter(target_type=target_type)
    return queryset.order_by("-created_at", "-id")
