import pytest

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import Membership, Team, Tenant, TenantExternalId
from tenants.roles import ROLE_PERMISSIONS, Role
from tenants.services.workspaces import create_subtenant, set_external_ids
from tenants.tests.factories import TenantFactory

URL = "/api/v1/tenants/"
ROLES_WITHOUT_SUBTENANTS = [r for r in Role.values if "tenants.subtenant.manage" not in ROLE_PERMISSIONS[r]]


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, Role.ADMIN)


@pytest.fixture
def admin_client(admin, api_client_for):
    return api_client_for(admin)


def make_child(parent, *, name="Client", actor_membership=None, **fields):
    from core.auth import Principal

    principal = Principal(
        tenant=parent,
        permissions=ROLE_PERMISSIONS[Role.ADMIN],
        kind="user",
        user=actor_membership.user if actor_membership else None,
        role=Role.ADMIN,
    )
    with tenancy.tenant_context(parent):
        return create_subtenant(parent, actor=principal, name=name, **fields)


def test_create_subtenant_makes_the_creator_its_owner(admin_client, admin, tenant):
    payload = {
        "name": "Client One",
        "slug": "client-one",
        "timezone": "Europe/Berlin",
        "externalIds": [{"platform": "crm", "externalId": "C-1"}],
        "status": "pending",
    }
    response = admin_client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["parentId"] == str(tenant.pk) and body["slug"] == "client-one" and body["status"] == "pending"
    assert body["plan"] == "business" and body["externalIds"] == [{"platform": "crm", "externalId": "C-1"}]
    child = Tenant.objects.get(pk=body["id"])
    assert child.parent_id == tenant.pk and child.timezone == "Europe/Berlin"
    with tenancy.tenant_context(child):
        assert Membership.objects.get(user=admin.user).role == Role.OWNER
        assert Team.objects.filter(is_default=True).count() == 1
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="subtenant.created", object_id=str(child.pk)).exists()


def test_list_shows_only_children_and_bounded_queries(
    admin_client, admin, tenant, other_tenant, django_assert_max_num_queries
):
    for i in range(50):
        make_child(tenant, name=f"Client {i:02}", actor_membership=admin, external_ids={"crm": f"X{i}"})
    foreign = make_child(other_tenant, name="Foreign")
    with django_assert_max_num_queries(8):
        response = admin_client.get(URL, {"pageSize": 100})
    rows = response.json()["results"]
    assert len(rows) == 50 and str(foreign.pk) not in {row["id"] for row in rows}
    assert rows[0]["externalIds"] == [{"platform": "crm", "externalId": "X0"}]


def test_retrieve_patch_enable_archive(admin_client, admin, tenant):
    child = make_child(tenant, actor_membership=admin, status="pending")
    assert admin_client.get(f"{URL}{child.pk}").json()["name"] == "Client"
    patched = admin_client.patch(f"{URL}{child.pk}", {"name": "Renamed", "status": "suspended"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    enabled = admin_client.post(f"{URL}{child.pk}/enable")
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    again = admin_client.post(f"{URL}{child.pk}/enable")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_STATE"
    assert admin_client.delete(f"{URL}{child.pk}").status_code == 204
    child.refresh_from_db()
    assert child.status == "archived" and child.name == "Renamed"
    assert admin_client.post(f"{URL}{child.pk}/enable").status_code == 409


def test_lookup_by_alias_and_external_id(admin_client, admin, tenant, other_tenant):
    child = make_child(tenant, actor_membership=admin, slug="acme-client", external_ids={"shopify": "S-9"})
    foreign = make_child(other_tenant, name="Foreign", slug="foreign-client")
    set_external_ids(foreign, {"shopify": "S-10"})
    assert admin_client.get(f"{URL}by-alias/acme-client").json()["id"] == str(child.pk)
    assert admin_client.get(f"{URL}by-external-id/shopify/S-9").json()["id"] == str(child.pk)
    assert admin_client.get(f"{URL}by-alias/foreign-client").status_code == 404
    assert admin_client.get(f"{URL}by-external-id/shopify/S-10").status_code == 404
    assert admin_client.get(f"{URL}by-alias/nope").json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": "X", "slug": "Bad Slug"}, "slug"),
        ({"name": "X", "timezone": "Atlantis/Capital"}, "timezone"),
        ({"name": "X", "status": "archived"}, "status"),
        (
            {"name": "X", "externalIds": [{"platform": "a", "externalId": "1"}, {"platform": "a", "externalId": "2"}]},
            "externalIds",
        ),
    ],
)
def test_bad_input_is_400_and_creates_nothing(admin_client, payload, field):
    before = Tenant.objects.count()
    response = admin_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Tenant.objects.count() == before


