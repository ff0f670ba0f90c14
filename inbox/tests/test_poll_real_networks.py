"""Polling real adapters end to end (respx serves the networks' documented payloads): Facebook comments and
replies, YouTube comment threads, X mentions become tickets of the right type in the right thread."""

from __future__ import annotations

import pytest

from core import tenancy
from inbox.models import IngestionCursor, Ticket
from inbox.services import polling
from social.networks.facebook import GRAPH
from social.networks.x import API as X_API
from social.networks.youtube import API as YT_API
from social.tests.factories import ChannelFactory


@pytest.fixture(autouse=True)
def apps(settings):
    settings.NETWORK_APPS = {n: {"client_id": f"{n}-id", "client_secret": ""} for n in ("facebook", "x", "youtube")}


def poll(tenant, channel, kind):
    with tenancy.tenant_context(tenant):
        polling.ensure_cursors(channel)
        cursor = IngestionCursor.objects.get(channel=channel, kind=kind)
        created = polling.poll(cursor.pk)
        cursor.refresh_from_db()
        assert cursor.last_error == ""
        return created, {t.network_item_id: t for t in Ticket.objects.select_related("parent", "interactor")}


def test_facebook_feed_comments_and_replies(tenant, respx_mock):
    channel = ChannelFactory(tenant=tenant, network="facebook", external_id="111", config={"page_id": "111"})
    respx_mock.get(f"{GRAPH}/111/feed").respond(
        json={
            "data": [
                {
                    "id": "111_5",
                    "comments": {
                        "data": [
                            {
                                "id": "111_5_c2",
                                "message": "Me too",
                                "from": {"id": "10", "name": "Cy"},
                                "created_time": "2026-03-01T09:05:00+0000",
                                "parent": {"id": "111_5_c1"},
                            },
                            {
                                "id": "111_5_c1",
                                "message": "Nice",
                                "from": {"id": "9", "name": "Bob"},
                                "created_time": "2026-03-01T09:00:00+0000",
                            },
                            {
                                "id": "111_5_c3",
                                "message": "Thanks Bob!",
                                "from": {"id": "111", "name": "Acme"},
                                "created_time": "2026-03-01T09:10:00+0000",
                                "parent": {"id": "111_5_c1"},
                            },
                        ]
                    },
                }
            ],
            "paging": {"cursors": {"after": "AFTER"}},
        }
    )
    created, by_id = poll(tenant, channel, "comment")
    assert created == 3
    assert (by_id["111_5_c1"].type, by_id["111_5_c1"].parent_network_item_id) == ("comment", "111_5")
    assert by_id["111_5_c2"].type == "reply" and by_id["111_5_c2"].parent == by_id["111_5_c1"]
    assert by_id["111_5_c3"].is_own and by_id["111_5_c3"].interactor is None
    assert by_id["111_5_c1"].interactor.name == "Bob"


def test_youtube_comment_threads(tenant, respx_mock):
    channel = ChannelFactory(tenant=tenant, network="youtube", external_id="UCacme")
    respx_mock.get(f"{YT_API}/commentThreads").respond(
        json={
            "kind": "youtube#commentThreadListResponse",
            "items": [
                {
                    "kind": "youtube#commentThread",
                    "id": "Ug1",
                    "snippet": {
                        "channelId": "UCacme",
                        "videoId": "vid123",
                        "topLevelComment": {
                            "kind": "youtube#comment",
                            "id": "Ug1",
                            "snippet": {
                                "textOriginal": "Great video",
                                "authorDisplayName": "Bob",
                                "authorChannelId": {"value": "UCbob"},
                                "publishedAt": "2026-03-01T10:00:00Z",
                            },
                        },
                        "totalReplyCount": 1,
                    },
                    "replies": {
                        "comments": [
                            {
                                "kind": "youtube#comment",
                                "id": "Ug1.r1",
                                "snippet": {
                                    "textOriginal": "Thanks!",
                                    "parentId": "Ug1",
                                    "authorDisplayName": "Acme",
                                    "authorChannelId": {"value": "UCacme"},
                                    "publishedAt": "2026-03-01T11:00:00Z",
                                },
                            }
                        ]
                    },
                }
            ],
        }
    )
    created, by_id = poll(tenant, channel, "comment")
    assert created == 2
    assert by_id["Ug1"].type == "comment" and by_id["Ug1"].parent_network_item_id == "vid123"
    assert by_id["Ug1.r1"].type == "reply" and by_id["Ug1.r1"].parent == by_id["Ug1"] and by_id["Ug1.r1"].is_own


def test_x_mentions(tenant, respx_mock):
    channel = ChannelFactory(tenant=tenant, network="x", external_id="42", config={"username": "acme"})
    respx_mock.get(f"{X_API}/users/42/mentions").respond(
        json={
            "data": [
                {
                    "id": "1800",
                    "text": "@acme my order is late",
                    "author_id": "9",
                    "created_at": "2026-03-01T10:00:00.000Z",
                    "conversation_id": "1800",
                }
            ],
            "includes": {"users": [{"id": "9", "name": "Fan", "username": "fan"}]},
            "meta": {"result_count": 1, "newest_id": "1800", "oldest_id": "1800"},
        }
    )
    created, by_id = poll(tenant, channel, "mention")
    assert created == 1 and by_id["1800"].type == "mention" and by_id["1800"].interactor.name == "fan"
