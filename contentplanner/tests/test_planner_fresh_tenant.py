"""A freshly registered workspace, through the API only: client approval, calendar feed, CSV import."""

from __future__ import annotations

import re

from django.core import mail
from rest_framework.test import APIClient

from tenants.tests.signup import register_tenant

LINK = re.compile(r"/api/v1/public/approvals/(\S+)")


def test_fresh_tenant_client_approval_feed_and_import(db, django_capture_on_commit_callbacks):
    anonymous = APIClient()
    owner, _ = register_tenant()
    channel = owner.post("/api/v1/channels/", {"network": "sandbox", "name": "Fresh page"}, format="json")
    assert channel.status_code == 201, channel.json()
    post = owner.post("/api/v1/cp/posts/", {"channelId": channel.json()["id"], "text": "Hi"}, format="json").json()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        asked = owner.post(
            f"/api/v1/cp/posts/{post['id']}/approval-requests", {"emails": ["client@brand.example"]}, format="json"
        )
    assert asked.status_code == 201, asked.json()
    (token,) = [LINK.search(m.body).group(1) for m in mail.outbox if LINK.search(m.body)]
    assert anonymous.get(f"/api/v1/public/approvals/{token}").json()["text"] == "Hi"
    decided = anonymous.post(f"/api/v1/public/approvals/{token}", {"decision": "approve"}, format="json")
    assert decided.status_code == 200, decided.json()
    assert owner.get(f"/api/v1/cp/posts/{post['id']}").json()["state"] == "approved"

    feed = owner.post("/api/v1/cp/calendar-feeds/", {}, format="json").json()
    path = "/" + feed["url"].split("://", 1)[1].split("/", 1)[1]
    assert anonymous.get(path).content.startswith(b"BEGIN:VCALENDAR")

    with django_capture_on_commit_callbacks(execute=True):
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("p.csv", b"channel,text\nFresh page,Imported\n", "text/csv")
        job = owner.post("/api/v1/cp/imports/", {"file": file}, format="multipart").json()
    assert owner.get(f"/api/v1/cp/imports/{job['id']}/").json()["createdCount"] == 1