def test_slug_and_external_id_clashes_are_409(admin_client, other_tenant):
    ids = [{"platform": "crm", "externalId": "TAKEN"}]
    assert admin_client.post(URL, {"name": "First", "externalIds": ids}, format="json").status_code == 201
    clash = admin_client.post(URL, {"name": "X", "slug": other_tenant.slug}, format="json")
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "SLUG_TAKEN"
    ext = admin_client.post(URL, {"name": "Y", "externalIds": ids}, format="json")
    assert ext.status_code == 409 and ext.json()["error"]["code"] == "EXTERNAL_ID_TAKEN"
    assert not Tenant.objects.filter(name__in=["X", "Y"]).exists()


def test_another_customers_external_id_is_not_disclosed(admin_client, other_tenant):
    """Issue 8: external ids are unique among one parent's clients; another customer's ids are not a clash."""
    set_external_ids(other_tenant, {"crm": "THEIRS"})
    response = admin_client.post(
        URL, {"name": "Mine", "externalIds": [{"platform": "crm", "externalId": "THEIRS"}]}, format="json"
    )
    assert response.status_code == 201, response.json()
    found = admin_client.get(f"{URL}by-external-id/crm/THEIRS")
    assert found.status_code == 200 and found.json()["name"] == "Mine"


def test_the_plan_of_a_client_is_the_parents(admin_client, owner_client, tenant):
    """Issue 8: no tenant picks its own plan (it lifts every limit); staff or billing do."""
    for client in (admin_client, owner_client):
        response = client.post(URL, {"name": "X", "plan": "enterprise"}, format="json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "PLAN_READ_ONLY"
    assert not Tenant.objects.filter(name="X").exists()
    response = owner_client.post(URL, {"name": "X", "plan": tenant.plan}, format="json")
    assert response.status_code == 201 and response.json()["plan"] == tenant.plan
    child = response.json()["id"]
    response = owner_client.patch(f"{URL}{child}", {"plan": "enterprise"}, format="json")
    assert response.status_code == 403 and Tenant.objects.get(pk=child).plan == tenant.plan


def test_plan_without_subtenants_feature_gets_feature_not_available(make_member, api_client_for):
    small = TenantFactory(plan="team")
    client = api_client_for(make_member(small, Role.OWNER))
    for response in (client.get(URL), client.post(URL, {"name": "X"}, format="json")):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FEATURE_NOT_AVAILABLE"
    assert not Tenant.objects.filter(name="X").exists()


@pytest.mark.parametrize("role", ROLES_WITHOUT_SUBTENANTS)
def test_roles_without_subtenant_manage_are_forbidden(tenant, admin, make_member, api_client_for, role):
    child = make_child(tenant, actor_membership=admin)
    client = api_client_for(make_member(tenant, role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "X"}, format="json").status_code == 403
    assert client.patch(f"{URL}{child.pk}", {"name": "Y"}, format="json").status_code == 403
    assert client.delete(f"{URL}{child.pk}").status_code == 403
    assert client.post(f"{URL}{child.pk}/enable").status_code == 403
    child.refresh_from_db()
    assert child.name == "Client" and child.status == "active"


def test_other_tenants_subtenants_and_tenants_are_404(admin_client, other_tenant):
    foreign_child = make_child(other_tenant, name="Foreign")
    for target in (foreign_child, other_tenant):
        for method, path in [
            ("get", f"{URL}{target.pk}"),
            ("patch", f"{URL}{target.pk}"),
            ("delete", f"{URL}{target.pk}"),
            ("post", f"{URL}{target.pk}/enable"),
        ]:
            response = getattr(admin_client, method)(path, {"name": "Hijacked"}, format="json")
            assert response.status_code == 404, (method, path)
        target.refresh_from_db()
        assert target.name in {"Foreign", "Globex"} and target.status == "active"


def test_platform_staff_see_every_tenant(tenant, other_tenant, make_member, api_client_for):
    staff = make_member(tenant, Role.ADMIN, is_staff=True)
    client = api_client_for(staff)
    ids = {row["id"] for row in client.get(URL, {"pageSize": 100}).json()["results"]}
    assert {str(tenant.pk), str(other_tenant.pk)} <= ids
    assert client.get(f"{URL}{other_tenant.pk}").status_code == 200


def test_archived_subtenant_credentials_stop_working(admin_client, admin, tenant, make_member, api_client_for):
    child = make_child(tenant, actor_membership=admin)
    child_client = api_client_for(make_member(child, Role.OWNER))
    assert child_client.get("/api/v1/tenant").status_code == 200
    admin_client.delete(f"{URL}{child.pk}")
    assert child_client.get("/api/v1/tenant").status_code == 401
    assert TenantExternalId.objects.filter(tenant=child).count() == 0
