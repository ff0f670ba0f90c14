"""Shared HTTP plumbing of the network adapters: client creation with explicit timeouts, transport-error
classification (sent or not sent), HTTP status -> error mapping, Retry-After parsing, token responses, bounded
polling, media file access, and the https + social.url_safety check (with a pinned client) for user-supplied
hosts (WordPress sites).

Every adapter subclasses `HttpAdapter` and overrides only what its network offers; the protocol methods it does
not override raise `NotSupported`, and `capabilities` lists what it does offer so callers can check first.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import hmac
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings

from social import url_safety
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


# --- tokens --------------------------------------------------------------------------------------------------------
def token_set_from(payload: dict, *, owner_id: str = "") -> TokenSet:
    """A standard OAuth 2 token response -> TokenSet. A missing refresh_token stays empty: the caller keeps the old."""
    expires_in = payload.get("expires_in")
    expires_at = None
    if expires_in not in (None, "", 0):
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in))
    scope = payload.get("scope") or ""
    scopes = tuple(s for s in re.split(r"[,\s]+", scope) if s) if isinstance(scope, str) else ()
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token") or "",
        expires_at=expires_at,
        scopes=scopes,
        token_owner_id=owner_id,
    )


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def appsecret_proof(access_token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


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


# --- reconciliation ------------------------------------------------------------------------------------------------
def text_signature(text: str, length: int = 60) -> str:
    """What we compare when a network keeps no metadata of ours: the first characters of the text with whitespace
    collapsed and links dropped (networks rewrite links, e.g. X's t.co)."""
    words = [w for w in text.split() if not w.lower().startswith(("http://", "https://", "www."))]
    return " ".join(words)[:length].casefold()


def same_text(ours: str, theirs: str) -> bool:
    mine = text_signature(ours)
    return bool(mine) and text_signature(theirs, len(mine) + 40).startswith(mine)


def require_text(network: str, text: str) -> None:
    """Networks without metadata of ours reconcile on the post text: without it, answering "not found" could
    make the caller publish twice, so refuse loudly instead."""
    if not text_signature(text):
        raise NotSupported(f"{network} reconciles on the post text: pass text= to find_published.")


# --- SSRF guard ----------------------------------------------------------------------------------------------------
class UnsafeUrl(InvalidContent):
    """A user-supplied URL that is not https (http only in DEBUG) or reaches a private/internal address."""

    code = "UNSAFE_URL"


def ensure_public_url(url: str, *, allow_http: bool = False) -> url_safety.CheckedUrl:
    """social.url_safety's check (form, credentials, every resolved address public) plus https-only, mapped to an
    adapter error. The returned CheckedUrl pins the connection to the checked address (no DNS rebinding)."""
    if urlsplit(url).scheme != "https" and not (allow_http and urlsplit(url).scheme == "http"):
        raise UnsafeUrl("The URL must use https.", details={"url": ["https required"]})
    try:
        return url_safety.check_url(url)
    except url_safety.UnsafeUrl as exc:
        raise UnsafeUrl(str(exc), details={"url": [str(exc)]})
    except url_safety.UrlFetchError as exc:  # the host does not resolve
        raise UnsafeUrl(str(exc), details={"url": ["host not found"]})


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
    reconcile_reliability: ClassVar[str] = ""  # how find_published identifies our post, for operators

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
            raise TemporaryNetworkError(f"{self.network}: could not connect ({type(exc).__name__}).")
        except httpx.TransportError as exc:
            if method in SAFE_METHODS:
                raise TemporaryNetworkError(f"{self.network}: no response ({type(exc).__name__}).")
            raise UnknownOutcome(f"{self.network}: request sent, no response ({type(exc).__name__}).")
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
                raise TemporaryNetworkError(f"The media file could not be fetched ({type(exc).__name__}).")
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


class OAuth2Adapter(HttpAdapter):
    """Standard OAuth 2 authorization-code networks (X, LinkedIn, YouTube, TikTok, Pinterest): the authorize URL,
    the token endpoint calls (code, refresh) and revocation are data; subclasses list the accounts a grant reaches."""

    authorize_endpoint: ClassVar[str]
    token_endpoint: ClassVar[str]
    revoke_endpoint: ClassVar[str] = ""
    scopes: ClassVar[tuple[str, ...]] = ()
    scope_separator: ClassVar[str] = " "
    client_id_param: ClassVar[str] = "client_id"  # TikTok: client_key
    token_client_auth: ClassVar[str] = "body"  # "body": id+secret in the form; "basic": HTTP Basic
    client_id_in_form: ClassVar[bool] = True  # with "basic", whether client_id is repeated in the form
    authorize_extra: ClassVar[dict[str, str]] = {}

    def authorize_url(self, request: AuthorizeRequest) -> str:
        params = {
            self.client_id_param: self.app["client_id"],
            "redirect_uri": request.redirect_uri,
            "response_type": "code",
            "scope": self.scope_separator.join(self.scopes),
            "state": request.state,
            **self.authorize_extra,
        }
        if self.uses_pkce:
            if not request.code_challenge:
                raise ValueError(f"{self.network} needs a PKCE code_challenge.")
            params["code_challenge"] = request.code_challenge
            params["code_challenge_method"] = "S256"
        return f"{self.authorize_endpoint}?{urlencode(params)}"

    def token_request(self, grant: dict[str, str], *, url: str = "") -> dict:
        """POST a form to the token endpoint (or `url`, e.g. revocation) with the client authentication."""
        app = self.app
        form = dict(grant)
        if self.client_id_in_form:
            form[self.client_id_param] = app["client_id"]
        headers = {"Accept": "application/json"}
        if self.token_client_auth == "basic":
            headers["Authorization"] = basic_auth(app["client_id"], app["client_secret"])
        else:
            form["client_secret"] = app["client_secret"]
        return self.call_json("POST", url or self.token_endpoint, data=form, headers=headers)

    def code_tokens(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> dict:
        grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if self.uses_pkce:
            grant["code_verifier"] = code_verifier
        return self.token_request(grant)

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        """A response without a new refresh_token leaves it empty: the caller keeps the one it has."""
        if not credentials.refresh_token:
            raise AuthExpired(f"{self.network}: no refresh token; the channel must be reconnected.")
        payload = self.token_request({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token})
        return token_set_from(payload, owner_id=credentials.external_id)

    def revoke(self, credentials: ChannelCredentials) -> None:
        if not self.revoke_endpoint:
            return super().revoke(credentials)
        self.token_request({"token": credentials.access_token}, url=self.revoke_endpoint)

    def bearer(self, credentials: ChannelCredentials | str) -> dict[str, str]:
        token = credentials if isinstance(credentials, str) else credentials.access_token
        return {"Authorization": f"Bearer {token}"}
