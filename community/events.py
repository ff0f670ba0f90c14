"""The community's outgoing events, in one place: names, payloads, and the hand-off to outgoing webhooks.

Payloads follow seed 003: `{event, jobId, entities: {<type>: [objects]}}`, one list per entity type even for a
single object. Services call `emit()` inside their transaction; the event is handed over only after commit
(a rolled-back change announces nothing).

Delivery belongs to the notifications app's outgoing webhooks (`notifications.services.webhooks.emit`: Standard
Webhooks signing, retries, log, replay); the community builds no second sender. The `community.*` names belong to
the `community` event family notifications accepts, so an endpoint subscribes to one of them or to `community.*`.
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
