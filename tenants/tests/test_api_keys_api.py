import pytest
from django.utils import timezone

from core import tenancy
from core.models import AuditLogEntry
from tenants.models import ApiKey
from tenants.roles import Role

URL = "/api/v1/api-keys/"


@pytest.fixture
def admin_client(tenant, make_member, api_client_for):
    return api_client_for(make_member(tenant, Role.ADMIN))


def test_create_returns_secret_once_and_stores_only_its_hash(admin_client, tenant):
    response = admin_client.post(URL, {"name": "CI", "scopes": ["read"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"].startswith(body["prefix"])
    assert body["scopes"] == ["read"] and body["isActive"] is True
    with tenancy.tenant_context(tenant):
        key = ApiKey.objects.get(pk=body["id"])
    assert body["key"] not in (key.key_hash, key.prefix)
    listed = admin_client.get(URL).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "key" not in listed[0]


def test_created_key_authenticates_until_revoked(admin_client, client):
    created = admin_client.post(URL, {"name": "CI", "scopes": ["admin"]}, format="json").json()
    assert client.get(URL, HTTP_X_API_KEY=created["key"]).status_code == 200
    assert client.get(URL, HTTP_AUTHORIZATION=f"ApiKey {created['key']}").status_code == 200
    assert admin_client.delete(f"{URL}{created['id']}").status_code == 204
    response = client.get(URL, HTTP_X_API_KEY=created["key"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "API_KEY_REVOKED"  # issue 8: a revoked key says so


def test_rotate_invalidates_the_old_secret(admin_client, client):
    created = admin_client.post(URL, {"name": "CI", "scopes": ["admin"]}, format="json").json()
    rotated = admin_client.post(f"{URL}{created['id']}/rotate").json()
    assert rotated["key"] != created["key"]
    assert client.get(URL, HTTP_X_API_KEY=created["key"]).status_code == 401
    assert client.get(URL, HTTP_X_API_KEY=rotated["key"]).status_code == 200


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
    ],
)
def test_bad_input_is_400_with_field_details_and_writes_nothing(admin_client, tenant, payload, field):
    response = admin_client.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR" and field in body["error"]["details"]
    assert body["statusCode"] == 400 and body["path"] == URL and body["requestId"]
    with tenancy.tenant_context(tenant):
        assert not ApiKey.objects.exists()


def test_expiry_in_the_past_is_refused(admin_client):
    response = admin_client.post(
        URL, {"name": "x", "scopes": ["read"], "expiresAt": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert "expiresAt" in response.json()["error"]["details"]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER, Role.MANAGER, Role.AGENT])
def test_non_admins_are_forbidden(tenant, make_member, api_client_for, role):
    client = api_client_for(make_member(tenant, role))
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"name": "x", "scopes": ["read"]}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_other_tenants_keys_are_invisible(admin_client, other_tenant, api_key_client_for):
    foreign = api_key_client_for(other_tenant).api_key
    assert admin_client.get(URL).json()["results"] == []
    for method, path in [
        ("get", f"{URL}{foreign.pk}"),
        ("delete", f"{URL}{foreign.pk}"),
        ("post", f"{URL}{foreign.pk}/rotate"),
    ]:
        response = getattr(admin_client, method)(path)
        assert response.status_code == 404, (method, path)
    with tenancy.tenant_context(other_tenant):
        assert ApiKey.objects.get(pk=foreign.pk).revoked_at is None


def test_list_query_count_does_not_grow_with_rows(admin_client, tenant, django_assert_max_num_queries):
    from tenants.services.api_keys import create_api_key

    with tenancy.tenant_context(tenant):
        for i in range(50):
            create_api_key(actor=None, name=f"k{i}", scopes=["read"])
    with django_assert_max_num_queries(6):
        response = admin_client.get(URL, {"pageSize": 100})
    assert len(response.json()["results"]) == 50


def test_idempotency_key_replays_the_first_creation(admin_client, tenant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-ci-key-1"}
    first = admin_client.post(URL, {"name": "CI", "scopes": ["read"]}, format="json", **headers)
    again = admin_client.post(URL, {"name": "CI", "scopes": ["read"]}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    other_body = admin_client.post(URL, {"name": "Other", "scopes": ["read"]}, format="json", **headers)
    assert other_body.status_code == 409
    with tenancy.tenant_context(tenant):
        assert ApiKey.objects.count() == 1


def test_audit_log_records_key_lifecycle(admin_client, tenant):
    created = admin_client.post(URL, {"name": "CI", "scopes": ["read"]}, format="json").json()
    admin_client.delete(f"{URL}{created['id']}")
    with tenancy.tenant_context(tenant):
        actions = list(AuditLogEntry.objects.filter(object_id=created["id"]).values_list("action", flat=True))
    assert sorted(actions) == ["api_key.created", "api_key.revoked"]
    log = admin_client.get("/api/v1/audit-log/", {"objectId": created["id"]}).json()["results"]
    assert {row["action"] for row in log} == {"api_key.created", "api_key.revoked"}
    assert all(row["actor"].endswith("@example.com") for row in log)


def test_expired_key_is_refused(admin_client, tenant, client):
    created = admin_client.post(URL, {"name": "CI", "scopes": ["admin"]}, format="json").json()
    with tenancy.tenant_context(tenant):
        ApiKey.objects.filter(pk=created["id"]).update(expires_at=timezone.now())
    assert client.get(URL, HTTP_X_API_KEY=created["key"]).status_code == 401
