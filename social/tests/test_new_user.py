"""What a new user trips over on the first day, through the API only: a sandbox channel created directly publishes,
connecting an unconfigured network says what to configure, the network catalogue, the team channels URL."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contentplanner import publishing, tasks
from social.models import SandboxPublication
from tenants.models import User
from tenants.tests.signup import register_tenant

CHANNELS = "/api/v1/channels/"


def registered_client(email: str = "new@initech.example", *, verified: bool = False) -> tuple[APIClient, dict]:
    """A fresh tenant's owner; `verified`: their email is confirmed (what connecting real networks needs)."""
    client, body = register_tenant(email, "Initech")
    if verified:
        User.objects.filter(email=email).update(email_verified_at=timezone.now())
    return client, body


def test_a_sandbox_channel_created_directly_publishes(db, django_capture_on_commit_callbacks):
    client, _ = registered_client()
    created = client.post(CHANNELS, {"network": "sandbox", "name": "My sandbox"}, format="json")
    assert created.status_code == 201, created.json()
    channel = created.json()
    assert channel["status"] == "active" and channel["tokenExpiresAt"] is not None
    assert "accessToken" not in channel  # tokens are never returned

    post = client.post("/api/v1/cp/posts/", {"channelId": channel["id"], "text": "Hello, world"}, format="json")
    assert post.status_code == 201, post.json()
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(f"/api/v1/cp/posts/{post.json()['id']}/publish")
    assert published.status_code == 200, published.json()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue)

    detail = client.get(f"/api/v1/cp/posts/{post.json()['id']}/").json()
    assert detail["state"] == "published", detail
    publication = SandboxPublication.objects.get(channel_external_id=channel["externalId"])
    assert publication.text == "Hello, world" and publication.submit_count == 1


def test_connecting_an_unconfigured_network_is_409_naming_the_variables(db, settings):
    settings.NETWORK_APPS = {**settings.NETWORK_APPS, "facebook": {"client_id": "", "client_secret": ""}}
    client, _ = registered_client(verified=True)
    response = client.post(
        f"{CHANNELS}connect", {"network": "instagram", "redirectUri": "https://app.example/done"}, format="json"
    )
    assert response.status_code == 409, response.json()
    error = response.json()["error"]
    assert error["code"] == "NETWORK_NOT_CONFIGURED"
    assert error["details"]["missingSettings"] == ["FACEBOOK_CLIENT_ID", "FACEBOOK_CLIENT_SECRET"]
    assert "FACEBOOK_CLIENT_ID" in error["message"]


def test_connecting_a_configured_network_sends_its_client_id(db, settings):
    settings.NETWORK_APPS = {**settings.NETWORK_APPS, "x": {"client_id": "x-app-id", "client_secret": "x-secret"}}
    client, _ = registered_client(verified=True)
    response = client.post(f"{CHANNELS}connect", {"network": "x", "redirectUri": "https://app.example/"}, format="json")
    assert response.status_code == 200, response.json()
    assert "client_id=x-app-id" in response.json()["authUrl"]


def test_networks_lists_configuration_capabilities_and_rules(db, settings):
    settings.NETWORK_APPS = {
        **{name: {"client_id": "", "client_secret": ""} for name in settings.NETWORK_APPS},
        "linkedin": {"client_id": "li", "client_secret": "li-secret"},
    }
    client, _ = registered_client()
    response = client.get(f"{CHANNELS}networks")
    assert response.status_code == 200, response.json()
    networks = {row["network"]: row for row in response.json()}
    assert set(networks) >= {"facebook", "instagram", "linkedin", "x", "sandbox", "wordpress", "custom"}
    assert networks["linkedin"]["configured"] is True and networks["linkedin"]["missingSettings"] == []
    assert networks["x"]["configured"] is False
    assert networks["x"]["missingSettings"] == ["X_CLIENT_ID", "X_CLIENT_SECRET"]
    assert networks["x"]["rules"]["maxTextLength"] == 280 and "publish" in networks["x"]["capabilities"]
    assert networks["sandbox"]["configured"] is True and networks["sandbox"]["directCreate"] is True
    assert networks["wordpress"]["connect"] == "applicationPassword" and networks["wordpress"]["configured"]
    assert networks["custom"]["connect"] == "direct" and networks["custom"]["rules"] is None


def test_networks_needs_a_credential(db):
    assert APIClient().get(f"{CHANNELS}networks").status_code == 401


@pytest.mark.parametrize("suffix", ["", "/"])
def test_team_channels_answers_with_and_without_trailing_slash(db, suffix):
    client, _ = registered_client()
    channel = client.post(CHANNELS, {"network": "sandbox", "name": "S"}, format="json").json()
    [team] = client.get("/api/v1/teams/").json()["results"]
    response = client.get(f"/api/v1/teams/{team['id']}/channels{suffix}")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [channel["id"]]
