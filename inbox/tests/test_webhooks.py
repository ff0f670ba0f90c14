"""Push receivers: signatures over the raw body, Meta's handshake, X's CRC, real payload shapes, nothing stored
from an unsigned or malformed delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from core import tenancy
from inbox.models import Ticket
from social.tests.factories import ChannelFactory

META_SECRET = "meta-app-secret"
X_SECRET = "x-consumer-secret"
URL = "/api/v1/inbox/webhooks/"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.INBOX_META_APP_SECRET = META_SECRET
    settings.INBOX_META_VERIFY_TOKEN = "verify-me"
    settings.INBOX_X_CONSUMER_SECRET = X_SECRET


def meta_post(network: str, payload: dict, *, secret: str = META_SECRET, signature: str | None = None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    return APIClient().post(URL + network, body, content_type="application/json", **headers)


def x_post(payload: dict, *, secret: str = X_SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return APIClient().post(
        URL + "x", body, content_type="application/json", HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature
    )


def fb_comment(verb: str = "add", *, comment_id: str = "111_222", parent: str = "111_1", message: str = "Nice!"):
    return {
        "object": "page",
        "entry": [
            {
                "id": "111",
                "time": 1764280000,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "from": {"id": "9001", "name": "Ann Fan"},
                            "post": {"status_type": "added_photos", "id": "111_1", "permalink_url": "https://fb/p"},
                            "message": message,
                            "post_id": "111_1",
                            "comment_id": comment_id,
                            "parent_id": parent,
                            "created_time": 1764280000,
                            "item": "comment",
                            "verb": verb,
                        },
                    }
                ],
            }
        ],
    }


def tickets_of(tenant):
    with tenancy.tenant_context(tenant):
        return list(Ticket.objects.select_related("interactor").order_by("created_at"))


def test_meta_handshake_echoes_the_challenge_only_with_the_verify_token(db):
    ok = APIClient().get(
        URL + "facebook", {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    )
    assert ok.status_code == 200 and ok.content == b"42"
    bad = APIClient().get(URL + "facebook", {"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "42"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "SIGNATURE_INVALID"


def test_x_crc_answers_with_the_hmac_of_the_token(db):
    response = APIClient().get(URL + "x", {"crc_token": "abc"})
    expected = base64.b64encode(hmac.new(X_SECRET.encode(), b"abc", hashlib.sha256).digest()).decode()
    assert response.status_code == 200 and response.json() == {"responseToken": f"sha256={expected}"}


def test_signed_facebook_comment_becomes_a_ticket_in_every_tenant_with_the_page(tenant, other_tenant):
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    ChannelFactory(tenant=other_tenant, network="facebook", external_id="111")
    response = meta_post("facebook", fb_comment())
    assert response.status_code == 200 and response.json() == {"received": 1}
    for owner in (tenant, other_tenant):
        [ticket] = tickets_of(owner)
        assert (ticket.network_item_id, ticket.type, ticket.text) == ("111_222", "comment", "Nice!")
        assert ticket.interactor.name == "Ann Fan" and ticket.parent_network_item_id == "111_1"


def test_facebook_edit_and_remove_update_the_ticket(tenant):
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    meta_post("facebook", fb_comment())
    meta_post("facebook", fb_comment("edited", message="Nice!!"))
    meta_post("facebook", fb_comment("remove"))
    [ticket] = tickets_of(tenant)
    assert ticket.text == "Nice!!" and ticket.is_edited and ticket.is_deleted_in_network


def test_facebook_reply_to_a_comment_and_messenger_message(tenant):
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    payload = fb_comment(comment_id="111_333", parent="111_222")
    payload["entry"][0]["messaging"] = [
        {
            "sender": {"id": "9002"},
            "recipient": {"id": "111"},
            "timestamp": 1764280000123,
            "message": {"mid": "m_abc", "text": "Hello page"},
        }
    ]
    assert meta_post("facebook", payload).status_code == 200
    by_id = {t.network_item_id: t for t in tickets_of(tenant)}
    assert by_id["111_333"].type == "reply" and by_id["m_abc"].type == "message"
    assert by_id["m_abc"].interactor.network_user_id == "9002"


def test_instagram_comment_webhook(tenant):
    ChannelFactory(tenant=tenant, network="instagram", external_id="17841400000")
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000",
                "time": 1764280000,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "from": {"id": "232323", "username": "fan.gram"},
                            "media": {"id": "123123", "media_product_type": "FEED"},
                            "id": "17865799348089039",
                            "text": "Love it",
                        },
                    }
                ],
            }
        ],
    }
    assert meta_post("instagram", payload).status_code == 200
    [ticket] = tickets_of(tenant)
    assert (ticket.type, ticket.parent_network_item_id, ticket.interactor.handle) == ("comment", "123123", "fan.gram")


def test_x_account_activity_reply_mention_and_dm(tenant):
    ChannelFactory(tenant=tenant, network="x", external_id="2244994945")
    payload = {
        "for_user_id": "2244994945",
        "tweet_create_events": [
            {
                "created_at": "Fri Nov 27 20:19:24 +0000 2026",
                "id_str": "1050118621198921728",
                "text": "@acme my order?",
                "in_reply_to_status_id_str": "1050118621198921700",
                "in_reply_to_user_id_str": "2244994945",
                "user": {"id_str": "6253282", "name": "Bo", "screen_name": "bo"},
            },
            {
                "created_at": "Fri Nov 27 20:20:24 +0000 2026",
                "id_str": "1050118621198921799",
                "text": "shoutout @acme",
                "in_reply_to_status_id_str": None,
                "in_reply_to_user_id_str": None,
                "user": {"id_str": "6253283", "name": "Cy", "screen_name": "cy"},
            },
        ],
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "954491830116155396",
                "created_timestamp": "1764280000000",
                "message_create": {
                    "target": {"recipient_id": "2244994945"},
                    "sender_id": "6253282",
                    "message_data": {"text": "psst", "entities": {}},
                },
            }
        ],
        "users": {"6253282": {"id": "6253282", "name": "Bo", "screen_name": "bo"}},
    }
    assert x_post(payload).status_code == 200
    by_id = {t.network_item_id: t for t in tickets_of(tenant)}
    assert by_id["1050118621198921728"].type == "comment"
    assert by_id["1050118621198921728"].parent_network_item_id == "1050118621198921700"
    assert by_id["1050118621198921799"].type == "mention"
    assert by_id["954491830116155396"].type == "message"
    assert by_id["954491830116155396"].parent_network_item_id == "6253282-2244994945"  # lower id first


@pytest.mark.parametrize(
    "signature", ["", "sha256=0000", "sha1=abc", None], ids=["missing", "wrong", "other-algo", "wrong-secret"]
)
def test_unsigned_or_badly_signed_meta_push_is_401_and_stores_nothing(tenant, signature):
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    if signature is None:
        response = meta_post("facebook", fb_comment(), secret="not-the-secret")
    else:
        response = meta_post("facebook", fb_comment(), signature=signature)
    assert response.status_code == 401 and response.json()["error"]["code"] == "SIGNATURE_INVALID"
    assert tickets_of(tenant) == []


def test_x_push_signed_with_another_secret_is_refused(tenant):
    ChannelFactory(tenant=tenant, network="x", external_id="1")
    response = x_post({"for_user_id": "1", "tweet_create_events": []}, secret="nope")
    assert response.status_code == 401


def test_without_a_configured_secret_every_push_is_refused(tenant, settings):
    settings.INBOX_META_APP_SECRET = ""
    settings.NETWORK_APPS = {**settings.NETWORK_APPS, "facebook": {"client_id": "", "client_secret": ""}}
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    assert meta_post("facebook", fb_comment(), secret="").status_code == 401


def test_a_signed_body_in_the_wrong_shape_is_400_and_nothing_half_written(tenant):
    ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    good = fb_comment()["entry"][0]
    broken = {"id": "111", "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}]}
    response = meta_post("facebook", {"object": "page", "entry": [good, broken]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "WEBHOOK_PAYLOAD_INVALID"
    assert tickets_of(tenant) == []
    not_json = APIClient().post(
        URL + "facebook",
        b"nope",
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=" + hmac.new(META_SECRET.encode(), b"nope", hashlib.sha256).hexdigest(),
    )
    assert not_json.status_code == 400


def test_unknown_network_is_404(db):
    assert APIClient().post(URL + "myspace", b"{}", content_type="application/json").status_code == 404
