"""A freshly registered tenant works its inbox through the API only: the sandbox network is the outside world."""

from __future__ import annotations

from rest_framework.test import APIClient

from core import tenancy
from inbox import tasks
from inbox.models import IngestionCursor
from social.models import SandboxPublication
from social.networks.sandbox import inject_inbound
from tenants.tests.signup import register_tenant


def test_fresh_tenant_sandbox_channel_ingest_list_reply_and_reply_comes_back_once(
    db, django_capture_on_commit_callbacks
):
    client, _ = register_tenant()
    # Connect the sandbox network like a real one (OAuth): it yields a page and a profile channel with tokens.
    started = client.post(
        "/api/v1/channels/connect", {"network": "sandbox", "redirectUri": "https://app.example.com/done"}, format="json"
    )
    assert started.status_code == 200, started.json()
    callback = APIClient().get(
        "/api/v1/channels/oauth/callback/sandbox", {"code": "g1", "state": started.json()["state"]}
    )
    assert callback.status_code == 302
    channels = client.get("/api/v1/channels/").json()["results"]
    channel = next(c for c in channels if c["name"] == "Sandbox Page")

    comment_id = inject_inbound(
        channel["externalId"], kind="comment", text="Where is my order?", author_id="fan-1", author_name="Fan One"
    )
    inject_inbound(channel["externalId"], kind="message", text="Hi, a DM", author_id="fan-2", author_name="Fan Two")
    # Make every cursor due now, then run the beat sweep (eager Celery runs the polls).
    assert tasks.sweep_ingestion()["cursorsCreated"] == 6  # comments, messages, mentions of both channels
    with tenancy.platform_access():
        IngestionCursor.all_tenants.update(next_poll_at="2000-01-01T00:00:00Z")
    assert tasks.sweep_ingestion()["claimed"] == 6

    listed = client.get("/api/v1/inbox/tickets/", {"status": "open"})
    assert listed.status_code == 200, listed.json()
    by_text = {t["text"]: t for t in listed.json()["results"]}
    assert set(by_text) == {"Where is my order?", "Hi, a DM"}
    ticket = by_text["Where is my order?"]
    assert ticket["type"] == "comment" and ticket["networkItemId"] == comment_id and ticket["isUnread"] is True
    assert ticket["interactor"]["name"] == "Fan One"

    with django_capture_on_commit_callbacks(execute=True):
        replied = client.post(
            f"/api/v1/inbox/tickets/{ticket['id']}/actions/reply", {"text": "It ships today!"}, format="json"
        )
    assert replied.status_code == 202, replied.json()
    action = client.get(f"/api/v1/inbox/tickets/{ticket['id']}/actions").json()[0]
    assert action["status"] == "done" and action["error"] is None
    delivered = SandboxPublication.objects.get(kind="reply", parent_remote_id=comment_id)
    assert delivered.text == "It ships today!" and delivered.submit_count == 1
    assert action["result"]["networkItemId"] == delivered.remote_id

    # The next poll brings our reply back: recognised as the own ticket already in the thread, not a second copy.
    with tenancy.platform_access():
        IngestionCursor.all_tenants.update(next_poll_at="2000-01-01T00:00:00Z")
    tasks.sweep_ingestion()
    tree = client.get(f"/api/v1/inbox/tickets/{ticket['id']}/tree").json()
    assert [(node["text"], node["depth"], node["isOwn"]) for node in tree] == [
        ("Where is my order?", 0, False),
        ("It ships today!", 1, True),
    ]
    counts = client.get("/api/v1/inbox/tickets/counts").json()
    assert counts["open"] == 2 and counts["archived"] == 1 and counts["total"] == 3
    detail = client.get(f"/api/v1/inbox/tickets/{ticket['id']}").json()
    assert detail["firstResponseAt"] is not None and detail["isUnread"] is False
