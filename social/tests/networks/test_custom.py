"""The custom channel's endpoint adapter: one signed POST to `endpointUrl`, the SSRF guard at send time, no
redirects, errors classified as for every network (not sent / sent without answer / refused)."""

from __future__ import annotations

import httpx
import pytest

from social.networks.base import ChannelCredentials, NotSupported, TemporaryNetworkError, UnknownOutcome
from social.networks.custom import CustomEndpointAdapter, RedirectRefused
from social.networks.http import UnsafeSiteUrl

pytestmark = pytest.mark.usefixtures("public_dns")
URL = "https://hooks.example.com/inbox"


def creds(url: str = URL) -> ChannelCredentials:
    return ChannelCredentials(external_id="custom-1", access_token="", extra={"endpointUrl": url} if url else {})


def deliver(url: str = URL) -> int:
    return CustomEndpointAdapter().deliver(creds(url), body=b'{"a":1}', headers={"webhook-id": "msg_1"})


def test_delivers_the_body_and_headers_as_given(respx_mock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(204))
    assert deliver() == 204
    assert route.calls.last.request.content == b'{"a":1}' and route.calls.last.request.headers["webhook-id"] == "msg_1"


@pytest.mark.parametrize("url", ["https://private.example.com/x", "http://hooks.example.com/x", "https://127.0.0.1/x"])
def test_unsafe_endpoints_are_refused_before_anything_is_sent(respx_mock, url):
    with pytest.raises(UnsafeSiteUrl):
        deliver(url)
    assert not respx_mock.calls


def test_no_endpoint_is_not_supported():
    with pytest.raises(NotSupported):
        deliver("")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(302, headers={"location": "http://10.0.0.1/"}), RedirectRefused),
        (httpx.Response(503), TemporaryNetworkError),
        (httpx.ConnectError("refused"), TemporaryNetworkError),
        (httpx.ReadTimeout("slow"), UnknownOutcome),
    ],
)
def test_failures_are_classified(respx_mock, answer, error):
    route = respx_mock.post(URL)
    route.mock(side_effect=answer) if isinstance(answer, Exception) else route.mock(return_value=answer)
    with pytest.raises(error):
        deliver()
