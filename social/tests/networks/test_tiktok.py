"""TikTok adapter against respx: Login Kit PKCE, creator info, video/photo init, chunk upload, status polling."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.tiktok import API, TikTokAdapter, chunk_plan

from .conftest import creds, image, media_file, sent_form, sent_json, video

OK = {"code": "ok", "message": "", "log_id": "L1"}
CREATOR = {
    "data": {
        "creator_username": "acme",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": True,
        "max_video_post_duration_sec": 300,
    },
    "error": OK,
}


@pytest.fixture
def tt(make):
    return make(TikTokAdapter)


def ok(data):
    return httpx.Response(200, json={"data": data, "error": OK})


def test_authorize_url_pkce_and_client_key(tt):
    url = tt.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st", code_challenge="ch"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://www.tiktok.com/v2/auth/authorize/?")
    assert params["client_key"] == "tiktok-id"
    assert (params["code_challenge"], params["code_challenge_method"]) == ("ch", "S256")
    assert "video.publish" in params["scope"].split(",")
    with pytest.raises(ValueError):
        tt.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st"))


def test_exchange_code(tt, respx_mock):
    token = respx_mock.post(f"{API}/oauth/token/").respond(
        json={
            "access_token": "act.1",
            "expires_in": 86400,
            "open_id": "oid",
            "refresh_token": "rft.1",
            "refresh_expires_in": 31536000,
            "scope": "user.info.basic,video.publish",
            "token_type": "Bearer",
        }
    )
    respx_mock.get(f"{API}/user/info/").mock(
        return_value=ok({"user": {"open_id": "oid", "display_name": "Acme", "username": "acme", "avatar_url": "a"}})
    )
    [account] = tt.exchange_code(code="c", redirect_uri="https://app/cb", code_verifier="v")
    assert sent_form(token) == {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": "https://app/cb",
        "code_verifier": "v",
        "client_key": "tiktok-id",
        "client_secret": "tiktok-secret",
    }
    assert (account.external_id, account.username, account.network_url) == (
        "oid",
        "acme",
        "https://www.tiktok.com/@acme",
    )
    assert account.tokens.scopes == ("user.info.basic", "video.publish")


def test_refresh_without_refresh_token_in_response(tt, respx_mock):
    respx_mock.post(f"{API}/oauth/token/").respond(json={"access_token": "act.2", "expires_in": 86400})
    assert tt.refresh(creds("oid")).refresh_token == ""


def test_pull_from_url_video_polled_to_completion(tt, respx_mock, sleeps):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    init = respx_mock.post(f"{API}/post/publish/video/init/").mock(return_value=ok({"publish_id": "v_pub_1"}))
    status = respx_mock.post(f"{API}/post/publish/status/fetch/")
    status.side_effect = [
        ok({"status": "PROCESSING_DOWNLOAD"}),
        ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7291]}),
    ]
    request = PublishRequest(
        correlation_id="c",
        text="Dance #fyp",
        media=(video(),),
        options={"privacyLevel": "PUBLIC_TO_EVERYONE", "allowComments": True, "allowDuet": False},
    )
    result = tt.publish(creds("oid"), request)
    assert sent_json(init) == {
        "post_info": {
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": False,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
            "title": "Dance #fyp",
            "disable_duet": True,
            "disable_stitch": True,  # the creator disabled stitches
        },
        "source_info": {"source": "PULL_FROM_URL", "video_url": "https://cdn.hubbub.test/v.mp4"},
    }
    assert sent_json(status) == {"publish_id": "v_pub_1"}
    assert sleeps == [0.5]
    assert (result.remote_id, result.url, result.request_id) == (
        "7291",
        "https://www.tiktok.com/@acme/video/7291",
        "v_pub_1",
    )


def test_file_upload_video(tt, respx_mock, tmp_path):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    init = respx_mock.post(f"{API}/post/publish/video/init/").mock(
        return_value=ok({"publish_id": "p2", "upload_url": "https://open-upload.tiktokapis.com/video/?upload_id=1"})
    )
    put = respx_mock.put("https://open-upload.tiktokapis.com/video/?upload_id=1").respond(201)
    respx_mock.post(f"{API}/post/publish/status/fetch/").mock(return_value=ok({"status": "PUBLISH_COMPLETE"}))
    item = media_file(tmp_path, "v.mp4", b"0123456789", "video/mp4", "video")
    result = tt.publish(
        creds("oid"), PublishRequest(correlation_id="c", text="x", media=(item,), options={"privacyLevel": "SELF_ONLY"})
    )
    assert sent_json(init)["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 10,
        "chunk_size": 10,
        "total_chunk_count": 1,
    }
    assert put.calls.last.request.headers["Content-Range"] == "bytes 0-9/10"
    assert put.calls.last.request.content == b"0123456789"
    assert result.remote_id == "publish:p2"  # private post: no public id


def test_chunk_plan():
    mb = 1024 * 1024
    assert chunk_plan(3 * mb, 10 * mb) == (3 * mb, 1)
    assert chunk_plan(25 * mb, 10 * mb) == (10 * mb, 2)  # the last chunk carries the remainder


def test_photo_post(tt, respx_mock):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    init = respx_mock.post(f"{API}/post/publish/content/init/").mock(return_value=ok({"publish_id": "ph1"}))
    respx_mock.post(f"{API}/post/publish/status/fetch/").mock(
        return_value=ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [55]})
    )
    request = PublishRequest(
        correlation_id="c",
        title="Album",
        text="Our week",
        media=(image("https://cdn.hubbub.test/1.jpg"), image("https://cdn.hubbub.test/2.jpg")),
        options={"privacyLevel": "PUBLIC_TO_EVERYONE"},
    )
    tt.publish(creds("oid"), request)
    body = sent_json(init)
    assert body["media_type"] == "PHOTO" and body["post_mode"] == "DIRECT_POST"
    assert body["source_info"] == {
        "source": "PULL_FROM_URL",
        "photo_cover_index": 0,
        "photo_images": ["https://cdn.hubbub.test/1.jpg", "https://cdn.hubbub.test/2.jpg"],
    }
    assert (body["post_info"]["title"], body["post_info"]["description"]) == ("Album", "Our week")


def test_privacy_level_must_be_chosen_from_the_creator_options(tt, respx_mock):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    init = respx_mock.post(f"{API}/post/publish/video/init/")
    with pytest.raises(base.InvalidContent) as caught:
        tt.publish(creds("oid"), PublishRequest(correlation_id="c", text="x", media=(video(),)))
    assert caught.value.details == {"privacyLevel": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]}
    assert not init.called


def test_failed_processing_is_invalid_content(tt, respx_mock):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    respx_mock.post(f"{API}/post/publish/video/init/").mock(return_value=ok({"publish_id": "p"}))
    respx_mock.post(f"{API}/post/publish/status/fetch/").mock(
        return_value=ok({"status": "FAILED", "fail_reason": "duration_check_failed"})
    )
    with pytest.raises(base.InvalidContent) as caught:
        tt.publish(
            creds("oid"), PublishRequest(correlation_id="c", media=(video(),), options={"privacyLevel": "SELF_ONLY"})
        )
    assert caught.value.details == {"media": ["duration_check_failed"]}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "access_token_invalid", base.AuthExpired),
        (403, "scope_not_authorized", base.PermissionMissing),
        (429, "rate_limit_exceeded", base.RateLimited),
        (403, "spam_risk_too_many_posts", base.RateLimited),
        (400, "invalid_params", base.InvalidContent),
        (403, "unaudited_client_can_only_post_to_private_accounts", base.InvalidContent),
        (500, "internal_error", base.TemporaryNetworkError),
        (502, "something_new", base.TemporaryNetworkError),
    ],
)
def test_error_mapping(tt, respx_mock, status, code, expected):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(
        status, json={"data": {}, "error": {"code": code, "message": code, "log_id": "L"}}
    )
    with pytest.raises(expected) as caught:
        tt.publish(creds("oid"), PublishRequest(correlation_id="c", media=(video(),)))
    assert type(caught.value) is expected


def test_error_code_with_http_200_is_still_an_error(tt, respx_mock):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(
        json={"data": {}, "error": {"code": "access_token_invalid", "message": "expired"}}
    )
    with pytest.raises(base.AuthExpired):
        tt.publish(creds("oid"), PublishRequest(correlation_id="c", media=(video(),)))


def test_timeouts(tt, respx_mock):
    respx_mock.post(f"{API}/post/publish/creator_info/query/").respond(json=CREATOR)
    init = respx_mock.post(f"{API}/post/publish/video/init/").mock(side_effect=httpx.ReadTimeout("t"))
    request = PublishRequest(correlation_id="c", media=(video(),), options={"privacyLevel": "SELF_ONLY"})
    with pytest.raises(base.UnknownOutcome):
        tt.publish(creds("oid"), request)
    init.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        tt.publish(creds("oid"), request)


def test_find_published_via_video_list(tt, respx_mock):
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    route = respx_mock.post(f"{API}/video/list/").mock(
        return_value=ok(
            {
                "videos": [
                    {"id": "v2", "video_description": "Dance #fyp", "create_time": int(since.timestamp()) + 20},
                    {"id": "v1", "video_description": "Dance #fyp", "create_time": int(since.timestamp()) - 999},
                ],
                "has_more": False,
            }
        )
    )
    found = tt.find_published(creds("oid"), correlation_id="c", since=since, text="Dance #fyp")
    assert found.remote_id == "v2"
    assert "video_description" in route.calls.last.request.url.params["fields"]


def test_unsupported_capabilities_send_nothing(tt, respx_mock):
    for call in (
        lambda: tt.fetch_items(creds(), kind="comment"),
        lambda: tt.delete(creds(), remote_id="1"),
        lambda: tt.reply(creds(), remote_id="1", text="x"),
        lambda: tt.hide(creds(), remote_id="1"),
    ):
        with pytest.raises(base.NotSupported):
            call()
    assert not respx_mock.calls
