"""X adapter against respx: OAuth 2 + PKCE, media upload, posting, error mapping, reconciliation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.x import XAdapter

from .conftest import creds, media_file, sent_form, sent_json

API = "https://api.x.com/2"


@pytest.fixture
def x(make):
    return make(XAdapter)


def test_authorize_url_uses_pkce_s256(x):
    url = x.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st", code_challenge="chal"))
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://twitter.com/i/oauth2/authorize"
    assert params["code_challenge"] == "chal"
    assert params["code_challenge_method"] == "S256"
    assert params["client_id"] == "x-id"
    assert params["state"] == "st"
    assert params["response_type"] == "code"
    assert {"tweet.write", "offline.access", "media.write", "dm.write"} <= set(params["scope"].split(" "))


def test_exchange_code_sends_verifier_and_basic_auth(x, respx_mock):
    token = respx_mock.post(f"{API}/oauth2/token").respond(
        json={"access_token": "at", "refresh_token": "rt", "expires_in": 7200, "scope": "tweet.read tweet.write"}
    )
    respx_mock.get(f"{API}/users/me").respond(
        json={"data": {"id": "42", "name": "Acme", "username": "acme", "profile_image_url": "https://pbs/i.jpg"}}
    )
    [account] = x.exchange_code(code="c0de", redirect_uri="https://app/cb", code_verifier="verif")
    form = sent_form(token)
    assert form == {
        "grant_type": "authorization_code",
        "code": "c0de",
        "redirect_uri": "https://app/cb",
        "code_verifier": "verif",
        "client_id": "x-id",
    }
    assert token.calls.last.request.headers["Authorization"].startswith("Basic ")
    assert (account.network, account.external_id, account.username) == ("x", "42", "acme")
    assert account.tokens.access_token == "at"
    assert account.tokens.refresh_token == "rt"
    assert account.tokens.scopes == ("tweet.read", "tweet.write")
    assert account.extra == {"username": "acme"}


def test_refresh_without_new_refresh_token_leaves_it_empty(x, respx_mock):
    route = respx_mock.post(f"{API}/oauth2/token").respond(json={"access_token": "new", "expires_in": 7200})
    tokens = x.refresh(creds("42"))
    assert sent_form(route)["grant_type"] == "refresh_token"
    assert sent_form(route)["refresh_token"] == "rt"
    assert (tokens.access_token, tokens.refresh_token) == ("new", "")


def test_refresh_with_revoked_grant_is_auth_expired(x, respx_mock):
    respx_mock.post(f"{API}/oauth2/token").respond(400, json={"error": "invalid_request", "error_description": "bad"})
    with pytest.raises(base.InvalidContent):
        x.refresh(creds("42"))
    respx_mock.post(f"{API}/oauth2/token").respond(400, json={"error": "invalid_grant"})
    with pytest.raises(base.AuthExpired):
        x.refresh(creds("42"))


def test_publish_with_image(x, respx_mock, tmp_path):
    upload = respx_mock.post(f"{API}/media/upload").respond(json={"data": {"id": "m1", "media_key": "3_m1"}})
    meta = respx_mock.post(f"{API}/media/metadata").respond(json={"data": {"associated_metadata": True}})
    tweets = respx_mock.post(f"{API}/tweets").respond(201, json={"data": {"id": "100", "text": "Hello"}})
    item = media_file(tmp_path, "a.jpg", b"\xff\xd8jpeg", "image/jpeg", "image", alt_text="A cat")
    request = PublishRequest(correlation_id="p1:1", text="Hello", media=(item,))
    result = x.publish(creds("42", username="acme"), request)
    assert (result.remote_id, result.url) == ("100", "https://x.com/acme/status/100")
    assert b"tweet_image" in upload.calls.last.request.content
    assert b"\xff\xd8jpeg" in upload.calls.last.request.content
    assert sent_json(meta) == {"id": "m1", "metadata": {"alt_text": {"text": "A cat"}}}
    assert tweets.calls.last.request.headers["Authorization"] == "Bearer tok"
    assert [httpx.Response(200, content=c.request.content).json() for c in tweets.calls] == [
        {"text": "Hello", "media": {"media_ids": ["m1"]}},
    ]


def test_first_comment_is_a_reply_to_the_post(x, respx_mock):
    tweets = respx_mock.post(f"{API}/tweets").respond(201, json={"data": {"id": "101", "text": "First!"}})
    result = x.publish_comment(creds("42"), remote_id="100", text="First!")
    assert sent_json(tweets) == {"text": "First!", "reply": {"in_reply_to_tweet_id": "100"}}
    assert result.remote_id == "101"


def test_video_upload_init_append_finalize_status(make, respx_mock, tmp_path):
    x = make(XAdapter)
    x.chunk_size = 4
    upload = respx_mock.post(f"{API}/media/upload")
    upload.side_effect = [
        httpx.Response(200, json={"data": {"id": "v1"}}),  # INIT
        httpx.Response(204),  # APPEND 0
        httpx.Response(204),  # APPEND 1
        httpx.Response(200, json={"data": {"id": "v1", "processing_info": {"state": "pending"}}}),  # FINALIZE
    ]
    status = respx_mock.get(f"{API}/media/upload")
    status.side_effect = [
        httpx.Response(200, json={"data": {"id": "v1", "processing_info": {"state": "in_progress"}}}),
        httpx.Response(200, json={"data": {"id": "v1", "processing_info": {"state": "succeeded"}}}),
    ]
    respx_mock.post(f"{API}/tweets").respond(201, json={"data": {"id": "7", "text": "v"}})
    item = media_file(tmp_path, "v.mp4", b"12345678", "video/mp4", "video")
    x.publish(creds("42"), PublishRequest(correlation_id="c", text="v", media=(item,)))
    bodies = [c.request.content for c in upload.calls]
    assert b"INIT" in bodies[0] and b"total_bytes" in bodies[0] and b"tweet_video" in bodies[0]
    assert b"APPEND" in bodies[1] and b"1234" in bodies[1] and b"segment_index" in bodies[1]
    assert b"5678" in bodies[2]
    assert b"FINALIZE" in bodies[3]
    assert status.calls.last.request.url.params["command"] == "STATUS"


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, {}, base.AuthExpired),
        (403, {"title": "Forbidden", "status": 403, "detail": "Not permitted"}, {}, base.PermissionMissing),
        (
            403,
            {"detail": "You are not allowed to create a Tweet with duplicate content.", "status": 403},
            {},
            base.InvalidContent,
        ),
        (400, {"errors": [{"message": "text too long"}], "title": "Invalid Request"}, {}, base.InvalidContent),
        (429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "+300"}, base.RateLimited),
        (503, {"title": "Service Unavailable"}, {}, base.TemporaryNetworkError),
    ],
)
def test_publish_error_mapping(x, respx_mock, status, body, headers, expected):
    if headers:  # the reset is an epoch: computed now, not at collection time
        headers = {"x-rate-limit-reset": str(int(time.time()) + 300)}
    respx_mock.post(f"{API}/tweets").respond(status, json=body, headers=headers)
    with pytest.raises(expected) as caught:
        x.publish(creds("42"), PublishRequest(correlation_id="c", text="Hello"))
    assert type(caught.value) is expected
    if expected is base.RateLimited:
        assert 295 <= caught.value.retry_after <= 300
    if status == 403 and expected is base.InvalidContent:
        assert caught.value.details == {"text": ["duplicateContent"]}


def test_timeout_after_sending_is_unknown_outcome_and_connect_error_is_temporary(x, respx_mock):
    route = respx_mock.post(f"{API}/tweets").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(base.UnknownOutcome):
        x.publish(creds("42"), PublishRequest(correlation_id="c", text="Hello"))
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        x.publish(creds("42"), PublishRequest(correlation_id="c", text="Hello"))


def test_find_published_matches_text_despite_tco_links(x, respx_mock):
    route = respx_mock.get(f"{API}/users/42/tweets").respond(
        json={
            "data": [
                {"id": "9", "text": "Other post", "created_at": "2026-01-01T10:01:00.000Z"},
                {"id": "8", "text": "Launch day! https://t.co/abc", "created_at": "2026-01-01T10:00:05.000Z"},
            ]
        }
    )
    since = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    found = x.find_published(
        creds("42", username="acme"), correlation_id="c", since=since, text="Launch day! https://acme.com/launch"
    )
    assert found.remote_id == "8"
    assert route.calls.last.request.url.params["start_time"] == "2026-01-01T10:00:00Z"
    assert x.find_published(creds("42"), correlation_id="c", since=since, text="Never posted") is None
    with pytest.raises(base.NotSupported):
        x.find_published(creds("42"), correlation_id="c", since=since)


def test_listening_and_moderation(x, respx_mock):
    respx_mock.get(f"{API}/users/42/mentions").respond(
        json={
            "data": [{"id": "5", "text": "@acme hi", "author_id": "9", "created_at": "2026-01-01T10:00:00Z"}],
            "includes": {"users": [{"id": "9", "username": "fan"}]},
            "meta": {"next_token": "NEXT"},
        }
    )
    page = x.fetch_items(creds("42"), kind="mention")
    assert page.next_cursor == "NEXT"
    assert (page.items[0].remote_id, page.items[0].author_name) == ("5", "fan")
    hide = respx_mock.put(f"{API}/tweets/5/hidden").respond(json={"data": {"hidden": True}})
    x.hide(creds("42"), remote_id="5")
    assert sent_json(hide) == {"hidden": True}
    like = respx_mock.post(f"{API}/users/42/likes").respond(json={"data": {"liked": True}})
    x.like(creds("42"), remote_id="5")
    assert sent_json(like) == {"tweet_id": "5"}
    respx_mock.delete(f"{API}/tweets/5").respond(json={"data": {"deleted": True}})
    x.delete(creds("42"), remote_id="5")


def test_post_metrics_from_public_metrics(x, respx_mock):
    respx_mock.get(f"{API}/tweets/5").respond(
        json={
            "data": {
                "id": "5",
                "public_metrics": {
                    "retweet_count": 2,
                    "reply_count": 3,
                    "like_count": 10,
                    "quote_count": 1,
                    "impression_count": 500,
                },
            }
        }
    )
    metrics = x.post_metrics(creds("42"), remote_id="5")
    assert metrics.values == {"impressions": 500, "likes": 10, "comments": 3, "shares": 3, "engagements": 16}


def test_revoke(x, respx_mock):
    route = respx_mock.post(f"{API}/oauth2/revoke").respond(json={"revoked": True})
    x.revoke(creds("42", token="secret-token"))
    assert sent_form(route)["token"] == "secret-token"


def test_a_quote_sends_the_quoted_post_id(x, respx_mock):
    route = respx_mock.post("https://api.x.com/2/tweets").respond(201, json={"data": {"id": "77", "text": "So true"}})
    x.publish(
        creds("9", username="acme"), PublishRequest(correlation_id="c", text="So true", options={"quoteTweetId": "55"})
    )
    assert sent_json(route) == {"text": "So true", "quote_tweet_id": "55"}


def test_a_repost_is_undone_not_deleted_and_has_no_metrics_of_its_own(x, respx_mock):
    repost = respx_mock.post("https://api.x.com/2/users/9/retweets").respond(json={"data": {"retweeted": True}})
    result = x.publish(creds("9"), PublishRequest(correlation_id="c", post_type="repost", options={"repostOf": "55"}))
    assert sent_json(repost) == {"tweet_id": "55"}
    assert (result.remote_id, result.url) == ("repost:55", "https://x.com/i/status/55")
    undo = respx_mock.delete("https://api.x.com/2/users/9/retweets/55").respond(json={"data": {"retweeted": False}})
    x.delete(creds("9"), remote_id=result.remote_id)
    assert undo.called  # DELETE /2/tweets/55 would have deleted the source post: not routed, so not sent
    with pytest.raises(base.NotSupported):
        x.post_metrics(creds("9"), remote_id=result.remote_id)


def test_a_repost_x_did_not_make_is_refused(x, respx_mock):
    respx_mock.post("https://api.x.com/2/users/9/retweets").respond(json={"data": {"retweeted": False}})
    with pytest.raises(base.InvalidContent):
        x.publish(creds("9"), PublishRequest(correlation_id="c", post_type="repost", options={"repostOf": "55"}))
