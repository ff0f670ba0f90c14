"""The post feed: history written by every transition, system messages, and members' comments with @mentions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from contentplanner.models import FeedItem, FeedItemType, Post
from core import audit
from tenants.models import Membership, User

MENTION_PATTERN = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[0-9a-fA-F-]{32,36})")


def add_history(
    post: Post, key: str, *, actor: User | None = None, message: str = "", data: dict | None = None
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


def add_comment(post: Post, *, actor: User | None, message: str, mentions: Iterable[str] = ()) -> FeedItem:
    """Add a COMMENT. Members mentioned (in `mentions` or as `@email`/`@user-id` in the text) are emailed."""
    mentioned = resolve_mentions([*mentions, *MENTION_PATTERN.findall(message)])
    mentioned = [user for user in mentioned if actor is None or user.pk != actor.pk]
    with transaction.atomic():
        item = FeedItem.objects.create(
            post=post,
            type=FeedItemType.COMMENT,
            actor=actor,
            message=message,
            data={"mentions": [str(user.pk) for user in mentioned]},
        )
        audit.record("cp.post.comment", post, changes={"feedItem": str(item.pk)})
        if mentioned:
            recipients = [user.email for user in mentioned]
            author = actor.email if actor else "Someone"
            transaction.on_commit(
                lambda: send_mail(
                    subject=f"{author} mentioned you on a post",
                    message=f"{author} wrote on post {post.pk}:\n\n{message}",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=recipients,
                    fail_silently=True,
                )
            )
    return item


def resolve_mentions(references: Iterable[str]) -> list[User]:
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
    memberships = Membership.objects.filter(is_active=True).select_related("user")
    users = {}
    for membership in memberships.filter(user__email__in=emails) if emails else []:
        users[membership.user.pk] = membership.user
    for membership in memberships.filter(user_id__in=ids) if ids else []:
        users[membership.user.pk] = membership.user
    return sorted(users.values(), key=lambda user: user.email)
