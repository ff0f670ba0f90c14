import json
import re

import httpx
import pytest
import respx

from core import tenancy
from core.models import AuditLogEntry
from social.models import BitlyAccount, ShortLink
from social.services import shortlinks as shortlink_services
from social.tests.factories import principal_for
from tenants.roles import Role

URL = "/api/v1/shortlinks/"


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = "https://hb.example.com"


def _make(tenant, url="https://example.com/page", **fields):
    with tenancy.tenant_context(tenant):
        return shortlink_services.create_short_link(url, actor=principal_for(tenant), **fields)


def test_create_returns_code_and_short_url_and_stores_the_link(owner_client, owner, tenant):
    response = owner_client.post(URL, {"url": "https://example.com/spring?utm=1", "title": "Spring"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{7}", body["code"])
    assert body["shortUrl"] == f"https://hb.example.com/s/{body['code']}"
    assert (body["url"], body["title"], body["clickCount"], body["provider"]) == (
        "https://example.com/spring?utm=1",
        "Spring",
        0,
        "hubbub",
    )
    assert body["createdAt"].endswith("Z")
    with tenancy.tenant_context(tenant):
        link = ShortLink.objects.get(pk=body["id"])
        assert AuditLogEntry.objects.filter(action="shortlink.created", object_id=str(link.pk)).exists()
    assert (link.code, link.target_url, link.created_by_id) == (body["code"], body["url"], owner.user_id)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"url": "ftp://example.com/file"},
        {"url": "javascript:alert(1)"},
        {"url": "not a url"},
        {"url": "https://example.com/" + "a" * 2000},
        {"url": "https://hb.example.com/s/abcdefg"},
    ],
)
def test_bad_urls_are_400_with_details_and_nothing_written(owner_client, tenant, payload):
    response = owner_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "url" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not ShortLink.objects.exists()


