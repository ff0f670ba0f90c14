"""CSV bulk import: a job with per-row results; a file with a bad row creates nothing unless partial=true."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contentplanner.models import Post, PostImport, PostImportState, Tag
from contentplanner.tests.factories import ChannelFactory, TagFactory, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/imports/"


def upload(client, text: str, capture, partial: bool = False):
    file = SimpleUploadedFile("posts.csv", text.encode(), "text/csv")
    with capture(execute=True):
        response = client.post(URL, {"file": file, "partial": "true" if partial else "false"}, format="multipart")
    return response


@pytest.fixture
def world(tenant, make_member, api_client_for):
    member = make_member(tenant, Role.EDITOR)
    channel = ChannelFactory(tenant=tenant, name="Acme Page")
    share_with(channel, member)
    hidden = ChannelFactory(tenant=tenant, name="Secret")
    TagFactory(tenant=tenant, name="Launch")
    when = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    return {"member": member, "client": api_client_for(member), "channel": channel, "hidden": hidden, "when": when}


def posts(tenant):
    with tenancy.tenant_context(tenant):
        return list(Post.objects.order_by("created_at"))


def test_valid_file_creates_drafts_with_time_zone_and_tags(tenant, world, django_capture_on_commit_callbacks):
    csv = (
        "Channel,Text,Publish at,Timezone,First comment,Tags\n"
        f"Acme Page,Hello,{world['when']},Europe/Berlin,First!,launch|New Tag\n"
        f"{world['channel'].pk},Second,,,,\n"
    )
    response = upload(world["client"], csv, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.json()
    job = world["client"].get(f"{URL}{response.json()['id']}/").json()
    assert job["state"] == "succeeded" and job["createdCount"] == 2 and job["errorCount"] == 0
    assert [row["status"] for row in job["rows"]] == ["created", "created"]
    created = posts(tenant)
    assert {p.text for p in created} == {"Hello", "Second"}
    first = next(p for p in created if p.text == "Hello")
    assert first.imported and first.publish_timezone == "Europe/Berlin" and first.first_comment == "First!"
    with tenancy.tenant_context(tenant):
        assert sorted(first.tags.values_list("name", flat=True)) == ["Launch", "New Tag"]


def test_a_bad_row_creates_nothing(tenant, world, django_capture_on_commit_callbacks):
    csv = (
        "channel,text,publishAt,mediaUrls\n"
        "Acme Page,Good row,,\n"
        "Secret,Channel not visible,,\n"
        "Acme Page,Past,2001-01-01T10:00,\n"
        "Acme Page,Bad media,,ftp://example.com/a.png\n"
    )
    response = upload(world["client"], csv, django_capture_on_commit_callbacks)
    job = world["client"].get(f"{URL}{response.json()['id']}/").json()
    assert job["state"] == "failed" and job["createdCount"] == 0 and job["errorCount"] == 3
    statuses = {row["row"]: (row["status"], list(row["errors"])) for row in job["rows"]}
    assert statuses == {
        2: ("valid", []),
        3: ("invalid", ["channel"]),
        4: ("invalid", ["publishAt"]),
        5: ("invalid", ["mediaUrls"]),
    }
    assert posts(tenant) == []


def test_partial_import_creates_the_valid_rows(tenant, world, django_capture_on_commit_callbacks):
    csv = "channel,text\nAcme Page,Good\nNowhere,Bad\n"
    response = upload(world["client"], csv, django_capture_on_commit_callbacks, partial=True)
    job = world["client"].get(f"{URL}{response.json()['id']}/").json()
    assert job["state"] == "succeeded" and job["createdCount"] == 1 and job["errorCount"] == 1
    assert [p.text for p in posts(tenant)] == ["Good"]


def test_running_the_job_twice_creates_once(tenant, world, django_capture_on_commit_callbacks):
    from contentplanner.tasks import run_post_import

    response = upload(world["client"], "channel,text\nAcme Page,Once\n", django_capture_on_commit_callbacks)
    run_post_import(import_id=response.json()["id"], tenant_id=str(tenant.pk))
    assert [p.text for p in posts(tenant)] == ["Once"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "VALIDATION_ERROR"),  # the upload field itself refuses an empty file
        (b"text\nno channel column\n", "IMPORT_FILE_INVALID"),
        (b"\xff\xfe\x00bad", "IMPORT_FILE_INVALID"),
        (b"channel,text\n", "IMPORT_FILE_INVALID"),
    ],
    ids=["empty", "no-channel", "not-utf8", "no-rows"],
)
def test_unreadable_files_are_400(tenant, world, content, code):
    file = SimpleUploadedFile("x.csv", content, "text/csv")
    response = world["client"].post(URL, {"file": file}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    with tenancy.tenant_context(tenant):
        assert not PostImport.objects.exists()


def test_viewer_cannot_import_and_jobs_are_tenant_scoped(
    tenant, world, make_member, api_client_for, other_tenant, django_capture_on_commit_callbacks
):
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    file = SimpleUploadedFile("x.csv", b"channel,text\nAcme Page,x\n", "text/csv")
    assert viewer.post(URL, {"file": file}, format="multipart").status_code == 403
    response = upload(world["client"], "channel,text\nAcme Page,Mine\n", django_capture_on_commit_callbacks)
    stranger = api_client_for(make_member(other_tenant, Role.OWNER))
    assert stranger.get(f"{URL}{response.json()['id']}/").status_code == 404
    assert stranger.get(URL).json()["results"] == []


def test_unknown_tag_refused_without_tag_permission(tenant, make_member, api_client_for, world, monkeypatch):
    from contentplanner.services import imports

    monkeypatch.setattr(imports, "TAG_WRITE", "cp.no.such.permission")
    with tenancy.tenant_context(tenant):
        job = PostImport.objects.create(content="channel,text,tags\nAcme Page,x,Brand new\n", total_rows=1)
        from tenants.roles import member_principal

        result = imports.run_import(job, actor=member_principal(world["member"]))
        assert result.state == PostImportState.FAILED
        assert list(result.rows[0]["errors"]) == ["tags"]
        assert not Tag.objects.filter(name="Brand new").exists()


def test_list_is_bounded(tenant, world, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    for _ in range(3):
        upload(world["client"], "channel,text\nAcme Page,x\n", django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12):
        response = world["client"].get(URL)
    assert response.status_code == 200 and response.json()["count"] == 3
