"""Self sign-ups verify their email before inviting others or connecting channels; invite acceptance (seed 004
`users/activate`) sets the password, verifies the address and signs the person in."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy
from social.models import Channel
from tenants.models import User

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/email/verify"
USERS = "/api/v1/users/"


@pytest.fixture
def configured_x(settings):
    settings.NETWORK_APPS = {**settings.NETWORK_APPS, "x": {"client_id": "x-id", "client_secret": "x-secret"}}


def register(capture) -> tuple[APIClient, str]:
    client = APIClient()
    with capture(execute=True):
        response = client.post(
            REGISTER,
            {
                "tenantName": "Sole",
                "email": "me@sole.example",
                "password": "a-long-passphrase-1",
                "firstName": "M",
                "lastName": "E",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['accessToken']}")
    [message] = [m for m in mail.outbox if m.to == ["me@sole.example"]]
    token = re.search(r"POST /api/v1/auth/email/verify: (\S+)", message.body).group(1)
    return client, token


def test_an_unverified_sign_up_tries_sandboxes_but_cannot_invite_or_connect(
    db, django_capture_on_commit_callbacks, configured_x
):
    client, token = register(django_capture_on_commit_callbacks)
    assert client.post("/api/v1/channels/", {"network": "sandbox", "name": "Try"}, format="json").status_code == 201

    refused = [
        client.post(USERS, {"email": "friend@sole.example", "role": "EDITOR"}, format="json"),
        client.post("/api/v1/channels/connect", {"network": "x", "redirectUri": "https://a.example/"}, format="json"),
        client.post(
            "/api/v1/channels/",
            {"network": "custom", "name": "Hook", "config": {"endpointUrl": "https://hooks.example.com/p"}},
            format="json",
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "EMAIL_NOT_VERIFIED"
    assert not User.objects.filter(email="friend@sole.example").exists()

    assert APIClient().post(VERIFY, {"token": token}, format="json").status_code == 204
    assert User.objects.get(email="me@sole.example").email_verified_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(USERS, {"email": "friend@sole.example", "role": "EDITOR"}, format="json")
    assert invited.status_code == 201, invited.json()
    connect = client.post(
        "/api/v1/channels/connect", {"network": "x", "redirectUri": "https://a.example/"}, format="json"
    )
    assert connect.status_code == 200, connect.json()


def test_a_bad_or_expired_verification_token_is_refused(db, django_capture_on_commit_callbacks, time_machine, settings):
    _, token = register(django_capture_on_commit_callbacks)
    bad = APIClient().post(VERIFY, {"token": token[:-2] + "xx"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_VERIFICATION_TOKEN"
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_SECONDS + 5))
    expired = APIClient().post(VERIFY, {"token": token}, format="json")
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "INVALID_VERIFICATION_TOKEN"
    assert User.objects.get(email="me@sole.example").email_verified_at is None


def test_resend_mails_a_new_link_until_verified(db, django_capture_on_commit_callbacks):
    client, token = register(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{VERIFY}/resend").status_code == 202
    assert len([m for m in mail.outbox if m.to == ["me@sole.example"]]) == 2
    APIClient().post(VERIFY, {"token": token}, format="json")
    assert client.post(f"{VERIFY}/resend").status_code == 204


def test_accepting_an_invite_signs_in_and_verifies(tenant, owner, api_client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(owner).post(USERS, {"email": "new@acme.example", "role": "EDITOR"}, format="json")
    assert response.status_code == 201, response.json()
    [message] = [m for m in mail.outbox if m.to == ["new@acme.example"]]
    link = next(word for word in message.body.split() if "/accept-invite?" in word)
    query = {key: values[0] for key, values in parse_qs(urlparse(link).query).items()}
    payload = {"uid": query["uid"], "token": query["token"], "password": "my-own-new-pass-7"}

    accepted = APIClient().post("/api/v1/auth/activate", payload, format="json")
    assert accepted.status_code == 200, accepted.json()
    body = accepted.json()
    assert body["tenant"]["id"] == str(tenant.pk) and body["user"]["email"] == "new@acme.example"
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['accessToken']}")
    assert me.get("/api/v1/me").json()["role"] == "EDITOR"
    user = User.objects.get(email="new@acme.example")
    assert user.check_password("my-own-new-pass-7") and user.email_verified_at is not None

    again = APIClient().post("/api/v1/auth/invite/accept", payload, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "INVALID_RESET_TOKEN"


def test_an_api_key_needs_no_verified_email(tenant, api_key_client_for, monkeypatch):
    from core import url_safety

    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["93.184.216.34"])  # a public address
    response = api_key_client_for(tenant).post(
        "/api/v1/channels/",
        {"network": "custom", "name": "Hook", "config": {"endpointUrl": "https://hooks.example.com/p"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    with tenancy.tenant_context(tenant):
        assert Channel.objects.filter(network="custom").count() == 1
