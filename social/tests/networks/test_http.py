"""Shared plumbing: transport-error classification, status mapping, Retry-After, tokens, polling, SSRF guard."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from social.networks import base
from social.networks.http import (
    HttpAdapter,
    UnsafeSiteUrl,
    ensure_public_url,
    error_for_status,
    http_timeout,
    parse_retry_after,
    seconds_until_epoch,
)
from social.networks.matching import same_text
from social.networks.oauth2 import token_set_from

URL = "https://api.example.test/thing"


class Plain(HttpAdapter):
    network = "plain"


def test_timeouts_are_explicit_and_come_from_settings(settings):
    settings.NETWORK_HTTP_TIMEOUT = 30
    timeout = http_timeout()
    assert (timeout.read, timeout.write, timeout.connect) == (30, 30, 10)
    assert Plain().client.timeout.read == 30


@pytest.mark.parametrize(
    ("method", "exc", "expected"),
    [
        ("POST", httpx.ConnectError("refused"), base.TemporaryNetworkError),
        ("POST", httpx.ConnectTimeout("slow connect"), base.TemporaryNetworkError),
        ("POST", httpx.ReadTimeout("sent, no answer"), base.UnknownOutcome),
        ("PUT", httpx.RemoteProtocolError("dropped"), base.UnknownOutcome),
        ("DELETE", httpx.WriteTimeout("half sent"), base.UnknownOutcome),
        ("GET", httpx.ReadTimeout("no answer"), base.TemporaryNetworkError),
    ],
)
def test_transport_errors_split_on_whether_the_request_may_have_taken_effect(respx_mock, method, exc, expected):
    respx_mock.route(method=method, url=URL).mock(side_effect=exc)
    with pytest.raises(expected) as caught:
        Plain().call(method, URL)
    assert type(caught.value) is expected
    assert caught.value.retryable is (expected is base.TemporaryNetworkError)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {}, base.AuthExpired),
        (400, {"error": "invalid_grant"}, base.AuthExpired),
        (403, {}, base.PermissionMissing),
        (404, {}, base.NotFound),
        (422, {}, base.InvalidContent),
        (400, {}, base.InvalidContent),
        (503, {}, base.TemporaryNetworkError),
    ],
)
def test_status_mapping(status, body, expected):
    error = error_for_status(httpx.Response(status, json=body))
    assert type(error) is expected
    assert error.status_code == status


def test_429_reads_retry_after_seconds_and_dates():
    assert error_for_status(httpx.Response(429, headers={"Retry-After": "120"})).retry_after == 120
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:05:00 GMT", now=now) == 300
    assert parse_retry_after("soon") is None
    assert seconds_until_epoch("1000090", now=1000000) == 90
    assert seconds_until_epoch(None) is None


def test_token_set_without_refresh_token_stays_empty_so_the_caller_keeps_its_own():
    tokens = token_set_from({"access_token": "a", "expires_in": 3600, "scope": "x,y z"}, owner_id="7")
    assert tokens.refresh_token == ""
    assert tokens.scopes == ("x", "y", "z")
    assert tokens.token_owner_id == "7"
    assert 3590 < (tokens.expires_at - datetime.now(UTC)).total_seconds() <= 3600


def test_poll_is_bounded_and_uses_the_injected_sleep(sleeps):
    adapter = Plain(sleep=sleeps, poll_interval=2, max_polls=3)
    calls = []
    with pytest.raises(base.UnknownOutcome):
        adapter.poll(lambda: calls.append(1), lambda _: False, what="thing")
    assert len(calls) == 3
    assert sleeps == [2, 2]


def test_not_supported_methods_send_nothing(respx_mock):
    with pytest.raises(base.NotSupported):
        Plain().like(base.ChannelCredentials(external_id="1", access_token="t"), remote_id="9")
    assert not respx_mock.calls


def test_text_matching_ignores_links_case_and_whitespace():
    assert same_text("Hello  world https://a.b/c more", "hello world https://t.co/xyz more and more")
    assert not same_text("Hello world", "Goodbye world")
    assert not same_text("", "anything")


@pytest.mark.usefixtures("public_dns")
def test_ssrf_guard():
    checked = ensure_public_url("https://blog.example.com")
    assert (checked.host, checked.address) == ("blog.example.com", "93.184.216.34")
    for url in ("http://blog.example.com", "https://private.example.com", "https://127.0.0.1", "https://u:p@x.com"):
        with pytest.raises(UnsafeSiteUrl):
            ensure_public_url(url)
    assert ensure_public_url("http://blog.example.com", allow_http=True)
