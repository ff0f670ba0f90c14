import hashlib
from pathlib import Path

import httpx
import pytest
import respx
from django.core.files.uploadedfile import SimpleUploadedFile

from core import tenancy, url_safety
from core.models import AuditLogEntry
from social.models import Media, MediaTag
from social.services import media as media_services
from social.tests import factories as samples
from social.tests.factories import principal_for
from tenants.roles import Role

URL = "/api/v1/media/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "https://app.example.com"
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def upload(client, content: bytes, name: str = "photo.png", content_type: str = "image/png", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type), **fields}, format="multipart")


def test_upload_stores_sniffed_file_thumbnail_and_row(owner_client, owner, tenant, media_root):
    content = samples.png_bytes(800, 600)
    response = upload(
        owner_client,
        content,
        name="../../etc/Holiday pic.JPG",
        content_type="image/jpeg",  # the client lies: the content is PNG
        altText="A red square",
        tags=["Summer", "summer", "beach"],
        folder="/campaigns//2026/",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "image" and body["mimeType"] == "image/png"
    assert (body["width"], body["height"], body["sizeBytes"]) == (800, 600, len(content))
    assert body["name"] == "Holiday pic.JPG" and body["altText"] == "A red square"
    assert body["tags"] == ["Summer", "beach"] and body["folder"] == "campaigns/2026"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["uploadedBy"] == str(owner.user_id)
    with tenancy.tenant_context(tenant):
        media = Media.objects.get(pk=body["id"])
        assert sorted(MediaTag.objects.filter(media=media).values_list("name", flat=True)) == ["Summer", "beach"]
    # On disk: media/<tenant>/<uuid>.png (never the client's name) plus the thumbnail.
    assert media.file.name.startswith(f"media/{tenant.pk}/") and media.file.name.endswith(".png")
    assert "Holiday" not in media.file.name
    assert (media_root / media.file.name).read_bytes() == content
    assert media.thumbnail.name.startswith(f"media/{tenant.pk}/thumbs/")
    assert body["url"] == f"https://app.example.com/media/{media.file.name}"
    assert body["thumbnailUrl"].endswith(media.thumbnail.name)
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="media.created", object_id=str(media.pk)).exists()


def test_video_upload_records_duration_and_dimensions(owner_client):
    response = upload(owner_client, samples.mp4_bytes(duration_units=90_000, timescale=600), name="clip.mp4")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["mimeType"], body["durationSeconds"]) == ("video", "video/mp4", 150.0)
    assert (body["width"], body["height"], body["thumbnailUrl"]) == (1280, 720, None)


def test_large_upload_streams_through_a_temporary_file(owner_client, tenant, media_root, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force TemporaryFileUploadHandler
    content = samples.mp4_bytes() + b"\x00" * 300_000
    response = upload(owner_client, content, name="big.mp4", content_type="video/mp4")
    assert response.status_code == 201, response.json()
    with tenancy.tenant_context(tenant):
        media = Media.objects.get(pk=response.json()["id"])
    assert (media_root / media.file.name).read_bytes() == content


@pytest.mark.parametrize(
    "content, name",
    [
        (b"#!/bin/sh\nrm -rf /\n", "evil.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg"),
        (samples.jpeg_bytes()[:300], "truncated.jpg"),
    ],
)
def test_unsupported_content_is_400_and_nothing_is_written(owner_client, tenant, media_root, content, name):
    response = upload(owner_client, content, name=name)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "file" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"folder": "a/../b"}, "folder"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"altText": "a" * 1001}, "altText"),
    ],
)
def test_bad_fields_are_400_with_details_and_nothing_written(owner_client, tenant, media_root, fields, field):
    response = upload(owner_client, samples.png_bytes(), **fields)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()
    assert stored_files(media_root) == []


