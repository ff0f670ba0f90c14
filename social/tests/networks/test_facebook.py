"""Facebook pages adapter against respx: login + page tokens, publishing shapes, Graph error mapping, reconcile."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.facebook import GRAPH, GRAPH_VIDEO, FacebookAdapter
from social.networks.oauth2 import appsecret_proof

from .conftest import creds, image, sent_json, video


@pytest.fixture
def fb(make):
    return make(FacebookAdapter)


def page_creds():
    return creds("111", token="page-token", page_id="111")


def test_authorize_url(fb):
    url = fb.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st"))
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert url.startswith("https://www.facebook.com/v21.0/dialog/oauth?")
    assert params["client_id"] == "facebook-id"
    assert params["redirect_uri"] == "https://app/cb"
    assert {"pages_manage_posts", "pages_show_list", "instagram_content_publish"} <= set(params["scope"].split(","))
    assert "code_challenge" not in params


def test_exchange_code_long_lived_token_pages_and_instagram_accounts(fb, respx_mock):
    token = respx_mock.get(f"{GRAPH}/oauth/access_token")
    token.side_effect = [
        httpx.Response(200, json={"access_token": "short", "token_type": "bearer", "expires_in": 3600}),
        httpx.Response(200, json={"access_token": "long", "token_type": "bearer", "expires_in": 5184000}),
    ]
    respx_mock.get(f"{GRAPH}/me").respond(json={"id": "u1", "name": "Ann"})
    respx_mock.get(f"{GRAPH}/me/accounts").respond(
        json={
            "data": [
                {
                    "id": "111",
                    "name": "Acme",
                    "access_token": "page-token",
                    "tasks": ["CREATE_CONTENT"],
                    "picture": {"data": {"url": "https://pic"}},
                    "instagram_business_account": {"id": "ig9", "username": "acme.ig"},
                },
                {"id": "222", "name": "Side", "access_token": "page-token-2"},
            ],
            "paging": {"cursors": {"after": "x"}},
        }
    )
    accounts = fb.exchange_code(code="c", redirect_uri="https://app/cb")
    first, second = token.calls
    assert first.request.url.params["code"] == "c"
    assert first.request.url.params["client_secret"] == "facebook-secret"
    assert second.request.url.params["grant_type"] == "fb_exchange_token"
    assert second.request.url.params["fb_exchange_token"] == "short"
    assert [(a.network, a.external_id, a.tokens.access_token) for a in accounts] == [
        ("facebook", "111", "page-token"),
        ("instagram", "ig9", "page-token"),
        ("facebook", "222", "page-token-2"),
    ]
    assert accounts[0].tokens.token_owner_id == "u1"
    assert accounts[0].tokens.expires_at is None  # page tokens do not expire
    assert accounts[1].extra == {"page_id": "111", "ig_user_id": "ig9"}
    assert accounts[1].network_url == "https://www.instagram.com/acme.ig/"


def test_text_and_link_post(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111/feed").respond(json={"id": "111_555"})
    result = fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Hi", link="https://acme.com"))
    assert sent_json(route) == {"message": "Hi", "link": "https://acme.com"}
    params = route.calls.last.request.url.params
    assert params["access_token"] == "page-token"
    assert params["appsecret_proof"] == appsecret_proof("page-token", "facebook-secret")
    assert (result.remote_id, result.url) == ("111_555", "https://www.facebook.com/111_555")


def test_single_photo_uses_post_id(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111/photos").respond(json={"id": "ph1", "post_id": "111_777"})
    result = fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Pic", media=(image(),)))
    assert sent_json(route) == {"url": "https://cdn.hubbub.test/a.jpg", "caption": "Pic", "published": True}
    assert result.remote_id == "111_777"


def test_multi_photo_post_attaches_unpublished_photos(fb, respx_mock):
    photos = respx_mock.post(f"{GRAPH}/111/photos")
    photos.side_effect = [httpx.Response(200, json={"id": "p1"}), httpx.Response(200, json={"id": "p2"})]
    feed = respx_mock.post(f"{GRAPH}/111/feed").respond(json={"id": "111_9"})
    media = (image("https://cdn.hubbub.test/1.jpg"), image("https://cdn.hubbub.test/2.jpg"))
    result = fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Two", media=media))
    assert [json.loads(c.request.content) for c in photos.calls] == [
        {"url": "https://cdn.hubbub.test/1.jpg", "published": False},
        {"url": "https://cdn.hubbub.test/2.jpg", "published": False},
    ]
    assert sent_json(feed) == {"message": "Two", "attached_media": [{"media_fbid": "p1"}, {"media_fbid": "p2"}]}
    assert result.remote_id == "111_9"


def test_video_post(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH_VIDEO}/111/videos").respond(json={"id": "vid1"})
    result = fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Watch", title="T", media=(video(),)))
    assert sent_json(route) == {"file_url": "https://cdn.hubbub.test/v.mp4", "description": "Watch", "title": "T"}
    assert result.remote_id == "vid1"


def test_first_comment_is_posted_on_the_new_post(fb, respx_mock):
    comment = respx_mock.post(f"{GRAPH}/111_5/comments").respond(json={"id": "111_5_1"})
    result = fb.publish_comment(page_creds(), remote_id="111_5", text="More at acme.com")
    assert sent_json(comment) == {"message": "More at acme.com"}
    assert result.remote_id == "111_5_1"


def graph_error(code, subcode=None, message="err"):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (400, graph_error(190, 463), {}, base.AuthExpired),
        (403, graph_error(10), {}, base.PermissionMissing),
        (403, graph_error(200), {}, base.PermissionMissing),
        (
            400,
            graph_error(32),
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {"111": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
                )
            },
            base.RateLimited,
        ),
        (400, graph_error(4), {}, base.RateLimited),
        (400, graph_error(100), {}, base.InvalidContent),
        (400, graph_error(100, 33), {}, base.NotFound),
        (500, graph_error(2), {}, base.TemporaryNetworkError),
        (502, {"raw": "bad gateway"}, {}, base.TemporaryNetworkError),
    ],
)
def test_graph_error_mapping(fb, respx_mock, status, body, headers, expected):
    respx_mock.post(f"{GRAPH}/111/feed").respond(status, json=body, headers=headers)
    with pytest.raises(expected) as caught:
        fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Hi"))
    assert type(caught.value) is expected
    if headers:
        assert caught.value.retry_after == 7 * 60
    if expected is base.RateLimited and not headers:
        assert caught.value.retry_after is None


def test_timeouts(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111/feed").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(base.UnknownOutcome):
        fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Hi"))
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        fb.publish(page_creds(), PublishRequest(correlation_id="c", text="Hi"))


def test_find_published_scans_published_posts_since(fb, respx_mock):
    route = respx_mock.get(f"{GRAPH}/111/published_posts").respond(
        json={
            "data": [
                {"id": "111_2", "message": "Spring sale starts now", "created_time": "2026-03-01T09:00:10+0000"},
                {"id": "111_1", "message": "Old one", "created_time": "2026-03-01T08:00:00+0000"},
            ]
        }
    )
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    found = fb.find_published(page_creds(), correlation_id="c", since=since, text="Spring sale starts now")
    assert found.remote_id == "111_2"
    assert route.calls.last.request.url.params["since"] == str(int(since.timestamp()))
    assert fb.find_published(page_creds(), correlation_id="c", since=since, text="Old one") is None


def test_comments_reply_like_hide_delete(fb, respx_mock):
    respx_mock.get(f"{GRAPH}/111/feed").respond(
        json={
            "data": [
                {
                    "id": "111_5",
                    "comments": {
                        "data": [
                            {
                                "id": "c1",
                                "message": "Nice",
                                "from": {"id": "9", "name": "Bob"},
                                "created_time": "2026-03-01T09:00:00+0000",
                            }
                        ]
                    },
                }
            ],
            "paging": {"cursors": {"after": "AFTER"}, "next": "https://graph.facebook.com/next"},
        }
    )
    page = fb.fetch_items(page_creds(), kind="comment")
    assert [(i.remote_id, i.author_name, i.parent_remote_id) for i in page.items] == [("c1", "Bob", "111_5")]
    assert page.next_cursor == "AFTER"
    reply = respx_mock.post(f"{GRAPH}/c1/comments").respond(json={"id": "c2"})
    assert fb.reply(page_creds(), remote_id="c1", text="Thanks").remote_id == "c2"
    assert sent_json(reply) == {"message": "Thanks"}
    hide = respx_mock.post(f"{GRAPH}/c1").respond(json={"success": True})
    fb.hide(page_creds(), remote_id="c1")
    assert sent_json(hide) == {"is_hidden": True}
    respx_mock.post(f"{GRAPH}/c1/likes").respond(json={"success": True})
    fb.like(page_creds(), remote_id="c1")
    delete = respx_mock.delete(f"{GRAPH}/111_5").respond(json={"success": True})
    fb.delete(page_creds(), remote_id="111_5")
    assert delete.called


def test_post_metrics(fb, respx_mock):
    respx_mock.get(f"{GRAPH}/111_5/insights").respond(
        json={
            "data": [
                {"name": "post_impressions", "period": "lifetime", "values": [{"value": 900}]},
                {"name": "post_impressions_unique", "period": "lifetime", "values": [{"value": 700}]},
                {"name": "post_clicks", "period": "lifetime", "values": [{"value": 12}]},
                {"name": "post_reactions_by_type_total", "values": [{"value": {"like": 5, "love": 2}}]},
            ]
        }
    )
    respx_mock.get(f"{GRAPH}/111_5").respond(
        json={"id": "111_5", "shares": {"count": 3}, "comments": {"summary": {"total_count": 4}}}
    )
    values = fb.post_metrics(page_creds(), remote_id="111_5").values
    assert values == {
        "impressions": 900,
        "reach": 700,
        "clicks": 12,
        "likes": 7,
        "comments": 4,
        "shares": 3,
        "engagements": 26,
    }


def test_revoke_is_not_offered_because_the_grant_covers_other_pages(fb, respx_mock):
    with pytest.raises(base.NotSupported):
        fb.revoke(page_creds())
    assert not respx_mock.calls
