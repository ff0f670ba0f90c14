"""The API's shared conventions: one error shape everywhere, request ids, pagination, body limits, health."""

import pytest
from django.test import Client

from core import tenancy
from tenants.services.api_keys import create_api_key

ERROR_KEYS = {"error", "statusCode", "path", "timestamp", "requestId"}


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"]["code"] == code and body["error"]["message"]
    assert body["statusCode"] == status
    assert body["timestamp"].endswith("Z")
    assert body["requestId"] == response["X-Request-Id"]
    return body


def test_unknown_url_is_404_in_the_error_shape(db, client):
    body = assert_error_shape(client.get("/api/v1/no-such-thing/"), 404, "NOT_FOUND")
    assert body["path"] == "/api/v1/no-such-thing/"


def test_malformed_id_is_404_not_500(owner_client):
    assert_error_shape(owner_client.get("/api/v1/api-keys/not-a-uuid"), 404, "NOT_FOUND")


def test_wrong_method_is_405_in_the_error_shape(owner_client):
    assert_error_shape(owner_client.put("/api/v1/api-keys/", {}, format="json"), 405, "METHOD_NOT_ALLOWED")


def test_missing_credential_is_401(db, client):
    response = client.get("/api/v1/api-keys/")
    assert_error_shape(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "ApiKey hb_nope_nope", "Basic !!!", "Basic " + "Y2FsbGVyOmhiX3hfeQ=="],
)
def test_invalid_credentials_are_401(db, client, header):
    assert_error_shape(client.get("/api/v1/api-keys/", HTTP_AUTHORIZATION=header), 401, "UNAUTHORIZED")


def test_malformed_json_is_400_bad_request(owner_client):
    response = owner_client.generic("POST", "/api/v1/api-keys/", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "BAD_REQUEST")


def test_oversized_body_is_413_and_nothing_is_written(owner_client, tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = '{"name": "%s", "scopes": ["read"]}' % ("x" * 2000)
    response = owner_client.generic("POST", "/api/v1/api-keys/", payload, content_type="application/json")
    body = assert_error_shape(response, 413, "PAYLOAD_TOO_LARGE")
    assert body["error"]["details"]["maxBytes"] == 1000
    with tenancy.tenant_context(tenant):
        from tenants.models import ApiKey

        assert not ApiKey.objects.exists()


@pytest.mark.urls("core.tests.error_urls")
def test_unhandled_exception_is_500_without_internals(db):
    client = Client(raise_request_exception=False)
    response = client.get("/__crash__")
    body = assert_error_shape(response, 500, "INTERNAL_ERROR")
    assert "boom" not in response.content.decode()
    assert body["path"] == "/__crash__"


def test_well_formed_request_id_is_echoed(db, client):
    response = client.get("/api/v1/api-keys/", HTTP_X_REQUEST_ID="req-1234567890")
    assert response["X-Request-Id"] == "req-1234567890"
    assert response.json()["requestId"] == "req-1234567890"


def test_pagination_shape_header_and_capped_page_size(owner_client, tenant):
    with tenancy.tenant_context(tenant):
        for i in range(3):
            create_api_key(actor=None, name=f"k{i}", scopes=["read"])
    response = owner_client.get("/api/v1/api-keys/", {"pageSize": 2})
    body = response.json()
    assert (body["count"], body["page"], body["pageSize"], body["hasMore"]) == (3, 1, 2, True)
    assert response["Has-More"] == "1"
    last = owner_client.get("/api/v1/api-keys/", {"pageSize": 2, "page": 2})
    assert last.json()["hasMore"] is False and last["Has-More"] == "0" and len(last.json()["results"]) == 1
    capped = owner_client.get("/api/v1/api-keys/", {"pageSize": 1000}).json()
    assert capped["pageSize"] == 100
    beyond = owner_client.get("/api/v1/api-keys/", {"page": 9}).json()
    assert beyond["results"] == [] and beyond["hasMore"] is False
    assert_error_shape(owner_client.get("/api/v1/api-keys/", {"page": "x"}), 400, "VALIDATION_ERROR")


def test_camel_case_ordering_parameter(owner_client, tenant):
    with tenancy.tenant_context(tenant):
        for name in ("b", "a", "c"):
            create_api_key(actor=None, name=name, scopes=["read"])
    names = [row["name"] for row in owner_client.get("/api/v1/api-keys/", {"ordering": "createdAt"}).json()["results"]]
    assert names == ["b", "a", "c"]


@pytest.mark.parametrize("path", ["/api/v1/api-keys", "/api/v1/api-keys/", "/api/v1/me", "/api/v1/me/"])
def test_trailing_slash_is_optional(owner_client, path):
    assert owner_client.get(path).status_code == 200


def test_cursor_pagination_walks_all_rows_once(owner_client, tenant):
    from core import audit

    with tenancy.tenant_context(tenant):
        for i in range(7):
            audit.record("test.event", actor=None, object_type="thing", object_id=str(i))
    seen, cursor = [], ""
    for _ in range(10):
        body = owner_client.get("/api/v1/audit-log/", {"cursor": cursor, "pageSize": 3, "action": "test.event"}).json()
        seen += [row["objectId"] for row in body["results"]]
        if not body["hasMore"]:
            break
        cursor = body["nextCursor"]
    assert sorted(seen) == [str(i) for i in range(7)] and len(seen) == 7
    assert_error_shape(owner_client.get("/api/v1/audit-log/", {"cursor": "garbage!"}), 400, "VALIDATION_ERROR")


def test_health_endpoints_need_no_auth(db, client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_openapi_schema_and_docs_render(db, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = schema.json()
    assert {"bearerAuth", "apiKeyHeader", "basicAuth"} <= set(spec["components"]["securitySchemes"])
    create = spec["paths"]["/api/v1/api-keys/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(create)
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
