"""Reactions: configured slots only, one per member per slot, idempotent PUT/DELETE, exact counts."""

from __future__ import annotations

from community.models import Post, Reaction
from community.tests.factories import CommentFactory, MemberFactory, PostFactory, ReplyFactory
from core import tenancy

BASE = "/api/v1/community"


def test_put_is_idempotent_and_delete_takes_it_back(tenant, member_client, published_events,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    with tenancy.tenant_context(tenant):
        post, alice, bob = PostFactory(), MemberFactory(), MemberFactory()
    url = f"{BASE}/posts/{post.pk}/reactions/s2"
    with django_capture_on_commit_callbacks(execute=True):
        assert member_client(alice).put(url).json()["changed"] is True
        again = member_client(alice).put(url).json()
    assert (again["changed"], again["reactCount"], again["reactions"]) == (False, 1, {"s2": 1})
    assert [event for event, *_ in published_events] == ["community.reaction.added"]
    member_client(bob).put(url)
    member_client(bob).put(f"{BASE}/posts/{post.pk}/reactions/s3")
    body = member_client(bob).get(f"{BASE}/posts/{post.pk}").json()
    assert (body["reactCount"], body["reactions"], body["myReactions"]) == (3, {"s2": 2, "s3": 1}, ["s2", "s3"])
    removed = member_client(alice).delete(url).json()
    assert (removed["changed"], removed["reactions"], removed["myReactions"]) == (True, {"s2": 1, "s3": 1}, [])
    assert member_client(alice).delete(url).json()["changed"] is False
    with tenancy.tenant_context(tenant):
        assert Post.objects.get(pk=post.pk).react_count == 2
        assert Reaction.objects.count() == 2


def test_comments_and_replies_take_reactions_too(tenant, member_client):
    with tenancy.tenant_context(tenant):
        reply, member = ReplyFactory(), MemberFactory()
    client = member_client(member)
    assert client.put(f"{BASE}/comments/{reply.comment_id}/reactions/s1").json()["reactions"] == {"s1": 1}
    assert client.put(f"{BASE}/replies/{reply.pk}/reactions/s6").json()["reactions"] == {"s6": 1}
    assert client.get(f"{BASE}/comments/{reply.comment_id}/replies/").json()["results"][0]["myReactions"] == ["s6"]


def test_a_slot_that_is_not_configured_is_400(tenant, owner_client, member_client):
    owner_client.put(f"{BASE}/settings", {"reactionSlots": {"s1": "👍", "s2": "", "s3": None}})
    with tenancy.tenant_context(tenant):
        comment, member = CommentFactory(), MemberFactory()
    client = member_client(member)
    for slot in ("s2", "s3", "s7", "like"):
        response = client.put(f"{BASE}/comments/{comment.pk}/reactions/{slot}")
        assert (response.status_code, response.json()["error"]["code"]) == (400, "REACTION_SLOT_NOT_CONFIGURED")
    with tenancy.tenant_context(tenant):
        assert not Reaction.objects.exists()
    assert owner_client.put(f"{BASE}/settings", {"reactionSlots": {"s9": "x"}}).status_code == 400


def test_reacting_needs_an_acting_member(tenant, api_key_client_for):
    with tenancy.tenant_context(tenant):
        post = PostFactory()
    response = api_key_client_for(tenant).put(f"{BASE}/posts/{post.pk}/reactions/s1")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "ACTING_MEMBER_REQUIRED")
