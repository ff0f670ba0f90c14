"""Post operations: change channel, add channels to a group, copy fields to siblings, submit a group, mark
published by hand."""

from __future__ import annotations

import pytest

from contentplanner.models import Post, PostState
from contentplanner.tests.factories import ChannelFactory, PostFactory, feed_keys, reload, share_with
from core import tenancy
from tenants.roles import Role

POSTS = "/api/v1/cp/posts/"
GROUPS = "/api/v1/cp/post-groups/"


@pytest.fixture
def world(tenant, make_member, api_client_for):
    editor = make_member(tenant, Role.EDITOR)
    one, two, three = (ChannelFactory(tenant=tenant) for _ in range(3))
    hidden = ChannelFactory(tenant=tenant)
    share_with(one, editor)
    share_with(two, editor)
    share_with(three, editor)
    client = api_client_for(editor)
    group = client.post(GROUPS, {"channelIds": [str(one.pk), str(two.pk)], "text": "Shared"}, format="json").json()
    channels = {"one": one, "two": two, "three": three, "hidden": hidden}
    return {"editor": editor, "client": client, "group": group, **channels}


def group_posts(tenant, group_id) -> list[Post]:
    with tenancy.tenant_context(tenant):
        return list(Post.objects.filter(group_id=group_id).order_by("created_at", "id"))


def test_change_channel_revalidates_and_records(tenant, world):
    post = group_posts(tenant, world["group"]["id"])[0]
    response = world["client"].post(
        f"{POSTS}{post.pk}/change-channel", {"channelId": str(world["three"].pk)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert reload(post).channel_id == world["three"].pk and "channelChanged" in feed_keys(post)
    hidden = world["client"].post(
        f"{POSTS}{post.pk}/change-channel", {"channelId": str(world["hidden"].pk)}, format="json"
    )
    assert hidden.status_code == 400 and reload(post).channel_id == world["three"].pk


def test_change_channel_refused_for_published(world):
    published = PostFactory(channel=world["one"], published=True)
    response = world["client"].post(
        f"{POSTS}{published.pk}/change-channel", {"channelId": str(world["two"].pk)}, format="json"
    )
    assert response.status_code == 409 and reload(published).channel_id == world["one"].pk


def test_add_channels_to_a_group(tenant, world):
    response = world["client"].post(
        f"{GROUPS}{world['group']['id']}/channels", {"channelIds": [str(world["three"].pk)]}, format="json"
    )
    assert response.status_code == 200, response.json()
    posts = group_posts(tenant, world["group"]["id"])
    assert {p.channel_id for p in posts} == {world["one"].pk, world["two"].pk, world["three"].pk}
    assert all(p.text == "Shared" for p in posts)
    again = world["client"].post(
        f"{GROUPS}{world['group']['id']}/channels", {"channelIds": [str(world["one"].pk)]}, format="json"
    )
    assert again.status_code == 400


def test_copy_fields_to_siblings(tenant, world):
    first, second = group_posts(tenant, world["group"]["id"])
    world["client"].patch(f"{POSTS}{first.pk}", {"text": "Custom", "firstComment": "Hi"}, format="json")
    response = world["client"].post(
        f"{POSTS}{first.pk}/copy-to-siblings", {"fields": ["firstComment"], "postIds": [str(second.pk)]}, format="json"
    )
    assert response.status_code == 200, response.json()
    second = reload(second)
    assert second.first_comment == "Hi" and second.text == "Shared"
    bad = world["client"].post(
        f"{POSTS}{first.pk}/copy-to-siblings", {"fields": ["state"], "postIds": [str(second.pk)]}, format="json"
    )
    assert bad.status_code == 400
    stranger = PostFactory(channel=world["one"])
    refused = world["client"].post(
        f"{POSTS}{first.pk}/copy-to-siblings", {"fields": ["text"], "postIds": [str(stranger.pk)]}, format="json"
    )
    assert refused.status_code == 400 and reload(stranger).text == "Hello world"


def test_submit_group_for_approval(tenant, world, make_member):
    approver = make_member(tenant, Role.APPROVER)
    share_with(world["one"], approver)
    share_with(world["two"], approver)
    response = world["client"].post(f"{GROUPS}{world['group']['id']}/submit", format="json")
    assert response.status_code == 200, response.json()
    assert {p.state for p in group_posts(tenant, world["group"]["id"])} == {PostState.NEEDS_APPROVAL}


def test_submit_group_is_all_or_nothing(tenant, world, make_member):
    approver = make_member(tenant, Role.APPROVER)
    share_with(world["one"], approver)  # nobody may approve the post on channel two
    response = world["client"].post(f"{GROUPS}{world['group']['id']}/submit", format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "GROUP_ACTION_FAILED"
    assert {p.state for p in group_posts(tenant, world["group"]["id"])} == {PostState.DRAFT}


def test_mark_published_by_hand(tenant, world, make_member, api_client_for):
    post = PostFactory(channel=world["one"], state=PostState.SCHEDULED, author=world["editor"].user)
    viewer = make_member(tenant, Role.VIEWER)
    share_with(world["one"], viewer)
    assert api_client_for(viewer).post(f"{POSTS}{post.pk}/mark-published", {}, format="json").status_code == 403
    assert reload(post).state == PostState.SCHEDULED
    response = world["client"].post(
        f"{POSTS}{post.pk}/mark-published", {"networkUrl": "https://instagram.com/s/1"}, format="json"
    )
    assert response.status_code == 200, response.json()
    post = reload(post)
    assert post.state == PostState.PUBLISHED and post.network_url == "https://instagram.com/s/1"
    assert post.published_at is not None and "published" in feed_keys(post)
    twice = world["client"].post(f"{POSTS}{post.pk}/mark-published", {}, format="json")
    assert twice.status_code == 409


def test_mark_published_respects_approval(tenant, world):
    tenant.settings = {"approval_required": True}
    tenant.save(update_fields=["settings"])
    post = PostFactory(channel=world["one"], state=PostState.DRAFT, author=world["editor"].user)
    response = world["client"].post(f"{POSTS}{post.pk}/mark-published", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "APPROVAL_REQUIRED"
