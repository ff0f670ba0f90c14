"""No 5xx on bad input (issue 8, items 4-9): every refusal is a clear 4xx in the documented error shape, and
nothing is written. Runs on SQLite and PostgreSQL (where NUL and big offsets used to reach the database)."""

from __future__ import annotations

import base64
import io
import json

import pytest

from contentplanner.tests.factories import PostFactory
from core import tenancy
from core.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from social.models import Channel
from social.tests.factories import ChannelFactory

TENANT = "/api/v1/tenant"
LOGIN = "/api/v1/auth/login"
CHANNELS = "/api/v1/channels/"
TAGS = "/api/v1/cp/tags/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) >= {"error", "statusCode", "path", "timestamp", "requestId"}
    assert body["statusCode"] == status
    if code:
        assert body["error"]["code"] == code, body
    return body


def raw_post(client, url, text: str, method: str = "POST"):
    return client.generic(method, url, text.encode("utf-8", "surrogatepass"), content_type="application/json")


# --- 4. depth ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LOGIN, "/api/v1/auth/register", "/api/v1/auth/refresh"])
def test_deeply_nested_json_is_400_even_unauthenticated(client, db, url):
    deep = "[" * 1000 + "]" * 1000
    assert_error(raw_post(client, url, deep), 400, "BAD_REQUEST")
    assert_error(raw_post(client, url, '{"a":' * 100_000), 400, "BAD_REQUEST")


def test_depth_limit_is_exact_and_ignores_brackets_inside_strings():
    assert not json_depth_exceeds("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert json_depth_exceeds("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds(json.dumps({"text": "[" * 500 + '\\"{' * 100}))


def test_deeply_nested_json_in_an_object_field_is_400_and_changes_nothing(owner_client, tenant):
    nested = '{"name": "Deep", "settings": ' + '{"a":' * 70 + "1" + "}" * 70 + "}"
    assert_error(raw_post(owner_client, TENANT, nested, method="PATCH"), 400)
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


# --- 5. NUL, surrogates, NaN, control characters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "config, field",
    [
        ('{"endpointUrl": "https://x.example/\\u0000"}', "config.endpointUrl"),
        ('{"note": "bad \\ud800 surrogate"}', "config.note"),
        ('{"nested": {"k\\u0000ey": 1}}', "config.nested"),
        ('{"list": ["ok", "\\udfff"]}', "config.list[1]"),
    ],
)
def test_nul_and_lone_surrogates_in_json_strings_and_keys_are_400(owner_client, tenant, config, field):
    body = '{"network": "sandbox", "name": "X", "config": ' + config + "}"
    error = assert_error(raw_post(owner_client, CHANNELS, body), 400, "VALIDATION_ERROR")
    assert field in error["error"]["details"], error
    with tenancy.tenant_context(tenant):
        assert not Channel.objects.exists()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", str(2**64)])
def test_nan_infinity_and_overflowing_numbers_are_400(owner_client, tenant, number):
    body = '{"network": "sandbox", "name": "X", "config": {"n": ' + number + "}}"
    response = raw_post(owner_client, CHANNELS, body)
    assert response.status_code == 400, response.content
    assert_error(response, 400)
    with tenancy.tenant_context(tenant):
        assert not Channel.objects.exists()


@pytest.mark.parametrize("name", ["Bell\u0007", "Line\nbreak", "Esc\u001b[31m", "C1\u0085", "Tab\tname"])
def test_control_characters_in_names_are_400(owner_client, tenant, name):
    error = assert_error(owner_client.patch(TENANT, {"name": name}, format="json"), 400, "VALIDATION_ERROR")
    assert "name" in error["error"]["details"]
    error = assert_error(owner_client.post(TAGS, {"name": name}, format="json"), 400, "VALIDATION_ERROR")
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


def test_newlines_and_tabs_stay_allowed_in_texts(owner_client, owner, tenant):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), author=owner.user)
    response = owner_client.patch(f"/api/v1/cp/posts/{post.pk}", {"text": "Line one\n\tLine two"}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "url", ["/s/%00", "/s/abc%00def", "/api/v1/tenants/by-alias/%00", "/api/v1/tenants/by-external-id/crm/%00"]
)
def test_nul_in_path_lookups_is_404(owner_client, url):
    assert_error(owner_client.get(url), 404, "NOT_FOUND")


