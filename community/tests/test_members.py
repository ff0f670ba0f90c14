"""Members: profile rules, uniqueness, list (sort, order, status, search, page size), roles, bans, erasure."""

from __future__ import annotations

import pytest

from community.models import ContentStatus, Member, MemberStatus, Post, RoleKind
from community.tests.factories import MemberFactory, PostFactory, role_of
from core import tenancy
from core.models import AuditLogEntry
from tenants.roles import Role

BASE = "/api/v1/community/members"


@pytest.fixture
def manager(tenant, owner_client):
    return owner_client


def _create(client, **overrides):
    body = {"firstName": "Ada", "username": "ada_l", "email": "ada@example.com", "emailVerified": True, **overrides}
    return client.post(f"{BASE}/", body)


def test_manager_creates_a_member_with_a_secret_handle_and_the_default_role(tenant, manager):
    response = _create(manager, ssoId="crm-1", description='<p onclick="x()">Hi<script>alert(1)</script></p>')
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"]["name"] == "Member"
    assert body["status"] == "active"
    assert body["ssoId"] == "crm-1" and body["email"] == "ada@example.com"
    assert body["description"] == "<p>Hi</p>"
    assert len(body["handle"]) == 24 and body["handle"].isalnum() and body["handle"].islower()
    with tenancy.tenant_context(tenant):
        assert Member.objects.get(pk=body["id"]).username == "ada_l"


@pytest.mark.parametrize("username", ["has space", "bad-dash", "x", "émile", "Admin", "moderator", "a" * 31])
def test_usernames_with_spaces_symbols_or_reserved_words_are_refused(tenant, manager, username):
    response = _create(manager, username=username)
    assert response.status_code == 400
    assert "username" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Member.objects.exists()


def test_usernames_are_unique_case_insensitively_and_emails_and_sso_ids_too(tenant, manager):
    assert _create(manager, ssoId="s-1").status_code == 201
    clash = _create(manager, username="ADA_L", email="other@example.com")
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "USERNAME_TAKEN")
    clash = _create(manager, username="ada2", email="ADA@example.com")
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "EMAIL_TAKEN")
    clash = _create(manager, username="ada3", email="ada3@example.com", ssoId="s-1")
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "SSO_ID_TAKEN")


def test_an_unverified_email_is_refused(tenant, manager):
    response = _create(manager, emailVerified=False)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "EMAIL_NOT_VERIFIED")


def test_the_same_username_is_free_in_another_tenant(tenant, other_tenant, manager, make_member, api_client_for):
    assert _create(manager).status_code == 201
    other = api_client_for(make_member(other_tenant, Role.OWNER))
    assert _create(other).status_code == 201


def test_list_sorts_orders_filters_by_status_and_searches(tenant, manager):
    with tenancy.tenant_context(tenant):
        zed = MemberFactory(username="zed")
        amy = MemberFactory(username="Amy")
        MemberFactory(username="banned_bob", status=MemberStatus.BANNED)
        mia = MemberFactory(username="mia", first_name="Mia", last_name="Searchable")

    def names(**query):
        response = manager.get(f"{BASE}/", query)
        assert response.status_code == 200, response.json()
        return [member["username"] for member in response.json()["results"]]

    assert names(sortBy="name", order="asc") == ["Amy", "mia", "zed"]
    assert names(sortBy="name", order="desc") == ["zed", "mia", "Amy"]
    assert names(sortBy="joined", order="asc") == ["zed", "Amy", "mia"]
    assert names() == sorted(["zed", "Amy", "mia"], key=lambda n: str({"zed": zed, "Amy": amy, "mia": mia}[n].pk),
                             reverse=True)  # fmt: skip
    assert names(status="banned") == ["banned_bob"]
    assert sorted(names(status="all")) == ["Amy", "banned_bob", "mia", "zed"]
    assert names(search="searchab") == ["mia"]
    assert manager.get(f"{BASE}/", {"sortBy": "karma"}).status_code == 400


