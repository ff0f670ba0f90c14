"""The expired-network-media proxy: only the network's CDN hosts, through the SSRF guard, images and videos up to a
cap, small answers cached; an expired link with the media's id is replaced by a fresh one from the Graph API."""

from __future__ import annotations

import httpx
import pytest
import respx
from django.core.cache import cache

from core import url_safety
from social.networks.facebook import GRAPH
from social.services import media_proxy
from social.tests.factories import ChannelFactory, png_bytes

CDN = "https://scontent-fra5-1.cdninstagram.com/v/t51.2885-15/pic.jpg?oh=abc&oe=6561"
FRESH = "https://scontent-fra5-2.cdninstagram.com/v/t51.2885-15/pic.jpg?oh=new&oe=6590"
FB_PHOTO = "https://scontent.xx.fbcdn.net/v/t39.30808-6/photo_n.jpg?oh=1"


@pytest.fixture(autouse=True)
def public_cdn(monkeypatch):
    """The CDN hosts resolve to a public address; anything else to loopback (what the SSRF guard refuses)."""
    monkeypatch.setattr(
        url_safety,
        "resolve_host",
        lambda host, port: ["157.240.0.35"] if host.endswith(("cdninstagram.com", "fbcdn.net")) else ["127.0.0.1"],
    )
    cache.clear()


@pytest.fixture
def instagram(tenant):
    return ChannelFactory(tenant=tenant, network="instagram", external_id="1784", config={"ig_user_id": "1784"})


def proxy_url(channel) -> str:
    return f"/api/v1/channels/{channel.pk}/media-proxy"


def get(client, channel, **params):
    return client.get(proxy_url(channel), params)


@respx.mock
def test_a_cdn_picture_is_proxied_and_cached_briefly(owner_client, instagram):
    picture = png_bytes(40, 30)
    route = respx.get(CDN).mock(
        return_value=httpx.Response(200, content=picture, headers={"Content-Type": "image/png"})
    )

    first = get(owner_client, instagram, url=CDN)
    second = get(owner_client, instagram, url=CDN)

    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first.content == picture and second.content == picture
    assert first["X-Content-Type-Options"] == "nosniff" and "private" in first["Cache-Control"]
    assert route.call_count == 1  # the second came from the cache


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/pic.jpg",
        "https://cdninstagram.com.evil.example/pic.jpg",
        "http://scontent.cdninstagram.com/pic.jpg",  # https only
        "https://pbs.twimg.com/media/x.jpg",  # another network's CDN
    ],
)
def test_only_the_networks_media_hosts_are_fetched(owner_client, instagram, url):
    with respx.mock(assert_all_called=False) as router:
        anything = router.route().mock(return_value=httpx.Response(200, content=b"x"))
        response = get(owner_client, instagram, url=url)
    assert response.status_code == 400 and response.json()["error"]["code"] == "MEDIA_HOST_NOT_ALLOWED"
    assert anything.call_count == 0


def test_an_allowed_host_resolving_to_a_private_address_is_refused(owner_client, instagram, monkeypatch):
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["10.0.0.5"])
    with respx.mock(assert_all_called=False) as router:
        anything = router.route().mock(return_value=httpx.Response(200, content=b"x"))
        response = get(owner_client, instagram, url=CDN)
    assert response.status_code == 400 and response.json()["error"]["code"] == "MEDIA_HOST_NOT_ALLOWED"
    assert anything.call_count == 0


@respx.mock
def test_only_images_and_videos_are_proxied(owner_client, instagram):
    respx.get(CDN).mock(return_value=httpx.Response(200, content=b"<html>", headers={"Content-Type": "text/html"}))
    response = get(owner_client, instagram, url=CDN)
    assert response.status_code == 400 and response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


