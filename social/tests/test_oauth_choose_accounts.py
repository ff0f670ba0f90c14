"""Connecting with `choose`: the grant's pages wait (tokens encrypted) for the user to pick which become channels."""

from datetime import timedelta

from django.utils import timezone

from core import tenancy
from social import tasks
from social.models import ConnectGrant
from social.tests.factories import TeamFactory
from social.tests.test_oauth_connect import CALLBACK, channels_of, query_of, start
from tenants.roles import Role

GRANTS = "/api/v1/channels/grants/"


def choose_flow(owner_client, client, **extra):
    started = start(owner_client, choose=True, **extra)
    params = query_of(client.get(CALLBACK, {"code": "grant-1", "state": started["state"]}))
    assert params["status"] == "choose", params
    return params["grantId"]


def test_the_user_picks_one_page_of_the_grant(owner_client, owner, tenant, client):
    team = TeamFactory(tenant=tenant, name="Social")
    grant_id = choose_flow(owner_client, client, teamId=str(team.pk))
    assert channels_of(tenant) == []  # nothing connected before the choice

    grant = owner_client.get(f"{GRANTS}{grant_id}/")
    assert grant.status_code == 200, grant.json()
    accounts = grant.json()["accounts"]
    assert [a["name"] for a in accounts] == ["Sandbox Page", "Sandbox Profile"]
    assert all(not a["isConnected"] for a in accounts)
    assert "sbx-at-" not in grant.content.decode()  # tokens never leave the server
    with tenancy.tenant_context(tenant):
        stored = ConnectGrant.all_tenants.values_list("accounts", flat=True).get()
    assert "sbx-at-" not in ConnectGrant._meta.get_field("accounts").get_prep_value(stored)  # encrypted at rest

    page = accounts[0]
    chosen = owner_client.post(f"{GRANTS}{grant_id}/select/", {"externalIds": [page["externalId"]]}, format="json")

    assert chosen.status_code == 201, chosen.json()
    [channel] = channels_of(tenant)
    assert channel.name == "Sandbox Page" and channel.access_token.startswith("sbx-at-")
    assert channel.connected_by_id == owner.user_id
    assert [c["id"] for c in chosen.json()] == [str(channel.pk)]
    assert owner_client.get(f"{GRANTS}{grant_id}/").status_code == 404  # used up
    again = owner_client.post(
        f"{GRANTS}{grant_id}/select/", {"externalIds": [accounts[1]["externalId"]]}, format="json"
    )
    assert again.status_code == 404 and len(channels_of(tenant)) == 1


def test_an_unknown_account_or_a_choice_over_the_plan_writes_nothing_and_keeps_the_grant(owner_client, tenant, client):
    grant_id = choose_flow(owner_client, client)
    accounts = owner_client.get(f"{GRANTS}{grant_id}/").json()["accounts"]
    bad = owner_client.post(f"{GRANTS}{grant_id}/select/", {"externalIds": ["not-in-grant"]}, format="json")
    assert bad.status_code == 400 and "externalIds" in bad.json()["error"]["details"]
    tenant.limit_overrides = {"channels": 1}
    tenant.save()
    both = [a["externalId"] for a in accounts]
    over = owner_client.post(f"{GRANTS}{grant_id}/select/", {"externalIds": both}, format="json")
    assert over.status_code == 403 and over.json()["error"]["code"] == "LIMIT_REACHED"
    assert channels_of(tenant) == []
    one = owner_client.post(f"{GRANTS}{grant_id}/select/", {"externalIds": both[:1]}, format="json")
    assert one.status_code == 201 and len(channels_of(tenant)) == 1


def test_a_grant_is_only_for_the_user_who_connected(
    owner_client, tenant, other_tenant, client, make_member, api_client_for
):
    grant_id = choose_flow(owner_client, client)
    colleague = api_client_for(make_member(tenant, Role.ADMIN))
    stranger = api_client_for(make_member(other_tenant, Role.OWNER))
    for other in (colleague, stranger):
        assert other.get(f"{GRANTS}{grant_id}/").status_code == 404
        response = other.post(f"{GRANTS}{grant_id}/select/", {"externalIds": ["x"]}, format="json")
        assert response.status_code == 404
    assert channels_of(tenant) == []
    assert owner_client.get(f"{GRANTS}{grant_id}/").status_code == 200  # still open for its owner


def test_an_expired_grant_is_gone_and_purged(owner_client, tenant, client):
    grant_id = choose_flow(owner_client, client)
    with tenancy.platform_access():
        ConnectGrant.all_tenants.filter(pk=grant_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert owner_client.get(f"{GRANTS}{grant_id}/").status_code == 404
    tasks.purge_oauth_states()
    with tenancy.platform_access():
        assert not ConnectGrant.all_tenants.filter(pk=grant_id).exists()


def test_api_keys_cannot_choose(tenant, api_key_client_for):
    response = api_key_client_for(tenant).post(
        "/api/v1/channels/connect",
        {"network": "sandbox", "redirectUri": "https://app.example.com/x", "choose": True},
        format="json",
    )
    assert response.status_code in (400, 403)
