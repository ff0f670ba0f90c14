"""Content rules and publish times.

Content rules come from the channel network's adapter (`get_adapter(network).rules`) and are checked by the
adapters' one validator (`social.networks.rules.validate`). Violations are field-level:
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

from contentplanner.errors import NonexistentLocalTime, PublishAtInPast, UnknownTimezone
from core import tenancy
from core.errors import ValidationFailed


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
    """Field -> list of {code, message, network} for every rule `draft` breaks on `network`, as judged by the
    adapters' one validator (social.networks.rules.validate; codes are seed 004's where one exists)."""
    from social.networks.base import MediaItem, PublishRequest
    from social.networks.rules import validate

    rules = rules_for(network)
    if rules is None:
        return {}
    request = PublishRequest(
        correlation_id="validation",
        text=draft.text,
        title=draft.title,
        post_type=draft.post_type,
        media=tuple(
            MediaItem(
                url="",
                mime_type=item.mime_type,
                kind=item.kind,
                width=item.width,
                height=item.height,
                duration_seconds=item.duration_seconds,
                size_bytes=item.size_bytes,
            )
            for item in draft.media
        ),
        link=draft.link_url,
        first_comment=draft.first_comment,
    )
    errors: dict[str, list[dict]] = {}
    for issue in validate(rules, request):
        errors.setdefault(issue.field, []).append({"code": issue.code, "message": issue.message, "network": network})
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
