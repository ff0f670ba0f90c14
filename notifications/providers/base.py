"""What every notification provider adapter shares: the outbound message, the result, the error taxonomy, and the
one HTTP call with its classification.

Error discipline (as in social/networks/http.py): a request that never reached the provider (connect error,
connect timeout) failed and may go to the next provider; a request that was sent but got no answer (read timeout,
dropped connection) has an UNKNOWN outcome and is never retried elsewhere, so a person is not told twice.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import re
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from django.conf import settings

from core.notify import Attachment
from notifications.templates import Parts

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of ms of CPU (150 ms on a loaded box): once per process, not per client.
    return httpx.create_ssl_context()


def new_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False, verify=_ssl_context())


@dataclass(frozen=True)
class OutboundMessage:
    """Rendered content plus the subscriber's addresses; each adapter reads what its channel needs."""

    subject: str = ""
    body: str = ""
    html: str = ""
    to_email: str = ""
    to_phone: str = ""
    device_tokens: tuple[str, ...] = ()
    webhook_url: str = ""
    sender_channel_id: str = ""  # X DMs: the tenant's X channel that sends
    recipient_id: str = ""  # X DMs: the recipient's X user id
    push_subscriptions: tuple[dict[str, Any], ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    status_callback: str = ""  # where the provider posts delivery receipts (Twilio takes it per message)
    attachments: tuple[Attachment, ...] = ()  # email: files sent with the message (a report's PDF)
    variables: dict[str, str] = field(default_factory=dict)  # this recipient's values of a batch's slots


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    response: Any = None


class ProviderError(Exception):
    """A provider call failed. `retryable`: another attempt (or the next provider) may succeed."""

    code = "PROVIDER_ERROR"
    retryable = False

    def __init__(
        self, message: str, *, status_code: int | None = None, response: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.response = response
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "statusCode": self.status_code,
            "retryAfter": self.retry_after,
            "response": self.response,
        }


class ProviderUnavailable(ProviderError):
    code = "PROVIDER_UNAVAILABLE"
    retryable = True


class ProviderRateLimited(ProviderError):
    code = "PROVIDER_RATE_LIMITED"
    retryable = True


class ProviderAuthFailed(ProviderError):
    code = "PROVIDER_AUTH_FAILED"


class ProviderRejected(ProviderError):
    """The provider refused this message (bad address, invalid token, content): retrying will not help."""

    code = "PROVIDER_REJECTED"


class MissingAddress(ProviderError):
    code = "MISSING_ADDRESS"


class UnknownOutcome(ProviderError):
    """Sent, but no answer: it may have gone out. Never retried, never tried elsewhere."""

    code = "UNKNOWN_OUTCOME"


# A batch's subject, body and html rendered once (`templates.personalize`): literal text and slots.
SharedContent = Mapping[str, Parts]
Outcome = SendResult | ProviderError


def stops_batch(exc: ProviderError) -> bool:
    """An error of the provider itself (down, throttling, refusing the key, not answering), not of one message:
    the rest of a batch is not sent to it."""
    return exc.retryable or isinstance(exc, ProviderAuthFailed | UnknownOutcome)


def distinct_recipients(messages: list[OutboundMessage], limit: int) -> list[list[int]]:
    """Indexes of `messages` in groups of at most `limit` where no address appears twice (a batch API keys each
    recipient's values by address)."""
    groups: list[tuple[set[str], list[int]]] = []
    for index, message in enumerate(messages):
        address = message.to_email.lower()
        group = next((g for g in groups if address not in g[0] and len(g[1]) < limit), None)
        if group is None:
            group = (set(), [])
            groups.append(group)
        group[0].add(address)
        group[1].append(index)
    return [indexes for _, indexes in groups]


def parse_retry_after(value: str | None) -> int | None:
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
    return max(0, int((when - datetime.now(UTC)).total_seconds()))


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:1000]}


