"""Instagram container flow against respx: create -> poll -> publish, carousels, failures, reconciliation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from social.networks import base
from social.networks.base import PublishRequest
from social.networks.facebook import GRAPH
from social.networks.instagram import InstagramAdapter

from .conftest import creds, image, sent_json, video


@pytest.fixture
def ig(make):
    return make(InstagramAdapter)


def ig_creds():
    return creds("ig9", token="page-token", ig_user_id="ig9", page_id="111")


def status(code):
    return httpx.Response(200, json={"status_code": code, "id": "cont1"})


def test_reel_container_polled_until_finished_then_published(ig, respx_mock, sleeps):
    create = respx_mock.post(f"{GRAPH}/ig9/media").respond(json={"id": "cont1"})
    poll = respx_mock.get(f"{GRAPH}/cont1")
    poll.side_effect = [status("IN_PROGRESS"), status("IN_PROGRESS"), status("FINISHED")]
    publish = respx_mock.post(f"{GRAPH}/ig9/media_publish").respond(json={"id": "med1"})
    respx_mock.get(f"{GRAPH}/med1").respond(json={"permalink": "https://www.instagram.com/reel/abc/"})
    request = PublishRequest(correlation_id="c", text="Reel time", media=(video(),))
    result = ig.publish(ig_creds(), request)
    assert sent_json(create) == {
        "media_type": "REELS",
        "video_url": "https://cdn.hubbub.test/v.mp4",
        "share_to_feed": True,
        "caption": "Reel time",
    }
    assert poll.call_count == 3
    assert poll.calls.last.request.url.params["fields"] == "status_code,status"
    assert sleeps == [0.5, 0.5]
    assert sent_json(publish) == {"creation_id": "cont1"}
    assert (result.remote_id, result.url) == ("med1", "https://www.instagram.com/reel/abc/")
    assert result.raw["container_id"] == "cont1"


def test_carousel_children_then_carousel_container(ig, respx_mock):
    create = respx_mock.post(f"{GRAPH}/ig9/media")
    create.side_effect = [
        httpx.Response(200, json={"id": "ch1"}),
        httpx.Response(200, json={"id": "ch2"}),
        httpx.Response(200, json={"id": "car1"}),
    ]
    respx_mock.get(f"{GRAPH}/ch2").mock(return_value=status("FINISHED"))  # the video child is awaited
    respx_mock.get(f"{GRAPH}/car1").mock(return_value=status("FINISHED"))
    publish = respx_mock.post(f"{GRAPH}/ig9/media_publish").respond(json={"id": "med2"})
    respx_mock.get(f"{GRAPH}/med2").respond(json={"permalink": "https://www.instagram.com/p/x/"})
    media = (image(alt_text="Red shoe"), video())
    ig.publish(ig_creds(), PublishRequest(correlation_id="c", text="Two", media=media))
    assert [json.loads(c.request.content) for c in create.calls] == [
        {"image_url": "https://cdn.hubbub.test/a.jpg", "alt_text": "Red shoe", "is_carousel_item": True},
        {"media_type": "VIDEO", "video_url": "https://cdn.hubbub.test/v.mp4", "is_carousel_item": True},
        {"media_type": "CAROUSEL", "children": "ch1,ch2", "caption": "Two"},
    ]
    assert sent_json(publish) == {"creation_id": "car1"}


def test_container_error_is_invalid_content_and_nothing_is_published(ig, respx_mock):
    respx_mock.post(f"{GRAPH}/ig9/media").respond(json={"id": "cont1"})
    respx_mock.get(f"{GRAPH}/cont1").respond(json={"status_code": "ERROR", "status": "Error: 2207026"})
    publish = respx_mock.post(f"{GRAPH}/ig9/media_publish")
    with pytest.raises(base.InvalidContent) as caught:
        ig.publish(ig_creds(), PublishRequest(correlation_id="c", media=(image(),)))
    assert "2207026" in str(caught.value)
    assert not publish.called


def test_container_never_finishing_is_bounded(ig, respx_mock):
    respx_mock.post(f"{GRAPH}/ig9/media").respond(json={"id": "cont1"})
    poll = respx_mock.get(f"{GRAPH}/cont1").mock(return_value=status("IN_PROGRESS"))
    with pytest.raises(base.UnknownOutcome):
        ig.publish(ig_creds(), PublishRequest(correlation_id="c", media=(video(),)))
    assert poll.call_count == 5


def test_publish_timeout_is_unknown_outcome_and_rate_limit_maps(ig, respx_mock):
    respx_mock.post(f"{GRAPH}/ig9/media").respond(json={"id": "cont1"})
    respx_mock.get(f"{GRAPH}/cont1").mock(return_value=status("FINISHED"))
    publish = respx_mock.post(f"{GRAPH}/ig9/media_publish").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(base.UnknownOutcome):
        ig.publish(ig_creds(), PublishRequest(correlation_id="c", media=(image(),)))
    publish.mock(return_value=httpx.Response(400, json={"error": {"code": 9, "message": "limit"}}))
    with pytest.raises(base.InvalidContent):
        ig.publish(ig_creds(), PublishRequest(correlation_id="c", media=(image(),)))
    publish.mock(return_value=httpx.Response(400, json={"error": {"code": 4, "message": "Application request limit"}}))
    with pytest.raises(base.RateLimited):
        ig.publish(ig_creds(), PublishRequest(correlation_id="c", media=(image(),)))


def test_find_published_lists_media_since(ig, respx_mock):
    route = respx_mock.get(f"{GRAPH}/ig9/media").respond(
        json={
            "data": [
                {"id": "m2", "caption": "New drop #shoes", "timestamp": "2026-03-01T09:00:30+0000", "permalink": "p"},
                {"id": "m1", "caption": "New drop #shoes", "timestamp": "2026-02-01T09:00:00+0000"},
            ]
        }
    )
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    found = ig.find_published(ig_creds(), correlation_id="c", since=since, text="New drop #shoes")
    assert found.remote_id == "m2"
    assert "caption" in route.calls.last.request.url.params["fields"]


def test_exchange_code_returns_only_instagram_accounts(ig, respx_mock):
    respx_mock.get(f"{GRAPH}/oauth/access_token").respond(json={"access_token": "long", "expires_in": 5184000})
    respx_mock.get(f"{GRAPH}/me").respond(json={"id": "u1"})
    respx_mock.get(f"{GRAPH}/me/accounts").respond(
        json={
            "data": [
                {"id": "111", "name": "P", "access_token": "pt", "instagram_business_account": {"id": "ig9"}},
                {"id": "222", "name": "Q", "access_token": "pt2"},
            ]
        }
    )
    accounts = ig.exchange_code(code="c", redirect_uri="https://app/cb")
    assert [(a.network, a.external_id) for a in accounts] == [("instagram", "ig9")]


def test_comments_hide_reply_and_unsupported(ig, respx_mock):
    hide = respx_mock.post(f"{GRAPH}/cm1").respond(json={"success": True})
    ig.hide(ig_creds(), remote_id="cm1")
    assert sent_json(hide) == {"hide": True}
    reply = respx_mock.post(f"{GRAPH}/cm1/replies").respond(json={"id": "cm2"})
    assert ig.reply(ig_creds(), remote_id="cm1", text="Thanks!").remote_id == "cm2"
    assert sent_json(reply) == {"message": "Thanks!"}
    for call in (lambda: ig.delete(ig_creds(), remote_id="m1"), lambda: ig.like(ig_creds(), remote_id="cm1")):
        with pytest.raises(base.NotSupported):
            call()


def test_direct_messages_are_polled_through_the_linked_page(ig, respx_mock):
    route = respx_mock.get(f"{GRAPH}/111/conversations").respond(
        json={
            "data": [
                {
                    "id": "t_1",
                    "messages": {
                        "data": [
                            {
                                "id": "mid.2",
                                "message": "Is this in stock?",
                                "from": {"id": "igsid-5", "username": "ada"},
                                "created_time": "2026-11-28T10:00:00+0000",
                            },
                            {"id": "mid.3", "message": "Yes!", "from": {"id": "ig9", "username": "acme"}},
                        ]
                    },
                }
            ],
            "paging": {"cursors": {"after": "AFT"}, "next": "https://graph.facebook.com/next"},
        }
    )
    page = ig.fetch_items(ig_creds(), kind="message")
    [item] = page.items  # our own answer is not a ticket
    assert (item.remote_id, item.kind, item.text, item.author_id, item.author_name, item.parent_remote_id) == (
        "mid.2",
        "message",
        "Is this in stock?",
        "igsid-5",
        "ada",
        "t_1",
    )
    assert item.created_at.isoformat() == "2026-11-28T10:00:00+00:00"
    params = route.calls.last.request.url.params
    assert params["platform"] == "instagram" and params["access_token"] == "page-token"
    assert page.next_cursor == "AFT"
    with pytest.raises(base.NotSupported):  # an account without its linked page cannot be asked
        ig.fetch_items(creds("ig9", token="t", ig_user_id="ig9"), kind="message")