@pytest.mark.parametrize("query", ["search=%00", "name%00=x", "ordering=%00createdAt"])
def test_nul_in_query_strings_is_400(owner_client, query):
    assert_error(owner_client.get(f"{TAGS}?{query}"), 400, "VALIDATION_ERROR")


def test_nul_in_a_credential_header_is_400(client, db):
    assert_error(client.get(TAGS, HTTP_X_API_KEY="hbk_\x00abc_def"), 400, "VALIDATION_ERROR")


# --- 6. cursors and offsets ----------------------------------------------------------------------------------------


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    _b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    _b64(["2026-01-01T00:00:00", "6f1c1d1e-0000-4000-8000-000000000001"]),  # naive timestamp
    _b64([1, 2]),
    _b64({"a": 1}),
    _b64(["x"]),
    _b64(b"\xff\xfe"),
    "%00",
    "!!!!",
    "é",
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_malformed_cursors_are_400_on_the_audit_log_and_the_feed(owner_client, owner, tenant, cursor):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), author=owner.user)
    for url in ("/api/v1/audit-log/", f"/api/v1/cp/posts/{post.pk}/feed"):
        response = owner_client.get(f"{url}?cursor={cursor}")
        assert response.status_code in (400,), (url, cursor, response.content[:300])
        assert_error(response, 400)


def test_a_good_cursor_still_pages(owner_client, owner, tenant):
    first = owner_client.get("/api/v1/audit-log/?cursor=&pageSize=1")
    assert first.status_code == 200
    if first.json()["nextCursor"]:
        assert owner_client.get(f"/api/v1/audit-log/?cursor={first.json()['nextCursor']}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cp/posts/",
        "/api/v1/cp/posts/counts",
        "/api/v1/cp/analytics/posts",
        "/api/v1/cp/posts/calendar",
    ],
)
@pytest.mark.parametrize("offset", ["%2B17:00", "-16:00", "%2B15:60"])
def test_date_filters_with_impossible_offsets_are_400(owner_client, url, offset):
    for param in ("publishAtFrom", "publishAtTo"):
        response = owner_client.get(f"{url}?{param}=2026-01-01T00:00:00{offset}")
        assert_error(response, 400, "VALIDATION_ERROR")


def test_date_filters_with_real_offsets_work(owner_client):
    response = owner_client.get("/api/v1/cp/posts/?publishAtFrom=2026-01-01T00:00:00%2B14:00")
    assert response.status_code == 200, response.content


# --- 8. chunked bodies ---------------------------------------------------------------------------------------------


def _chunked_patch(client, payload: bytes, *, terminated: bool):
    extra = {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(payload)}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.generic("PATCH", TENANT, payload, content_type="application/json", **extra)


def test_a_chunked_body_is_read_when_the_server_dechunks_it(owner_client, tenant):
    response = _chunked_patch(owner_client, b'{"name": "Chunked Inc"}', terminated=True)
    assert response.status_code == 200 and response.json()["name"] == "Chunked Inc"
    tenant.refresh_from_db()
    assert tenant.name == "Chunked Inc"


def test_a_chunked_body_the_server_cannot_read_is_411_never_a_silent_200(owner_client, tenant):
    assert_error(_chunked_patch(owner_client, b'{"name": "Lost"}', terminated=False), 411, "LENGTH_REQUIRED")
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


def test_a_chunked_body_over_the_cap_is_413(owner_client, tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    payload = json.dumps({"name": "x" * 200}).encode()
    assert_error(_chunked_patch(owner_client, payload, terminated=True), 413, "PAYLOAD_TOO_LARGE")
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


# --- 9. public responses in the error shape --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_a_short_link_answer_in_the_error_shape(db, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/s/abcdefg")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_a_csrf_refusal_is_in_the_error_shape(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert_error(response, 403, "CSRF_FAILED")


def test_unknown_routes_answer_in_the_error_shape(client, db):
    assert_error(client.get("/no/such/page"), 404, "NOT_FOUND")
