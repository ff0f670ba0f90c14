"""The inbox's adapter additions against respx: Messenger/X direct messages, private replies, unlike, page blocks,
and the networks' error payloads mapped to our error classes."""

from __future__ import annotations

import httpx
import pytest

from social.networks import base
from social.networks.facebook import GRAPH, FacebookAdapter
from social.networks.x import API, XAdapter

from .conftest import creds, sent_json


@pytest.fixture
def fb(make):
    return make(FacebookAdapter)


@pytest.fixture
def x(make):
    return make(XAdapter)


def page():
    return creds("111", token="page-token", page_id="111")


def test_facebook_message_to_a_person_and_private_reply_to_a_comment(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111/messages").respond(json={"recipient_id": "9001", "message_id": "m_1"})
    result = fb.send_message(page(), recipient_id="9001", text="Hi there")
    assert result.remote_id == "m_1"
    assert sent_json(route) == {
        "recipient": {"id": "9001"},
        "message": {"text": "Hi there"},
        "messaging_type": "RESPONSE",
    }
    assert route.calls.last.request.url.params["access_token"] == "page-token"
    fb.send_message(page(), recipient_id="9001", text="Privately", private_reply_to="111_222")
    assert sent_json(route)["recipient"] == {"comment_id": "111_222"}


def test_facebook_message_outside_the_window_is_invalid_content(fb, respx_mock):
    respx_mock.post(f"{GRAPH}/111/messages").respond(
        400,
        json={
            "error": {
                "message": "(#10) This message is sent outside of allowed window.",
                "type": "OAuthException",
                "code": 10,
                "error_subcode": 2018278,
                "fbtrace_id": "A1",
            }
        },
    )
    with pytest.raises(base.NetworkError) as caught:
        fb.send_message(page(), recipient_id="9001", text="late")
    assert "outside of allowed window" in str(caught.value)


def test_facebook_unlike_and_block_unblock(fb, respx_mock):
    unlike = respx_mock.delete(f"{GRAPH}/111_222/likes").respond(json={"success": True})
    fb.unlike(page(), remote_id="111_222")
    assert unlike.called
    block = respx_mock.post(f"{GRAPH}/111/blocked").respond(json={"9001": True})
    fb.block_user(page(), user_id="9001")
    assert block.calls.last.request.url.params["user"] == "9001"
    unblock = respx_mock.delete(f"{GRAPH}/111/blocked").respond(json={"success": True})
    fb.unblock_user(page(), user_id="9001")
    assert unblock.calls.last.request.url.params["user"] == "9001"


def test_facebook_expired_token_on_a_listening_call_is_auth_expired(fb, respx_mock):
    respx_mock.delete(f"{GRAPH}/111_222/likes").respond(
        400,
        json={"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}},
    )
    with pytest.raises(base.AuthExpired):
        fb.unlike(page(), remote_id="111_222")


def test_x_dm_in_a_conversation_or_to_a_participant(x, respx_mock):
    data = {"data": {"dm_conversation_id": "9-42", "dm_event_id": "1582838223"}}
    in_conversation = respx_mock.post(f"{API}/dm_conversations/9-42/messages").respond(201, json=data)
    assert x.send_message(creds("42"), recipient_id="9", conversation_id="9-42", text="hey").remote_id == "1582838223"
    assert sent_json(in_conversation) == {"text": "hey"}
    with_person = respx_mock.post(f"{API}/dm_conversations/with/9/messages").respond(201, json=data)
    x.send_message(creds("42"), recipient_id="9", text="hey")
    assert with_person.called


def test_x_has_no_private_reply_and_sends_nothing(x, respx_mock):
    with pytest.raises(base.NotSupported):
        x.send_message(creds("42"), recipient_id="9", text="hey", private_reply_to="5")
    assert not respx_mock.calls


def test_x_unlike_and_rate_limit(x, respx_mock):
    route = respx_mock.delete(f"{API}/users/42/likes/5").respond(json={"data": {"liked": False}})
    x.unlike(creds("42"), remote_id="5")
    assert route.called
    respx_mock.delete(f"{API}/users/42/likes/6").mock(
        return_value=httpx.Response(
            429, json={"title": "Too Many Requests", "status": 429}, headers={"x-rate-limit-reset": "9999999999"}
        )
    )
    with pytest.raises(base.RateLimited) as caught:
        x.unlike(creds("42"), remote_id="6")
    assert caught.value.retry_after and caught.value.retry_after > 0


def test_instagram_dm_and_private_reply_go_through_the_linked_page(make, respx_mock):
    from social.networks.instagram import InstagramAdapter

    ig = make(InstagramAdapter)
    route = respx_mock.post(f"{GRAPH}/111/messages").respond(json={"recipient_id": "IGSID1", "message_id": "aWdfZ"})
    ig_creds = creds("1784", token="page-token", page_id="111", ig_user_id="1784")
    assert ig.send_message(ig_creds, recipient_id="IGSID1", text="Hi").remote_id == "aWdfZ"
    assert sent_json(route) == {"recipient": {"id": "IGSID1"}, "message": {"text": "Hi"}}
    ig.send_message(ig_creds, recipient_id="", text="Psst", private_reply_to="17865")
    assert sent_json(route)["recipient"] == {"comment_id": "17865"}
    with pytest.raises(base.NotSupported):
        ig.send_message(creds("1784"), recipient_id="IGSID1", text="Hi")


# --- media in inbox replies (the network fetches each image from the library's public URL) ---
IMAGE = "https://media.hubbub.test/t1/label.png"


def test_facebook_comment_reply_with_an_image_is_one_comment_with_attachment_url(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111_5_c1/comments").respond(json={"id": "111_5_c9"})
    assert fb.reply(page(), remote_id="111_5_c1", text="Here it is", image_url=IMAGE).remote_id == "111_5_c9"
    assert sent_json(route) == {"message": "Here it is", "attachment_url": IMAGE}
    fb.reply(page(), remote_id="111_5_c1", text="", image_url=IMAGE)  # an image alone: no empty message
    assert sent_json(route) == {"attachment_url": IMAGE}
    fb.reply(page(), remote_id="111_5_c1", text="Text only")
    assert sent_json(route) == {"message": "Text only"}


def test_facebook_and_instagram_direct_image_is_a_send_api_attachment(fb, make, respx_mock):
    from social.networks.instagram import InstagramAdapter

    route = respx_mock.post(f"{GRAPH}/111/messages").respond(json={"recipient_id": "9001", "message_id": "m_2"})
    assert fb.send_message(page(), recipient_id="9001", image_url=IMAGE).remote_id == "m_2"
    image = {"attachment": {"type": "image", "payload": {"url": IMAGE, "is_reusable": False}}}
    assert sent_json(route) == {"recipient": {"id": "9001"}, "message": image, "messaging_type": "RESPONSE"}
    ig = make(InstagramAdapter)
    ig.send_message(creds("1784", token="page-token", page_id="111"), recipient_id="IGSID1", image_url=IMAGE)
    assert sent_json(route) == {"recipient": {"id": "IGSID1"}, "message": image}


def test_an_image_meta_cannot_fetch_is_invalid_content_and_an_expired_token_auth_expired(fb, respx_mock):
    route = respx_mock.post(f"{GRAPH}/111/messages")
    route.respond(
        400,
        json={
            "error": {"message": "(#100) Failed to fetch the file from the url", "type": "OAuthException", "code": 100}
        },
    )
    with pytest.raises(base.InvalidContent) as caught:
        fb.send_message(page(), recipient_id="9001", image_url=IMAGE)
    assert "Failed to fetch" in str(caught.value)
    respx_mock.post(f"{GRAPH}/111_5_c1/comments").respond(
        400, json={"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}
    )
    with pytest.raises(base.AuthExpired):
        fb.reply(page(), remote_id="111_5_c1", text="x", image_url=IMAGE)