def test_redirect_is_public_302_and_counts_the_click(client, tenant):
    link = _make(tenant, "https://example.com/landing")
    response = client.get(f"/s/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/landing"
    assert response["Cache-Control"] == "no-store"
    client.get(f"/s/{link.code}")
    with tenancy.tenant_context(tenant):
        link.refresh_from_db()
    assert link.click_count == 2 and link.last_clicked_at is not None


def test_a_redirect_is_one_statement(client, tenant, django_assert_num_queries):
    link = _make(tenant, "https://example.com/landing")
    with django_assert_num_queries(1) as queries:  # no BEGIN/SET/COMMIT around it: the UPDATE ... RETURNING alone
        assert client.get(f"/s/{link.code}").status_code == 302
    # On PostgreSQL the tenant setting rides in the same round trip (`SELECT set_config(...); UPDATE ...`).
    assert queries.captured_queries[0]["sql"].split(";")[-1].strip().startswith("UPDATE")


def test_head_resolves_without_counting(client, tenant):
    link = _make(tenant)
    assert client.head(f"/s/{link.code}").status_code == 302
    with tenancy.tenant_context(tenant):
        link.refresh_from_db()
    assert link.click_count == 0


def test_unknown_code_is_404_in_the_error_shape(client, db):
    response = client.get("/s/nope123")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "NOT_FOUND" and body["path"] == "/s/nope123" and body["requestId"]


def test_post_to_the_redirect_is_405(client, tenant):
    link = _make(tenant)
    response = client.post(f"/s/{link.code}")
    assert response.status_code == 405 and response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_list_detail_and_ordering_by_clicks(owner_client, tenant, client):
    quiet = _make(tenant, "https://example.com/quiet", title="Quiet")
    busy = _make(tenant, "https://example.com/busy", title="Busy")
    for _ in range(3):
        client.get(f"/s/{busy.code}")
    listed = owner_client.get(URL, {"ordering": "-clickCount"}).json()
    assert [(row["id"], row["clickCount"]) for row in listed["results"]] == [(str(busy.pk), 3), (str(quiet.pk), 0)]
    assert [row["id"] for row in owner_client.get(URL, {"search": "quiet"}).json()["results"]] == [str(quiet.pk)]
    detail = owner_client.get(f"{URL}{busy.pk}").json()
    assert detail["clickCount"] == 3 and detail["lastClickedAt"].endswith("Z")


def test_delete_removes_the_link_and_the_redirect(owner_client, tenant, client):
    link = _make(tenant)
    assert owner_client.delete(f"{URL}{link.pk}").status_code == 204
    assert client.get(f"/s/{link.code}").status_code == 404
    with tenancy.tenant_context(tenant):
        assert not ShortLink.objects.exists()


def test_list_query_count_is_bounded(owner_client, tenant, django_assert_max_num_queries):
    for i in range(50):
        _make(tenant, f"https://example.com/{i}")
    with django_assert_max_num_queries(6):
        response = owner_client.get(URL, {"pageSize": 100})
    assert len(response.json()["results"]) == 50


def test_code_collision_is_retried_with_a_new_code(tenant, other_tenant, monkeypatch):
    taken = _make(other_tenant)  # codes are unique across tenants
    codes = iter([taken.code, "Fresh12"])
    monkeypatch.setattr(shortlink_services, "generate_code", lambda: next(codes))
    link = _make(tenant, "https://example.com/other")
    assert link.code == "Fresh12"


def test_plan_without_link_shortener_is_403(owner_client, tenant):
    tenant.feature_overrides = {"linkShortener": False}
    tenant.save(update_fields=["feature_overrides"])
    for response in (owner_client.get(URL), owner_client.post(URL, {"url": "https://example.com"}, format="json")):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FEATURE_NOT_AVAILABLE"
    with tenancy.tenant_context(tenant):
        assert not ShortLink.objects.exists()


def test_viewer_can_read_but_not_write(tenant, make_member, api_client_for):
    link = _make(tenant)
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert viewer.get(URL).status_code == 200
    assert viewer.get(f"{URL}{link.pk}").status_code == 200
    assert viewer.post(URL, {"url": "https://example.com"}, format="json").status_code == 403
    assert viewer.delete(f"{URL}{link.pk}").status_code == 403
    with tenancy.tenant_context(tenant):
        assert ShortLink.objects.count() == 1


def test_other_tenants_links_are_invisible(owner_client, other_tenant):
    foreign = _make(other_tenant)
    assert owner_client.get(URL).json()["results"] == []
    assert owner_client.get(f"{URL}{foreign.pk}").status_code == 404
    assert owner_client.delete(f"{URL}{foreign.pk}").status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert ShortLink.objects.filter(pk=foreign.pk).exists()


def test_idempotency_key_replays_the_creation(owner_client, tenant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "shorten-1"}
    first = owner_client.post(URL, {"url": "https://example.com/a"}, format="json", **headers)
    again = owner_client.post(URL, {"url": "https://example.com/a"}, format="json", **headers)
    assert first.status_code == again.status_code == 201 and again.json()["code"] == first.json()["code"]
    with tenancy.tenant_context(tenant):
        assert ShortLink.objects.count() == 1


# --- shortener mode OWN (bit.ly) -------------------------------------------------------------------------------------
@pytest.fixture
def own_mode(tenant):
    tenant.settings = {**tenant.settings, "shortener_mode": "OWN"}
    tenant.save(update_fields=["settings"])
    return tenant


@respx.mock
def test_own_mode_shortens_through_the_tenants_bitly_account(owner_client, own_mode):
    with tenancy.tenant_context(own_mode):
        BitlyAccount.objects.create(access_token="bitly-secret-token")
    route = respx.post("https://api-ssl.bitly.com/v4/shorten").mock(
        return_value=httpx.Response(201, json={"link": "https://bit.ly/3xYz", "id": "bit.ly/3xYz"})
    )
    response = owner_client.post(URL, {"url": "https://example.com/own"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["shortUrl"] == "https://bit.ly/3xYz" and response.json()["provider"] == "bitly"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer bitly-secret-token"
    assert json.loads(sent.content) == {"long_url": "https://example.com/own"}
    with tenancy.tenant_context(own_mode):
        assert ShortLink.objects.get().external_short_url == "https://bit.ly/3xYz"


def test_own_mode_without_an_account_is_409(owner_client, own_mode):
    response = owner_client.post(URL, {"url": "https://example.com/own"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "SHORTENER_NOT_CONFIGURED"
    with tenancy.tenant_context(own_mode):
        assert not ShortLink.objects.exists()


@respx.mock
def test_own_mode_bitly_refusal_is_503_and_nothing_written(owner_client, own_mode):
    with tenancy.tenant_context(own_mode):
        BitlyAccount.objects.create(access_token="revoked")
    respx.post("https://api-ssl.bitly.com/v4/shorten").mock(
        return_value=httpx.Response(403, json={"message": "FORBIDDEN", "description": "Invalid token"})
    )
    response = owner_client.post(URL, {"url": "https://example.com/own"}, format="json")
    assert response.status_code == 503 and response.json()["error"]["code"] == "SHORTENER_UNAVAILABLE"
    with tenancy.tenant_context(own_mode):
        assert not ShortLink.objects.exists()


BITLY_URL = "/api/v1/shortlinks/bitly-account"


@respx.mock
def test_manager_connects_bitly_token_write_only_and_own_mode_uses_it(tenant, make_member, api_client_for, own_mode):
    manager = api_client_for(make_member(tenant, Role.MANAGER))
    assert manager.get(BITLY_URL).status_code == 404
    response = manager.put(BITLY_URL, {"accessToken": "tok-live-1", "groupGuid": "Ba1"}, format="json")
    assert response.status_code == 200, response.json()
    assert "tok-live-1" not in response.content.decode() and response.json()["groupGuid"] == "Ba1"
    assert "tok-live-1" not in manager.get(BITLY_URL).content.decode()
    from django.db import connection

    with tenancy.tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM social_bitlyaccount")
        assert cursor.fetchone()[0] != "tok-live-1"  # encrypted at rest
    route = respx.post("https://api-ssl.bitly.com/v4/shorten").mock(
        return_value=httpx.Response(200, json={"link": "https://bit.ly/abc"})
    )
    created = manager.post(URL, {"url": "https://example.com/x"}, format="json")
    assert created.json()["shortUrl"] == "https://bit.ly/abc"
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-live-1"
    assert json.loads(route.calls.last.request.content)["group_guid"] == "Ba1"
    assert manager.delete(BITLY_URL).status_code == 204
    assert manager.get(BITLY_URL).status_code == 404
    with tenancy.tenant_context(tenant):
        assert not BitlyAccount.objects.exists()


def test_editor_cannot_set_the_bitly_token_and_other_tenants_token_is_invisible(
    tenant, other_tenant, make_member, api_client_for
):
    with tenancy.tenant_context(other_tenant):
        BitlyAccount.objects.create(access_token="theirs")
    editor = api_client_for(make_member(tenant, Role.EDITOR))
    assert editor.get(BITLY_URL).status_code == 404
    response = editor.put(BITLY_URL, {"accessToken": "mine"}, format="json")
    assert response.status_code == 403
    assert editor.delete(BITLY_URL).status_code == 403
    with tenancy.tenant_context(tenant):
        assert not BitlyAccount.objects.exists()
    with tenancy.tenant_context(other_tenant):
        assert BitlyAccount.objects.get().access_token == "theirs"
