import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import AuthSession, Membership, Team, TeamMember, User
from tenants.roles import ROLE_PERMISSIONS, Role
from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory

URL = "/api/v1/users/"
ROLES_WITHOUT_USER_MANAGE = [r for r in Role.values if "tenants.user.manage" not in ROLE_PERMISSIONS[r]]


def reload(obj) -> None:
    """Refresh a tenant-owned row from outside any tenant (row-level security hides it otherwise)."""
    with tenancy.platform_access():
        obj.refresh_from_db()


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, Role.ADMIN)


@pytest.fixture
def admin_client(admin, api_client_for):
    return api_client_for(admin)


def test_invite_new_user_creates_account_membership_and_emails_link(
    admin_client, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            URL, {"email": "New.Person@Example.com", "role": "EDITOR", "firstName": "New"}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(email="new.person@example.com")
    assert body["id"] == str(user.pk) and body["role"] == "EDITOR" and body["email"] == user.email
    assert not user.has_usable_password() and user.first_name == "New"
    with tenancy.tenant_context(tenant):
        membership = Membership.objects.get(user=user)
        default_team = Team.objects.get(is_default=True)
        assert TeamMember.objects.filter(team=default_team, user=user).exists()
        assert AuditLogEntry.objects.filter(action="member.invited", object_id=str(membership.pk)).exists()
    assert body["teamIds"] == [str(default_team.pk)]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = next(word for word in mail.outbox[0].body.split() if "/accept-invite?" in word)
    assert link.startswith("http://localhost:8000/accept-invite?")
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    assert force_str(urlsafe_base64_decode(query["uid"])) == str(user.pk)
    assert default_token_generator.check_token(user, query["token"])
    # the invite's uid/token set the first password through the auth endpoint, once
    confirm = {"uid": query["uid"], "token": query["token"], "newPassword": "a-Long-new-passw0rd!"}
    assert admin_client.post("/api/v1/auth/password/reset/confirm", confirm, format="json").status_code < 300
    user.refresh_from_db()
    assert user.check_password("a-Long-new-passw0rd!")
    assert admin_client.post("/api/v1/auth/password/reset/confirm", confirm, format="json").status_code == 400


def test_invite_existing_user_reuses_the_account(
    admin_client, tenant, other_tenant, django_capture_on_commit_callbacks
):
    existing = MembershipFactory(tenant=other_tenant, role=Role.VIEWER).user
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"email": existing.email.upper(), "role": "VIEWER"}, format="json")
    assert response.status_code == 201 and response.json()["id"] == str(existing.pk)
    assert User.objects.filter(email=existing.email).count() == 1
    assert "Sign in with your existing account" in mail.outbox[0].body
    again = admin_client.post(URL, {"email": existing.email, "role": "VIEWER"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_MEMBER"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"role": "EDITOR"}, "email"),
        ({"email": "not-an-email", "role": "EDITOR"}, "email"),
        ({"email": "a@b.co", "role": "GOD"}, "role"),
        ({"email": "a@b.co"}, "role"),
    ],
)
def test_invite_bad_input_is_400_and_writes_nothing(admin_client, tenant, payload, field):
    users_before = User.objects.count()
    response = admin_client.post(URL, payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]
    assert User.objects.count() == users_before
    with tenancy.tenant_context(tenant):
        assert Membership.objects.count() == 1