def test_page_size_is_capped_at_50_and_has_more_is_a_header(tenant, manager, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        for _ in range(55):
            MemberFactory()
    with django_assert_max_num_queries(8):
        response = manager.get(f"{BASE}/", {"pageSize": 500})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
    assert response["Has-More"] == "1"
    last = manager.get(f"{BASE}/", {"pageSize": 50, "page": 2})
    assert len(last.json()["results"]) == 5 and last["Has-More"] == "0"


def test_private_fields_are_shown_to_managers_and_the_member_only(tenant, manager, member_client):
    with tenancy.tenant_context(tenant):
        alice, bob = MemberFactory(), MemberFactory()
    as_alice = member_client(alice)
    assert "email" not in as_alice.get(f"{BASE}/{bob.pk}").json()
    assert as_alice.get(f"{BASE}/{alice.pk}").json()["email"] == alice.email
    assert as_alice.get(f"{BASE}/me").json()["id"] == str(alice.pk)
    assert manager.get(f"{BASE}/{bob.pk}").json()["ssoId"] == bob.sso_id
    assert manager.get(f"{BASE}/by-handle/{bob.handle}").json()["id"] == str(bob.pk)


def test_member_edits_own_profile_but_not_anothers(tenant, member_client):
    with tenancy.tenant_context(tenant):
        alice, bob = MemberFactory(), MemberFactory()
    as_alice = member_client(alice)
    mine = as_alice.patch(f"{BASE}/{alice.pk}", {"lastName": "Liddell", "timezone": "Europe/Berlin",
                                                  "socialLinks": {"twitter": "https://x.com/alice"}})  # fmt: skip
    assert mine.status_code == 200, mine.json()
    assert mine.json()["socialLinks"] == {"twitter": "https://x.com/alice"}
    assert as_alice.patch(f"{BASE}/{alice.pk}", {"timezone": "Mars/Olympus"}).status_code == 400
    theirs = as_alice.patch(f"{BASE}/{bob.pk}", {"lastName": "Hacked"})
    assert theirs.status_code == 403
    with tenancy.tenant_context(tenant):
        bob.refresh_from_db()
    assert bob.last_name != "Hacked"


def test_role_change_needs_a_manager(tenant, manager, member_client):
    with tenancy.tenant_context(tenant):
        moderator = MemberFactory(role_kind=RoleKind.MODERATOR)
        target = MemberFactory()
        admin_role = role_of(RoleKind.ADMIN)
    denied = member_client(moderator).post(f"{BASE}/{target.pk}/role", {"roleId": str(admin_role.pk)})
    assert denied.status_code == 403
    changed = manager.post(f"{BASE}/{target.pk}/role", {"roleId": str(admin_role.pk)})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["role"]["name"] == "Admin"


def test_ban_ends_the_members_tokens_and_unban_lets_them_back(tenant, member_client):
    with tenancy.tenant_context(tenant):
        moderator = MemberFactory(role_kind=RoleKind.MODERATOR)
        troll = MemberFactory()
    as_troll = member_client(troll)
    as_moderator = member_client(moderator)
    assert as_troll.get(f"{BASE}/me").status_code == 200
    banned = as_moderator.post(f"{BASE}/{troll.pk}/ban", {"reason": "spam"})
    assert banned.status_code == 200, banned.json()
    assert banned.json()["status"] == "banned"
    assert as_troll.get(f"{BASE}/me").status_code == 401
    with tenancy.tenant_context(tenant):
        troll.refresh_from_db()
    assert member_client(troll).post(f"{BASE}/{troll.pk}/ban").status_code == 403
    assert member_client(troll).post(f"{BASE}/{troll.pk}/unban").status_code == 403
    unbanned = as_moderator.post(f"{BASE}/{troll.pk}/unban")
    assert unbanned.json()["status"] == "active"
    with tenancy.tenant_context(tenant):
        troll.refresh_from_db()
    assert member_client(troll).get(f"{BASE}/me").status_code == 200


def test_a_plain_member_cannot_ban(tenant, member_client):
    with tenancy.tenant_context(tenant):
        alice, bob = MemberFactory(), MemberFactory()
    assert member_client(alice).post(f"{BASE}/{bob.pk}/ban").status_code == 403
    with tenancy.tenant_context(tenant):
        assert Member.objects.get(pk=bob.pk).status == MemberStatus.ACTIVE


def test_erasure_removes_personal_data_and_keeps_content_as_deleted_member(tenant, manager):
    with tenancy.tenant_context(tenant):
        member = MemberFactory(first_name="Erin", email="erin@example.com", sso_id="crm-erin")
        post = PostFactory(author=member)
    response = manager.delete(f"{BASE}/{member.pk}")
    assert response.status_code == 204
    with tenancy.tenant_context(tenant):
        member.refresh_from_db()
        assert (member.first_name, member.email, member.sso_id, member.status) == ("", None, None, "deleted")
        assert Post.objects.get(pk=post.pk).status == ContentStatus.PUBLISHED
        entry = AuditLogEntry.objects.get(action="community.member.erased")
        assert "erin" not in str(entry.changes).lower()
    author = manager.get(f"/api/v1/community/posts/{post.pk}").json()["author"]
    assert author["displayName"] == "deleted member" and author["isDeleted"] is True and author["username"] == ""
    # The ssoId and email are free again.
    assert _create(manager, email="erin@example.com", ssoId="crm-erin").status_code == 201


def test_waitlist_signup_mode_puts_sso_members_on_the_waitlist_until_approved(
    tenant, manager, api_key_client_for, published_events, django_capture_on_commit_callbacks
):
    manager.put("/api/v1/community/settings", {"signupMode": "waitlist"})
    backend = api_key_client_for(tenant, scopes=["write", "users:provision"])
    profile = {"firstName": "Wes", "username": "wes", "email": "wes@example.com", "emailVerified": True}
    with django_capture_on_commit_callbacks(execute=True):
        token = backend.post("/api/v1/community/auth/token", {"ssoId": "w-1", "profile": profile})
    assert token.json()["member"]["status"] == "waitlist"
    assert published_events == []
    member_id = token.json()["member"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        approved = manager.post(f"{BASE}/{member_id}/approve")
    assert approved.json()["status"] == "active"
    assert [event for event, *_ in published_events] == ["community.member.joined"]
