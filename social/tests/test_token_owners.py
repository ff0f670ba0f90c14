"""Token owners through the API from a freshly registered tenant: two admins connect the same page, the channel
uses one token and falls back to the other when the network refuses it, owners are listed and removed (the last
removal disconnects), and nobody's refresh token is wiped by someone else's grant."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy
from core.models import AuditLogEntry
from social.models import Channel, ChannelTokenOwner
from social.services import publishing as social_publishing
from social.tests.test_new_user import registered_client
from tenants.models import Team, TeamMember, Tenant
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory

CHANNELS = "/api/v1/channels/"
REDIRECT = "https://app.example.com/done"


def connect(client: APIClient, code: str = "page-grant") -> list[str]:
    started = client.post(f"{CHANNELS}connect", {"network": "sandbox", "redirectUri": REDIRECT}, format="json")
    assert started.status_code == 200, started.json()
    callback = APIClient().get(
        "/api/v1/channels/oauth/callback/sandbox", {"code": code, "state": started.json()["state"]}
    )
    params = parse_qs(urlsplit(callback["Location"]).query)
    assert params["status"] == ["connected"], params
    return params["channelIds"][0].split(",")


@pytest.fixture
def two_admins(db, api_client_for):
    """A registered tenant's owner and a second admin, who both connected the same sandbox page."""
    owner_client, body = registered_client("owner@initech.example")
    tenant = Tenant.objects.get(pk=body["tenant"]["id"])
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__email="admin@initech.example")
    admin_client = api_client_for(admin)
    page_id = connect(owner_client)[0]
    assert connect(admin_client)[0] == page_id
    return tenant, owner_client, admin_client, admin, page_id


def stored(tenant, channel_id) -> Channel:
    with tenancy.tenant_context(tenant):
        return Channel.objects.get(pk=channel_id)


def owners(client, channel_id) -> list[dict]:
    response = client.get(f"{CHANNELS}{channel_id}/token-owners")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_second_admin_connecting_adds_an_owner_and_keeps_the_first_ones_tokens(two_admins):
    tenant, owner_client, _admin_client, admin, page_id = two_admins
    listed = owners(owner_client, page_id)
    assert [o["email"] for o in listed] == ["admin@initech.example", "owner@initech.example"]
    assert [o["isInUse"] for o in listed] == [True, False] and all(o["isValid"] for o in listed)
    assert all("accessToken" not in o and "refreshToken" not in o for o in listed)
    channel = stored(tenant, page_id)
    assert channel.token_owner_id == admin.user_id
    with tenancy.tenant_context(tenant):
        first = ChannelTokenOwner.objects.get(channel_id=page_id, user__email="owner@initech.example")
        second = ChannelTokenOwner.objects.get(channel_id=page_id, user=admin.user)
    # Each grant kept its own refresh token; the channel uses the newest grant's, whole.
    assert first.refresh_token.startswith("sbx-rt-") and second.refresh_token.startswith("sbx-rt-")
    assert first.refresh_token != second.refresh_token
    assert (channel.access_token, channel.refresh_token) == (second.access_token, second.refresh_token)
    with tenancy.platform_access():
        assert Channel.all_tenants.filter(network="sandbox", external_id=channel.external_id).count() == 1


def test_a_refused_token_falls_back_to_the_other_owners_token(two_admins):
    tenant, owner_client, _admin_client, _admin, page_id = two_admins
    with tenancy.tenant_context(tenant):
        first = ChannelTokenOwner.objects.get(channel_id=page_id, user__email="owner@initech.example")
        Channel.objects.filter(pk=page_id).update(config={"sandbox": {"failWith": "AUTH_EXPIRED", "times": 1}})

    response = owner_client.post(f"{CHANNELS}{page_id}/refresh-token")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    channel = stored(tenant, page_id)
    assert channel.token_owner_id == first.user_id and channel.access_token == first.access_token
    assert channel.refresh_token == first.refresh_token
    listed = {o["email"]: o for o in owners(owner_client, page_id)}
    assert listed["owner@initech.example"]["isInUse"] is True
    assert listed["admin@initech.example"]["isValid"] is False
    assert "AUTH_EXPIRED" in listed["admin@initech.example"]["invalidReason"]
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="channel.token_owner_switched", object_id=page_id).exists()
        assert not AuditLogEntry.objects.filter(action="channel.needs_attention", object_id=page_id).exists()


