"""Content rules and publish times.

Content rules come from the channel network's adapter and are checked by the adapters' one validator, both
reached through `social.services.publishing`. Violations are field-level:
`{"text": [{"code": "twitterTweetCharacterCountTooBig", "message": "...", "network": "x"}], ...}`.
On create/edit they are stored on the post as `warnings` (a flat list of the same
entries plus `field`); before a post is scheduled, published or auto-scheduled on approval they are errors
(400 CONTENT_RULES_VIOLATED, `details` = the field map).

Publish times are stored in UTC. Input is either an offset-aware ISO time, or a naive local time interpreted in
`publishTimezone` (default: the tenant's time zone) with zoneinfo. A local time in a DST gap (spring forward)
does not exist -> 400 NONEXISTENT_LOCAL_TIME; an ambiguous one (autumn back) takes the FIRST occurrence
(fold=0, i.e. the earlier instant, still on summer time).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from contentplanner.errors import ChannelUnavailable, NonexistentLocalTime, PublishAtInPast, UnknownTimezone
from contentplanner.models import Post
from core import tenancy
from core.errors import ValidationFailed
from social.networks.base import PublishRequest
from social.services import publishing as social_publishing


@dataclass(frozen=True)
class ContentDraft:
    """What the rules look at; built from a post (or a group for one channel) by the callers."""

    text: str = ""
    title: str = ""
    post_type: str = "post"
    media: tuple = ()  # social.Media rows, in order
    link_url: str = ""
    first_comment: str = ""


def content_errors(network: str, draft: ContentDraft) -> dict[str, list[dict]]:
    """Field -> list of {code, message, network} for every rule `draft` breaks on `network`, as judged by the
    adapters' one validator (through social's publishing face; codes are seed 004's where one exists)."""
    request = PublishRequest(
        correlation_id="validation",
        text=draft.text,
        title=draft.title,
        post_type=draft.post_type,
        media=tuple(social_publishing.media_item_for(item) for item in draft.media),
        link=draft.link_url,
        first_comment=draft.first_comment,
    )
    errors: dict[str, list[dict]] = {}
    for issue in social_publishing.content_issues(network, request):
        errors.setdefault(issue.field, []).append({"code": issue.code, "message": issue.message, "network": network})
    return errors


def content_errors_for(post: Post) -> dict[str, list[dict]]:
    """The channel network's rule violations of the post's current content (field -> entries)."""
    media = tuple(item.media for item in post.media_items.select_related("media").order_by("position"))
    draft = ContentDraft(
        text=post.text,
        title=post.title,
        post_type=post.post_type,
        media=media,
        link_url=post.link_url,
        first_comment=post.first_comment,
    )
    return content_errors(post.channel.network, draft)


def assert_publishable_channel(channel) -> None:
    """400 CHANNEL_UNAVAILABLE unless `channel` is active with publishing switched on."""
    if social_publishing.publish_blocker(channel) is not None:
        raise ChannelUnavailable(details={"channelIds": [f"Channel {channel.pk} is not active for publishing."]})


def flatten(errors: dict[str, list[dict]]) -> list[dict]:
    """The field map as the flat `warnings` list stored on a post."""
    return [{"field": field, **entry} for field, entries in errors.items() for entry in entries]


def tenant_timezone_name() -> str:
    return tenancy.require_current_tenant().timezone or "UTC"


def resolve_publish_at(value: datetime | str, timezone_name: str | None = None) -> tuple[datetime, str]:
    """(UTC instant, IANA zone name) for an aware time, or a naive local time in `timezone_name` (tenant default).

    Raises NonexistentLocalTime for a time in a DST gap, UnknownTimezone for a bad zone, PublishAtInPast when the
    instant is not in the future. Ambiguous local times take the first occurrence (fold=0).
    """
    name = timezone_name or tenant_timezone_name()
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(details={"publishTimezone": [f"Unknown time zone {name!r}."]}) from None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(details={"publishAt": ["Not an ISO 8601 date-time."]}) from None
    if value.tzinfo is None:
        local = value.replace(tzinfo=zone, fold=0)
        instant = local.astimezone(UTC)
        # A wall-clock time in a DST gap does not survive the round trip (it shifts by the gap's length).
        if instant.astimezone(zone).replace(tzinfo=None) != value:
            raise NonexistentLocalTime(
                details={"publishAt": [f"{value.isoformat()} does not exist in {name} (daylight saving time gap)."]}
            )
    else:
        instant = value.astimezone(UTC)
    assert_in_future(instant)
    return instant, name


def assert_in_future(when: datetime | None) -> None:
    """400 PUBLISH_AT_IN_PAST unless `when` (None: no publish time, nothing to check) is still ahead of us."""
    if when is not None and when <= timezone.now():
        raise PublishAtInPast(details={"publishAt": ["Must be in the future."]})
