import socket

import httpcore
import httpx
import pytest
import respx

from core import url_safety

PUBLIC_IP = "93.184.216.34"


@pytest.fixture
def resolver(monkeypatch):
    """Map host names to addresses without DNS; unknown names fail like a missing record."""
    table: dict[str, list[str]] = {"files.example.com": [PUBLIC_IP], "cdn.example.net": ["151.101.1.1"]}

    def resolve(host, port):
        if host in table:
            return table[host]
        return _numeric_resolve(host, port)  # IP literals in any spelling, offline

    monkeypatch.setattr(url_safety, "resolve_host", resolve)
    return table


def _numeric_resolve(host, port):
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    return [info[4][0] for info in infos]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "198.18.0.1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert url_safety.is_public_address(address) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert url_safety.is_public_address(address) is True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0177.0.0.1/",  # octal
        "http://0x7f.1/",  # hex, short form
        "http://localhost/",
    ],
)
def test_urls_to_internal_hosts_are_refused_before_any_request(url):
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        with pytest.raises(url_safety.UnsafeUrl):
            url_safety.fetch_to_tempfile(url, max_bytes=1000)
    assert not route.called


@pytest.mark.parametrize("url", ["ftp://files.example.com/a.png", "file:///etc/passwd", "gopher://x/", "//x/y"])
def test_other_schemes_are_refused(url):
    with pytest.raises(url_safety.UnsafeUrl):
        url_safety.check_url(url)


def test_credentials_in_the_url_are_refused(resolver):
    with pytest.raises(url_safety.UnsafeUrl):
        url_safety.check_url("http://user:pw@files.example.com/a.png")


def test_a_host_with_any_private_address_is_refused(resolver):
    resolver["mixed.example.com"] = [PUBLIC_IP, "10.0.0.5"]
    with pytest.raises(url_safety.UnsafeUrl):
        url_safety.check_url("https://mixed.example.com/a.png")


@respx.mock
def test_public_hop_redirecting_to_loopback_is_refused(resolver):
    first = respx.get("https://files.example.com/a.png").mock(
        return_value=httpx.Response(302, headers={"Location": "http://127.0.0.1:8000/admin/"})
    )
    internal = respx.get("http://127.0.0.1:8000/admin/").mock(return_value=httpx.Response(200, content=b"secret"))
    with pytest.raises(url_safety.UnsafeUrl):
        url_safety.fetch_to_tempfile("https://files.example.com/a.png", max_bytes=1000)
    assert first.called and not internal.called


@respx.mock
def test_redirect_to_a_name_resolving_privately_is_refused(resolver):
    resolver["internal.example.com"] = ["10.0.0.7"]
    respx.get("https://files.example.com/a.png").mock(
        return_value=httpx.Response(301, headers={"Location": "https://internal.example.com/x"})
    )
    with pytest.raises(url_safety.UnsafeUrl):
        url_safety.fetch_to_tempfile("https://files.example.com/a.png", max_bytes=1000)


@respx.mock
def test_three_redirects_are_followed_the_fourth_is_refused(resolver):
    for i in range(4):
        respx.get(f"https://files.example.com/{i}").mock(
            return_value=httpx.Response(302, headers={"Location": f"/{i + 1}"})
        )
    respx.get("https://files.example.com/4").mock(return_value=httpx.Response(200, content=b"x"))
    with pytest.raises(url_safety.TooManyRedirects):
        url_safety.fetch_to_tempfile("https://files.example.com/0", max_bytes=1000)
    fetched = url_safety.fetch_to_tempfile("https://files.example.com/1", max_bytes=1000)
    with fetched.file:
        assert fetched.file.read() == b"x"
    assert fetched.final_url == "https://files.example.com/4"


@respx.mock
def test_declared_too_large_body_is_refused(resolver):
    respx.get("https://files.example.com/big").mock(
        return_value=httpx.Response(200, headers={"Content-Length": "5000"}, content=b"x" * 5000)
    )
    with pytest.raises(url_safety.ResponseTooLarge):
        url_safety.fetch_to_tempfile("https://files.example.com/big", max_bytes=1000)


@respx.mock
def test_streamed_body_past_the_cap_is_aborted(resolver):
    def chunks():
        for _ in range(100):
            yield b"y" * 100

    respx.get("https://files.example.com/stream").mock(return_value=httpx.Response(200, content=chunks()))
    with pytest.raises(url_safety.ResponseTooLarge):
        url_safety.fetch_to_tempfile("https://files.example.com/stream", max_bytes=1000)


@respx.mock
def test_error_status_and_timeouts_are_fetch_errors(resolver):
    respx.get("https://files.example.com/gone").mock(return_value=httpx.Response(404))
    respx.get("https://files.example.com/slow").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(url_safety.FetchFailed):
        url_safety.fetch_to_tempfile("https://files.example.com/gone", max_bytes=1000)
    with pytest.raises(url_safety.FetchTimeout):
        url_safety.fetch_to_tempfile("https://files.example.com/slow", max_bytes=1000)


def test_pinned_backend_dials_the_checked_ip_not_the_name():
    class Recorder(httpcore.NetworkBackend):
        calls: list = []

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            self.calls.append((host, port))
            raise httpcore.ConnectError("recorded")

    inner = Recorder()
    backend = url_safety.PinnedBackend("files.example.com", PUBLIC_IP, inner)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("files.example.com", 443)
    assert inner.calls == [(PUBLIC_IP, 443)]
    with pytest.raises(httpcore.ConnectError, match="only"):
        backend.connect_tcp("evil.example.com", 443)
    assert inner.calls == [(PUBLIC_IP, 443)]


def test_transport_connects_to_the_pinned_address_with_the_original_host_header(monkeypatch):
    """A real (local) round trip: the URL names a host that does not resolve; the pinned IP is what is dialled."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        checked = url_safety.CheckedUrl(
            url=f"http://pinned.invalid:{port}/x", host="pinned.invalid", port=port, address="127.0.0.1"
        )
        with httpx.Client(transport=url_safety.PinnedTransport(checked)) as client:
            response = client.get(checked.url)
        assert response.content == b"ok"
        assert seen["host"] == f"pinned.invalid:{port}"
    finally:
        server.shutdown()
