"""The in-app feed: mark messages seen/read/unread/unseen (some or all, optionally one feed), and action buttons."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import InvalidState, ValidationFailed
from notifications.models import Message, MessageStatus

MARKS = ("seen", "unseen", "read", "unread")


def mark(messages: QuerySet[Message], *, as_: str) -> int:
    """Apply one mark to the in-app messages in `messages`; returns how many rows changed."""
    now = timezone.now()
    if as_ == "seen":
        return messages.filter(seen_at__isnull=True).update(seen_at=now, status=MessageStatus.SEEN, updated_at=now)
    if as_ == "unseen":
        return messages.filter(seen_at__isnull=False).update(
            seen_at=None, read_at=None, status=MessageStatus.SENT, updated_at=now
        )
    if as_ == "read":
        changed = messages.filter(read_at__isnull=True, seen_at__isnull=True).update(
            seen_at=now, read_at=now, status=MessageStatus.READ, updated_at=now
        )
        return changed + messages.filter(read_at__isnull=True).update(
            read_at=now, status=MessageStatus.READ, updated_at=now
        )
    if as_ == "unread":
        return messages.filter(read_at__isnull=False).update(read_at=None, status=MessageStatus.SEEN, updated_at=now)
    raise ValidationFailed(details={"as": [f"One of {', '.join(MARKS)}."]})


def complete_action(message: Message, *, key: str, status: str = "done") -> Message:
    """Mark one action button of a feed item as done (or pending again); marks the item read."""
    actions = list(message.actions or [])
    for action in actions:
        if action.get("key") == key:
            action["status"] = status
            break
    else:
        raise ValidationFailed(details={"button": [f"The message has no action {key!r}."]})
    if message.status not in (MessageStatus.SENT, MessageStatus.SEEN, MessageStatus.READ):
        raise InvalidState("Only delivered feed items have actions.")
    now = timezone.now()
    message.actions = actions
    message.seen_at = message.seen_at or now
    message.read_at = message.read_at or now
    message.status = MessageStatus.READ
    message.save(update_fields=["actions", "seen_at", "read_at", "status", "updated_at"])
    return message
