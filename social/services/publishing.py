"""What another app needs from social to publish to, and read figures from, a channel: one public face.

The content planner's pipeline builds a `social.networks.base.PublishRequest` (declared value types) and hands it
here with the channel; this module picks the channel's adapter and credentials and knows how a library `Media` row
is stored. Callers never touch the adapter registry, credentials or storage internals. Network errors are the
`social.networks.base.NetworkError` family and propagate unchanged: the caller classifies them.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from social.models import Channel, ChannelStatus, Media
from social.networks.base import ContentRules, MediaItem, Metrics, PublishRequest, PublishResult
from social.networks.registry import ADAPTER_PATHS, UnknownNetwork, get_adapter
from social.networks.rules import ValidationIssue, validate
from social.services.channels import credentials_for, mark_needs_attention

__all__ = [
    "channel_metrics",
    "content_issues",
    "content_rules",
    "find_published",
    "flag_channel",
    "is_supported",
    "library_media",
    "media_item_for",
    "metric_networks",
    "post_metrics",
    "publish",
    "publish_blocker",
    "publish_comment",
]


def publish_blocker(channel: Channel) -> str | None:
    """Why `channel` cannot publish right now (a sentence for the user), or None when it can."""
    if channel.status == ChannelStatus.ACTIVE and channel.publishing_enabled:
        return None
    disabled = "" if channel.publishing_enabled else " and publishing is disabled for it"
    return f"The channel {channel.name} is {channel.status}{disabled}: reconnect or enable it, then retry."


def is_supported(network: str) -> bool:
    """Whether posts can be published to (and metrics read from) channels of `network`."""
    return network in ADAPTER_PATHS


def metric_networks() -> frozenset[str]:
    """Networks whose channels report metrics (custom/placeholder channels have no adapter)."""
    return frozenset(ADAPTER_PATHS)


def content_rules(network: str) -> ContentRules | None:
    """The network's content rules, or None when no adapter is installed for it (nothing to check)."""
    try:
        adapter = get_adapter(network)
    except (UnknownNetwork, ImportError):
        return None
    return getattr(adapter, "rules", None)


def content_issues(network: str, request: PublishRequest) -> list[ValidationIssue]:
    """Every rule of `network` that `request` breaks, as judged by the adapters' one validator."""
    rules = content_rules(network)
    return [] if rules is None else validate(rules, request)


def library_media() -> QuerySet[Media]:
    """The current tenant's media library rows, without relations (what a post's media ids resolve against)."""
    return Media.objects.all()


def media_item_for(media: Media, *, alt_text: str = "") -> MediaItem:
    """A library file as the adapters take it: its public URL, and its local path when the storage has one (the
    adapter uploads from disk) — remote storage has none and the adapter fetches the URL."""
    url, local_path = media.source_url, ""
    if media.file:
        url = media.file.url
        try:
            local_path = media.file.path
        except NotImplementedError:
            local_path = ""
    return MediaItem(
        url=url,
        mime_type=media.mime_type,
        kind=media.kind,
        alt_text=alt_text or media.alt_text,
        width=media.width,
        height=media.height,
        duration_seconds=media.duration_seconds,
        size_bytes=media.size_bytes,
        local_path=local_path,
    )


def publish(channel: Channel, request: PublishRequest) -> PublishResult:
    """Publish `request` on `channel` (one network call). Raises UnknownNetwork for a network without adapter."""
    return get_adapter(channel.network).publish(credentials_for(channel), request)


def publish_comment(channel: Channel, *, remote_id: str, text: str) -> PublishResult:
    """Comment `text` under the published post `remote_id` on `channel`."""
    return get_adapter(channel.network).publish_comment(credentials_for(channel), remote_id=remote_id, text=text)


def find_published(
    channel: Channel, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
) -> PublishResult | None:
    """Ask the network whether the post marked `correlation_id` was published on `channel` since `since`."""
    return get_adapter(channel.network).find_published(
        credentials_for(channel), correlation_id=correlation_id, since=since, text=text, title=title
    )


def post_metrics(channel: Channel, *, remote_id: str) -> Metrics:
    return get_adapter(channel.network).post_metrics(credentials_for(channel), remote_id=remote_id)


def channel_metrics(channel: Channel, *, day: datetime) -> Metrics:
    return get_adapter(channel.network).channel_metrics(credentials_for(channel), day=day)


def flag_channel(channel: Channel, *, reason: str) -> bool:
    """The network refused the channel's credentials: mark it needsAttention and tell its admins (once)."""
    return mark_needs_attention(channel, reason=reason)


def fetch_public_page(url: str, *, max_bytes: int, timeout: float, headers: dict[str, str]) -> tuple[bytes, str, str]:
    """GET a user-supplied URL through the SSRF guard (public hosts only, pinned DNS, capped size/time/redirects):
    (body, content type, final URL), for link previews. Raises social.errors.UrlImportFailed (details.reason)."""
    from core import url_safety  # appended function: the module's imports stay as they were
    from social.errors import UrlImportFailed

    try:
        fetched = url_safety.fetch_to_tempfile(url, max_bytes=max_bytes, timeout=timeout, headers=headers)
    except url_safety.UrlFetchError as exc:
        raise UrlImportFailed(str(exc), details={"url": [str(exc)], "reason": exc.reason}) from exc
    with fetched.file as handle:
        return handle.read(), fetched.content_type, fetched.final_url
