"""The catalogue of outgoing webhook event types (GET /api/v1/webhooks/event-types). Apps emit these through
`notifications.services.webhooks.emit`; an endpoint subscribes to names or to a whole family (`post.*`)."""

from __future__ import annotations

import re

EVENT_TYPES: dict[str, str] = {
    "post.scheduled": "A post was scheduled.",
    "post.published": "A post was published on a network.",
    "post.failed": "Publishing a post failed.",
    "post.approval_requested": "A post waits for approval.",
    "post.approved": "A post was approved.",
    "post.rejected": "A post was rejected.",
    "channel.connected": "A social channel was connected.",
    "channel.needs_attention": "A social channel needs to be reconnected.",
    "member.invited": "Someone was invited to the workspace.",
    "notification.failed": "A notification message could not be delivered.",
    "webhook.endpoint_disabled": "An endpoint was disabled after failing for days.",
}
# Families other apps emit (their own event names are theirs to document).
EVENT_FAMILIES = ("inbox", "community", "ads")

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$")


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES or (
        NAME.match(event_type) is not None and event_type.split(".", 1)[0] in EVENT_FAMILIES
    )


def is_valid_filter(pattern: str) -> bool:
    if pattern.endswith(".*"):
        family = pattern[:-2]
        return any(name.startswith(family + ".") for name in EVENT_TYPES) or family in EVENT_FAMILIES
    return is_known(pattern)


def matches(filters: list[str], event_type: str) -> bool:
    if not filters:
        return True
    return any(f == event_type or (f.endswith(".*") and event_type.startswith(f[:-1])) for f in filters)
