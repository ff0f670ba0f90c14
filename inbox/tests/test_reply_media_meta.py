"""Media in replies on the Meta networks, through the real Graph API (respx): a Facebook comment reply carries one
image (`attachment_url`), Messenger and Instagram Direct replies send the text then each image as its own Send API
message, an Instagram comment reply or a private reply to a comment is refused (409) before anything is stored or
sent. Each part goes out once: a retry after a failed part sends only what was not sent."""

from __future__ import annotations

import json

import httpx
import pytest

from core import tenancy
from inbox.models import ActionStatus, Ticket, TicketAction
from inbox.services import actions as action_services
from inbox.tests.factories import InteractorFactory, TicketFactory
from social.networks.facebook import GRAPH
from social.selectors import media_public_url
from social.tests.factories import ChannelFactory, MediaFactory

URL = "/api/v1/inbox/tickets/"


@pytest.fixture(autouse=True)
def apps(settings):
    settings.NETWORK_APPS = {"facebook": {"client_id": "fb-id", "client_secret": "fb-secret"}}
    settings.PUBLIC_BASE_URL = "https://app.hubbub.test"


@pytest.fixture
def facebook(tenant):
    return ChannelFactory(tenant=tenant, network="facebook", external_id="111", config={"page_id": "111"})


@pytest.fixture
def instagram(tenant):
    return ChannelFactory(
        tenant=tenant, network="instagram", external_id="1784", config={"page_id": "111", "ig_user_id": "1784"}
    )


@pytest.fixture
def image(tenant):
    return MediaFactory(tenant=tenant)


def reply(client, ticket, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"{URL}{ticket.pk}/actions/reply", data, format="json")


def sent(route, index=-1) -> dict:
    return json.loads(route.calls[index].request.content)


def the_action(tenant, ticket) -> TicketAction:
    with tenancy.tenant_context(tenant):
        return TicketAction.objects.get(ticket=ticket)


def own_items(tenant, ticket) -> list[Ticket]:
    with tenancy.tenant_context(tenant):
        return list(Ticket.objects.filter(parent=ticket, is_own=True).order_by("network_item_id"))


def test_facebook_comment_reply_carries_the_image_by_its_public_url(
    owner_client, tenant, facebook, image, respx_mock, django_capture_on_commit_callbacks
):
    comment = TicketFactory(tenant=tenant, channel=facebook, network_item_id="111_5_c1")
    route = respx_mock.post(f"{GRAPH}/111_5_c1/comments").respond(json={"id": "111_5_c9"})
    response = reply(owner_client, comment, django_capture_on_commit_callbacks, text="Label", mediaIds=[str(image.pk)])
    assert response.status_code == 202, response.json()
    url = media_public_url(image)
    assert url.startswith("https://app.hubbub.test/")
    assert sent(route) == {"message": "Label", "attachment_url": url} and route.call_count == 1
    action = the_action(tenant, comment)
    assert action.status == ActionStatus.DONE and action.result["networkItemId"] == "111_5_c9"
    [own] = own_items(tenant, comment)
    assert own.network_item_id == "111_5_c9" and own.text == "Label"
    assert own.attachments == [{"type": "image", "url": url}]
    with tenancy.tenant_context(tenant):  # the task running again sends nothing
        assert action_services.execute_action(action.pk) == ActionStatus.DONE
    assert route.call_count == 1


def test_messenger_reply_sends_the_text_then_each_image_once(
    owner_client, tenant, facebook, respx_mock, django_capture_on_commit_callbacks
):
    person = InteractorFactory(tenant=tenant, network="facebook", network_user_id="9001")
    dm = TicketFactory(tenant=tenant, channel=facebook, type="message", interactor=person, parent_network_item_id="t_1")
    images = [MediaFactory(tenant=tenant), MediaFactory(tenant=tenant, mime_type="image/jpeg")]
    ids = iter(["m_text", "m_img1", "m_img2"])
    route = respx_mock.post(f"{GRAPH}/111/messages").mock(
        side_effect=lambda request: httpx.Response(200, json={"recipient_id": "9001", "message_id": next(ids)})
    )
    response = reply(
        owner_client, dm, django_capture_on_commit_callbacks, text="Here:", mediaIds=[str(m.pk) for m in images]
    )
    assert response.status_code == 202, response.json()
    assert route.call_count == 3
    assert sent(route, 0)["message"] == {"text": "Here:"}
    for index, media in ((1, images[0]), (2, images[1])):
        assert sent(route, index) == {
            "recipient": {"id": "9001"},
            "message": {
                "attachment": {"type": "image", "payload": {"url": media_public_url(media), "is_reusable": False}}
            },
            "messaging_type": "RESPONSE",
        }
    action = the_action(tenant, dm)
    assert action.status == ActionStatus.DONE and action.result["networkItemId"] == "m_text"
    assert [p["networkItemId"] for p in action.result["parts"]] == ["m_text", "m_img1", "m_img2"]
    with tenancy.tenant_context(tenant):
        own = {t.network_item_id: t for t in Ticket.objects.filter(is_own=True)}
    assert set(own) == {"m_text", "m_img1", "m_img2"}  # the next poll finds all three: no second copies
    assert own["m_text"].text == "Here:" and own["m_img2"].attachments == [
        {"type": "image", "url": media_public_url(images[1])}
    ]