def test_user_limit_of_the_plan_is_enforced(make_member, api_client_for):
    small = TenantFactory(plan="free")  # 2 users
    client = api_client_for(make_member(small, Role.OWNER))
    assert client.post(URL, {"email": "two@example.com", "role": "EDITOR"}, format="json").status_code == 201
    response = client.post(URL, {"email": "three@example.com", "role": "EDITOR"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "LIMIT_REACHED"
    assert not User.objects.filter(email="three@example.com").exists()


def test_only_owner_grants_owner(admin_client, owner_client, tenant, make_member):
    response = admin_client.post(URL, {"email": "boss@example.com", "role": "OWNER"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "OWNER_REQUIRED"
    editor = make_member(tenant, Role.EDITOR)
    assert admin_client.patch(f"{URL}{editor.user_id}", {"role": "OWNER"}, format="json").status_code == 403
    assert owner_client.patch(f"{URL}{editor.user_id}", {"role": "OWNER"}, format="json").json()["role"] == "OWNER"
    reload(editor)
    assert editor.role == Role.OWNER


def test_admin_cannot_demote_or_remove_an_owner(admin_client, owner):
    assert admin_client.patch(f"{URL}{owner.user_id}", {"role": "VIEWER"}, format="json").status_code == 403
    assert admin_client.delete(f"{URL}{owner.user_id}").status_code == 403
    reload(owner)
    assert owner.role == Role.OWNER


def test_last_owner_cannot_be_demoted_or_removed(owner_client, owner, tenant, make_member):
    response = owner_client.patch(f"{URL}{owner.user_id}", {"role": "ADMIN"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "LAST_OWNER"
    assert owner_client.delete(f"{URL}{owner.user_id}").json()["error"]["code"] == "LAST_OWNER"
    reload(owner)
    assert owner.role == Role.OWNER
    second = make_member(tenant, Role.OWNER)
    assert owner_client.patch(f"{URL}{owner.user_id}", {"role": "ADMIN"}, format="json").status_code == 200
    reload(owner)
    assert owner.role == Role.ADMIN
    reload(second)
    assert second.role == Role.OWNER


def test_patch_role_and_custom_permissions(admin_client, tenant, make_member):
    editor = make_member(tenant, Role.EDITOR)
    response = admin_client.patch(
        f"{URL}{editor.user_id}",
        {"role": "APPROVER", "customPermissions": {"add": ["cp.analytics.read"], "remove": ["cp.post.approve"]}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["role"] == "APPROVER" and "cp.analytics.read" in body["permissions"]
    assert "cp.post.approve" not in body["permissions"]
    reload(editor)
    assert editor.custom_permissions == {"add": ["cp.analytics.read"], "remove": ["cp.post.approve"]}
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="member.updated")
    assert entry.changes["role"] == ["EDITOR", "APPROVER"]


def test_admin_cannot_grant_permissions_it_lacks(admin_client, tenant, make_member):
    editor = make_member(tenant, Role.EDITOR)
    response = admin_client.patch(
        f"{URL}{editor.user_id}", {"customPermissions": {"add": ["tenants.plan.manage"]}}, format="json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "PERMISSION_ESCALATION"
    reload(editor)
    assert editor.custom_permissions == {}


@pytest.mark.parametrize(
    "payload, field",
    [({"role": "KING"}, "role"), ({"customPermissions": {"add": ["do.anything"]}}, "customPermissions")],
)
def test_patch_bad_input_is_400_and_changes_nothing(admin_client, tenant, make_member, payload, field):
    editor = make_member(tenant, Role.EDITOR)
    response = admin_client.patch(f"{URL}{editor.user_id}", payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]
    reload(editor)
    assert editor.role == Role.EDITOR and editor.custom_permissions == {}


def test_delete_removes_membership_teams_and_sessions_but_keeps_user(
    admin_client, tenant, other_tenant, make_member, api_client_for
):
    editor = make_member(tenant, Role.EDITOR)
    MembershipFactory(tenant=other_tenant, role=Role.VIEWER, user=editor.user)
    editor_client = api_client_for(editor)
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Social")
        TeamMember.objects.create(team=team, user=editor.user)
    with tenancy.platform_access():
        other_membership = Membership.all_tenants.get(tenant=other_tenant, user=editor.user)
    other_client = api_client_for(other_membership)
    assert editor_client.get("/api/v1/me").status_code == 200
    assert admin_client.delete(f"{URL}{editor.user_id}").status_code == 204
    assert User.objects.filter(pk=editor.user_id).exists()
    with tenancy.tenant_context(tenant):
        assert not Membership.objects.filter(user=editor.user).exists()
        assert not TeamMember.objects.filter(user=editor.user).exists()
        assert not AuthSession.objects.filter(user=editor.user).exists()
        assert AuditLogEntry.objects.filter(action="member.removed").exists()
    assert editor_client.get("/api/v1/me").status_code == 401
    assert other_client.get("/api/v1/me").status_code == 200  # other tenants untouched
    assert admin_client.get(f"{URL}{editor.user_id}").status_code == 404


def test_list_and_retrieve(admin_client, admin, tenant, make_member):
    editor = make_member(tenant, Role.EDITOR, first_name="Edith")
    rows = admin_client.get(URL).json()["results"]
    assert [row["id"] for row in rows] == [str(admin.user_id), str(editor.user_id)]
    body = admin_client.get(f"{URL}{editor.user_id}").json()
    assert body["firstName"] == "Edith" and body["role"] == "EDITOR" and body["email"] == editor.user.email
    assert admin_client.get(URL, {"role": "EDITOR"}).json()["count"] == 1
    assert admin_client.get(URL, {"search": "edith"}).json()["results"][0]["id"] == str(editor.user_id)


def test_list_query_count_is_fixed(admin_client, tenant, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        team = Team.objects.create(name="Social")
        for _ in range(50):
            user = UserFactory()
            Membership.objects.create(user=user, role=Role.EDITOR)
            TeamMember.objects.create(team=team, user=user)
    with django_assert_max_num_queries(7):
        response = admin_client.get(URL, {"pageSize": 100})
    rows = response.json()["results"]
    assert len(rows) == 51 and rows[-1]["teamIds"] == [str(team.pk)]


@pytest.mark.parametrize("role", ROLES_WITHOUT_USER_MANAGE)
def test_roles_without_user_manage_are_forbidden(tenant, admin, make_member, api_client_for, role):
    client = api_client_for(make_member(tenant, role))
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"email": "x@example.com", "role": "VIEWER"}, format="json").status_code == 403
    assert client.patch(f"{URL}{admin.user_id}", {"role": "VIEWER"}, format="json").status_code == 403
    assert client.delete(f"{URL}{admin.user_id}").status_code == 403
    reload(admin)
    assert admin.role == Role.ADMIN
    assert not User.objects.filter(email="x@example.com").exists()


def test_other_tenants_users_are_404_and_untouched(admin_client, other_tenant, make_member):
    foreign = make_member(other_tenant, Role.EDITOR)
    assert str(foreign.user_id) not in {row["id"] for row in admin_client.get(URL).json()["results"]}
    for method, path in [
        ("get", f"{URL}{foreign.user_id}"),
        ("patch", f"{URL}{foreign.user_id}"),
        ("delete", f"{URL}{foreign.user_id}"),
    ]:
        response = getattr(admin_client, method)(path, {"role": "VIEWER"}, format="json")
        assert response.status_code == 404, (method, path)
    reload(foreign)
    assert foreign.role == Role.EDITOR
