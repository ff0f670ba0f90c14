"""What ingestion takes: one `IncomingItem` per network item, whatever brought it (a poll or a push).

Polling turns an adapter's `RemoteItem` into one with `from_remote_item`; the push parsers in `inbox.push` build
them from webhook bodies. The ingestion service knows nothing else about networks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from social.networks.base import RemoteItem

KIND_TO_TYPE = {"comment": "comment", "reply": "reply", "message": "message", "mention": "mention", "review": "review"}


@dataclass(frozen=True)
class IncomingItem:
    network_item_id: str
    type: str  # a TicketType value
    text: str
    author_id: str
    author_name: str = ""
    author_handle: str = ""
    author_avatar_url: str = ""
    created_at: datetime | None = None
    parent_id: str = ""  # the post, comment or conversation this item answers
    url: str = ""
    attachments: tuple[dict, ...] = ()
    is_deleted: bool = False  # the network says it was removed: flag the ticket, never delete it
    edited_at: datetime | None = None  # set when the network reports an edit
    rating: dict | None = None  # {value, scale} of a review (custom channels push it)
    raw: dict = field(default_factory=dict, compare=False)


def _is_reply(item: RemoteItem) -> bool:
    """Whether a fetched comment answers another comment rather than a post (each network marks it its own way)."""
    raw = item.raw or {}
    if raw.get("type") == "reply":  # sandbox
        return True
    if isinstance(raw.get("parent"), dict) and raw["parent"].get("id"):  # Graph API comment with a parent comment
        return True
    if raw.get("parent_id"):  # Instagram replies
        return True
    return bool((raw.get("snippet") or {}).get("parentId"))  # YouTube replies


def from_remote_item(item: RemoteItem) -> IncomingItem:
    ticket_type = KIND_TO_TYPE.get(item.kind, "comment")
    if ticket_type == "comment" and _is_reply(item):
        ticket_type = "reply"
    raw = item.raw or {}
    return IncomingItem(
        network_item_id=item.remote_id,
        type=ticket_type,
        text=item.text,
        author_id=item.author_id,
        author_name=item.author_name,
        author_handle=str(raw.get("username") or raw.get("authorHandle") or ""),
        created_at=item.created_at,
        parent_id=item.parent_remote_id,
        url=str(raw.get("permalink_url") or raw.get("permalink") or raw.get("url") or ""),
        is_deleted=bool(raw.get("deleted")),
        raw=raw,
    )
