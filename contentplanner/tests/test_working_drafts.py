"""Working drafts (the composer's open post group): one per member, private to its author until it is saved as a
draft, scheduled or discarded; resumed through `GET /cp/post-groups/working-draft/`. Through the API of a freshly
registered workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contentplanner.models import PostGroup
from core import tenancy
from tenants.models import Tenant
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory

GROUPS = "/api/v1/cp/post-groups/"
WORKING = "/api/v1/cp/post-groups/working-draft/"


@pytest.fixture
def workspace(db, api_client_for):
    """A freshly registered workspace with two sandbox channels, its owner's client and an ADMIN colleague's."""
    registered = APIClient().post(
        "/api/v1/auth/register",
        {
            "tenantName": "Draft Studio",
            "email": "owner@drafts.example",
            "password": "a-long-enough-pass-2026!",
            "firstName": "O",
            "lastName": "W",
        },
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    owner = APIClient()
    owner.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['accessToken']}")
    channels = []
    for name in ("Page A", "Page B"):
        response = owner.post("/api/v1/channels/", {"network": "sandbox", "name": name}, format="json")
        assert response.status_code == 201, response.json()
        channels.append(response.json()["id"])
    with tenancy.platform_access():
        tenant = Tenant.objects.get(name="Draft Studio")
    colleague = api_client_for(MembershipFactory(tenant=tenant, role=Role.ADMIN))
    return owner, colleague, channels, tenant


def _open(client, channels, text="Idea"):
    return client.post(GROUPS, {"channelIds": channels, "text": text, "workingDraft": True}, format="json")


def _states(group: dict) -> set[str]:
    return {post["state"] for post in group["posts"]}


def test_one_working_draft_private_until_saved(workspace):
    owner, colleague, channels, tenant = workspace
    opened = _open(owner, channels)
    assert opened.status_code == 201, opened.json()
    group = opened.json()
    assert group["isWorkingDraft"] is True and _states(group) == {"preDraft"}

    second = _open(owner, channels[:1], "Another idea")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "WORKING_DRAFT_EXISTS"
    assert second.json()["error"]["details"]["postGroupId"] == group["id"]
    with tenancy.tenant_context(tenant):
        assert PostGroup.objects.count() == 1

    # Resumed and edited: the posts follow the group and stay preDraft.
    resumed = owner.get(WORKING)
    assert resumed.status_code == 200 and resumed.json()["id"] == group["id"]
    edited = owner.patch(f"{GROUPS}{group['id']}/", {"text": "Better idea"}, format="json")
    assert edited.status_code == 200, edited.json()
    assert {p["text"] for p in edited.json()["posts"]} == {"Better idea"} and _states(edited.json()) == {"preDraft"}

    # The colleague sees none of it, and cannot save it.
    assert colleague.get(WORKING).status_code == 404
    assert colleague.get(f"{GROUPS}{group['id']}/").status_code == 404
    assert colleague.get("/api/v1/cp/posts/").json()["results"] == []
    assert colleague.post(f"{GROUPS}{group['id']}/save-draft").status_code == 404

    saved = owner.post(f"{GROUPS}{group['id']}/save-draft")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["isWorkingDraft"] is False and _states(saved.json()) == {"draft"}
    assert owner.get(WORKING).status_code == 404
    assert {p["id"] for p in colleague.get("/api/v1/cp/posts/").json()["results"]} == {p["id"] for p in group["posts"]}
    again = owner.post(f"{GROUPS}{group['id']}/save-draft")
    assert again.status_code == 409 and again.json()["error"]["code"] == "NOT_A_WORKING_DRAFT"

    # The next working draft may open now; the colleague has their own.
    assert _open(owner, channels).status_code == 201
    assert _open(colleague, channels).status_code == 201


def test_scheduling_or_discarding_ends_the_working_draft(workspace):
    owner, _colleague, channels, tenant = workspace
    group = _open(owner, channels).json()
    when = (timezone.now() + timedelta(days=2)).isoformat()
    scheduled = owner.post(f"{GROUPS}{group['id']}/schedule", {"publishAt": when}, format="json")
    assert scheduled.status_code == 200, scheduled.json()
    assert _states(scheduled.json()) == {"scheduled"} and scheduled.json()["isWorkingDraft"] is False
    assert owner.get(WORKING).status_code == 404

    discarded = _open(owner, channels).json()
    assert owner.delete(f"{GROUPS}{discarded['id']}/").status_code == 204
    assert owner.get(WORKING).status_code == 404
    with tenancy.tenant_context(tenant):
        assert set(PostGroup.objects.get(pk=discarded["id"]).posts.values_list("state", flat=True)) == {"deleted"}
    assert _open(owner, channels).status_code == 201


def test_a_post_added_to_a_working_draft_is_predraft(workspace):
    owner, _colleague, channels, _tenant = workspace
    group = _open(owner, channels[:1]).json()
    added = owner.post(f"{GROUPS}{group['id']}/channels", {"channelIds": channels[1:]}, format="json")
    assert added.status_code == 200, added.json()
    assert _states(added.json()) == {"preDraft"}
