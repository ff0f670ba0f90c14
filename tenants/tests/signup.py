"""Sign a new tenant up through the API, as a user evaluating the product on its first day does."""

from __future__ import annotations

from rest_framework.test import APIClient

REGISTER = "/api/v1/auth/register"
PASSWORD = "a-long-passphrase-2026!"


def register_tenant(
    email: str = "owner@newco.example", tenant_name: str = "NewCo", *, password: str = PASSWORD
) -> tuple[APIClient, dict]:
    """(a client signed in as the new owner, the registration's response body)."""
    client = APIClient()
    response = client.post(
        REGISTER,
        {"tenantName": tenant_name, "email": email, "password": password, "firstName": "New", "lastName": "Owner"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['accessToken']}")
    return client, response.json()