def test_missing_file_and_missing_url_are_400(owner_client, tenant):
    response = owner_client.post(URL, {"altText": "x"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["details"]
    response = owner_client.post(URL, {"altText": "x"}, format="json")
    assert response.status_code == 400 and "url" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()


def test_file_over_the_upload_limit_is_413(owner_client, tenant, media_root, settings):
    settings.MAX_UPLOAD_BYTES = 2000
    response = upload(owner_client, samples.png_bytes(800, 600))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_files(media_root) == []
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()


def test_storage_limit_is_403_with_limit_and_usage(owner_client, tenant, media_root):
    first = samples.png_bytes(50, 50)
    tenant.limit_overrides = {"storageBytes": len(first) + 100}
    tenant.save(update_fields=["limit_overrides"])
    assert upload(owner_client, first).status_code == 201
    files_before = stored_files(media_root)
    response = upload(owner_client, samples.png_bytes(60, 60))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "STORAGE_LIMIT_REACHED"
    assert error["details"]["limitBytes"] == len(first) + 100 and error["details"]["usedBytes"] == len(first)
    assert stored_files(media_root) == files_before
    with tenancy.tenant_context(tenant):
        assert Media.objects.count() == 1


def test_failure_after_the_file_was_saved_removes_it(owner_client, tenant, media_root, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(media_services.audit, "record", explode)
    owner_client.raise_request_exception = False
    response = upload(owner_client, samples.png_bytes())
    assert response.status_code == 500
    assert stored_files(media_root) == []
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()


# --- URL import ------------------------------------------------------------------------------------------------------
@pytest.fixture
def public_host(monkeypatch):
    monkeypatch.setattr(
        url_safety,
        "resolve_host",
        lambda host, port: {"img.example.com": ["93.184.216.34"]}.get(host) or ["127.0.0.1"],
    )


@respx.mock
def test_url_import_stores_the_file_with_sniffed_type(owner_client, tenant, media_root, public_host):
    content = samples.jpeg_bytes(640, 480)
    respx.get("https://img.example.com/pics/cat.bin").mock(
        return_value=httpx.Response(200, content=content, headers={"Content-Type": "application/octet-stream"})
    )
    response = owner_client.post(
        URL, {"url": "https://img.example.com/pics/cat.bin", "altText": "cat", "tags": ["pets"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["mimeType"], body["width"], body["height"]) == ("image/jpeg", 640, 480)
    assert body["sourceUrl"] == "https://img.example.com/pics/cat.bin" and body["tags"] == ["pets"]
    with tenancy.tenant_context(tenant):
        media = Media.objects.get(pk=body["id"])
    assert media.file.name.endswith(".jpg")
    assert (media_root / media.file.name).read_bytes() == content


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x.png", "http://169.254.169.254/latest", "http://[::1]/", "http://localhost/x"]
)
def test_url_import_refuses_internal_addresses(owner_client, tenant, media_root, url):
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        response = owner_client.post(URL, {"url": url}, format="json")
    assert not route.called
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "URL_IMPORT_FAILED"
    assert response.json()["error"]["details"]["reason"] == "URL_NOT_ALLOWED"
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()
    assert stored_files(media_root) == []


@respx.mock
def test_url_import_redirect_to_loopback_is_refused(owner_client, tenant, public_host):
    respx.get("https://img.example.com/a").mock(
        return_value=httpx.Response(302, headers={"Location": "http://127.0.0.1/admin"})
    )
    response = owner_client.post(URL, {"url": "https://img.example.com/a"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"]["reason"] == "URL_NOT_ALLOWED"
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()


@respx.mock
def test_url_import_too_large_is_413(owner_client, settings, public_host, media_root):
    settings.MAX_UPLOAD_BYTES = 1000
    respx.get("https://img.example.com/big").mock(return_value=httpx.Response(200, content=b"x" * 5000))
    response = owner_client.post(URL, {"url": "https://img.example.com/big"}, format="json")
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_files(media_root) == []


# --- reads, edits, deletes ------------------------------------------------------------------------------------------
def _make(tenant, name="x.png", kind_content=None, **fields):
    with tenancy.tenant_context(tenant):
        return media_services.create_media_from_upload(
            SimpleUploadedFile(name, kind_content or samples.png_bytes(20, 20)), actor=principal_for(tenant), **fields
        )


def test_list_filters_by_kind_folder_tag_and_search(owner_client, tenant):
    photo = _make(tenant, "beach.png", folder="summer", tags=["beach"], alt_text="Sunset at the sea")
    clip = _make(tenant, "clip.mp4", samples.mp4_bytes(), folder="summer/video")
    _make(tenant, "office.png", folder="work", tags=["team"])

    def ids(**params):
        response = owner_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(kind="video") == [str(clip.pk)]
    assert ids(folder="summer") == [str(photo.pk)]
    assert ids(tag="BEACH") == [str(photo.pk)]
    assert ids(search="sea") == [str(photo.pk)]
    assert ids(search="clip") == [str(clip.pk)]
    assert ids(sha256=clip.sha256) == [str(clip.pk)]  # clients can look for a duplicate before uploading
    assert len(ids()) == 3


def test_list_query_count_is_bounded(owner_client, tenant, django_assert_max_num_queries):
    content = samples.png_bytes(8, 8)
    for i in range(50):
        _make(tenant, f"m{i}.png", content, tags=["a", f"t{i}"])
    with django_assert_max_num_queries(8):
        response = owner_client.get(URL, {"pageSize": 100})
    assert len(response.json()["results"]) == 50
    assert all(len(row["tags"]) == 2 for row in response.json()["results"])


def test_patch_edits_metadata_and_tags(owner_client, tenant):
    media = _make(tenant, tags=["old", "keep"])
    response = owner_client.patch(
        f"{URL}{media.pk}", {"altText": "new alt", "tags": ["keep", "new"], "folder": "a/b", "name": "Renamed"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["altText"], body["tags"], body["folder"], body["name"]) == (
        "new alt",
        ["keep", "new"],
        "a/b",
        "Renamed",
    )
    with tenancy.tenant_context(tenant):
        media.refresh_from_db()
        assert media.alt_text == "new alt" and media.folder == "a/b"
        assert sorted(media.tags.values_list("name", flat=True)) == ["keep", "new"]
        entry = AuditLogEntry.objects.get(action="media.updated", object_id=str(media.pk))
    assert entry.changes["tags"] == [["keep", "old"], ["keep", "new"]]


def test_patch_with_bad_folder_is_400_and_unchanged(owner_client, tenant):
    media = _make(tenant, folder="a")
    response = owner_client.patch(f"{URL}{media.pk}", {"folder": "../etc"})
    assert response.status_code == 400 and "folder" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        media.refresh_from_db()
    assert media.folder == "a"


def test_delete_removes_row_and_files(owner_client, tenant, media_root, django_capture_on_commit_callbacks):
    media = _make(tenant)
    assert len(stored_files(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.delete(f"{URL}{media.pk}")
    assert response.status_code == 204
    with tenancy.tenant_context(tenant):
        assert not Media.objects.filter(pk=media.pk).exists()
    assert stored_files(media_root) == []


def test_delete_is_refused_while_a_planned_post_uses_the_media(owner_client, tenant, media_root, monkeypatch):
    media = _make(tenant)
    blocked_post = "6f1c1d1e-0000-4000-8000-000000000001"

    def checker(candidate):
        return [blocked_post] if candidate.pk == media.pk else []

    registered = [*media_services._usage_checkers]
    monkeypatch.setattr(media_services, "_usage_checkers", registered)
    media_services.register_media_usage_checker(checker)
    response = owner_client.delete(f"{URL}{media.pk}")
    registered.remove(checker)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "MEDIA_IN_USE"
    assert response.json()["error"]["details"]["postIds"] == [blocked_post]
    with tenancy.tenant_context(tenant):
        assert Media.objects.filter(pk=media.pk).exists()
    assert len(stored_files(media_root)) == 2
    assert owner_client.delete(f"{URL}{media.pk}").status_code == 204  # checker gone: deletable


def test_viewer_can_read_but_not_write(tenant, make_member, api_client_for, media_root):
    media = _make(tenant)
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert viewer.get(URL).status_code == 200
    assert viewer.get(f"{URL}{media.pk}").status_code == 200
    for response in (
        upload(viewer, samples.png_bytes()),
        viewer.post(URL, {"url": "https://img.example.com/a.png"}, format="json"),
        viewer.patch(f"{URL}{media.pk}", {"altText": "x"}),
        viewer.delete(f"{URL}{media.pk}"),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    with tenancy.tenant_context(tenant):
        assert Media.objects.count() == 1
        assert Media.objects.get().alt_text == ""


def test_other_tenants_media_is_invisible(owner_client, other_tenant, media_root):
    foreign = _make(other_tenant, alt_text="theirs")
    assert owner_client.get(URL).json()["results"] == []
    for method, args in [
        ("get", ()),
        ("patch", ({"altText": "mine"},)),
        ("delete", ()),
    ]:
        response = getattr(owner_client, method)(f"{URL}{foreign.pk}", *args)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "NOT_FOUND"
    with tenancy.tenant_context(other_tenant):
        assert Media.objects.get(pk=foreign.pk).alt_text == "theirs"
    assert len(stored_files(media_root)) == 2


def test_unauthenticated_is_401(client):
    assert client.get(URL).status_code == 401
