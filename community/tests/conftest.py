"""Community fixtures: an API client acting as a member (member token), events captured instead of delivered."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community import events
from community.tokens import issue_member_token


@pytest.fixture
def member_client():
    """member_client(member) -> APIClient with a member token for `member`."""

    def make(member) -> APIClient:
        client = APIClient()
        token, _ = issue_member_token(member)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.member = member
        return client

    return make


@pytest.fixture
def published_events(monkeypatch):
    """Every community event handed to `publish_event` (after commit), as (event_type, payload, tenant_id)."""
    captured: list[tuple[str, dict, str]] = []

    def capture(event_type, payload, *, tenant_id):
        captured.append((event_type, payload, tenant_id))

    monkeypatch.setattr(events, "publish_event", capture)
    return captured
