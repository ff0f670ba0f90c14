"""Posts, comments and replies: create (with the board's rules), edit (history kept), status changes (approve,
hide, delete), pins. Every count changes with an `F()` update in the same transaction as the change that
causes it, so concurrent writers never lose one.

Counts hold published content only: a post's board, its author and, for comments and replies, their parents
count a row while (and only while) it is `published`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from community import access, errors, events
from community.html import clean_text, plain_text, sanitise, short_text
from community.models import (
    Board,
    Comment,
    ContentStatus,
    Member,
    Post,
    Reply,
    Revision,
    RolePermission,
    TargetType,
)
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

# Which statuses each action moves from, per action.
ALLOWED_FROM = {
    "approve": {ContentStatus.PENDING, ContentStatus.HIDDEN},
    "hide": {ContentStatus.PENDING, ContentStatus.PUBLISHED},
    "delete": {ContentStatus.PENDING, ContentStatus.PUBLISHED, ContentStatus.HIDDEN},
}


def _bump(model: type[Model], pk, **deltas: int) -> None:
    updates = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if updates:
        model.objects.filter(pk=pk).update(**updates)


def _text_fields(raw: str) -> dict[str, str]:
    content = sanitise(raw)
    text = clean_text(content)
    if not text and "<img" not in content:
        raise ValidationFailed(details={"content": ["Nothing is left after removing disallowed HTML."]})
    return {"content": content, "clean_text": text, "short_text": short_text(text)}


def _headline(raw: str) -> str:
    headline = plain_text(raw, field="headline")
    if not headline:
        raise ValidationFailed(details={"headline": ["A headline needs some text."]})
    return headline


def _author_for(actor: Principal, author: Member | None) -> Member:
    """The acting member writes as themself (community managers may name another author); staff and keys must
    name the author (seed: `authors`)."""
    member = access.acting_member(actor)
    if member is not None and (author is None or author == member):
        return member
    if member is not None and not access.can(actor, RolePermission.COMMUNITY_MANAGE):
        raise errors.CommunityPermissionDenied("Only community managers may write as another member.")
    if author is None:
        raise ValidationFailed(details={"author": ["Name the author (a member id) or act as a member."]})
    access.require_active(author)
    return author


def apply_published_delta(obj: Post | Comment | Reply, delta: int) -> None:
    """Apply a +1/-1 change in `obj`'s published state to every count that includes it."""
    if not delta:
        return
    if isinstance(obj, Post):
        _bump(Board, obj.board_id, post_count=delta)
        _bump(Member, obj.author_id, post_count=delta)
    elif isinstance(obj, Comment):
        _bump(Post, obj.post_id, comment_count=delta)
        _bump(Member, obj.author_id, comment_count=delta)
    else:
        _bump(Comment, obj.comment_id, reply_count=delta)
        _bump(Post, obj.post_id, reply_count=delta)
        _bump(Member, obj.author_id, reply_count=delta)


def _published_delta(before: str, after: str) -> int:
    return int(after == ContentStatus.PUBLISHED) - int(before == ContentStatus.PUBLISHED)


def _audit(action: str, obj: Model, actor: Principal, changes: dict) -> None:
    audit.record(action, obj, actor=actor, actor_label=access.actor_label(actor), changes=changes)


def _require_readable(actor: Principal, board: Board) -> None:
    if not access.can_read_board(access.viewer_of(actor), board):
        raise errors.PostingNotAllowed(
            "Only members of this board may take part in it.", details={"rule": "boardMembersOnly"}
        )


@transaction.atomic
def create_post(board: Board, *, actor: Principal, headline: str, content: str, author: Member | None = None) -> Post:
    """A post in `board`, checked against the acting credential (seed); it waits for approval on a moderated
    board unless the actor moderates."""
    access.require_may_post(actor, board)
    writer = _author_for(actor, author)
    needs_approval = board.needs_approval and not access.can(actor, RolePermission.CONTENT_MODERATE)
    now = timezone.now()
    post = Post.objects.create(
        board=board,
        author=writer,
        headline=_headline(headline),
        status=ContentStatus.PENDING if needs_approval else ContentStatus.PUBLISHED,
        last_activity_at=now,
        **_text_fields(content),
    )
    if post.status == ContentStatus.PUBLISHED:
        apply_published_delta(post, +1)
        Board.objects.filter(pk=board.pk).update(last_posted_at=now)
    _audit("community.post.created", post, actor, {"board": str(board.pk), "status": post.status})
    events.emit(events.POST_CREATED, {"post": [events.post_entity(post)]}, tenant_id=post.tenant_id)
    return post


def _require_may_edit(actor: Principal, obj: Post | Comment | Reply) -> None:
    member = access.acting_member(actor)
    if member is not None and member.pk == obj.author_id:
        access.require_active(member)
        return
    access.require(actor, RolePermission.CONTENT_MODERATE)


def _record_revision(obj: Post | Comment | Reply, target_type: str, actor: Principal) -> None:
    Revision.objects.create(
        target_type=target_type,
        target_id=obj.pk,
        headline=getattr(obj, "headline", ""),
        content=obj.content,
        edited_by=access.actor_label(actor),
    )


