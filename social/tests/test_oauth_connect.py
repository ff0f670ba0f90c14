from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from core import tenancy
from core.models import AuditLogEntry
from social import oauth_state
from social.errors import OAuthStateInvalid
from social.models import Channel, OAuthState, TeamChannel
from social.networks import base
from social.networks.sandbox import SandboxAdapter
from social.tests.factories import TeamFactory
from tenants.roles import Role

CONNECT = "/api/v1/channels/connect"
CALLBACK = "/api/v1/channels/oauth/callback/sandbox"
REDIRECT = "https://app.example.com/channels/done"


def start(client, **extra):
    response = client.post(CONNECT, {"network": "sandbox", "redirectUri": REDIRECT, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def query_of(response) -> dict:
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(REDIRECT)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def channels_of(tenant):
    with tenancy.tenant_context(tenant):
        return list(Channel.objects.order_by("name"))


def test_full_connect_flow_creates_one_channel_per_account(owner_client, owner, tenant, client):
    team = TeamFactory(tenant=tenant, name="Social")
    started = start(owner_client, teamId=str(team.pk))
    assert parse_qs(urlsplit(started["authUrl"]).query)["state"] == [started["state"]]
    assert "code_challenge=" in started["authUrl"] and "redirect_uri=" in started["authUrl"]
    assert timezone.now() < timezone.datetime.fromisoformat(started["expiresAt"].replace("Z", "+00:00"))
    response = client.get(CALLBACK, {"code": "grant-1", "state": started["state"]})
    params = query_of(response)
    assert params["status"] == "connected"
    created = channels_of(tenant)
    assert [c.name for c in created] == ["Sandbox Page", "Sandbox Profile"]
    assert set(params["channelIds"].split(",")) == {str(c.pk) for c in created}
    for channel in created:
        assert channel.network == "sandbox" and channel.status == "active"
        assert channel.access_token.startswith("sbx-at-") and channel.refresh_token.startswith("sbx-rt-")
        assert channel.connected_by_id == owner.user_id and channel.token_expires_at > timezone.now()
        assert channel.access_token not in response["Location"]
    with tenancy.tenant_context(tenant):
        assert TeamChannel.objects.filter(team=team).count() == 2
        assert AuditLogEntry.objects.filter(action="channel.connected").count() == 2
        assert AuditLogEntry.objects.filter(action="channel.connected", actor_user=owner.user).count() == 2
    listing = owner_client.get("/api/v1/channels/").content.decode()
    assert all(c.access_token not in listing and c.refresh_token not in listing for c in created)


def test_state_cannot_be_replayed(owner_client, tenant, client):
    started = start(owner_client)
    assert query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))["status"] == "connected"
    with tenancy.tenant_context(tenant):  # no teamId at connect: the channels joined the default team
        assert TeamChannel.objects.filter(team__is_default=True).count() == 2
    with tenancy.tenant_context(tenant):
        Channel.objects.all().delete()
    again = query_of(client.get(CALLBACK, {"code": "grant-2", "state": started["state"]}))
    assert again == {"status": "error", "code": "OAUTH_STATE_USED"}
    assert channels_of(tenant) == []


def test_reconnecting_updates_tokens_and_never_duplicates(owner_client, tenant, client, monkeypatch):
    first = start(owner_client)
    query_of(client.get(CALLBACK, {"code": "grant-1", "state": first["state"]}))
    page = channels_of(tenant)[0]
    old_refresh = page.refresh_token
    # The network answers the reconnect without a refresh token: the stored one must survive.
    original = SandboxAdapter.exchange_code

    def without_refresh(self, **kwargs):
        accounts = original(self, **kwargs)
        return [
            base.ConnectedAccount(
                **{**a.__dict__, "tokens": base.TokenSet(access_token="fresh-access", expires_at=a.tokens.expires_at)}
            )
            for a in accounts
        ]

    monkeypatch.setattr(SandboxAdapter, "exchange_code", without_refresh)
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=page.pk).update(status="needsAttention", status_reason="expired")
    reconnect = owner_client.post(f"/api/v1/channels/{page.pk}/reconnect", {"redirectUri": REDIRECT}, format="json")
    assert reconnect.status_code == 200, reconnect.json()
    assert page.access_token not in reconnect.content.decode() and old_refresh not in reconnect.content.decode()
    params = query_of(client.get(CALLBACK, {"code": "grant-1", "state": reconnect.json()["state"]}))
    assert params == {"status": "connected", "channelIds": str(page.pk)}
    channels = channels_of(tenant)
    assert len(channels) == 2
    with tenancy.tenant_context(tenant):
        page = Channel.objects.get(pk=page.pk)
        assert AuditLogEntry.objects.filter(action="channel.reconnected", object_id=str(page.pk)).exists()
    assert page.access_token == "fresh-access" and page.refresh_token == old_refresh
    assert page.status == "active" and page.status_reason == ""


def test_forged_or_missing_state_is_a_400_json_error_and_creates_nothing(owner_client, tenant, client):
    started = start(owner_client)
    for state in ["", "garbage", started["state"][:-2] + "xx"]:
        response = client.get(CALLBACK, {"code": "grant-1", "state": state})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "OAUTH_STATE_INVALID"
    assert channels_of(tenant) == []


