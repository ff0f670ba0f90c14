"""The documented error shape for framework-level failures on the tenants endpoints."""

import json

from django.conf import settings

from core import tenancy
from tenants.models import Team


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code and body["statusCode"] == status
    assert body["path"] and body["timestamp"].endswith("Z") and body["requestId"]
    return body


def test_oversized_json_body_is_413_and_writes_nothing(owner_client, tenant):
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = owner_client.generic("POST", "/api/v1/teams/", body, content_type="application/json")
    assert_error_shape(response, 413, "PAYLOAD_TOO_LARGE")
    with tenancy.tenant_context(tenant):
        assert Team.objects.count() == 1


def test_unknown_url_is_404_in_error_shape(owner_client):
    assert_error_shape(owner_client.get("/api/v1/no-such-thing/"), 404, "NOT_FOUND")


def test_wrong_method_is_405_in_error_shape(owner_client):
    assert_error_shape(owner_client.put("/api/v1/me", {}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error_shape(owner_client.delete("/api/v1/tenant"), 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_400(owner_client):
    response = owner_client.generic("PATCH", "/api/v1/tenant", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "BAD_REQUEST")