@transaction.atomic
def update_post(
    post: Post, *, actor: Principal, headline: str | None = None, content: str | None = None, board: Board | None = None
) -> Post:
    """Edit by the author or a moderator; the previous text goes to the edit history."""
    post = Post.objects.select_for_update().select_related("author", "board").get(pk=post.pk)
    _require_may_edit(actor, post)
    if post.status == ContentStatus.DELETED:
        raise errors.InvalidContentState("A deleted post cannot be edited.")
    _record_revision(post, TargetType.POST, actor)
    changes = {}
    if headline is not None:
        changes["headline"] = [post.headline, _headline(headline)]
        post.headline = changes["headline"][1]
    if content is not None:
        for name, value in _text_fields(content).items():
            setattr(post, name, value)
        changes["content"] = "edited"
    if board is not None and board.pk != post.board_id:
        access.require_may_post(actor, board)
        if post.status == ContentStatus.PUBLISHED:
            _bump(Board, post.board_id, post_count=-1)
            _bump(Board, board.pk, post_count=+1)
        changes["board"] = [str(post.board_id), str(board.pk)]
        post.board = board
    post.edited_at = timezone.now()
    post.save()
    _audit("community.post.updated", post, actor, changes)
    return post


def _transition(obj, action: str, actor: Principal, *, moderated: bool = True):
    model = type(obj)
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if moderated:
        access.require(actor, RolePermission.CONTENT_MODERATE)
    else:
        _require_may_edit(actor, obj)
    if obj.status not in ALLOWED_FROM[action]:
        raise errors.InvalidContentState(details={"status": obj.status, "action": action})
    before = obj.status
    obj.status = {"approve": ContentStatus.PUBLISHED, "hide": ContentStatus.HIDDEN, "delete": ContentStatus.DELETED}[
        action
    ]
    obj.save(update_fields=["status", "updated_at"])
    apply_published_delta(obj, _published_delta(before, obj.status))
    _audit(f"community.{model.__name__.lower()}.{action}", obj, actor, {"status": [before, obj.status]})
    return obj, before


@transaction.atomic
def approve_post(post: Post, *, actor: Principal) -> Post:
    """Publish a pending post (or restore a hidden one)."""
    post, before = _transition(post, "approve", actor)
    if before == ContentStatus.PENDING:
        Board.objects.filter(pk=post.board_id).update(last_posted_at=timezone.now())
        post = Post.objects.select_related("author").get(pk=post.pk)
        events.emit(events.POST_APPROVED, {"post": [events.post_entity(post)]}, tenant_id=post.tenant_id)
    return post


@transaction.atomic
def hide_post(post: Post, *, actor: Principal) -> Post:
    return _transition(post, "hide", actor)[0]


@transaction.atomic
def delete_post(post: Post, *, actor: Principal) -> None:
    """Soft delete by the author or a moderator: the post leaves every list and count."""
    _transition(post, "delete", actor, moderated=False)


@transaction.atomic
def set_pinned(post: Post, *, actor: Principal, pinned: bool) -> Post:
    access.require(actor, RolePermission.CONTENT_MODERATE)
    if pinned and post.status != ContentStatus.PUBLISHED:
        raise errors.InvalidContentState("Only a published post can be pinned.")
    post.pinned_at = timezone.now() if pinned else None
    post.save(update_fields=["pinned_at", "updated_at"])
    _audit("community.post.pinned" if pinned else "community.post.unpinned", post, actor, {})
    return post


def record_view(post: Post) -> None:
    _bump(Post, post.pk, view_count=1)


@transaction.atomic
def create_comment(post: Post, *, actor: Principal, content: str, author: Member | None = None) -> Comment:
    access.require(actor, RolePermission.COMMENT_CREATE)
    _require_readable(actor, post.board)
    if post.status != ContentStatus.PUBLISHED:
        raise errors.InvalidContentState("Comments go on published posts only.")
    writer = _author_for(actor, author)
    comment = Comment.objects.create(post=post, author=writer, **_text_fields(content))
    apply_published_delta(comment, +1)
    Post.objects.filter(pk=post.pk).update(last_activity_at=comment.created_at)
    _audit("community.comment.created", comment, actor, {"post": str(post.pk)})
    events.emit(events.COMMENT_CREATED, {"comment": [events.comment_entity(comment)]}, tenant_id=comment.tenant_id)
    return comment


@transaction.atomic
def create_reply(comment: Comment, *, actor: Principal, content: str, author: Member | None = None) -> Reply:
    access.require(actor, RolePermission.COMMENT_CREATE)
    post = comment.post
    _require_readable(actor, post.board)
    if comment.status != ContentStatus.PUBLISHED or post.status != ContentStatus.PUBLISHED:
        raise errors.InvalidContentState("Replies go on published comments of published posts only.")
    writer = _author_for(actor, author)
    reply = Reply.objects.create(comment=comment, post=post, author=writer, **_text_fields(content))
    apply_published_delta(reply, +1)
    Post.objects.filter(pk=post.pk).update(last_activity_at=reply.created_at)
    _audit("community.reply.created", reply, actor, {"comment": str(comment.pk)})
    events.emit(events.REPLY_CREATED, {"reply": [events.reply_entity(reply)]}, tenant_id=reply.tenant_id)
    return reply


@transaction.atomic
def update_text(obj: Comment | Reply, *, actor: Principal, content: str) -> Comment | Reply:
    """Edit a comment or reply (author or moderator); the previous text goes to the edit history."""
    obj = type(obj).objects.select_for_update().select_related("author").get(pk=obj.pk)
    _require_may_edit(actor, obj)
    if obj.status == ContentStatus.DELETED:
        raise errors.InvalidContentState("Deleted content cannot be edited.")
    _record_revision(obj, TargetType.COMMENT if isinstance(obj, Comment) else TargetType.REPLY, actor)
    for name, value in _text_fields(content).items():
        setattr(obj, name, value)
    obj.edited_at = timezone.now()
    obj.save()
    _audit(f"community.{type(obj).__name__.lower()}.updated", obj, actor, {"content": "edited"})
    return obj


@transaction.atomic
def moderate(obj: Comment | Reply, *, actor: Principal, action: str) -> Comment | Reply:
    """`approve` (restore), `hide` or `delete` a comment or reply."""
    return _transition(obj, action, actor, moderated=action != "delete")[0]
