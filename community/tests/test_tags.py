"""Tags: hashtag names, colours, uniqueness, lists by ids, prefix search, mapping to posts, boards, members."""

from __future__ import annotations

from community.models import Tag, TagMapping
from community.tests.factories import BoardFactory, MemberFactory, PostFactory, TagFactory
from core import tenancy

BASE = "/api/v1/community/tags"


def test_create_derives_a_lowercase_hashtag_and_default_colours(tenant, owner_client):
    response = owner_client.post(f"{BASE}/", {"name": "#Product News!", "ogTitle": "News"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["displayName"]) == ("productnews", "Product News!")
    assert (body["backColor"], body["textColor"]) == ("#ffffff", "#330000")
    clash = owner_client.post(f"{BASE}/", {"name": "PRODUCTNEWS"})
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "TAG_NAME_TAKEN")


def test_colours_must_be_hex_with_optional_alpha(tenant, owner_client):
    assert owner_client.post(f"{BASE}/", {"name": "a", "backColor": "#FFFFFF00"}).json()["backColor"] == "#ffffff00"
    for bad in ("red", "#fff", "#ggg000", "ffffff"):
        response = owner_client.post(f"{BASE}/", {"name": "b", "textColor": bad})
        assert response.status_code == 400, bad
    with tenancy.tenant_context(tenant):
        assert list(Tag.objects.values_list("name", flat=True)) == ["a"]


def test_list_by_ids_sorted_and_prefix_search(tenant, owner_client, member_client, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        tags = {name: TagFactory(name=name) for name in ("engineer", "energy", "admin", "architect")}
        member = MemberFactory()
    client = member_client(member)
    ids = f"{tags['energy'].pk},{tags['admin'].pk}"
    with django_assert_max_num_queries(6):
        listed = client.get(f"{BASE}/", {"ids": ids}).json()["results"]
    assert [tag["name"] for tag in listed] == ["admin", "energy"]
    assert [t["name"] for t in client.get(f"{BASE}/", {"sortBy": "name", "order": "desc"}).json()["results"]] == [
        "engineer", "energy", "architect", "admin"]  # fmt: skip
    assert client.get(f"{BASE}/", {"ids": "not-a-uuid"}).status_code == 400
    found = client.get(f"{BASE}/search", {"prefix": "#EN"}).json()["results"]
    assert [tag["name"] for tag in found] == ["energy", "engineer"]
    assert client.get(f"{BASE}/search").status_code == 400


def test_mapping_tags_posts_boards_members_and_filters_posts(tenant, owner_client):
    with tenancy.tenant_context(tenant):
        tag, post, other_post = TagFactory(), PostFactory(), PostFactory()
        board, member = BoardFactory(), MemberFactory()
    url = f"{BASE}/{tag.pk}/mappings"
    for ref_type, ref in (("post", post), ("board", board), ("member", member), ("post", post)):
        assert owner_client.post(url, {"refType": ref_type, "refId": str(ref.pk)}).status_code == 204
    with tenancy.tenant_context(tenant):
        assert TagMapping.objects.count() == 3
    tagged = owner_client.get("/api/v1/community/posts/", {"tag": tag.pk}).json()["results"]
    assert [row["id"] for row in tagged] == [str(post.pk)]
    of_board = owner_client.get(f"{BASE}/mapping", {"refType": "board", "refId": board.pk}).json()["results"]
    assert [row["id"] for row in of_board] == [str(tag.pk)]
    assert owner_client.post(url, {"refType": "post", "refId": str(tag.pk)}).status_code == 400
    owner_client.delete(url, {"refType": "post", "refId": str(post.pk)})
    assert owner_client.get("/api/v1/community/posts/", {"tag": tag.pk}).json()["results"] == []
    assert other_post  # untagged all along


def test_members_cannot_manage_tags(tenant, member_client):
    with tenancy.tenant_context(tenant):
        tag, member, post = TagFactory(), MemberFactory(), PostFactory()
    client = member_client(member)
    assert client.post(f"{BASE}/", {"name": "mine"}).status_code == 403
    assert client.patch(f"{BASE}/{tag.pk}", {"name": "renamed"}).status_code == 403
    assert client.post(f"{BASE}/{tag.pk}/mappings", {"refType": "post", "refId": str(post.pk)}).status_code == 403
    with tenancy.tenant_context(tenant):
        assert Tag.objects.get(pk=tag.pk).name == tag.name
        assert not TagMapping.objects.exists()