def error_for_status(response: httpx.Response, message: str = "") -> ProviderError:
    status = response.status_code
    body = body_of(response)
    message = message or f"HTTP {status}"
    if status == 429:
        return ProviderRateLimited(
            message,
            status_code=status,
            response=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if status in (401, 403):
        return ProviderAuthFailed(message, status_code=status, response=body)
    if status >= 500:
        return ProviderUnavailable(
            message,
            status_code=status,
            response=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    return ProviderRejected(message, status_code=status, response=body)


def call(
    method: str,
    url: str,
    *,
    client: httpx.Client | None = None,
    safe: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """One request with the timeout policy; transport errors classified. `safe`: a read, always retryable."""
    owned = client is None
    client = client or new_client()
    try:
        return client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise ProviderUnavailable(f"Could not reach the provider: {exc}") from exc
    except httpx.TransportError as exc:
        if safe:
            raise ProviderUnavailable(f"The provider did not answer: {exc}") from exc
        raise UnknownOutcome(f"Sent, but the provider did not answer: {exc}") from exc
    finally:
        if owned:
            client.close()


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    is_secret: bool = True
    is_required: bool = True


def require_format(value: str, pattern: str, what: str) -> str:
    """Credential values that end up in a URL's host or path must have their documented shape (no `/`, `#`, `@`
    smuggling the request to another host or endpoint)."""
    if not re.fullmatch(pattern, value or ""):
        raise ProviderAuthFailed(f"The {what} {value!r} does not have the expected format.")
    return value


class Provider:
    """An adapter: `send()` delivers one message, `check()` makes a harmless authenticated call."""

    id: ClassVar[str]
    channel: ClassVar[str]
    display_name: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()

    def __init__(self, credentials: dict[str, Any]) -> None:
        self.credentials = credentials
        self.client: httpx.Client | None = None  # set by `pooled()`: calls share its connections

    @contextlib.contextmanager
    def pooled(self) -> Iterator[None]:
        """One HTTP client (one TLS setup, kept-alive connections) for every call made inside (re-entrant)."""
        if self.client is not None:
            yield
            return
        with new_client() as client:
            self.client = client
            try:
                yield
            finally:
                self.client = None

    def cred(self, key: str, default: str = "") -> str:
        return str(self.credentials.get(key) or default)

    def api_base(self, default: str) -> str:
        """The provider's API root, unless the operator points this provider elsewhere (a local fake)."""
        return settings.NOTIFICATIONS_PROVIDER_API_BASES.get(self.id, default).rstrip("/")

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError

    def send_batch(self, messages: list[OutboundMessage], shared: SharedContent | None = None) -> list[Outcome]:
        """One outcome per message, in order. Here: `send` each over one pooled connection; once the provider itself
        fails (`stops_batch`), the messages not yet sent get that error, or, after an unknown outcome (the provider
        stopped answering), a retryable "not tried". Providers with a batch API override this with `shared`."""
        outcomes: list[Outcome] = []
        stopped: ProviderError | None = None
        try:
            with self.pooled():
                for message in messages:
                    try:
                        outcomes.append(self.send(message))
                    except ProviderError as exc:
                        outcomes.append(exc)
                        if stops_batch(exc):
                            stopped = exc
                            break
        except ProviderError as exc:  # opening the connection (SMTP) failed: nothing was sent
            stopped = stopped or exc
        if stopped is not None and len(outcomes) < len(messages):
            if isinstance(stopped, UnknownOutcome):
                stopped = ProviderUnavailable(f"Not tried: the provider stopped answering ({stopped.message})")
            outcomes += [stopped] * (len(messages) - len(outcomes))
        return outcomes

    def check(self) -> None:
        raise NotImplementedError

    @classmethod
    def missing_credentials(cls, credentials: dict[str, Any]) -> list[str]:
        return [f.key for f in cls.credential_fields if f.is_required and not credentials.get(f.key)]
