"""Tenant isolation (another tenant's ids are 404), credentials (401), roles (403, and nothing changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Board, Member, MemberStatus, Role, SignupMode, Tag
from community.services.settings import ensure_community
from community.tests.factories import (
    BoardFactory,
    CommentFactory,
    MemberFactory,
    PostFactory,
    ReplyFactory,
    TagFactory,
)
from community.tokens import issue_member_token
from core import tenancy
from tenants.roles import Role as StaffRole

BASE = "/api/v1/community"


@pytest.fixture
def foreign(other_tenant):
    """One of everything in another tenant."""
    with tenancy.tenant_context(other_tenant):
        reply = ReplyFactory()
        ensure_community()
        return {
            "member": reply.author,
            "board": reply.post.board,
            "post": reply.post,
            "comment": reply.comment,
            "reply": reply,
            "tag": TagFactory(),
            "role": Role.objects.get(kind="member"),
        }


def _routes(f) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{BASE}/members/{f['member'].pk}", None),
        ("get", f"{BASE}/members/by-handle/{f['member'].handle}", None),
        ("patch", f"{BASE}/members/{f['member'].pk}", {"lastName": "x"}),
        ("post", f"{BASE}/members/{f['member'].pk}/ban", {}),
        ("post", f"{BASE}/members/{f['member'].pk}/role", {"roleId": str(f["role"].pk)}),
        ("delete", f"{BASE}/members/{f['member'].pk}", None),
        ("get", f"{BASE}/boards/{f['board'].pk}", None),
        ("patch", f"{BASE}/boards/{f['board'].pk}", {"name": "x"}),
        ("put", f"{BASE}/boards/{f['board'].pk}/members", {"memberChanges": {str(f["member"].pk): True}}),
        ("get", f"{BASE}/posts/{f['post'].pk}", None),
        ("patch", f"{BASE}/posts/{f['post'].pk}", {"headline": "x"}),
        ("post", f"{BASE}/posts/{f['post'].pk}/hide", {}),
        ("put", f"{BASE}/posts/{f['post'].pk}/reactions/s1", None),
        ("get", f"{BASE}/posts/{f['post'].pk}/comments/{f['comment'].pk}", None),
        ("post", f"{BASE}/posts/{f['post'].pk}/comments/", {"content": "x"}),
        ("get", f"{BASE}/comments/{f['comment'].pk}", None),
        ("post", f"{BASE}/comments/{f['comment'].pk}/replies/", {"content": "x"}),
        ("get", f"{BASE}/replies/{f['reply'].pk}", None),
        ("delete", f"{BASE}/replies/{f['reply'].pk}", None),
        ("get", f"{BASE}/tags/{f['tag'].pk}", None),
        ("delete", f"{BASE}/tags/{f['tag'].pk}", None),
        ("get", f"{BASE}/roles/{f['role'].pk}", None),
        ("delete", f"{BASE}/roles/{f['role'].pk}", None),
    ]


def test_another_tenants_ids_are_404_for_staff_and_members(tenant, owner_client, member_client, foreign):
    with tenancy.tenant_context(tenant):
        admin_member = MemberFactory(role_kind="admin")
    for client in (owner_client, member_client(admin_member)):
        wrong = []
        for method, url, body in _routes(foreign):
            response = getattr(client, method)(url, body) if body is not None else getattr(client, method)(url)
            if response.status_code != 404:
                wrong.append((method, url, response.status_code))
        assert wrong == []
    with tenancy.tenant_context(foreign["member"].tenant):
        assert Member.objects.get(pk=foreign["member"].pk).status == MemberStatus.ACTIVE
        assert Board.objects.get(pk=foreign["board"].pk).name == foreign["board"].name


def test_ids_of_another_tenant_in_bodies_are_unknown(tenant, owner_client, foreign):
    with tenancy.tenant_context(tenant):
        board = BoardFactory()
    response = owner_client.post(f"{BASE}/posts/", {"boardId": str(foreign["board"].pk), "headline": "h",
                                                    "content": "c", "author": str(foreign["member"].pk)})  # fmt: skip
    assert response.status_code == 400
    assert owner_client.put(f"{BASE}/boards/{board.pk}/members",
                            {"memberChanges": {str(foreign["member"].pk): True}}).status_code == 400  # fmt: skip
    assert owner_client.put(f"{BASE}/settings", {"defaultRoleId": str(foreign["role"].pk)}).status_code == 400
    assert (
        owner_client.post(f"{BASE}/boards/reorder", {"displayOrder": {str(foreign["board"].pk): 1}}).status_code == 400
    )


@pytest.mark.parametrize(
    "method,path",
    [("get", "settings"), ("get", "boards/"), ("get", "members/"), ("get", "posts/"), ("get", "tags/"),
     ("get", "roles/"), ("post", "auth/token"), ("post", "posts/")],
)  # fmt: skip
def test_anonymous_requests_are_401(db, method, path):
    response = getattr(APIClient(), method)(f"{BASE}/{path}")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")


def test_bad_expired_and_foreign_member_tokens_are_401(tenant, member_client):
    with tenancy.tenant_context(tenant):
        member = MemberFactory()
    token, _ = issue_member_token(member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-3]}abc")
    assert client.get(f"{BASE}/posts/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        late = client.get(f"{BASE}/posts/")
    assert (late.status_code, late.json()["error"]["code"]) == (401, "TOKEN_EXPIRED")


def test_staff_roles_decide_what_staff_may_do(tenant, make_member, api_client_for):
    viewer = api_client_for(make_member(tenant, StaffRole.VIEWER))
    editor = api_client_for(make_member(tenant, StaffRole.EDITOR))
    assert viewer.get(f"{BASE}/boards/").status_code == 200
    assert viewer.post(f"{BASE}/boards/", {"name": "nope"}).status_code == 403
    assert editor.post(f"{BASE}/boards/", {"name": "nope"}).status_code == 403
    assert editor.put(f"{BASE}/settings", {"name": "Renamed"}).status_code == 403
    with tenancy.tenant_context(tenant):
        assert not Board.objects.exists()
        assert ensure_community().name == "Community"


def test_members_cannot_configure_the_community(tenant, member_client):
    with tenancy.tenant_context(tenant):
        member, moderator = MemberFactory(), MemberFactory(role_kind="moderator")
        board = BoardFactory(name="Original")
    for client in (member_client(member), member_client(moderator)):
        assert client.put(f"{BASE}/settings", {"name": "Mine"}).status_code == 403
        assert client.post(f"{BASE}/boards/", {"name": "Mine"}).status_code == 403
        assert client.patch(f"{BASE}/boards/{board.pk}", {"name": "Mine"}).status_code == 403
        assert client.post(f"{BASE}/roles/", {"name": "Boss", "permissions": []}).status_code == 403
        assert client.post(f"{BASE}/members/", {"firstName": "a", "username": "abc", "email": "a@b.co",
                                                "emailVerified": True}).status_code == 403  # fmt: skip
    with tenancy.tenant_context(tenant):
        assert list(Board.objects.values_list("name", flat=True)) == ["Original"]
        assert Role.objects.count() == 3
        assert Member.objects.count() == 2


def test_admin_member_configures_the_community(tenant, member_client):
    with tenancy.tenant_context(tenant):
        admin = MemberFactory(role_kind="admin")
    client = member_client(admin)
    first = client.post(f"{BASE}/boards/", {"name": "One", "visibility": "members"}).json()
    second = client.post(f"{BASE}/boards/", {"name": "Two"}).json()
    reordered = client.post(f"{BASE}/boards/reorder", {"displayOrder": {first["id"]: 2, second["id"]: 1}})
    assert [board["name"] for board in reordered.json()] == ["Two", "One"]
    role = client.post(f"{BASE}/roles/", {"name": "VIP", "permissions": ["post.create", "react"]}).json()
    assert client.patch(f"{BASE}/roles/{role['id']}", {"permissions": ["react"]}).json()["permissions"] == ["react"]
    member_role = client.get(f"{BASE}/roles/").json()["results"][2]
    assert client.delete(f"{BASE}/roles/{member_role['id']}").json()["error"]["code"] == "DEFAULT_ROLE_LOCKED"
    assert client.delete(f"{BASE}/roles/{role['id']}").status_code == 204


def test_board_membership_map_and_board_delete_rules(tenant, owner_client):
    with tenancy.tenant_context(tenant):
        board = BoardFactory(is_private=True)
        alice, bob = MemberFactory(), MemberFactory()
        PostFactory(board=board)
    changes = {str(alice.pk): True, bob.handle: True}
    assert owner_client.put(f"{BASE}/boards/{board.pk}/members", {"memberChanges": changes}).json() == {
        "message": "OK"}  # fmt: skip
    owner_client.put(f"{BASE}/boards/{board.pk}/members", {"memberChanges": {bob.handle: False}})
    with tenancy.tenant_context(tenant):
        assert list(board.members.values_list("pk", flat=True)) == [alice.pk]
    assert owner_client.delete(f"{BASE}/boards/{board.pk}").json()["error"]["code"] == "BOARD_NOT_EMPTY"


def test_sso_token_rules(tenant, api_key_client_for, owner_client):
    with tenancy.tenant_context(tenant):
        banned = MemberFactory(sso_id="banned-1", status=MemberStatus.BANNED)
    profile = {"firstName": "N", "username": "newbie", "email": "n@example.com", "emailVerified": True}
    plain_key = api_key_client_for(tenant, scopes=["write"])
    unknown = plain_key.post(f"{BASE}/auth/token", {"ssoId": "nobody"})
    assert unknown.status_code == 404
    refused = plain_key.post(f"{BASE}/auth/token", {"ssoId": "new-1", "profile": profile})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "SIGNUP_CLOSED")
    assert plain_key.post(f"{BASE}/auth/token", {"ssoId": banned.sso_id}).json()["error"]["code"] == "MEMBER_BANNED"
    assert owner_client.post(f"{BASE}/auth/token", {"ssoId": banned.sso_id}).status_code == 403
    owner_client.put(f"{BASE}/settings", {"signupMode": SignupMode.INVITE_ONLY})
    provisioning = api_key_client_for(tenant, scopes=["write", "users:provision"])
    closed = provisioning.post(f"{BASE}/auth/token", {"ssoId": "new-1", "profile": profile})
    assert (closed.status_code, closed.json()["error"]["code"]) == (403, "SIGNUP_CLOSED")
    with tenancy.tenant_context(tenant):
        assert Member.objects.count() == 1
    owner_client.put(f"{BASE}/settings", {"signupMode": SignupMode.OPEN})
    first = provisioning.post(f"{BASE}/auth/token", {"ssoId": "new-1", "profile": profile}).json()
    again = provisioning.post(f"{BASE}/auth/token", {"ssoId": "new-1", "profile": profile}).json()
    assert first["member"]["id"] == again["member"]["id"] and again["member"]["loginCount"] == 2
    assert first["accessToken"].startswith("hbm_")


def test_comment_fixture_helpers_stay_in_their_tenant(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        comment = CommentFactory()
    assert comment.tenant_id == comment.post.tenant_id == comment.author.tenant_id == tenant.pk
    with tenancy.tenant_context(other_tenant):
        assert not Tag.objects.exists()


def test_member_tokens_are_rate_limited_per_member(tenant, member_client, monkeypatch):
    from community.api.throttling import MemberRateThrottle

    monkeypatch.setattr(MemberRateThrottle, "THROTTLE_RATES", {"principal": "2/min"})
    with tenancy.tenant_context(tenant):
        alice, bob = MemberFactory(), MemberFactory()
    as_alice = member_client(alice)
    assert [as_alice.get(f"{BASE}/boards/").status_code for _ in range(3)] == [200, 200, 429]
    assert member_client(bob).get(f"{BASE}/boards/").status_code == 200


def test_board_list_query_count_is_bounded(tenant, member_client, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        member = MemberFactory()
        for _ in range(12):
            board = BoardFactory()
            PostFactory(board=board, pinned_at=timezone.now())
            board.posting_roles.set([Role.objects.get(kind="member")])
    with django_assert_max_num_queries(7):
        response = member_client(member).get(f"{BASE}/boards/", {"pageSize": 50})
    assert len(response.json()["results"]) == 12
    assert all(len(board["pinnedPosts"]) == 1 for board in response.json()["results"])


def test_member_credentials_work_only_in_the_community(tenant, member_client, api_key_client_for):
    import base64

    with tenancy.tenant_context(tenant):
        member = MemberFactory()
    assert member_client(member).get("/api/v1/cp/posts/").status_code == 401
    backend = api_key_client_for(tenant)
    basic = base64.b64encode(f"shop-backend:{backend.raw_key}".encode()).decode()
    as_member = APIClient()
    as_member.credentials(HTTP_AUTHORIZATION=f"Basic {basic}", HTTP_X_MEMBER_ID=str(member.pk))
    assert as_member.get(f"{BASE}/members/me").json()["id"] == str(member.pk)
    assert backend.get(f"{BASE}/members/me").json()["error"]["code"] == "ACTING_MEMBER_REQUIRED"
    staff_with_header = member_client(member)
    staff_with_header.credentials(HTTP_AUTHORIZATION="Bearer not-a-member-token", HTTP_X_MEMBER_ID=str(member.pk))
    assert staff_with_header.get(f"{BASE}/members/me").status_code == 401
