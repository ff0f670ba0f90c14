import pytest

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import Membership, Team, TeamMember
from tenants.roles import ROLE_PERMISSIONS, Role
from tenants.tests.factories import TenantFactory, UserFactory

URL = "/api/v1/teams/"
ROLES_WITHOUT_TEAM_MANAGE = [r for r in Role.values if "tenants.team.manage" not in ROLE_PERMISSIONS[r]]


def reload(obj) -> None:
    """Refresh a tenant-owned row from outside any tenant (row-level security hides it otherwise)."""
    with tenancy.platform_access():
        obj.refresh_from_db()


@pytest.fixture
def manager_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.MANAGER))


@pytest.fixture
def team(tenant):
    with tenancy.tenant_context(tenant):
        return Team.objects.create(name="Social")


def members_of(tenant, team):
    with tenancy.tenant_context(tenant):
        return dict(TeamMember.objects.filter(team=team).values_list("user_id", "role"))


def test_create_list_retrieve_update_delete(manager_client, tenant):
    created = manager_client.post(URL, {"name": "Support", "description": "Inbox"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "Support" and body["isDefault"] is False and body["memberCount"] == 0
    rows = manager_client.get(URL).json()["results"]
    assert [row["name"] for row in rows] == ["Everyone", "Support"]
    assert rows[0]["isDefault"] is True and rows[0]["memberCount"] == 0
    renamed = manager_client.patch(f"{URL}{body['id']}", {"name": "Care"}, format="json").json()
    assert renamed["name"] == "Care" and renamed["description"] == "Inbox"
    assert manager_client.delete(f"{URL}{body['id']}").status_code == 204
    with tenancy.tenant_context(tenant):
        assert not Team.objects.filter(pk=body["id"]).exists()
        actions = set(AuditLogEntry.objects.filter(object_id=body["id"]).values_list("action", flat=True))
    assert actions == {"team.created", "team.updated", "team.deleted"}


def test_default_team_cannot_be_deleted(manager_client, tenant):
    with tenancy.tenant_context(tenant):
        default = Team.objects.get(is_default=True)
    response = manager_client.delete(f"{URL}{default.pk}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "DEFAULT_TEAM_UNDELETABLE"
    with tenancy.tenant_context(tenant):
        assert Team.objects.filter(pk=default.pk).exists()


def test_team_names_are_unique_case_insensitively(manager_client, team, tenant, other_tenant):
    response = manager_client.post(URL, {"name": "SOCIAL"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "TEAM_NAME_TAKEN"
    other = manager_client.post(URL, {"name": "Other"}, format="json").json()
    assert manager_client.patch(f"{URL}{other['id']}", {"name": "social"}, format="json").status_code == 409
    with tenancy.tenant_context(other_tenant):
        Team.objects.create(name="Ads")  # another tenant's name does not clash
    assert manager_client.post(URL, {"name": "Ads"}, format="json").status_code == 201
    with tenancy.tenant_context(tenant):
        assert Team.objects.filter(name__iexact="social").count() == 1


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 121}])
def test_bad_input_is_400_and_creates_nothing(manager_client, tenant, payload):
    response = manager_client.post(URL, payload, format="json")
    assert response.status_code == 400 and "name" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert Team.objects.count() == 1


def test_teams_feature_is_required(make_member, api_client_for):
    free = TenantFactory(plan="free")
    client = api_client_for(make_member(free, Role.OWNER))
    response = client.post(URL, {"name": "X"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FEATURE_NOT_AVAILABLE"


def test_list_shows_member_counts_with_fixed_queries(manager_client, tenant, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        users = [UserFactory() for _ in range(3)]
        for user in users:
            Membership.objects.create(user=user)
        for i in range(50):
            team = Team.objects.create(name=f"Team {i:02}")
            for user in users[: i % 4]:
                TeamMember.objects.create(team=team, user=user)
    with django_assert_max_num_queries(6):
        response = manager_client.get(URL, {"pageSize": 100})
    rows = {row["name"]: row["memberCount"] for row in response.json()["results"]}
    assert len(rows) == 51 and rows["Team 03"] == 3 and rows["Team 04"] == 0 and rows["Team 05"] == 1


def test_batch_add_all_succeed_is_201(manager_client, tenant, team, make_member):
    a = make_member(tenant, Role.EDITOR)
    b = make_member(tenant, Role.AGENT)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=b.pk).update(external_user_id="ext-b")
    payload = {"members": [{"userId": str(a.user_id), "role": "ADMIN"}, {"externalUserId": "ext-b", "role": "MEMBER"}]}
    response = manager_client.post(f"{URL}{team.pk}/members", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["summary"] == {"total": 2, "successful": 2, "failed": 0} and body["failed"] == []
    assert body["successful"][1]["input"] == {"externalUserId": "ext-b", "role": "MEMBER"}
    assert body["successful"][0]["teamMember"]["userId"] == str(a.user_id)
    assert members_of(tenant, team) == {a.user_id: "ADMIN", b.user_id: "MEMBER"}
    listed = manager_client.get(f"{URL}{team.pk}/members").json()["results"]
    assert {(row["userId"], row["externalUserId"], row["role"]) for row in listed} == {
        (str(a.user_id), None, "ADMIN"),
        (str(b.user_id), "ext-b", "MEMBER"),
    }
    assert manager_client.get(f"{URL}{team.pk}").json()["memberCount"] == 2


def test_batch_add_partial_failure_is_200_with_reasons(manager_client, tenant, other_tenant, team, make_member):
    a = make_member(tenant, Role.EDITOR)
    already = make_member(tenant, Role.EDITOR)
    outsider = make_member(other_tenant, Role.EDITOR)
    with tenancy.tenant_context(tenant):
        TeamMember.objects.create(team=team, user=already.user)
    payload = {
        "members": [
            {"userId": str(a.user_id), "role": "MEMBER"},
            {"userId": str(already.user_id), "role": "MEMBER"},
            {"userId": str(outsider.user_id), "role": "MEMBER"},
            {"externalUserId": "nobody", "role": "MEMBER"},
            {"userId": str(a.user_id), "role": "ADMIN"},
        ]
    }
    response = manager_client.post(f"{URL}{team.pk}/members", payload, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {"total": 5, "successful": 1, "failed": 4}
    assert [f["code"] for f in body["failed"]] == [
        "ALREADY_IN_TEAM",
        "NOT_A_MEMBER",
        "NOT_A_MEMBER",
        "DUPLICATE_IN_REQUEST",
    ]
    assert body["failed"][1]["input"] == {"userId": str(outsider.user_id), "role": "MEMBER"}
    assert members_of(tenant, team) == {a.user_id: "MEMBER", already.user_id: "MEMBER"}
    with tenancy.tenant_context(other_tenant):
        assert not TeamMember.objects.filter(user=outsider.user).exclude(team__is_default=True).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"members": []},
        {"members": [{"role": "MEMBER"}]},
        {"members": [{"userId": "not-a-uuid"}]},
        {"members": [{"externalUserId": "x", "role": "OWNER"}]},
        {"members": [{"externalUserId": str(i)} for i in range(101)]},
    ],
)
def test_batch_add_bad_input_is_400(manager_client, tenant, team, payload):
    response = manager_client.post(f"{URL}{team.pk}/members", payload, format="json")
    assert response.status_code == 400 and "members" in response.json()["error"]["details"]
    assert members_of(tenant, team) == {}


def test_batch_remove(manager_client, tenant, team, make_member):
    a, b = make_member(tenant, Role.EDITOR), make_member(tenant, Role.EDITOR)
    with tenancy.tenant_context(tenant):
        Membership.objects.filter(pk=b.pk).update(external_user_id="ext-b")
        TeamMember.objects.create(team=team, user=a.user)
        TeamMember.objects.create(team=team, user=b.user)
    ok = manager_client.delete(
        f"{URL}{team.pk}/members", {"userIds": [str(a.user_id)], "externalUserIds": ["ext-b"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["summary"] == {"total": 2, "successful": 2, "failed": 0}
    assert members_of(tenant, team) == {}
    again = manager_client.delete(f"{URL}{team.pk}/members", {"userIds": [str(a.user_id)]}, format="json")
    assert again.status_code == 200 and again.json()["failed"][0]["code"] == "NOT_IN_TEAM"
    bad = manager_client.delete(f"{URL}{team.pk}/members", {}, format="json")
    assert bad.status_code == 400
    with tenancy.tenant_context(tenant):
        assert Membership.objects.filter(pk__in=[a.pk, b.pk]).count() == 2  # members of the tenant stay


def test_member_list_query_count_is_fixed(manager_client, tenant, team, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        for i in range(50):
            user = UserFactory()
            Membership.objects.create(user=user, external_user_id=f"e{i}")
            TeamMember.objects.create(team=team, user=user)
    with django_assert_max_num_queries(6):
        response = manager_client.get(f"{URL}{team.pk}/members", {"pageSize": 100})
    rows = response.json()["results"]
    assert len(rows) == 50 and rows[0]["externalUserId"] == "e0"


@pytest.mark.parametrize("role", ROLES_WITHOUT_TEAM_MANAGE)
def test_roles_without_team_manage_are_forbidden(tenant, team, make_member, api_client_for, role):
    member = make_member(tenant, role)
    client = api_client_for(member)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}{team.pk}/members").status_code == 200
    assert client.post(URL, {"name": "New"}, format="json").status_code == 403
    assert client.patch(f"{URL}{team.pk}", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"{URL}{team.pk}").status_code == 403
    add = {"members": [{"userId": str(member.user_id), "role": "ADMIN"}]}
    assert client.post(f"{URL}{team.pk}/members", add, format="json").status_code == 403
    assert (
        client.delete(f"{URL}{team.pk}/members", {"userIds": [str(member.user_id)]}, format="json").status_code == 403
    )
    reload(team)
    assert team.name == "Social" and members_of(tenant, team) == {}


def test_other_tenants_teams_are_404_and_untouched(manager_client, tenant, other_tenant, make_member):
    foreign_member = make_member(other_tenant, Role.EDITOR)
    with tenancy.tenant_context(other_tenant):
        foreign = Team.objects.create(name="Secret")
        TeamMember.objects.create(team=foreign, user=foreign_member.user)
    assert "Secret" not in {row["name"] for row in manager_client.get(URL).json()["results"]}
    add = {"members": [{"userId": str(foreign_member.user_id)}]}
    for method, path, body in [
        ("get", f"{URL}{foreign.pk}", None),
        ("patch", f"{URL}{foreign.pk}", {"name": "Mine"}),
        ("delete", f"{URL}{foreign.pk}", None),
        ("get", f"{URL}{foreign.pk}/members", None),
        ("post", f"{URL}{foreign.pk}/members", add),
        ("delete", f"{URL}{foreign.pk}/members", {"userIds": [str(foreign_member.user_id)]}),
    ]:
        response = getattr(manager_client, method)(path, body, format="json")
        assert response.status_code == 404, (method, path)
    with tenancy.tenant_context(other_tenant):
        assert Team.objects.get(pk=foreign.pk).name == "Secret"
        assert TeamMember.objects.filter(team=foreign).count() == 1
