"""Shared test steps: connect the sandbox platform through the API like a browser would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

REDIRECT = "https://app.example.com/ads/connected"


def connect_sandbox(client, *, code: str | None = None) -> list[str]:
    """POST connect, follow the sandbox's authorize URL (straight to our callback), return the new account ids."""
    started = client.post("/api/v1/ads/accounts/connect", {"platform": "sandbox", "redirectUri": REDIRECT})
    assert started.status_code == 201, started.json()
    auth_url = started.json()["authUrl"]
    parts = urlsplit(auth_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if code is not None:
        query["code"] = code
    callback = client.get(parts.path, query)
    assert callback.status_code == 302, callback.content
    location = parse_qs(urlsplit(callback["Location"]).query)
    assert location["status"] == ["connected"], callback["Location"]
    return location["adAccountIds"][0].split(",")
