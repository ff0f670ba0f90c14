"""Connecting the tenant's own bit.ly account with OAuth: bit.ly's real endpoints, faked with respx."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core import tenancy
from social.models import BitlyAccount
from social.shorteners import bitly
from tenants.roles import Role

CONNECT = "/api/v1/shortlinks/bitly-account/connect"
CALLBACK = "/api/v1/shortlinks/bitly-account/callback"
REDIRECT = "https://app.example.com/settings/links"


@pytest.fixture(autouse=True)
def bitly_app(settings):
    settings.BITLY_APP = {"client_id": "bitly-id", "client_secret": "bitly-secret"}
    settings.PUBLIC_BASE_URL = "https://hubbub.example.com"


def query_of(response) -> dict:
    assert response.status_code == 302, response.content
    assert response["Location"].startswith(REDIRECT)
    return {key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()}


def account_of(tenant):
    with tenancy.tenant_context(tenant):
        return BitlyAccount.objects.first()


def start(client) -> dict:
    response = client.post(CONNECT, {"redirectUri": REDIRECT}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_connecting_stores_the_token_and_default_group(owner_client, owner, tenant, client, respx_mock):
    started = start(owner_client)
    query = parse_qs(urlsplit(started["authUrl"]).query)
    assert started["authUrl"].startswith("https://bitly.com/oauth/authorize?")
    assert query["client_id"] == ["bitly-id"] and query["state"] == [started["state"]]
    assert query["redirect_uri"] == ["https://hubbub.example.com/api/v1/shortlinks/bitly-account/callback"]
    token = respx_mock.post(bitly.TOKEN_URL).respond(json={"access_token": "bitly-token-1", "login": "acme"})
    user = respx_mock.get(bitly.USER_URL).respond(json={"login": "acme", "default_group_guid": "Bg1"})

    params = query_of(client.get(CALLBACK, {"code": "c-1", "state": started["state"]}))

    assert params == {"status": "connected"}
    sent = dict(httpx.QueryParams(token.calls.last.request.content.decode()))
    assert sent == {
        "client_id": "bitly-id",
        "client_secret": "bitly-secret",
        "code": "c-1",
        "redirect_uri": "https://hubbub.example.com/api/v1/shortlinks/bitly-account/callback",
    }
    assert token.calls.last.request.headers["Accept"] == "application/json"
    assert user.calls.last.request.headers["Authorization"] == "Bearer bitly-token-1"
    account = account_of(tenant)
    assert (account.access_token, account.group_guid, account.connected_by_id) == (
        "bitly-token-1",
        "Bg1",
        owner.user_id,
    )
    shown = owner_client.get("/api/v1/shortlinks/bitly-account").json()
    assert shown["groupGuid"] == "Bg1" and "bitly-token-1" not in str(shown)
    replay = client.get(CALLBACK, {"code": "c-1", "state": started["state"]})
    assert query_of(replay) == {"status": "error", "code": "OAUTH_STATE_USED"}


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"status_code": 400, "status_txt": "INVALID_CODE"}),  # bit.ly's 200 with an error
        httpx.Response(400, json={"message": "INVALID_CLIENT_SECRET"}),
    ],
)
def test_a_refused_code_redirects_with_an_error_and_stores_nothing(owner_client, tenant, client, respx_mock, answer):
    started = start(owner_client)
    respx_mock.post(bitly.TOKEN_URL).mock(return_value=answer)
    assert query_of(client.get(CALLBACK, {"code": "bad", "state": started["state"]})) == {
        "status": "error",
        "code": "NETWORK_REFUSED",
    }
    assert account_of(tenant) is None


def test_the_user_saying_no_stores_nothing(owner_client, tenant, client):
    started = start(owner_client)
    params = query_of(client.get(CALLBACK, {"error": "access_denied", "state": started["state"]}))
    assert params == {"status": "error", "code": "ACCESS_DENIED"}
    assert account_of(tenant) is None


def test_a_forged_state_is_400(client, db):
    response = client.get(CALLBACK, {"code": "c", "state": "forged"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "OAUTH_STATE_INVALID"


def test_an_unconfigured_installation_names_the_variables(owner_client, settings, tenant):
    settings.BITLY_APP = {"client_id": "", "client_secret": ""}
    response = owner_client.post(CONNECT, {"redirectUri": REDIRECT}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["missingSettings"] == ["BITLY_CLIENT_ID", "BITLY_CLIENT_SECRET"]


def test_only_members_who_manage_channels_connect(tenant, make_member, api_client_for, api_key_client_for):
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert viewer.post(CONNECT, {"redirectUri": REDIRECT}, format="json").status_code == 403
    key = api_key_client_for(tenant)
    assert key.post(CONNECT, {"redirectUri": REDIRECT}, format="json").status_code == 403
    assert account_of(tenant) is None
