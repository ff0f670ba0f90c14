"""The community's outgoing events, in one place: names, payloads, and the hand-off to outgoing webhooks.

Payloads follow seed 003: `{event, jobId, entities: {<type>: [objects]}}`, one list per entity type even for a
single object. Services call `emit()` inside their transaction; the event is handed over only after commit
(a rolled-back change announces nothing).

Delivery belongs to the notifications app's outgoing webhooks (`notifications.services.webhooks.emit`: Standard
Webhooks signing, retries, log, replay); the community builds no second sender. The `community.*` names belong to
event types registered in `core.extensions` (`register_webhook_event_types`), so an endpoint subscribes to one of
them or to `community.*`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from djangorestframework_camel_case.util import camelize

from community.models import Comment, Member, Post, Reaction, Reply
from notifications.services import webhooks

MEMBER_JOINED = "community.member.joined"
MEMBER_UPDATED = "community.member.updated"
POST_CREATED = "community.post.created"
POST_APPROVED = "community.post.approved"
COMMENT_CREATED = "community.comment.created"
REPLY_CREATED = "community.reply.created"
REACTION_ADDED = "community.reaction.added"

EVENT_TYPES = (
    MEMBER_JOINED,
    MEMBER_UPDATED,
    POST_CREATED,
    POST_APPROVED,
    COMMENT_CREATED,
    REPLY_CREATED,
    REACTION_ADDED,
)


_EXAMPLE_AUTHOR = {"id": "8f14e45f-ea3b-4b6b-9d1c-5a7e2c1b0a11", "handle": "ada", "username": "ada", "name": "Ada L."}
_EXAMPLE_ENTITIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    # event: (description, entity type, an example entity as `*_entity` builds it)
    MEMBER_JOINED: (
        "A member joined the community.",
        "member",
        {
            "id": _EXAMPLE_AUTHOR["id"],
            "handle": "ada",
            "username": "ada",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "avatar_url": "",
            "role_id": "0c9a3f8e-3a55-4a3e-9d2f-6a1b2c3d4e5f",
            "status": "active",
            "sso_id": "",
            "created_at": "2026-01-01T09:00:00Z",
        },
    ),
    POST_CREATED: (
        "A community post was created.",
        "post",
        {
            "id": "1f0e6d9a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            "board_id": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
            "headline": "Hello",
            "short_text": "First post",
            "content": "<p>First post</p>",
            "clean_text": "First post",
            "status": "published",
            "author": _EXAMPLE_AUTHOR,
            "created_at": "2026-01-01T09:00:00Z",
        },
    ),
    COMMENT_CREATED: (
        "A comment was posted.",
        "comment",
        {
            "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            "post_id": "1f0e6d9a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            "content": "<p>Nice</p>",
            "clean_text": "Nice",
            "status": "published",
            "author": _EXAMPLE_AUTHOR,
            "created_at": "2026-01-01T09:05:00Z",
        },
    ),
    REACTION_ADDED: (
        "A member reacted to a post, comment or reply.",
        "reaction",
        {
            "target_type": "post",
            "target_id": "1f0e6d9a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            "slot": "s1",
            "member_id": _EXAMPLE_AUTHOR["id"],
            "created_at": "2026-01-01T09:06:00Z",
        },
    ),
}
_EXAMPLE_ENTITIES[MEMBER_UPDATED] = (
    "A member's profile, role or status changed.",
    *_EXAMPLE_ENTITIES[MEMBER_JOINED][1:],
)
_EXAMPLE_ENTITIES[POST_APPROVED] = ("A moderator approved a post.", *_EXAMPLE_ENTITIES[POST_CREATED][1:])
_EXAMPLE_ENTITIES[REPLY_CREATED] = (
    "A reply to a comment was posted.",
    "reply",
    {**_EXAMPLE_ENTITIES[COMMENT_CREATED][2], "comment_id": "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"},
)


def register_webhook_event_types() -> None:
    """Declare every event above to the outgoing webhooks catalogue (from `CommunityConfig.ready`)."""
    from core import extensions

    for event_type in EVENT_TYPES:
        description, entity, example = _EXAMPLE_ENTITIES[event_type]
        job_id = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
        payload = {"event": event_type, "jobId": job_id, "entities": {entity: [example]}}
        extensions.register_webhook_event_type(event_type, description=description, example=camelize(payload))


def publish_event(event_type: str, payload: dict[str, Any], *, tenant_id: str) -> None:
    """Hand one event to the outgoing webhooks (runs after commit): an event and a delivery per subscribed endpoint."""
    webhooks.emit(event_type, payload, tenant_id=tenant_id)


def emit(event_type: str, entities: dict[str, list[dict[str, Any]]], *, tenant_id) -> dict[str, Any]:
    """Publish `event_type` with these entities once the current transaction commits; returns the payload."""
    assert event_type in EVENT_TYPES, event_type
    payload = {"event": event_type, "jobId": str(uuid.uuid4()), "entities": camelize(entities)}
    tenant = str(tenant_id)
    transaction.on_commit(lambda: publish_event(event_type, payload, tenant_id=tenant))
    return payload


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def member_entity(member: Member) -> dict[str, Any]:
    return {
        "id": str(member.pk),
        "handle": member.handle,
        "username": member.username,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "avatar_url": member.avatar_url,
        "role_id": str(member.role_id),
        "status": member.status,
        "sso_id": member.sso_id,
        "created_at": _iso(member.created_at),
    }


def _author(member: Member) -> dict[str, Any]:
    return {"id": str(member.pk), "handle": member.handle, "username": member.username, "name": member.display_name}


def post_entity(post: Post) -> dict[str, Any]:
    return {
        "id": str(post.pk),
        "board_id": str(post.board_id),
        "headline": post.headline,
        "short_text": post.short_text,
        "content": post.content,
        "clean_text": post.clean_text,
        "status": post.status,
        "author": _author(post.author),
        "created_at": _iso(post.created_at),
    }


def comment_entity(comment: Comment) -> dict[str, Any]:
    return {
        "id": str(comment.pk),
        "post_id": str(comment.post_id),
        "content": comment.content,
        "clean_text": comment.clean_text,
        "status": comment.status,
        "author": _author(comment.author),
        "created_at": _iso(comment.created_at),
    }


def reply_entity(reply: Reply) -> dict[str, Any]:
    return {**comment_entity(reply), "comment_id": str(reply.comment_id), "post_id": str(reply.post_id)}


def reaction_entity(reaction: Reaction) -> dict[str, Any]:
    return {
        "target_type": reaction.target_type,
        "target_id": str(reaction.target_id),
        "slot": reaction.slot,
        "member_id": str(reaction.member_id),
        "created_at": _iso(reaction.created_at),
    }