def test_state_rebound_to_another_tenant_is_refused(owner_client, tenant, other_tenant, client):
    started = start(owner_client)
    data = signing.loads(started["state"], salt=oauth_state.SALT)
    data["t"] = str(other_tenant.pk)
    forged = signing.dumps(data, salt="not-our-salt", compress=True)
    response = client.get(CALLBACK, {"code": "grant-1", "state": forged})
    assert response.status_code == 400
    payload = oauth_state.read_signed(started["state"])
    with tenancy.tenant_context(other_tenant), pytest.raises(OAuthStateInvalid):
        oauth_state.consume_state(payload)
    assert channels_of(other_tenant) == [] and channels_of(tenant) == []


def test_expired_state_redirects_with_an_error(owner_client, tenant, client, monkeypatch):
    started = start(owner_client)
    monkeypatch.setattr(oauth_state, "STATE_MAX_AGE", timedelta(seconds=-1))
    params = query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))
    assert params == {"status": "error", "code": "OAUTH_STATE_EXPIRED"}
    assert channels_of(tenant) == []


def test_state_for_another_network_is_refused(owner_client, tenant, client):
    started = start(owner_client)
    params = query_of(client.get("/api/v1/channels/oauth/callback/x", {"code": "c", "state": started["state"]}))
    assert params == {"status": "error", "code": "OAUTH_NETWORK_MISMATCH"}
    assert channels_of(tenant) == []


def test_user_denied_consent(owner_client, tenant, client):
    started = start(owner_client)
    params = query_of(client.get(CALLBACK, {"error": "access_denied", "state": started["state"]}))
    assert params == {"status": "error", "code": "ACCESS_DENIED"}
    assert channels_of(tenant) == []
    with tenancy.tenant_context(tenant):
        assert OAuthState.objects.get().consumed_at is not None


def test_network_refusing_the_code(owner_client, tenant, client):
    started = start(owner_client)
    params = query_of(client.get(CALLBACK, {"code": "invalid", "state": started["state"]}))
    assert params == {"status": "error", "code": "AUTH_EXPIRED"}
    assert channels_of(tenant) == []


def test_plan_limit_is_enforced_for_the_whole_grant(owner_client, tenant, client):
    tenant.limit_overrides = {"channels": 1}
    tenant.save()
    started = start(owner_client)
    params = query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))
    assert params == {"status": "error", "code": "LIMIT_REACHED"}
    assert channels_of(tenant) == []


def test_member_who_lost_the_permission_meanwhile_gets_nothing(tenant, make_member, api_client_for, client):
    admin = make_member(tenant, Role.ADMIN)
    started = start(api_client_for(admin))
    with tenancy.tenant_context(tenant):
        admin.role = Role.EDITOR
        admin.save()
    params = query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))
    assert params == {"status": "error", "code": "FORBIDDEN"}
    assert channels_of(tenant) == []


def test_pkce_verifier_is_stored_not_sent_and_reaches_the_exchange(owner_client, tenant, client, monkeypatch):
    started = start(owner_client)
    with tenancy.tenant_context(tenant):
        verifier = OAuthState.objects.get().code_verifier
    assert verifier and verifier not in started["authUrl"] and verifier not in started["state"]
    assert f"code_challenge={oauth_state.pkce_challenge(verifier)}" in started["authUrl"]
    seen = {}
    original = SandboxAdapter.exchange_code

    def spy(self, **kwargs):
        seen.update(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxAdapter, "exchange_code", spy)
    query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))
    assert seen["code_verifier"] == verifier
    assert seen["redirect_uri"].endswith("/api/v1/channels/oauth/callback/sandbox")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"network": "custom", "redirectUri": REDIRECT}, "network"),
        ({"network": "sandbox", "redirectUri": "http://evil.example.com/"}, "redirectUri"),
        ({"network": "sandbox", "redirectUri": "javascript:alert(1)"}, "redirectUri"),
        ({"network": "sandbox"}, "redirectUri"),
        ({"network": "sandbox", "redirectUri": REDIRECT, "teamId": "3f1c1d7e-7f6e-4c37-9a38-3b7f0c1d2e3f"}, "teamId"),
    ],
)
def test_connect_bad_input_is_400_and_stores_no_state(owner_client, tenant, payload, field):
    response = owner_client.post(CONNECT, payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not OAuthState.objects.exists()


def test_connect_needs_the_manage_permission(tenant, make_member, api_client_for):
    response = api_client_for(make_member(tenant, Role.EDITOR)).post(
        CONNECT, {"network": "sandbox", "redirectUri": REDIRECT}, format="json"
    )
    assert response.status_code == 403


def test_reconnect_state_only_updates_the_bound_channel(owner_client, tenant, client):
    first = start(owner_client)
    query_of(client.get(CALLBACK, {"code": "grant-1", "state": first["state"]}))
    page = channels_of(tenant)[0]
    reconnect = owner_client.post(f"/api/v1/channels/{page.pk}/reconnect", {"redirectUri": REDIRECT}, format="json")
    # a grant for other accounts does not reach the bound channel: nothing is created or changed
    params = query_of(client.get(CALLBACK, {"code": "another-grant", "state": reconnect.json()["state"]}))
    assert params == {"status": "error", "code": "CHANNEL_NOT_IN_GRANT"}
    assert len(channels_of(tenant)) == 2


def test_old_oauth_states_are_purged(owner_client, tenant, other_tenant, api_client_for, make_member):
    from social import tasks

    start(owner_client)
    start(api_client_for(make_member(other_tenant, Role.OWNER)))
    with tenancy.platform_access():
        OAuthState.all_tenants.filter(tenant=tenant).update(created_at=timezone.now() - timedelta(days=2))
    assert tasks.purge_oauth_states.delay().get() == 1
    with tenancy.platform_access():
        assert list(OAuthState.all_tenants.values_list("tenant_id", flat=True)) == [other_tenant.pk]
