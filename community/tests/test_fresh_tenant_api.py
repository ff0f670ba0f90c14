"""A tenant registered a minute ago runs its community through the API only."""

from __future__ import annotations

from rest_framework.test import APIClient

BASE = "/api/v1/community"


def test_fresh_tenant_sets_up_a_community_and_a_member_posts_comments_replies_and_reacts(
    db, published_events, django_capture_on_commit_callbacks
):
    staff = APIClient()
    registered = staff.post(
        "/api/v1/auth/register",
        {"tenantName": "Brewers", "email": "owner@brewers.example", "password": "hops-and-malt-2026!",
         "firstName": "Olga", "lastName": "Owner"},
    )  # fmt: skip
    assert registered.status_code == 201, registered.json()
    staff.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['accessToken']}")

    key = staff.post("/api/v1/api-keys/", {"name": "forum backend", "scopes": ["write", "users:provision"]})
    assert key.status_code == 201, key.json()
    backend = APIClient()
    backend.credentials(HTTP_X_API_KEY=key.json()["key"])

    settings = staff.put(f"{BASE}/settings", {"name": "Brewers Forum", "reactionSlots": {"s1": "🍺", "s2": "❤️"}})
    assert settings.status_code == 200, settings.json()
    assert settings.json()["reactionSlots"] == {"s1": "🍺", "s2": "❤️"}
    roles = staff.get(f"{BASE}/roles/").json()["results"]
    assert [role["name"] for role in roles] == ["Admin", "Moderator", "Member"]

    board = backend.post(f"{BASE}/boards/", {"name": "Homebrewing", "about": "Recipes and questions"})
    assert board.status_code == 201, board.json()
    board_id = board.json()["id"]

    token = backend.post(
        f"{BASE}/auth/token",
        {"ssoId": "shop-user-42", "profile": {"firstName": "Mia", "username": "mia_brews",
                                              "email": "mia@example.com", "emailVerified": True}},
    )  # fmt: skip
    assert token.status_code == 200, token.json()
    assert token.json()["member"]["username"] == "mia_brews"
    assert token.json()["member"]["loginCount"] == 1
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['accessToken']}")

    with django_capture_on_commit_callbacks(execute=True):
        post = member.post(
            f"{BASE}/posts/", {"boardId": board_id, "headline": "My first IPA", "content": "<p>Cascade <b>hops</b></p>"}
        )
    assert post.status_code == 201, post.json()
    post_id = post.json()["id"]
    assert post.json()["cleanText"] == "Cascade hops"
    assert post.json()["status"] == "published"

    comment = member.post(f"{BASE}/posts/{post_id}/comments/", {"content": "Dry hop it!"})
    assert comment.status_code == 201, comment.json()
    reply = member.post(f"{BASE}/comments/{comment.json()['id']}/replies/", {"content": "Will do."})
    assert reply.status_code == 201, reply.json()

    reacted = member.put(f"{BASE}/posts/{post_id}/reactions/s1")
    assert reacted.status_code == 200, reacted.json()
    assert reacted.json() == {
        "targetType": "post", "targetId": post_id, "changed": True, "reactCount": 1, "reactions": {"s1": 1},
        "myReactions": ["s1"],
    }  # fmt: skip

    read = backend.get(f"{BASE}/posts/{post_id}").json()
    assert (read["commentCount"], read["replyCount"], read["reactCount"]) == (1, 1, 1)
    assert read["author"]["username"] == "mia_brews"
    assert backend.get(f"{BASE}/boards/{board_id}").json()["postCount"] == 1
    assert [event for event, _payload, _tenant in published_events] == ["community.post.created"]
