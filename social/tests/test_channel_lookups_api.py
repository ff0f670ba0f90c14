"""GET /channels/{id}/lookups/{kind}: composer pickers through the channel's network, from a new user's tenant."""

from __future__ import annotations

import httpx
import pytest

from core import tenancy
from social.models import Channel
from social.networks.facebook import GRAPH
from social.networks.sandbox import SandboxAdapter
from social.tests.factories import ChannelFactory
from social.tests.test_new_user import CHANNELS, registered_client
from tenants.roles import Role


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def new_user(db):
    client, _ = registered_client()
    channel = client.post(CHANNELS, {"network": "sandbox", "name": "My sandbox"}, format="json").json()
    return client, channel


def lookups(client, channel, kind, **params):
    return client.get(f"{CHANNELS}{channel['id']}/lookups/{kind}/", params)


def test_a_new_user_picks_boards_sections_and_mentions_on_the_sandbox(new_user):
    client, channel = new_user
    networks = {n["network"]: n for n in client.get(f"{CHANNELS}networks/").json()}
    assert networks["sandbox"]["lookups"] == ["board-sections", "boards", "mentions"]
    assert networks["pinterest"]["lookups"] == ["board-sections", "boards"]
    assert networks["wordpress"]["lookups"] == []

    boards = lookups(client, channel, "boards", q="prod")
    assert boards.status_code == 200, boards.json()
    [board] = boards.json()
    assert board["name"] == "Products" and set(board) == {"id", "name", "imageUrl", "extra"}
    sections = lookups(client, channel, "board-sections", parent=board["id"]).json()
    assert [s["name"] for s in sections] == ["Ideas", "Published"]
    assert lookups(client, channel, "mentions", q="@someone").json()[0]["extra"] == {"username": "someone"}


@pytest.mark.parametrize(
    ("kind", "params", "status", "code"),
    [
        ("products", {}, 409, "NOT_SUPPORTED"),  # the sandbox has no shop
        ("nonsense", {}, 409, "NOT_SUPPORTED"),
        ("board-sections", {}, 400, "VALIDATION_ERROR"),  # which board?
        ("board-sections", {"parent": "board-unknown"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_questions_the_network_cannot_answer_are_clear_4xx(new_user, kind, params, status, code):
    client, channel = new_user
    response = lookups(client, channel, kind, **params)
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code


def test_answers_are_cached_per_channel_and_question(new_user, monkeypatch):
    client, channel = new_user
    calls = []
    original = SandboxAdapter.lookup_boards

    def counted(self, credentials, **kwargs):
        calls.append(kwargs)
        return original(self, credentials, **kwargs)

    monkeypatch.setattr(SandboxAdapter, "lookup_boards", counted)
    first = lookups(client, channel, "boards").json()
    assert lookups(client, channel, "boards").json() == first
    assert len(calls) == 1
    lookups(client, channel, "boards", q="ins")
    assert len(calls) == 2  # another question is asked of the network


def test_a_refused_token_asks_for_attention_and_a_disconnected_channel_for_reconnecting(new_user):
    client, channel = new_user
    # The network starts refusing the token (failure injected where the sandbox adapter reads it).
    with tenancy.platform_access():
        Channel.all_tenants.filter(pk=channel["id"]).update(
            config={"sandbox": {"failWith": "AUTH_EXPIRED", "operations": ["lookup"]}}
        )
    refused = lookups(client, channel, "mentions", q="x")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CHANNEL_NEEDS_ATTENTION"
    assert client.delete(f"{CHANNELS}{channel['id']}/").status_code == 204
    gone = lookups(client, channel, "mentions", q="x")
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "INVALID_STATE"


def test_another_tenants_channel_and_an_unseen_channel_are_404(tenant, other_tenant, make_member, api_client_for):
    theirs = ChannelFactory(tenant=other_tenant)
    editor = api_client_for(make_member(tenant, Role.EDITOR))
    unseen = ChannelFactory(tenant=tenant)  # in no team of the editor's
    for channel in (theirs, unseen):
        response = editor.get(f"{CHANNELS}{channel.pk}/lookups/boards/")
        assert response.status_code == 404, response.json()


def test_a_facebook_page_lists_its_locations_through_the_graph_api(tenant, owner_client, respx_mock, settings):
    settings.NETWORK_APPS = {"facebook": {"client_id": "fb-id", "client_secret": "fb-secret"}}
    channel = ChannelFactory(tenant=tenant, network="facebook", external_id="p1", config={"page_id": "p1"})
    route = respx_mock.get(f"{GRAPH}/p1/locations").respond(json={"data": [{"id": "l1", "name": "Acme Berlin"}]})
    response = owner_client.get(f"{CHANNELS}{channel.pk}/lookups/locations/")
    assert response.status_code == 200, response.json()
    assert response.json() == [{"id": "l1", "name": "Acme Berlin", "imageUrl": "", "extra": {"location": {}}}]
    assert route.called
    respx_mock.get(f"{GRAPH}/p1/locations").mock(side_effect=httpx.ConnectError("down"))
    with tenancy.platform_access():
        Channel.all_tenants.filter(pk=channel.pk).update(name="touched")  # new cache generation
    down = owner_client.get(f"{CHANNELS}{channel.pk}/lookups/locations/", {"q": "other"})
    assert down.status_code == 503 and down.json()["error"]["code"] == "NETWORK_UNAVAILABLE"
