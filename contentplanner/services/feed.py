"""The post feed: history written by every transition, system messages, and members' comments with @mentions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from contentplanner.models import FeedItem, FeedItemType, Post
from core import audit
from core.auth import Principal
from core.notify import notify
from tenants import selectors as tenant_selectors

MENTION_PATTERN = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[0-9a-fA-F-]{32,36})")


def add_history(
    post: Post, key: str, *, actor: AbstractBaseUser | None = None, message: str = "", data: dict | None = None
) -> FeedItem:
    """Append a HISTORY entry (`key`: created, submitted, approved, ...) to the post's feed."""
    return FeedItem.objects.create(
        post=post, type=FeedItemType.HISTORY, key=key, actor=actor, message=message, data=data or {}
    )


def add_system_message(post: Post, key: str, *, message: str, data: dict | None = None) -> FeedItem:
    """Append a SYSTEMMESSAGE (e.g. a failure explained to the user); no actor."""
    return FeedItem.objects.create(
        post=post, type=FeedItemType.SYSTEMMESSAGE, key=key, message=message, data=data or {}
    )


def add_comment(post: Post, *, actor: Principal, message: str, mentions: Iterable[str] = ()) -> FeedItem:
    """Add a COMMENT. Members mentioned (in `mentions` or as `@email`/`@user-id` in the text) are notified."""
    user = actor.user
    mentioned = resolve_mentions([*mentions, *MENTION_PATTERN.findall(message)])
    mentioned = [member for member in mentioned if user is None or member.pk != user.pk]
    with transaction.atomic():
        item = FeedItem.objects.create(
            post=post,
            type=FeedItemType.COMMENT,
            actor=user,
            message=message,
            data={"mentions": [str(member.pk) for member in mentioned]},
        )
        audit.record("cp.post.comment", post, actor=actor, changes={"feedItem": str(item.pk)})
        if mentioned:
            author = user.email if user else "Someone"
            notify(
                "contentplanner.comment.mentioned",
                to=[member.email for member in mentioned],
                subject=f"{author} mentioned you on a post",
                body=f"{author} wrote on post {post.pk}:\n\n{message}",
                tenant_id=post.tenant_id,
                data={"postId": str(post.pk), "feedItemId": str(item.pk), "author": author},
            )
    return item


def resolve_mentions(references: Iterable[str]) -> list[AbstractBaseUser]:
    """Active members of the current tenant named by email (case-insensitive) or user id; unknown ones are ignored."""
    emails, ids = set(), set()
    for ref in references:
        ref = str(ref).strip()
        if "@" in ref:
            emails.add(ref.lower())
        else:
            try:
                ids.add(uuid.UUID(ref))
            except ValueError:
                continue
    if not emails and not ids:
        return []
    memberships = tenant_selectors.active_members()
    users = {}
    for membership in memberships.filter(user__email__in=emails) if emails else []:
        users[membership.user.pk] = membership.user
    for membership in memberships.filter(user_id__in=ids) if ids else []:
        users[membership.user.pk] = membership.user
    return sorted(users.values(), key=lambda user: user.email)