def test_publishing_refused_with_no_valid_fallback_flags_the_channel(two_admins):
    tenant, _owner_client, _admin_client, _admin, page_id = two_admins
    with tenancy.tenant_context(tenant):
        ChannelTokenOwner.objects.filter(channel_id=page_id, user__email="owner@initech.example").update(
            token_expires_at=timezone.now() - timedelta(minutes=1)
        )
        social_publishing.flag_channel(stored(tenant, page_id), reason="AUTH_EXPIRED: revoked")
    assert stored(tenant, page_id).status == "needsAttention"


def test_a_refresh_updates_the_owner_in_use_so_a_switch_back_keeps_it(two_admins):
    tenant, owner_client, _admin_client, admin, page_id = two_admins
    before = stored(tenant, page_id)
    response = owner_client.post(f"{CHANNELS}{page_id}/refresh-token")
    assert response.status_code == 200, response.json()
    after = stored(tenant, page_id)
    assert after.access_token != before.access_token
    with tenancy.tenant_context(tenant):
        mine = ChannelTokenOwner.objects.get(channel_id=page_id, user=admin.user)
    assert (mine.access_token, mine.token_expires_at) == (after.access_token, after.token_expires_at)
    assert mine.refresh_token == before.refresh_token  # the sandbox sends none on refresh: kept


def test_removing_the_owner_in_use_switches_and_removing_the_last_disconnects(two_admins):
    tenant, owner_client, _admin_client, admin, page_id = two_admins
    first_user_id = next(o["userId"] for o in owners(owner_client, page_id) if not o["isInUse"])

    response = owner_client.delete(f"{CHANNELS}{page_id}/token-owners/{admin.user_id}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["disconnected"] is False and body["channel"]["status"] == "active"
    assert [o["userId"] for o in body["owners"]] == [first_user_id] and body["owners"][0]["isInUse"]
    assert str(stored(tenant, page_id).token_owner_id) == first_user_id

    response = owner_client.delete(f"{CHANNELS}{page_id}/token-owners/{first_user_id}")

    body = response.json()
    assert response.status_code == 200 and body["disconnected"] is True
    assert "last token owner" in body["message"] and body["channel"]["status"] == "disconnected"
    assert body["channel"]["statusReason"] == body["message"] and body["owners"] == []
    channel = stored(tenant, page_id)
    assert (channel.access_token, channel.refresh_token, channel.token_owner_id) == ("", "", None)
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="channel.token_owner_removed", object_id=page_id).count() == 2


def test_removing_someone_without_a_token_is_404_and_changes_nothing(two_admins):
    _tenant, owner_client, _admin_client, _admin, page_id = two_admins
    stranger = "00000000-0000-4000-8000-000000000000"
    response = owner_client.delete(f"{CHANNELS}{page_id}/token-owners/{stranger}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    assert len(owners(owner_client, page_id)) == 2


def test_a_viewer_may_list_owners_but_not_remove_them(two_admins, api_client_for):
    tenant, owner_client, _admin_client, admin, page_id = two_admins
    membership = MembershipFactory(tenant=tenant, role=Role.VIEWER)
    with tenancy.tenant_context(tenant):  # viewers see their teams' channels: the page is in the default team
        TeamMember.objects.create(team=Team.objects.get(is_default=True), user=membership.user)
    viewer = api_client_for(membership)
    assert len(owners(viewer, page_id)) == 2
    refused = viewer.delete(f"{CHANNELS}{page_id}/token-owners/{admin.user_id}")
    assert refused.status_code == 403
    assert len(owners(owner_client, page_id)) == 2


def test_disconnecting_forgets_every_owners_token(two_admins):
    tenant, owner_client, _admin_client, _admin, page_id = two_admins
    assert owner_client.delete(f"{CHANNELS}{page_id}/").status_code == 204
    assert owners(owner_client, page_id) == []
    with tenancy.tenant_context(tenant):
        assert not ChannelTokenOwner.objects.filter(channel_id=page_id).exists()


def test_a_directly_created_sandbox_channel_has_its_creator_as_owner(db):
    client, _ = registered_client()
    created = client.post(CHANNELS, {"network": "sandbox", "name": "Mine"}, format="json").json()
    listed = owners(client, created["id"])
    assert len(listed) == 1 and listed[0]["isInUse"] and listed[0]["email"] == "new@initech.example"
