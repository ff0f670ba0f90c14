"""Shared HTTP plumbing of the network adapters: client creation with explicit timeouts, transport-error
classification (sent or not sent), HTTP status -> error mapping, Retry-After parsing, bounded polling, media file
access, and the https + core.url_safety check (with a pinned client) for user-supplied hosts (WordPress sites).

Every adapter subclasses `HttpAdapter` (or `social.networks.oauth2.OAuth2Adapter`) and overrides only what its
network offers; the protocol methods it does not override raise `NotSupported`, and `capabilities` lists what it
does offer so callers can check first. Matching a network's posts to ours lives in `social.networks.matching`.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from core import url_safety
from social.networks.base import (
    AuthExpired,
    AuthorizeRequest,
    ChannelCredentials,
    ConnectedAccount,
    ContentRules,
    FetchPage,
    InvalidContent,
    MediaItem,
    Metrics,
    NetworkError,
    NotFound,
    NotSupported,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    TemporaryNetworkError,
    TokenSet,
    UnknownOutcome,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# RFC 6749 token-endpoint errors meaning the grant is gone: the channel must be reconnected.
OAUTH_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_token", "unauthorized_client"})

# Capability names (see HttpAdapter.capabilities).
CAPABILITIES = frozenset(
    {
        "oauth",
        "refresh",
        "revoke",
        "publish",
        "first_comment",
        "delete",
        "find_published",
        "fetch_comments",
        "fetch_mentions",
        "fetch_messages",
        "reply",
        "like",
        "hide",
        "post_metrics",
        "channel_metrics",
    }
)


# --- client --------------------------------------------------------------------------------------------------------
def http_timeout() -> httpx.Timeout:
    """The one timeout policy: settings.NETWORK_HTTP_TIMEOUT for reads/writes, connecting capped at 10 s."""
    seconds = float(settings.NETWORK_HTTP_TIMEOUT)
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def make_client() -> httpx.Client:
    return httpx.Client(
        timeout=http_timeout(),
        follow_redirects=False,
        headers={"User-Agent": f"Hubbub/1.0 (+{settings.PUBLIC_BASE_URL})"},
    )


def safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:2000]}


# --- retry-after ---------------------------------------------------------------------------------------------------
def parse_retry_after(value: str | None, *, now: datetime | None = None) -> int | None:
    """`Retry-After` as delay-seconds or HTTP-date -> whole seconds (>= 0), None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


def seconds_until_epoch(value: str | int | None, *, now: float | None = None) -> int | None:
    """A reset time given as a Unix epoch (X's x-rate-limit-reset) -> seconds from now (>= 0)."""
    try:
        reset = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return max(0, reset - int(now if now is not None else time.time()))


# --- status -> error -----------------------------------------------------------------------------------------------
def error_for_status(
    response: httpx.Response,
    *,
    message: str = "",
    details: dict | None = None,
    retry_after: int | None = None,
) -> NetworkError:
    """Generic HTTP status mapping; adapters call it after reading their network's error payload."""
    status = response.status_code
    body = safe_json(response)
    message = message or f"HTTP {status}"
    kwargs: dict[str, Any] = {"status_code": status, "response_body": body}
    oauth_error = body.get("error") if isinstance(body, dict) else None
    if status == 401 or (isinstance(oauth_error, str) and oauth_error in OAUTH_GRANT_ERRORS):
        return AuthExpired(message, **kwargs)
    if status == 403:
        return PermissionMissing(message, **kwargs)
    if status in (404, 410):
        return NotFound(message, **kwargs)
    if status == 429:
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status in (400, 409, 413, 415, 422):
        return InvalidContent(message, details=details, **kwargs)
    if status >= 500:
        return TemporaryNetworkError(message, **kwargs)
    return NetworkError(message, **kwargs)