def test_a_failed_image_is_retried_alone_the_text_is_not_sent_twice(
    owner_client, tenant, facebook, image, respx_mock, django_capture_on_commit_callbacks
):
    person = InteractorFactory(tenant=tenant, network="facebook", network_user_id="9001")
    dm = TicketFactory(tenant=tenant, channel=facebook, type="message", interactor=person)
    answers = iter(
        [
            httpx.Response(200, json={"recipient_id": "9001", "message_id": "m_text"}),
            httpx.Response(
                400, json={"error": {"message": "(#100) Failed to fetch the file from the url", "code": 100}}
            ),
            httpx.Response(200, json={"recipient_id": "9001", "message_id": "m_img"}),
        ]
    )
    route = respx_mock.post(f"{GRAPH}/111/messages").mock(side_effect=lambda request: next(answers))
    reply(owner_client, dm, django_capture_on_commit_callbacks, text="Here:", mediaIds=[str(image.pk)])
    failed = the_action(tenant, dm)
    assert failed.status == ActionStatus.FAILED and "Failed to fetch" in failed.error_message
    assert failed.error_code == "INVALID_CONTENT" and route.call_count == 2
    assert failed.result == {"sentParts": [{"networkItemId": "m_text", "url": ""}]}
    with django_capture_on_commit_callbacks(execute=True):
        retried = owner_client.post(f"{URL}{dm.pk}/actions/{failed.pk}/retry", {}, format="json")
    assert retried.status_code in (200, 202), retried.json()
    assert route.call_count == 3 and "attachment" in sent(route)["message"]  # only the image went out again
    done = the_action(tenant, dm)
    assert done.status == ActionStatus.DONE
    assert [p["networkItemId"] for p in done.result["parts"]] == ["m_text", "m_img"]


def test_instagram_direct_image_goes_through_the_linked_page(
    owner_client, tenant, instagram, image, respx_mock, django_capture_on_commit_callbacks
):
    person = InteractorFactory(tenant=tenant, network="instagram", network_user_id="IGSID1")
    dm = TicketFactory(tenant=tenant, channel=instagram, type="message", interactor=person)
    route = respx_mock.post(f"{GRAPH}/111/messages").respond(json={"recipient_id": "IGSID1", "message_id": "ig_m1"})
    response = reply(owner_client, dm, django_capture_on_commit_callbacks, mediaIds=[str(image.pk)])  # image alone
    assert response.status_code == 202, response.json()
    assert route.call_count == 1
    assert sent(route) == {
        "recipient": {"id": "IGSID1"},
        "message": {"attachment": {"type": "image", "payload": {"url": media_public_url(image), "is_reusable": False}}},
    }
    assert the_action(tenant, dm).status == ActionStatus.DONE


def test_refused_before_anything_is_stored_or_sent(owner_client, tenant, facebook, instagram, image, respx_mock):
    graph = respx_mock.route(host="graph.facebook.com").respond(json={"id": "x"})
    ig_comment = TicketFactory(tenant=tenant, channel=instagram)
    fb_comment = TicketFactory(tenant=tenant, channel=facebook)
    gif_only_on_facebook = MediaFactory(tenant=tenant, mime_type="image/gif", name="wave.gif")
    video = MediaFactory(tenant=tenant, mime_type="video/mp4", kind="video", name="clip.mp4")
    cases = [
        (ig_comment, {"text": "Look", "mediaIds": [str(image.pk)]}, 409, "text only"),
        (fb_comment, {"text": "Psst", "private": True, "mediaIds": [str(image.pk)]}, 409, "single text message"),
        (
            fb_comment,
            {"text": "Two", "mediaIds": [str(image.pk), str(MediaFactory(tenant=tenant).pk)]},
            400,
            "At most 1",
        ),
        (fb_comment, {"text": "Clip", "mediaIds": [str(video.pk)]}, 400, "images only"),
    ]
    for ticket, data, code, says in cases:
        response = owner_client.post(f"{URL}{ticket.pk}/actions/reply", data, format="json")
        assert response.status_code == code, (data, response.json())
        assert says in json.dumps(response.json()["error"]), response.json()
    person = InteractorFactory(tenant=tenant, network="instagram", network_user_id="IGSID2")
    ig_dm = TicketFactory(tenant=tenant, channel=instagram, type="message", interactor=person)
    response = owner_client.post(
        f"{URL}{ig_dm.pk}/actions/reply", {"mediaIds": [str(gif_only_on_facebook.pk)]}, format="json"
    )
    assert response.status_code == 400 and "wave.gif" in json.dumps(response.json()["error"]["details"])
    with tenancy.tenant_context(tenant):
        assert not TicketAction.objects.exists()
    assert graph.call_count == 0


def test_media_without_a_public_url_is_refused(owner_client, tenant, facebook, respx_mock, settings):
    settings.PUBLIC_BASE_URL = ""  # local storage gives a path only: nothing Meta could fetch
    comment = TicketFactory(tenant=tenant, channel=facebook)
    image = MediaFactory(tenant=tenant, name="label.png")
    response = owner_client.post(
        f"{URL}{comment.pk}/actions/reply", {"text": "x", "mediaIds": [str(image.pk)]}, format="json"
    )
    assert response.status_code == 400 and "no public URL" in json.dumps(response.json()["error"]["details"])
