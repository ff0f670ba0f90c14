import pytest

from core import tenancy
from social.models import Channel
from social.networks import base
from social.networks.wordpress import WordPressAdapter
from tenants.roles import Role

URL = "/api/v1/channels/connect/wordpress"
BODY = {"siteUrl": "https://blog.example.com", "username": "editor", "applicationPassword": "abcd efgh ijkl mnop"}


@pytest.fixture
def site(monkeypatch):
    """A fake WordPress site: answers like the adapter does after verifying the credentials."""
    state = {"error": None, "calls": []}

    def connect(cls, site_url, username, password, **kwargs):
        state["calls"].append((site_url, username, password))
        if state["error"] is not None:
            raise state["error"]
        return base.ConnectedAccount(
            network="wordpress",
            external_id=site_url,
            name="Example Blog",
            username=username,
            network_url=site_url,
            tokens=base.TokenSet(access_token=password.replace(" ", ""), token_owner_id="7"),
            extra={"site_url": site_url, "username": username, "user_id": 7, "app_password_uuid": "u-1"},
        )

    monkeypatch.setattr(WordPressAdapter, "connect_with_application_password", classmethod(connect))
    return state


def test_connect_wordpress_creates_the_site_channel_once(owner_client, tenant, site):
    response = owner_client.post(URL, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [c["name"] for c in body] == ["Example Blog"] and body[0]["network"] == "wordpress"
    assert "abcdefghijklmnop" not in response.content.decode()
    assert body[0]["config"]["siteUrl"] == "https://blog.example.com"
    assert body[0]["config"]["appPasswordUuid"] == "********"
    again = owner_client.post(URL, BODY, format="json")
    assert again.status_code == 201 and again.json()[0]["id"] == body[0]["id"]
    with tenancy.tenant_context(tenant):
        channel = Channel.objects.get()
    assert channel.access_token == "abcdefghijklmnop" and channel.config["username"] == "editor"
    assert site["calls"][0] == ("https://blog.example.com", "editor", "abcd efgh ijkl mnop")


@pytest.mark.parametrize(
    "error, status, field",
    [
        (base.AuthExpired("rest_not_logged_in"), 400, "applicationPassword"),
        (base.PermissionMissing("cannot publish"), 400, "username"),
        (base.InvalidContent("The URL points to a private or internal address."), 400, "siteUrl"),
        (base.TemporaryNetworkError("503"), 503, None),
    ],
)
def test_connect_wordpress_refusals_create_nothing(owner_client, tenant, site, error, status, field):
    site["error"] = error
    response = owner_client.post(URL, BODY, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Channel.objects.exists()


def test_connect_wordpress_input_and_permission(owner_client, tenant, make_member, api_client_for, site):
    response = owner_client.post(URL, {"siteUrl": "not a url", "username": "x"}, format="json")
    assert response.status_code == 400
    assert {"siteUrl", "applicationPassword"} <= set(response.json()["error"]["details"])
    editor = api_client_for(make_member(tenant, Role.EDITOR))
    assert editor.post(URL, BODY, format="json").status_code == 403
    assert site["calls"] == []