# --- payloads ------------------------------------------------------------------------------------------------------
def parse_time(value: str | int | float | None) -> datetime | None:
    """ISO 8601 (with Z or +0000) or a Unix timestamp -> aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # Graph API: 2024-05-01T10:00:00+0000
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- SSRF guard ----------------------------------------------------------------------------------------------------
class UnsafeSiteUrl(InvalidContent):
    """A user-supplied URL that is not https (http only in DEBUG) or reaches a private/internal address."""

    code = "UNSAFE_URL"


def ensure_public_url(url: str, *, allow_http: bool = False) -> url_safety.CheckedUrl:
    """core.url_safety's check (form, credentials, every resolved address public) plus https-only, mapped to an
    adapter error. The returned CheckedUrl pins the connection to the checked address (no DNS rebinding)."""
    if urlsplit(url).scheme != "https" and not (allow_http and urlsplit(url).scheme == "http"):
        raise UnsafeSiteUrl("The URL must use https.", details={"url": ["https required"]})
    try:
        return url_safety.check_url(url)
    except url_safety.UnsafeUrl as exc:
        raise UnsafeSiteUrl(str(exc), details={"url": [str(exc)]}) from exc
    except url_safety.UrlFetchError as exc:  # the host does not resolve
        raise UnsafeSiteUrl(str(exc), details={"url": ["host not found"]}) from exc


def pinned_client(checked: url_safety.CheckedUrl) -> httpx.Client:
    """A client whose connections go only to the checked address of the checked host."""
    return httpx.Client(
        transport=url_safety.PinnedTransport(checked),
        timeout=http_timeout(),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": f"Hubbub/1.0 (+{settings.PUBLIC_BASE_URL})"},
    )


# --- media files ---------------------------------------------------------------------------------------------------
class MediaFile:
    """Random access to a media file for chunked uploads, without loading it whole into memory."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.size = os.path.getsize(path)

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            return fh.read(self.size - offset if length is None else length)


