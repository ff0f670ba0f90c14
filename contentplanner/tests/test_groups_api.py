"""Post groups: create with one post per channel (atomic), shared edits, schedule, duplicate, delete, visibility."""

from __future__ import annotations

import pytest

from contentplanner.models import Post, PostGroup, PostState
from contentplanner.tests.factories import ChannelFactory, future_iso, share_with
from core import tenancy
from social.models import ChannelStatus
from tenants.roles import Role

URL = "/api/v1/cp/post-groups/"


@pytest.fixture
def manager(tenant, make_member):
    return make_member(tenant, Role.MANAGER)


@pytest.fixture
def channels(tenant, manager):
    sandbox, x = ChannelFactory(tenant=tenant), ChannelFactory(tenant=tenant, network="x")
    share_with(sandbox, manager)
    share_with(x, manager)
    return sandbox, x


def create(client, channels, **extra):
    payload = {"channelIds": [str(c.pk) for c in channels], "text": "Shared", **extra}
    return client.post(URL, payload, format="json")


def test_create_makes_one_post_per_channel(tenant, manager, channels, api_client_for):
    response = create(
        api_client_for(manager), channels, networkOptions={"x": {"replySettings": "following"}}, title="T"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["posts"]) == 2 and {p["text"] for p in body["posts"]} == {"Shared"}
    by_network = {p["channel"]["network"]: p for p in body["posts"]}
    assert by_network["x"]["networkOptions"] == {"replySettings": "following"}
    assert by_network["sandbox"]["networkOptions"] == {}
    with tenancy.tenant_context(tenant):
        assert Post.objects.filter(group_id=body["id"], state=PostState.DRAFT).count() == 2


def test_create_is_atomic_when_a_channel_is_inactive(tenant, manager, channels, api_client_for):
    with tenancy.tenant_context(tenant):
        channels[1].status = ChannelStatus.DISCONNECTED
        channels[1].save()
    response = create(api_client_for(manager), channels)
    assert response.status_code == 400 and response.json()["error"]["code"] == "CHANNEL_UNAVAILABLE"
    with tenancy.tenant_context(tenant):
        assert PostGroup.objects.count() == 0 and Post.objects.count() == 0


def test_patch_updates_only_non_customised_posts(tenant, manager, channels, api_client_for):
    client = api_client_for(manager)
    group = create(client, channels).json()
    custom_id = group["posts"][0]["id"]
    assert client.patch(f"/api/v1/cp/posts/{custom_id}", {"text": "Mine"}, format="json").json()["isCustomized"]
    response = client.patch(f"{URL}{group['id']}", {"text": "Group v2"}, format="json")
    assert response.status_code == 200
    texts = {p["id"]: p["text"] for p in response.json()["posts"]}
    assert texts[custom_id] == "Mine"
    assert [t for pid, t in texts.items() if pid != custom_id] == ["Group v2"]


def test_schedule_all_or_nothing_on_rule_errors(tenant, manager, channels, api_client_for):
    client = api_client_for(manager)
    group = create(client, channels, text="y" * 400).json()  # too long for x, fine for the sandbox
    response = client.post(f"{URL}{group['id']}/schedule", {"publishAt": future_iso()}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "GROUP_ACTION_FAILED"
    with tenancy.tenant_context(tenant):
        assert Post.objects.filter(state=PostState.SCHEDULED).count() == 0
    client.patch(f"{URL}{group['id']}", {"text": "ok"}, format="json")
    response = client.post(f"{URL}{group['id']}/schedule", {"publishAt": future_iso()}, format="json")
    assert response.status_code == 200
    assert {p["state"] for p in response.json()["posts"]} == {"scheduled"}


def test_duplicate_and_delete(tenant, manager, channels, api_client_for):
    client = api_client_for(manager)
    group = create(client, channels).json()
    copy = client.post(f"{URL}{group['id']}/duplicate", format="json")
    assert copy.status_code == 201 and len(copy.json()["posts"]) == 2 and copy.json()["id"] != group["id"]
    deleted = client.delete(f"{URL}{group['id']}")
    assert deleted.status_code == 204
    assert client.get(f"{URL}{group['id']}").status_code == 404
    with tenancy.tenant_context(tenant):
        assert Post.objects.filter(state=PostState.DELETED).count() == 2
        assert Post.objects.exclude(state=PostState.DELETED).count() == 2


def test_other_tenant_and_other_team_get_404(tenant, other_tenant, manager, channels, make_member, api_client_for):
    group = create(api_client_for(manager), channels).json()
    for member in (make_member(tenant, Role.MANAGER), make_member(other_tenant, Role.OWNER)):
        client = api_client_for(member)
        for method, suffix in [
            ("get", ""),
            ("patch", ""),
            ("delete", ""),
            ("post", "/schedule"),
            ("post", "/duplicate"),
        ]:
            response = getattr(client, method)(f"{URL}{group['id']}{suffix}", {"text": "x"}, format="json")
            assert response.status_code == 404, (method, suffix)
    with tenancy.tenant_context(tenant):
        assert PostGroup.objects.count() == 1 and set(Post.objects.values_list("text", flat=True)) == {"Shared"}


def test_group_list_query_count_is_bounded(tenant, owner, api_client_for, django_assert_max_num_queries):
    channel = ChannelFactory(tenant=tenant)
    client = api_client_for(owner)
    for i in range(50):
        assert create(client, [channel], text=f"g{i}").status_code == 201
    with django_assert_max_num_queries(14):
        response = client.get(URL, {"pageSize": 50})
    assert len(response.json()["results"]) == 50
