"""Pinterest adapter against respx: OAuth with Basic client auth, pins, video upload, errors, exact reconcile."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.pinterest import API, PinterestAdapter

from .conftest import creds, image, media_file, sent_form, sent_json


@pytest.fixture
def pin(make):
    return make(PinterestAdapter)


def board_request(**kwargs):
    options = {"boardId": "b1", **kwargs.pop("options", {})}
    return PublishRequest(correlation_id="post-1:1", options=options, **kwargs)


def test_authorize_url(pin):
    url = pin.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://www.pinterest.com/oauth/?")
    assert params["scope"] == "boards:read,pins:read,pins:write,user_accounts:read"
    assert params["client_id"] == "pinterest-id"


def test_exchange_code_uses_basic_auth(pin, respx_mock):
    token = respx_mock.post(f"{API}/oauth/token").respond(
        json={"access_token": "pina_1", "refresh_token": "pinr_1", "expires_in": 2592000, "scope": "pins:read"}
    )
    respx_mock.get(f"{API}/user_account").respond(
        json={"id": "u77", "username": "acme", "profile_image": "img", "account_type": "BUSINESS"}
    )
    [account] = pin.exchange_code(code="c", redirect_uri="https://app/cb")
    expected = "Basic " + base64.b64encode(b"pinterest-id:pinterest-secret").decode()
    assert token.calls.last.request.headers["Authorization"] == expected
    assert sent_form(token) == {"grant_type": "authorization_code", "code": "c", "redirect_uri": "https://app/cb"}
    assert (account.external_id, account.username, account.network_url) == (
        "u77",
        "acme",
        "https://www.pinterest.com/acme/",
    )


def test_refresh_keeps_refresh_token_empty(pin, respx_mock):
    route = respx_mock.post(f"{API}/oauth/token").respond(json={"access_token": "pina_2", "expires_in": 2592000})
    tokens = pin.refresh(creds("u77"))
    assert sent_form(route) == {"grant_type": "refresh_token", "refresh_token": "rt"}
    assert (tokens.access_token, tokens.refresh_token) == ("pina_2", "")


def test_image_pin_with_private_note(pin, respx_mock):
    route = respx_mock.post(f"{API}/pins").respond(201, json={"id": "813"})
    request = PublishRequest(
        correlation_id="post-1:1",
        title="Chair",
        text="Oak chair",
        link="https://acme.com/chair",
        media=(image(alt_text="An oak chair"),),
        options={"boardId": "b1", "boardSectionId": "s2"},
    )
    result = pin.publish(creds("u77"), request)
    assert sent_json(route) == {
        "board_id": "b1",
        "board_section_id": "s2",
        "title": "Chair",
        "description": "Oak chair",
        "note": "hubbub:post-1:1",
        "link": "https://acme.com/chair",
        "alt_text": "An oak chair",
        "media_source": {"source_type": "image_url", "url": "https://cdn.hubbub.test/a.jpg"},
    }
    assert (result.remote_id, result.url) == ("813", "https://www.pinterest.com/pin/813/")


def test_carousel_pin(pin, respx_mock):
    route = respx_mock.post(f"{API}/pins").respond(201, json={"id": "9"})
    pin.publish(creds(), board_request(title="t", media=(image("https://c/1.jpg"), image("https://c/2.jpg"))))
    assert sent_json(route)["media_source"] == {
        "source_type": "multiple_image_urls",
        "items": [{"url": "https://c/1.jpg"}, {"url": "https://c/2.jpg"}],
    }


def test_video_pin_registers_uploads_and_waits(pin, respx_mock, tmp_path):
    register = respx_mock.post(f"{API}/media").respond(
        201,
        json={
            "media_id": "m5",
            "media_type": "video",
            "upload_url": "https://pinterest-media-upload.s3.amazonaws.com/",
            "upload_parameters": {"key": "uploads/m5", "policy": "P"},
        },
    )
    s3 = respx_mock.post("https://pinterest-media-upload.s3.amazonaws.com/").respond(204)
    status = respx_mock.get(f"{API}/media/m5")
    status.side_effect = [
        httpx.Response(200, json={"media_id": "m5", "status": "processing"}),
        httpx.Response(200, json={"media_id": "m5", "status": "succeeded"}),
    ]
    pins = respx_mock.post(f"{API}/pins").respond(201, json={"id": "10"})
    item = media_file(tmp_path, "v.mp4", b"VIDEO", "video/mp4", "video")
    pin.publish(creds(), board_request(title="t", media=(item,), options={"coverImageUrl": "https://c/c.jpg"}))
    assert sent_json(register) == {"media_type": "video"}
    assert b"uploads/m5" in s3.calls.last.request.content and b"VIDEO" in s3.calls.last.request.content
    assert status.call_count == 2
    assert sent_json(pins)["media_source"] == {
        "source_type": "video_id",
        "media_id": "m5",
        "cover_image_url": "https://c/c.jpg",
    }


def test_board_is_required(pin, respx_mock):
    with pytest.raises(base.InvalidContent) as caught:
        pin.publish(creds(), PublishRequest(correlation_id="c", media=(image(),)))
    assert caught.value.details == {"boardId": ["required"]}
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (401, {}, base.AuthExpired),
        (403, {}, base.PermissionMissing),
        (429, {"Retry-After": "30"}, base.RateLimited),
        (400, {}, base.InvalidContent),
        (500, {}, base.TemporaryNetworkError),
    ],
)
def test_error_mapping(pin, respx_mock, status, headers, expected):
    respx_mock.post(f"{API}/pins").respond(status, json={"code": 1, "message": "Nope"}, headers=headers)
    with pytest.raises(expected) as caught:
        pin.publish(creds(), board_request(media=(image(),)))
    assert type(caught.value) is expected
    if expected is base.RateLimited:
        assert caught.value.retry_after == 30


def test_timeouts(pin, respx_mock):
    route = respx_mock.post(f"{API}/pins").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(base.UnknownOutcome):
        pin.publish(creds(), board_request(media=(image(),)))
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        pin.publish(creds(), board_request(media=(image(),)))


def test_find_published_by_note_is_exact(pin, respx_mock):
    respx_mock.get(f"{API}/boards/b1/pins").respond(
        json={
            "items": [
                {"id": "1", "note": "hubbub:post-1:0"},
                {"id": "2", "note": "hubbub:post-1:1"},
            ],
            "bookmark": None,
        }
    )
    since = datetime(2026, 3, 1, tzinfo=UTC)
    found = pin.find_published(creds(), correlation_id="post-1:1", since=since, board_id="b1")
    assert found.remote_id == "2"
    assert pin.find_published(creds(), correlation_id="post-9:1", since=since, board_id="b1") is None


def test_boards_paginate_and_delete(pin, respx_mock):
    boards = respx_mock.get(f"{API}/boards")
    boards.side_effect = [
        httpx.Response(200, json={"items": [{"id": "b1", "name": "Spring", "privacy": "PUBLIC"}], "bookmark": "BM"}),
        httpx.Response(200, json={"items": [{"id": "b2", "name": "Secret plans"}], "bookmark": None}),
    ]
    found = pin.lookup_boards(creds())
    assert [(b.id, b.name) for b in found] == [("b1", "Spring"), ("b2", "Secret plans")]
    assert found[0].extra == {"privacy": "PUBLIC"}
    assert boards.calls.last.request.url.params["bookmark"] == "BM"
    delete = respx_mock.delete(f"{API}/pins/813").respond(204)
    pin.delete(creds(), remote_id="813")
    assert delete.called
    with pytest.raises(base.NotSupported):
        pin.fetch_items(creds(), kind="comment")


def test_pin_metrics(pin, respx_mock):
    route = respx_mock.get(f"{API}/pins/813/analytics").respond(
        json={"all": {"summary_metrics": {"IMPRESSION": 50, "SAVE": 4, "PIN_CLICK": 3, "OUTBOUND_CLICK": 2}}}
    )
    assert pin.post_metrics(creds(), remote_id="813").values == {
        "impressions": 50,
        "shares": 4,
        "clicks": 5,
        "engagements": 9,
    }
    assert route.calls.last.request.url.params["metric_types"] == "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"