@respx.mock
def test_a_file_over_the_cap_is_refused(owner_client, instagram, monkeypatch):
    monkeypatch.setattr(media_proxy, "MAX_BYTES", 1000)
    respx.get(CDN).mock(return_value=httpx.Response(200, content=b"x" * 5000, headers={"Content-Type": "video/mp4"}))
    response = get(owner_client, instagram, url=CDN)
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@respx.mock
def test_a_large_video_is_streamed_and_not_cached(owner_client, instagram, monkeypatch):
    monkeypatch.setattr(media_proxy, "CACHE_MAX_BYTES", 100)
    video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 500
    route = respx.get(CDN).mock(return_value=httpx.Response(200, content=video, headers={"Content-Type": "video/mp4"}))
    for _ in range(2):
        response = get(owner_client, instagram, url=CDN)
        assert response.status_code == 200 and response.streaming
        assert b"".join(response.streaming_content) == video
    assert route.call_count == 2


@respx.mock
def test_an_expired_link_without_media_id_is_410(owner_client, instagram):
    respx.get(CDN).mock(return_value=httpx.Response(403, text="URL signature expired"))
    response = get(owner_client, instagram, url=CDN)
    assert response.status_code == 410 and response.json()["error"]["code"] == "NETWORK_MEDIA_EXPIRED"


@respx.mock
def test_an_expired_instagram_link_is_refetched_by_media_id(owner_client, instagram):
    picture = png_bytes(20, 20)
    respx.get(CDN).mock(return_value=httpx.Response(403, text="URL signature expired"))
    graph = respx.get(f"{GRAPH}/17895695668004550").mock(
        return_value=httpx.Response(200, json={"media_url": FRESH, "id": "17895695668004550"})
    )
    fresh = respx.get(FRESH).mock(
        return_value=httpx.Response(200, content=picture, headers={"Content-Type": "image/png"})
    )

    response = get(owner_client, instagram, url=CDN, mediaId="17895695668004550")
    again = get(owner_client, instagram, url=CDN, mediaId="17895695668004550")

    assert response.status_code == 200 and response.content == picture and again.content == picture
    assert graph.calls[0].request.url.params["fields"] == "media_url,thumbnail_url"
    assert graph.calls[0].request.url.params["access_token"] == instagram.access_token
    assert graph.call_count == 1 and fresh.call_count == 1  # the fresh link and the picture are remembered


@respx.mock
def test_a_facebook_photo_is_fetched_by_id_alone_at_its_largest(owner_client, tenant):
    page = ChannelFactory(tenant=tenant, network="facebook", external_id="p1", config={"page_id": "p1"})
    picture = png_bytes(64, 64)
    respx.get(f"{GRAPH}/10160").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": "10160",
                "images": [
                    {"width": 130, "height": 130, "source": "https://scontent.xx.fbcdn.net/small.jpg"},
                    {"width": 960, "height": 960, "source": FB_PHOTO},
                ],
            },
        )
    )
    respx.get(FB_PHOTO).mock(return_value=httpx.Response(200, content=picture, headers={"Content-Type": "image/png"}))
    response = get(owner_client, page, mediaId="10160")
    assert response.status_code == 200 and response.content == picture


@respx.mock
def test_a_fresh_link_the_token_cannot_get_is_409(owner_client, instagram):
    respx.get(CDN).mock(return_value=httpx.Response(403))
    respx.get(f"{GRAPH}/1789").mock(
        return_value=httpx.Response(400, json={"error": {"code": 190, "message": "Error validating access token"}})
    )
    response = get(owner_client, instagram, url=CDN, mediaId="1789")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CHANNEL_NEEDS_ATTENTION"


def test_neither_url_nor_media_id_is_400(owner_client, instagram):
    response = get(owner_client, instagram)
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_network_without_fresh_links_says_the_media_expired(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant, network="x")
    response = get(owner_client, channel, mediaId="1460323737035677698")
    assert response.status_code == 410 and response.json()["error"]["code"] == "NETWORK_MEDIA_EXPIRED"


def test_another_tenants_channel_is_404(owner_client, other_tenant):
    theirs = ChannelFactory(tenant=other_tenant, network="instagram")
    assert get(owner_client, theirs, url=CDN).status_code == 404
