"""Fetching URLs a tenant gives us without letting them reach our own network (SSRF guard).

Rules: only http/https, no credentials in the URL; the host is resolved once and EVERY address it resolves to must
be public (no private, loopback, link-local, multicast, reserved, unspecified, shared or documentation ranges,
IPv4 and IPv6, with IPv4 embedded in IPv6 unwrapped: mapped, 6to4, NAT64, Teredo). The connection then goes to the
address that was checked: `PinnedTransport` gives httpcore a network backend that dials only that IP for that host
name, so a second DNS answer (rebinding) is never consulted, while TLS still verifies the certificate and sends SNI
for the real host name (the URL keeps its host). Redirects are followed by hand, at most `max_redirects`, and each
hop is checked the same way. The body is streamed to a temporary file and the fetch aborts past `max_bytes` or
past the total time budget.

Host spellings such as `2130706433`, `0x7f.1`, `0177.0.0.1` or `[::ffff:127.0.0.1]` are resolved by the same
resolver the connection would use (`getaddrinfo` turns them into 127.0.0.1) and are then refused like any
loopback address. Shared with the network adapters (e.g. fetching a post's media from a tenant-supplied URL).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import tempfile
import time
from dataclasses import dataclass
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = {301, 302, 303, 307, 308}

ALLOWED_SCHEMES = {"http", "https"}
DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK_SIZE = 64 * 1024

# Ranges `ipaddress` does not already flag as non-global in every supported Python version.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlFetchError(Exception):
    """Base class: the URL could not be fetched safely. `reason` is a short machine-readable code."""

    reason = "FETCH_FAILED"


class UnsafeUrl(UrlFetchError):
    """The URL (or a redirect hop) is not allowed: scheme, credentials, or a non-public address."""

    reason = "URL_NOT_ALLOWED"


class TooManyRedirects(UrlFetchError):
    reason = "TOO_MANY_REDIRECTS"


class ResponseTooLarge(UrlFetchError):
    reason = "TOO_LARGE"


class FetchTimeout(UrlFetchError):
    reason = "TIMEOUT"


class FetchFailed(UrlFetchError):
    """The remote answered with an error status (`status_code`) or the connection failed (`status_code` None)."""

    reason = "FETCH_FAILED"

    def __init__(self, message: str = "", *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True only for a globally routable unicast address (IPv4 inside IPv6 is judged as the IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(str(embedded))
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip in network for network in _EXTRA_BLOCKED if network.version == ip.version)


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses `host` resolves to (tests replace this). Numeric spellings are normalised by getaddrinfo."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"Cannot resolve host {host!r}.") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    host: str
    port: int
    address: str  # the public IP the connection must go to


def check_url(url: str) -> CheckedUrl:
    """Validate the URL's form and resolve its host; every resolved address must be public."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL is malformed.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeUrl("Only http and https URLs are allowed.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("URLs with credentials are not allowed.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("The URL has no host.")
    port = port or DEFAULT_PORTS[scheme]
    addresses = resolve_host(host, port)
    if not addresses:
        raise FetchFailed(f"Host {host!r} has no address.")
    refused = [address for address in addresses if not is_public_address(address)]
    if refused:
        raise UnsafeUrl(f"The host {host!r} resolves to a non-public address.")
    return CheckedUrl(url=url.strip(), host=parts.hostname or host, port=port, address=addresses[0])


class PinnedBackend(httpcore.NetworkBackend):
    """Dials the checked IP whenever httpcore asks for the checked host; any other host is refused."""

    def __init__(self, host: str, address: str, inner: httpcore.NetworkBackend | None = None) -> None:
        self.host = host.lower()
        self.address = address
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        requested = host.decode() if isinstance(host, bytes) else host
        if requested.lower().strip("[]") != self.host.strip("[]"):
            raise httpcore.ConnectError(f"Connection to {requested!r} refused: only {self.host!r} is pinned.")
        return self.inner.connect_tcp(
            self.address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    def connect_unix_socket(self, *args, **kwargs):
        raise httpcore.ConnectError("Unix sockets are not allowed.")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go only to the pre-checked address of one host (no proxy, no env)."""

    def __init__(self, checked: CheckedUrl, *, backend: httpcore.NetworkBackend | None = None) -> None:
        super().__init__(trust_env=False)
        # httpx does not expose the network backend; the pool is rebuilt with the same TLS context plus our backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=self._pool._ssl_context,
            max_connections=1,
            network_backend=PinnedBackend(checked.host, checked.address, backend),
        )


@dataclass
class FetchedFile:
    file: IO[bytes]  # a temporary file positioned at 0; the caller closes it (it is deleted on close)
    size: int
    content_type: str
    final_url: str


def fetch_to_tempfile(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 30.0,
    max_redirects: int = 3,
    headers: dict[str, str] | None = None,
) -> FetchedFile:
    """GET `url` safely (see module docstring) into a temporary file. Raises a `UrlFetchError` subclass."""
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(max_redirects + 1):
        checked = check_url(current)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout("The download took too long.")
        transport = PinnedTransport(checked)
        try:
            with (
                httpx.Client(transport=transport, timeout=remaining, follow_redirects=False, trust_env=False) as client,
                client.stream("GET", checked.url, headers=headers) as response,
            ):
                if response.status_code in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchFailed("A redirect without a Location header.")
                    current = urljoin(str(response.url), location)
                    continue
                if response.status_code >= 400:
                    raise FetchFailed(f"The server answered {response.status_code}.", status_code=response.status_code)
                return _stream_body(response, max_bytes=max_bytes, deadline=deadline, final_url=checked.url)
        except httpx.TimeoutException as exc:
            raise FetchTimeout("The download took too long.") from exc
        except httpx.HTTPError as exc:
            # The raw error names sockets, addresses and TLS internals: log it, answer in plain words.
            logger.info("download of %s failed: %r", checked.host, exc)
            raise FetchFailed(_plain_failure(exc)) from exc
    raise TooManyRedirects(f"More than {max_redirects} redirects.")


def _plain_failure(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "The server could not be reached."
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "The server closed the connection or answered malformed HTTP."
    return "The download failed."


def _stream_body(response: httpx.Response, *, max_bytes: int, deadline: float, final_url: str) -> FetchedFile:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"The file is larger than {max_bytes} bytes.")
    target = tempfile.NamedTemporaryFile(prefix="hubbub-fetch-", suffix=".part")  # noqa: SIM115 (returned open)
    size = 0
    try:
        for chunk in response.iter_bytes(CHUNK_SIZE):
            size += len(chunk)
            if size > max_bytes:
                raise ResponseTooLarge(f"The file is larger than {max_bytes} bytes.")
            if time.monotonic() > deadline:
                raise FetchTimeout("The download took too long.")
            target.write(chunk)
        target.flush()
        target.seek(0)
    except BaseException:
        target.close()
        raise
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return FetchedFile(file=target, size=size, content_type=content_type, final_url=final_url)
