"""The one interface every network adapter implements, and the error classes adapters map network errors to.

Adapters speak the network's real HTTP API with httpx (timeouts always set) and never report success for a call
that did not succeed. Callers (publishing pipeline, inbox sync, token upkeep) depend only on this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


# --- errors --------------------------------------------------------------------------------------------------------
class NetworkError(Exception):
    """Base of adapter errors. `retryable` says whether trying again later can help."""

    code: ClassVar[str] = "NETWORK_ERROR"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str = "", *, status_code: int | None = None, response_body: Any = None) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.status_code = status_code
        self.response_body = response_body


class AuthExpired(NetworkError):
    """The token is expired or revoked: the channel needs attention (refresh or reconnect)."""

    code = "AUTH_EXPIRED"


class PermissionMissing(NetworkError):
    """The grant lacks a scope/permission needed for this call."""

    code = "PERMISSION_MISSING"


class RateLimited(NetworkError):
    code = "RATE_LIMITED"
    retryable = True

    def __init__(self, message: str = "", *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidContent(NetworkError):
    """The network refused the content (too long, bad media...). `details` maps fields to messages."""

    code = "INVALID_CONTENT"

    def __init__(self, message: str = "", *, details: dict | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.details = details or {}


class TemporaryNetworkError(NetworkError):
    """5xx or connection refused before the request was sent: safe to retry."""

    code = "NETWORK_DOWN"
    retryable = True


class UnknownOutcome(NetworkError):
    """Timeout or dropped connection after the request was sent: the post may exist. Reconcile, never retry blind."""

    code = "UNKNOWN_OUTCOME"


class NotFound(NetworkError):
    code = "NOT_FOUND"


class NotSupported(NetworkError):
    """The network's API does not offer this capability (see the adapter's `capabilities`): nothing was sent."""

    code = "NOT_SUPPORTED"


# --- values --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""  # empty means "the network did not send a new one": keep the old one
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    token_owner_id: str = ""


@dataclass(frozen=True)
class ConnectedAccount:
    """One channel a grant reaches (a Facebook page, an IG business account, a LinkedIn organization...)."""

    network: str
    external_id: str
    name: str
    username: str = ""
    image_url: str = ""
    network_url: str = ""
    tokens: TokenSet | None = None  # page tokens differ from the user token on Facebook
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MediaItem:
    url: str  # where the adapter (or network) fetches the file
    mime_type: str
    kind: str  # image | video | animation | other
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    size_bytes: int | None = None
    local_path: str = ""  # set when the file is in our storage and the network needs an upload


@dataclass(frozen=True)
class PublishRequest:
    correlation_id: str  # our marker (post id + attempt); adapters embed it where the network allows, for reconcile
    text: str = ""
    title: str = ""
    post_type: str = "post"
    media: tuple[MediaItem, ...] = ()
    link: str = ""
    link_title: str = ""
    link_description: str = ""
    link_image_url: str = ""
    first_comment: str = ""
    options: dict = field(default_factory=dict)  # network options: boardId, privacy, allowComments...


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    url: str = ""
    request_id: str = ""  # the network's request id, for support
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteItem:
    """A comment, message or mention fetched from the network (inbox ingestion)."""

    remote_id: str
    kind: str  # comment | message | mention
    text: str
    author_id: str
    author_name: str
    created_at: datetime
    parent_remote_id: str = ""  # the post commented on / the conversation
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FetchPage:
    items: tuple[RemoteItem, ...]
    next_cursor: str = ""


@dataclass(frozen=True)
class Metrics:
    values: dict[str, int]  # impressions, reach, engagements, likes, comments, shares, clicks, videoViews, followers
    collected_at: datetime | None = None


@dataclass(frozen=True)
class ContentRules:
    """Per-network content rules, used to validate a post before it is scheduled."""

    max_text_length: int
    max_images: int
    max_videos: int = 1
    allows_mixed_media: bool = False
    requires_media: bool = False
    requires_text_link_or_media: bool = True
    max_video_seconds: int | None = None
    supports_first_comment: bool = False
    supports_link_preview: bool = True
    allowed_post_types: tuple[str, ...] = ("post",)
    image_mime_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    video_mime_types: tuple[str, ...] = ("video/mp4", "video/quicktime")
    min_aspect_ratio: float | None = None
    max_aspect_ratio: float | None = None


@dataclass(frozen=True)
class ChannelCredentials:
    """What an adapter needs to act for a channel; built by the social app from the encrypted fields."""

    external_id: str
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    extra: dict = field(default_factory=dict)  # e.g. WordPress site URL + username, IG user id, page id


@dataclass(frozen=True)
class LookupResult:
    """One choice for the composer: a Pinterest board, a page location, a shop product, an account to mention."""

    id: str
    name: str
    image_url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AuthorizeRequest:
    redirect_uri: str
    state: str
    code_challenge: str = ""  # PKCE (S256) where the network supports it


class NetworkAdapter(Protocol):
    network: ClassVar[str]
    rules: ClassVar[ContentRules]
    uses_pkce: ClassVar[bool]

    # OAuth and tokens
    def authorize_url(self, request: AuthorizeRequest) -> str: ...
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]: ...
    def refresh(self, credentials: ChannelCredentials) -> TokenSet: ...
    def revoke(self, credentials: ChannelCredentials) -> None: ...

    # Publishing
    def publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult: ...
    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult: ...
    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None: ...
    # `text`/`title`: what was published. Networks that keep no metadata of ours match on them (see each adapter's
    # `reconcile_reliability`); without them such adapters raise NotSupported rather than answer "not found".
    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None: ...

    # Listening (inbox)
    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage: ...
    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult: ...
    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None: ...
    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None: ...

    # Composer pickers: `lookups` names the kinds offered (`boards`, `board-sections`, `locations`, `products`,
    # `mentions`); kind `k` is served by `lookup_<k with _ for ->(credentials, *, query, parent)`.
    lookups: ClassVar[frozenset[str]]

    # Analytics
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics: ...
    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics: ...
