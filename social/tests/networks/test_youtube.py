"""YouTube adapter against respx: Google OAuth, resumable upload (308 + Range), error reasons, reconciliation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.youtube import API, UPLOAD, YouTubeAdapter, seconds_until_quota_reset

from .conftest import creds, media_file, sent_form, sent_json

SESSION = "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=XYZ"


@pytest.fixture
def yt(make):
    adapter = make(YouTubeAdapter)
    adapter.chunk_size = 4
    return adapter


def yt_creds():
    return creds("UCabc123", token="ya29", uploads_playlist="UUabc123")


def test_authorize_url_asks_offline_access_and_consent(yt):
    url = yt.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert params["access_type"] == "offline"
    assert params["prompt"] == "consent"
    assert "https://www.googleapis.com/auth/youtube.upload" in params["scope"].split(" ")


def test_exchange_code_lists_my_channels(yt, respx_mock):
    token = respx_mock.post("https://oauth2.googleapis.com/token").respond(
        json={"access_token": "ya29", "refresh_token": "1//r", "expires_in": 3599, "scope": "a b"}
    )
    channels = respx_mock.get(f"{API}/channels").respond(
        json={
            "items": [
                {
                    "id": "UCabc123",
                    "snippet": {"title": "Acme TV", "customUrl": "@acmetv", "thumbnails": {"default": {"url": "t"}}},
                    "contentDetails": {"relatedPlaylists": {"uploads": "UUabc123"}},
                }
            ]
        }
    )
    [account] = yt.exchange_code(code="4/0", redirect_uri="https://app/cb")
    assert sent_form(token) == {
        "grant_type": "authorization_code",
        "code": "4/0",
        "redirect_uri": "https://app/cb",
        "client_id": "youtube-id",
        "client_secret": "youtube-secret",
    }
    assert channels.calls.last.request.url.params["mine"] == "true"
    assert (account.external_id, account.name, account.network_url) == (
        "UCabc123",
        "Acme TV",
        "https://www.youtube.com/@acmetv",
    )
    assert account.tokens.refresh_token == "1//r"
    assert account.extra == {"uploads_playlist": "UUabc123"}


def test_refresh_keeps_refresh_token_empty_when_google_sends_none(yt, respx_mock):
    respx_mock.post("https://oauth2.googleapis.com/token").respond(json={"access_token": "new", "expires_in": 3599})
    assert yt.refresh(yt_creds()).refresh_token == ""
    respx_mock.post("https://oauth2.googleapis.com/token").respond(
        400, json={"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    )
    with pytest.raises(base.AuthExpired):
        yt.refresh(yt_creds())


def test_resumable_upload_end_to_end(yt, respx_mock, tmp_path):
    init = respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    chunks = respx_mock.put(SESSION)
    chunks.side_effect = [
        httpx.Response(308, headers={"Range": "bytes=0-3"}),
        httpx.Response(308, headers={"Range": "bytes=0-5"}),  # the server kept only 2 bytes of the 2nd chunk
        httpx.Response(200, json={"id": "vid123", "snippet": {"title": "Demo"}}),
    ]
    item = media_file(tmp_path, "v.mp4", b"abcdefghij", "video/mp4", "video")
    request = PublishRequest(
        correlation_id="c",
        title="Demo",
        text="Description",
        media=(item,),
        options={"privacy": "unlisted", "tags": ["a"]},
    )
    result = yt.publish(yt_creds(), request)
    assert init.calls.last.request.url.params["uploadType"] == "resumable"
    assert init.calls.last.request.url.params["part"] == "snippet,status"
    assert init.calls.last.request.headers["X-Upload-Content-Length"] == "10"
    assert init.calls.last.request.headers["X-Upload-Content-Type"] == "video/mp4"
    assert sent_json(init) == {
        "snippet": {"title": "Demo", "description": "Description", "categoryId": "22", "tags": ["a"]},
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
    }
    sent = [(c.request.headers["Content-Range"], c.request.content) for c in chunks.calls]
    assert sent == [("bytes 0-3/10", b"abcd"), ("bytes 4-7/10", b"efgh"), ("bytes 6-9/10", b"ghij")]
    assert (result.remote_id, result.url) == ("vid123", "https://www.youtube.com/watch?v=vid123")


def test_interrupted_chunk_resumes_from_the_session_state(yt, respx_mock, tmp_path):
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    chunks = respx_mock.put(SESSION)
    chunks.side_effect = [
        httpx.ReadTimeout("t"),  # first chunk: no answer
        httpx.Response(308, headers={"Range": "bytes=0-3"}),  # status query: 4 bytes arrived
        httpx.Response(200, json={"id": "vid9"}),
    ]
    item = media_file(tmp_path, "v.mp4", b"abcdefgh", "video/mp4", "video")
    result = yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,)))
    assert result.remote_id == "vid9"
    assert chunks.calls[1].request.headers["Content-Range"] == "bytes */8"
    assert chunks.calls[2].request.headers["Content-Range"] == "bytes 4-7/8"


def test_final_chunk_without_answer_twice_is_unknown_outcome(yt, respx_mock, tmp_path):
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    respx_mock.put(SESSION).mock(side_effect=httpx.ReadTimeout("t"))
    item = media_file(tmp_path, "v.mp4", b"abc", "video/mp4", "video")
    with pytest.raises(base.UnknownOutcome):
        yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,)))


def test_no_answer_when_starting_the_session_is_safe_to_retry(yt, respx_mock, tmp_path):
    respx_mock.post(UPLOAD).mock(side_effect=httpx.ReadTimeout("t"))
    item = media_file(tmp_path, "v.mp4", b"abc", "video/mp4", "video")
    with pytest.raises(base.TemporaryNetworkError):
        yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,)))
    respx_mock.post(UPLOAD).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,)))


def google_error(code, reason, status=""):
    return {
        "error": {
            "code": code,
            "message": reason,
            "errors": [{"reason": reason, "domain": "youtube"}],
            "status": status,
        }
    }


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, google_error(401, "authError", "UNAUTHENTICATED"), base.AuthExpired),
        (403, google_error(403, "insufficientPermissions", "PERMISSION_DENIED"), base.PermissionMissing),
        (403, google_error(403, "forbidden"), base.PermissionMissing),
        (403, google_error(403, "quotaExceeded"), base.RateLimited),
        (429, google_error(429, "rateLimitExceeded"), base.RateLimited),
        (400, google_error(400, "invalidTitle"), base.InvalidContent),
        (503, google_error(503, "backendError"), base.TemporaryNetworkError),
        (404, google_error(404, "videoNotFound"), base.NotFound),
    ],
)
def test_error_reasons(yt, respx_mock, tmp_path, status, body, expected):
    respx_mock.post(UPLOAD).respond(status, json=body)
    item = media_file(tmp_path, "v.mp4", b"abc", "video/mp4", "video")
    with pytest.raises(expected) as caught:
        yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,)))
    assert type(caught.value) is expected
    if body["error"]["errors"][0]["reason"] == "quotaExceeded":
        assert 0 < caught.value.retry_after <= 86400


def test_quota_resets_at_pacific_midnight():
    # 07:00 UTC on a winter day is 23:00 in Los Angeles: one hour to go.
    assert seconds_until_quota_reset(datetime(2026, 1, 15, 7, 0, tzinfo=UTC)) == 3600


def test_find_published_reads_the_uploads_playlist(yt, respx_mock):
    route = respx_mock.get(f"{API}/playlistItems").respond(
        json={
            "items": [
                {
                    "snippet": {"title": "Demo", "publishedAt": "2026-03-01T09:02:00Z", "description": ""},
                    "contentDetails": {"videoId": "vid123"},
                },
                {
                    "snippet": {"title": "Demo", "publishedAt": "2026-02-01T09:02:00Z"},
                    "contentDetails": {"videoId": "old"},
                },
            ]
        }
    )
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    found = yt.find_published(yt_creds(), correlation_id="c", since=since, title="Demo")
    assert found.remote_id == "vid123"
    assert route.calls.last.request.url.params["playlistId"] == "UUabc123"
    assert yt.find_published(yt_creds(), correlation_id="c", since=since, title="Other") is None


def test_comments_moderation_and_metrics(yt, respx_mock):
    respx_mock.get(f"{API}/commentThreads").respond(
        json={
            "items": [
                {
                    "snippet": {
                        "videoId": "vid123",
                        "topLevelComment": {
                            "id": "Ug1",
                            "snippet": {
                                "textOriginal": "Great",
                                "authorDisplayName": "Bob",
                                "authorChannelId": {"value": "UCbob"},
                                "publishedAt": "2026-03-01T10:00:00Z",
                            },
                        },
                    },
                    "replies": {"comments": [{"id": "Ug1.r1", "snippet": {"textOriginal": "Thx"}}]},
                }
            ],
            "nextPageToken": "PT",
        }
    )
    page = yt.fetch_items(yt_creds(), kind="comment")
    assert [(i.remote_id, i.parent_remote_id) for i in page.items] == [("Ug1", "vid123"), ("Ug1.r1", "Ug1")]
    assert page.next_cursor == "PT"
    reply = respx_mock.post(f"{API}/comments").respond(json={"id": "Ug1.r2"})
    yt.reply(yt_creds(), remote_id="Ug1", text="Welcome")
    assert sent_json(reply) == {"snippet": {"parentId": "Ug1", "textOriginal": "Welcome"}}
    moderate = respx_mock.post(f"{API}/comments/setModerationStatus").respond(204)
    yt.hide(yt_creds(), remote_id="Ug1")
    assert moderate.calls.last.request.url.params["moderationStatus"] == "heldForReview"
    respx_mock.get(f"{API}/videos").respond(
        json={"items": [{"statistics": {"viewCount": "100", "likeCount": "5", "commentCount": "2"}}]}
    )
    assert yt.post_metrics(yt_creds(), remote_id="vid123").values == {
        "videoViews": 100,
        "likes": 5,
        "comments": 2,
        "engagements": 7,
    }
    with pytest.raises(base.NotSupported):
        yt.like(yt_creds(), remote_id="Ug1")


def test_first_comment_is_a_comment_thread(yt, respx_mock):
    route = respx_mock.post(f"{API}/commentThreads").respond(json={"id": "Ugx"})
    yt.publish_comment(yt_creds(), remote_id="vid123", text="Pinned note")
    assert json.loads(route.calls.last.request.content) == {
        "snippet": {
            "channelId": "UCabc123",
            "videoId": "vid123",
            "topLevelComment": {"snippet": {"textOriginal": "Pinned note"}},
        }
    }


def test_all_bytes_acknowledged_without_video_asks_the_session(yt, respx_mock, tmp_path):
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    chunks = respx_mock.put(SESSION)
    chunks.side_effect = [
        httpx.Response(308, headers={"Range": "bytes=0-3"}),
        httpx.Response(201, json={"id": "vid7"}),
    ]
    item = media_file(tmp_path, "v.mp4", b"abcd", "video/mp4", "video")
    assert yt.publish(yt_creds(), PublishRequest(correlation_id="c", title="T", media=(item,))).remote_id == "vid7"
    assert chunks.calls[1].request.headers["Content-Range"] == "bytes */4"
