"""Content rules and publish times.

Content rules come from the channel network's adapter (`get_adapter(network).rules`, a `ContentRules`). Violations
are field-level: `{"text": [{"code": "textTooLong", "message": "...", "network": "x", "limit": 280}], ...}` with the
stable codes listed in RULE_CODES. On create/edit they are stored on the post as `warnings` (a flat list of the same
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

from contentplanner.errors import NonexistentLocalTime, PublishAtInPast, UnknownTimezone
from core import tenancy
from core.errors import ValidationFailed

RULE_CODES = (
    "textTooLong",
    "tooManyImages",
    "tooManyVideos",
    "noImageAndVideoAtOnce",
    "mediaRequired",
    "requireTextLinkImageOrVideo",
    "videoTooLong",
    "unsupportedMediaType",
    "postTypeNotSupported",
    "firstCommentNotSupported",
)


@dataclass(frozen=True)
class ContentDraft:
    """What the rules look at; built from a post (or a group for one channel) by the callers."""

    text: str = ""
    title: str = ""
    post_type: str = "post"
    media: tuple = ()  # social.Media rows, in order
    link_url: str = ""
    first_comment: str = ""


def rules_for(network: str):
    """The adapter's ContentRules for `network`, or None when no adapter is installed for it (no checks)."""
    from social.networks.registry import UnknownNetwork, get_adapter

    try:
        adapter = get_adapter(network)
    except (UnknownNetwork, ImportError):
        return None
    return getattr(adapter, "rules", None)


def content_errors(network: str, draft: ContentDraft) -> dict[str, list[dict]]:
    """Field -> list of {code, message, network, ...} for every rule `draft` breaks on `network`."""
    rules = rules_for(network)
    if rules is None:
        return {}
    errors: dict[str, list[dict]] = {}

    def add(field: str, code: str, message: str, **extra) -> None:
        errors.setdefault(field, []).append({"code": code, "message": message, "network": network, **extra})

    if len(draft.text) > rules.max_text_length:
        add(
            "text",
            "textTooLong",
            f"{network} allows at most {rules.max_text_length} characters; the text has {len(draft.text)}.",
            limit=rules.max_text_length,
        )
    images = [m for m in draft.media if m.kind in ("image", "animation")]
    videos = [m for m in draft.media if m.kind == "video"]
    if len(images) > rules.max_images:
        add("media", "tooManyImages", f"{network} allows at most {rules.max_images} images.", limit=rules.max_images)
    if len(videos) > rules.max_videos:
        add("media", "tooManyVideos", f"{network} allows at most {rules.max_videos} videos.", limit=rules.max_videos)
    if images and videos and not rules.allows_mixed_media:
        add("media", "noImageAndVideoAtOnce", f"{network} does not allow images and videos in one post.")
    for item in draft.media:
        allowed = rules.image_mime_types if item.kind in ("image", "animation") else rules.video_mime_types
        if item.kind in ("image", "animation", "video") and item.mime_type not in allowed:
            add("media", "unsupportedMediaType", f"{network} does not accept {item.mime_type}.", mediaId=str(item.pk))
        if (
            item.kind == "video"
            and rules.max_video_seconds
            and item.duration_seconds
            and item.duration_seconds > rules.max_video_seconds
        ):
            add(
                "media",
                "videoTooLong",
                f"{network} allows videos of at most {rules.max_video_seconds} seconds.",
                limit=rules.max_video_seconds,
                mediaId=str(item.pk),
            )
    if rules.requires_media and not draft.media:
        add("media", "mediaRequired", f"{network} posts need an image or a video.")
    elif rules.requires_text_link_or_media and not (draft.text.strip() or draft.link_url or draft.media):
        add("text", "requireTextLinkImageOrVideo", "The post needs text, a link, an image or a video.")
    if draft.post_type not in rules.allowed_post_types:
        add(
            "postType",
            "postTypeNotSupported",
            f"{network} supports the post types {', '.join(rules.allowed_post_types)}.",
        )
    if draft.first_comment and not rules.supports_first_comment:
        add("firstComment", "firstCommentNotSupported", f"{network} does not support a first comment.")
    return errors


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
    if instant <= timezone.now():
        raise PublishAtInPast(details={"publishAt": ["Must be in the future."]})
    return instant, name