# --- the adapter base ----------------------------------------------------------------------------------------------
class HttpAdapter:
    """Base of the real adapters. Subclasses set the ClassVars, override `map_error` for their error payload and
    implement the methods listed in `capabilities`."""

    network: ClassVar[str]
    app_name: ClassVar[str] = ""  # settings.NETWORK_APPS key when it differs from `network` (Instagram -> facebook)
    rules: ClassVar[ContentRules]
    uses_pkce: ClassVar[bool] = False
    capabilities: ClassVar[frozenset[str]] = frozenset()
    lookups: ClassVar[frozenset[str]] = frozenset()  # composer pickers (see NetworkAdapter.lookups)
    reconcile_reliability: ClassVar[str] = ""  # how find_published identifies our post, for operators
    # CDN hosts (and their subdomains) serving the network's media: the only hosts the media proxy fetches from.
    media_hosts: ClassVar[tuple[str, ...]] = ()

    def fresh_media_url(self, credentials: ChannelCredentials, media_id: str) -> str:
        """A new CDN URL for the network's media `media_id` (its signed URLs expire)."""
        raise NotSupported(f"{self.network} cannot refresh media links.")

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 3.0,
        max_polls: int = 40,
    ) -> None:
        self._client = client
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.max_polls = max_polls

    # plumbing
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = make_client()
        return self._client

    @property
    def app(self) -> dict:
        return settings.NETWORK_APPS.get(self.app_name or self.network, {"client_id": "", "client_secret": ""})

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise NotSupported(f"{self.network} does not support {capability.replace('_', ' ')}.")

    def map_error(self, response: httpx.Response) -> NetworkError:
        """Network-specific error payloads are read by overrides; this is the status-only fallback."""
        return error_for_status(response)

    def call(self, method: str, url: str, *, client: httpx.Client | None = None, **kwargs: Any) -> httpx.Response:
        """Send one request. Not sent (connect failure) -> TemporaryNetworkError; sent but no answer -> GETs are
        retryable, anything else is UnknownOutcome (it may have taken effect); error status -> `map_error`."""
        method = method.upper()
        try:
            response = (client or self.client).request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            raise TemporaryNetworkError(f"{self.network}: could not connect ({type(exc).__name__}).") from exc
        except httpx.TransportError as exc:
            if method in SAFE_METHODS:
                raise TemporaryNetworkError(f"{self.network}: no response ({type(exc).__name__}).") from exc
            raise UnknownOutcome(f"{self.network}: request sent, no response ({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise self.map_error(response)
        return response

    def call_json(self, method: str, url: str, **kwargs: Any) -> dict:
        response = self.call(method, url, **kwargs)
        if not response.content:
            return {}
        data = safe_json(response)
        return data if isinstance(data, dict) else {"data": data}

    def poll(self, fetch: Callable[[], Any], done: Callable[[Any], bool], *, what: str) -> Any:
        """Call `fetch` until `done(result)`, at most `max_polls` times, sleeping `poll_interval` between calls.
        Exhausting the attempts raises UnknownOutcome: the network accepted the work and may still finish it."""
        for attempt in range(self.max_polls):
            result = fetch()
            if done(result):
                return result
            if attempt + 1 < self.max_polls:
                self.sleep(self.poll_interval)
        raise UnknownOutcome(f"{self.network}: {what} not finished after {self.max_polls} checks.")

    @contextlib.contextmanager
    def media_file(self, item: MediaItem) -> Iterator[MediaFile]:
        """The file behind `item`: our storage path when set, else downloaded once to a temporary file."""
        if item.local_path:
            yield MediaFile(item.local_path)
            return
        with tempfile.NamedTemporaryFile(prefix="hubbub-media-") as tmp:
            try:
                with self.client.stream("GET", item.url) as response:
                    if response.status_code >= 400:
                        raise InvalidContent(
                            f"The media file could not be fetched (HTTP {response.status_code}).",
                            details={"media": [item.url]},
                        )
                    for chunk in response.iter_bytes():
                        tmp.write(chunk)
            except httpx.TransportError as exc:
                raise TemporaryNetworkError(f"The media file could not be fetched ({type(exc).__name__}).") from exc
            tmp.flush()
            yield MediaFile(tmp.name)

    def validate(self, request: PublishRequest) -> list:
        from social.networks.rules import validate

        return validate(self.rules, request)

    # protocol: publish the post only. A first comment is the caller's separate `publish_comment` call after the
    # post is recorded (contentplanner's pipeline), so its failure can neither fail nor duplicate the post.
    def publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        self.require("publish")
        return self._publish(credentials, request)

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        raise NotSupported(f"{self.network} does not support publishing.")

    # protocol methods a network may not offer: explicit refusals, nothing is sent
    def authorize_url(self, request: AuthorizeRequest) -> str:
        raise NotSupported(f"{self.network} does not connect with OAuth.")

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        raise NotSupported(f"{self.network} does not connect with OAuth.")

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        raise NotSupported(f"{self.network} does not support token refresh.")

    def revoke(self, credentials: ChannelCredentials) -> None:
        raise NotSupported(f"{self.network} does not support revoking a grant per channel.")

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        raise NotSupported(f"{self.network} does not support comments on posts.")

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        raise NotSupported(f"{self.network} does not support deleting posts.")

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        raise NotSupported(f"{self.network} does not support finding published posts.")

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        raise NotSupported(f"{self.network} does not support fetching {kind}s.")

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        raise NotSupported(f"{self.network} does not support replies.")

    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        raise NotSupported(f"{self.network} does not support likes.")

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        raise NotSupported(f"{self.network} does not support hiding comments.")

    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        raise NotSupported(f"{self.network} does not offer post metrics.")

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        raise NotSupported(f"{self.network} does not offer channel metrics.")


def fetch_kind_capability(kind: str) -> str:
    return {"comment": "fetch_comments", "mention": "fetch_mentions", "message": "fetch_messages"}.get(kind, kind)


def day_bounds(day: datetime) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def now_utc() -> datetime:
    return datetime.now(UTC)
