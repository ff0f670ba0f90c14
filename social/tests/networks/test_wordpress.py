"""WordPress adapter against respx: application-password connect, SSRF guard, posts, media, comments, errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest

from social.networks import base
from social.networks.base import PublishRequest
from social.networks.http import UnsafeSiteUrl
from social.networks.wordpress import WordPressAdapter

from .conftest import creds, media_file, sent_json

SITE = "https://blog.example.com"
WP = f"{SITE}/wp-json/wp/v2"

pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def wp(make):
    return make(WordPressAdapter)


def wp_creds():
    return creds(SITE, token="abcdabcdabcdabcd", site_url=SITE, username="editor", user_id=3)


def test_connect_with_application_password(respx_mock):
    me = respx_mock.get(f"{WP}/users/me").respond(
        json={"id": 3, "name": "Ed", "capabilities": {"publish_posts": True}, "avatar_urls": {"96": "https://a/96"}}
    )
    respx_mock.get(f"{WP}/users/me/application-passwords/introspect").respond(json={"uuid": "u-1", "name": "Hubbub"})
    respx_mock.get(f"{SITE}/wp-json/").respond(json={"name": "Acme Blog", "home": SITE})
    account = WordPressAdapter.connect_with_application_password(SITE + "/", "editor", "abcd abcd abcd abcd")
    expected = "Basic " + base64.b64encode(b"editor:abcdabcdabcdabcd").decode()
    assert me.calls.last.request.headers["Authorization"] == expected
    assert me.calls.last.request.url.params["context"] == "edit"
    assert (account.network, account.external_id, account.name, account.image_url) == (
        "wordpress",
        SITE,
        "Acme Blog",
        "https://a/96",
    )
    assert account.tokens.access_token == "abcdabcdabcdabcd"
    assert account.extra == {"site_url": SITE, "username": "editor", "user_id": 3, "app_password_uuid": "u-1"}


def test_connect_refuses_users_who_cannot_publish_and_bad_passwords(respx_mock):
    respx_mock.get(f"{WP}/users/me").respond(json={"id": 4, "capabilities": {"read": True}})
    with pytest.raises(base.PermissionMissing):
        WordPressAdapter.connect_with_application_password(SITE, "sub", "pw")
    respx_mock.get(f"{WP}/users/me").respond(
        401, json={"code": "incorrect_password", "message": "The password is incorrect.", "data": {"status": 401}}
    )
    with pytest.raises(base.AuthExpired):
        WordPressAdapter.connect_with_application_password(SITE, "editor", "wrong")


@pytest.mark.parametrize(
    "url", ["http://blog.example.com", "https://private.example.com", "https://127.0.0.1", "https://[::1]"]
)
def test_connect_refuses_unsafe_sites_without_sending_anything(respx_mock, url):
    with pytest.raises(UnsafeSiteUrl):
        WordPressAdapter.connect_with_application_password(url, "editor", "pw")
    assert not respx_mock.calls


def test_http_site_is_allowed_in_debug(respx_mock, settings):
    settings.DEBUG = True
    respx_mock.get("http://blog.example.com/wp-json/wp/v2/users/me").respond(
        json={"id": 3, "capabilities": {"publish_posts": True}}
    )
    respx_mock.get("http://blog.example.com/wp-json/wp/v2/users/me/application-passwords/introspect").respond(404)
    respx_mock.get("http://blog.example.com/wp-json/").respond(500)
    account = WordPressAdapter.connect_with_application_password("http://blog.example.com", "editor", "pw")
    assert account.extra["app_password_uuid"] == ""  # old WordPress: cannot be revoked from here


def test_publish_uploads_featured_image_and_creates_post(wp, respx_mock, tmp_path):
    media = respx_mock.post(f"{WP}/media").respond(201, json={"id": 55, "source_url": f"{SITE}/up/a.jpg"})
    alt = respx_mock.post(f"{WP}/media/55").respond(json={"id": 55})
    posts = respx_mock.post(f"{WP}/posts").respond(201, json={"id": 901, "link": f"{SITE}/2026/03/hello/"})
    item = media_file(tmp_path, "a.jpg", b"JPEGBYTES", "image/jpeg", "image", alt_text="Cover")
    request = PublishRequest(
        correlation_id="c",
        title="Hello",
        text="First <para>\n\nSecond",
        media=(item,),
        options={"categories": [4]},
    )
    result = wp.publish(wp_creds(), request)
    upload = media.calls.last.request
    assert upload.content == b"JPEGBYTES"
    assert upload.headers["Content-Disposition"] == 'attachment; filename="a.jpg"'
    assert upload.headers["Content-Type"] == "image/jpeg"
    assert sent_json(alt) == {"alt_text": "Cover"}
    assert sent_json(posts) == {
        "title": "Hello",
        "content": "<p>First &lt;para&gt;</p>\n<p>Second</p>",
        "status": "publish",
        "featured_media": 55,
        "categories": [4],
    }
    assert (result.remote_id, result.url) == ("901", f"{SITE}/2026/03/hello/")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"code": "rest_not_logged_in", "message": "x", "data": {"status": 401}}, base.AuthExpired),
        (403, {"code": "rest_cannot_create", "message": "x", "data": {"status": 403}}, base.PermissionMissing),
        (429, {"code": "too_many", "message": "x"}, base.RateLimited),
        (
            400,
            {
                "code": "rest_invalid_param",
                "message": "Invalid parameter(s): status",
                "data": {"params": {"status": "bad"}},
            },
            base.InvalidContent,
        ),
        (503, {"code": "down", "message": "x"}, base.TemporaryNetworkError),
    ],
)
def test_error_mapping(wp, respx_mock, status, body, expected):
    respx_mock.post(f"{WP}/posts").respond(status, json=body)
    with pytest.raises(expected) as caught:
        wp.publish(wp_creds(), PublishRequest(correlation_id="c", title="T", text="x"))
    assert type(caught.value) is expected
    if expected is base.InvalidContent:
        assert caught.value.details == {"status": ["bad"]}


def test_timeouts(wp, respx_mock):
    route = respx_mock.post(f"{WP}/posts").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(base.UnknownOutcome):
        wp.publish(wp_creds(), PublishRequest(correlation_id="c", title="T", text="x"))
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        wp.publish(wp_creds(), PublishRequest(correlation_id="c", title="T", text="x"))


def test_find_published_by_title(wp, respx_mock):
    route = respx_mock.get(f"{WP}/posts").respond(
        json=[
            {"id": 2, "title": {"raw": "Other"}, "content": {"raw": "<p>x</p>"}},
            {"id": 901, "title": {"raw": "Hello"}, "content": {"raw": "<p>First</p>"}, "link": "L"},
        ]
    )
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert wp.find_published(wp_creds(), correlation_id="c", since=since, title="Hello").remote_id == "901"
    params = route.calls.last.request.url.params
    assert (params["after"], params["author"], params["context"]) == ("2026-03-01T09:00:00Z", "3", "edit")
    assert wp.find_published(wp_creds(), correlation_id="c", since=since, text="First").remote_id == "901"
    assert wp.find_published(wp_creds(), correlation_id="c", since=since, title="Nope") is None


def test_comments_reply_hide_and_revoke(wp, respx_mock):
    respx_mock.get(f"{WP}/comments").respond(
        json=[
            {
                "id": 7,
                "post": 901,
                "parent": 0,
                "author_name": "Reader",
                "content": {"rendered": "<p>Nice &amp; clear</p>"},
                "date_gmt": "2026-03-01T10:00:00",
            }
        ],
        headers={"X-WP-TotalPages": "2"},
    )
    page = wp.fetch_items(wp_creds(), kind="comment")
    assert [(i.remote_id, i.text, i.parent_remote_id) for i in page.items] == [("7", "Nice & clear", "901")]
    assert page.items[0].created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert page.next_cursor == "2"
    respx_mock.get(f"{WP}/comments/7").respond(json={"id": 7, "post": 901})
    reply = respx_mock.post(f"{WP}/comments").respond(201, json={"id": 8})
    assert wp.reply(wp_creds(), remote_id="7", text="Thanks").remote_id == "8"
    assert sent_json(reply) == {"post": 901, "parent": 7, "content": "Thanks"}
    hold = respx_mock.post(f"{WP}/comments/7").respond(json={"id": 7})
    wp.hide(wp_creds(), remote_id="7")
    assert json.loads(hold.calls.last.request.content) == {"status": "hold"}
    revoke = respx_mock.delete(f"{WP}/users/me/application-passwords/u-1").respond(json={"deleted": True})
    wp.revoke(creds(SITE, site_url=SITE, username="editor", app_password_uuid="u-1"))
    assert revoke.called
    with pytest.raises(base.NotSupported):
        wp.revoke(wp_creds())
    with pytest.raises(base.NotSupported):
        wp.authorize_url(None)


def test_calls_are_pinned_to_the_checked_address(wp, respx_mock, monkeypatch):
    from social.networks import wordpress

    pinned = []
    real = wordpress.pinned_client

    def spy(checked):
        pinned.append((checked.host, checked.address))
        return real(checked)

    monkeypatch.setattr(wordpress, "pinned_client", spy)
    respx_mock.delete(f"{WP}/posts/901").respond(json={"id": 901, "status": "trash"})
    wp.delete(wp_creds(), remote_id="901")
    assert pinned == [("blog.example.com", "93.184.216.34")]
