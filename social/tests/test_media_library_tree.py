"""The media library as a folder tree: counts per folder, moving folders, and replacing the file behind an entry."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import tenancy
from core.models import AuditLogEntry
from social.models import Media
from social.tests import factories as samples
from tenants.roles import Role

URL = "/api/v1/media/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, content: bytes, *, folder: str = "", name: str = "photo.png"):
    response = client.post(
        URL, {"file": SimpleUploadedFile(name, content, "image/png"), "folder": folder}, format="multipart"
    )
    assert response.status_code == 201, response.content[:300]
    return response.json()


def folders_of(tenant) -> dict[str, int]:
    with tenancy.tenant_context(tenant):
        return {m.name: m.folder for m in Media.objects.all()}


def test_folder_tree_counts_media_per_folder_and_subtree(owner_client, other_tenant, make_member, api_client_for):
    for index, folder in enumerate(["", "Campaigns/2026/Spring", "Campaigns/2026/Spring", "Campaigns", "brand"]):
        upload(owner_client, samples.png_bytes(10 + index, 10), folder=folder, name=f"{index}.png")
    upload(api_client_for(make_member(other_tenant, Role.OWNER)), samples.png_bytes(), folder="Secret/Plans")

    tree = owner_client.get(f"{URL}folders/").json()

    assert (tree["path"], tree["mediaCount"], tree["totalCount"]) == ("", 1, 5)
    assert [child["name"] for child in tree["children"]] == ["brand", "Campaigns"]  # by name, case-insensitive
    campaigns = tree["children"][1]
    assert (campaigns["path"], campaigns["mediaCount"], campaigns["totalCount"]) == ("Campaigns", 1, 3)
    spring = campaigns["children"][0]["children"][0]
    assert (spring["path"], spring["mediaCount"], spring["totalCount"], spring["children"]) == (
        "Campaigns/2026/Spring",
        2,
        2,
        [],
    )
    assert "Secret" not in str(tree)  # another tenant's folders never show


def test_folder_tree_runs_a_fixed_number_of_queries(owner_client, django_assert_max_num_queries):
    for index in range(12):
        upload(owner_client, samples.png_bytes(10 + index, 10), folder=f"f{index % 4}/sub{index}", name=f"{index}.png")
    with django_assert_max_num_queries(12):
        assert owner_client.get(f"{URL}folders/").json()["totalCount"] == 12


def test_moving_a_folder_moves_its_subfolders_and_nothing_else(owner_client, tenant):
    upload(owner_client, samples.png_bytes(11, 11), folder="Campaigns/2025", name="a.png")
    upload(owner_client, samples.png_bytes(12, 12), folder="Campaigns/2025/Q4", name="b.png")
    upload(owner_client, samples.png_bytes(13, 13), folder="Campaigns/20251", name="c.png")  # a prefix, not inside
    upload(owner_client, samples.png_bytes(14, 14), folder="Campaigns", name="d.png")

    response = owner_client.post(f"{URL}folders/move/", {"from": "Campaigns/2025", "to": "Archive/2025"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"moved": 2}
    assert folders_of(tenant) == {
        "a.png": "Archive/2025",
        "b.png": "Archive/2025/Q4",
        "c.png": "Campaigns/20251",
        "d.png": "Campaigns",
    }
    with tenancy.tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="media.folder_moved")
    assert entry.changes == {"from": "Campaigns/2025", "to": "Archive/2025", "media": 2}


def test_moving_a_folder_to_the_root_lifts_its_contents(owner_client, tenant):
    upload(owner_client, samples.png_bytes(11, 11), folder="Old", name="a.png")
    upload(owner_client, samples.png_bytes(12, 12), folder="Old/Logos", name="b.png")
    response = owner_client.post(f"{URL}folders/move/", {"from": "Old", "to": ""}, format="json")
    assert response.json() == {"moved": 2}
    assert folders_of(tenant) == {"a.png": "", "b.png": "Logos"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"from": "Campaigns", "to": "Campaigns/Inner"}, 400, "to"),  # into itself
        ({"from": "Campaigns", "to": "Campaigns"}, 400, "to"),
        ({"from": "", "to": "Elsewhere"}, 400, "from"),  # the root
        ({"from": "Campaigns", "to": "../etc"}, 400, "to"),
        ({"from": "Nothing/Here", "to": "Elsewhere"}, 404, None),
        ({"from": "Campaigns", "to": "/".join(["deep"] * 10)}, 400, "to"),  # too deep once the subfolder is added
    ],
)
def test_bad_folder_moves_are_refused_and_change_nothing(owner_client, tenant, body, status, field):
    upload(owner_client, samples.png_bytes(11, 11), folder="Campaigns/Sub", name="a.png")
    response = owner_client.post(f"{URL}folders/move/", body, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["error"]["details"]
    assert folders_of(tenant) == {"a.png": "Campaigns/Sub"}


def test_a_viewer_reads_the_tree_but_cannot_move_or_replace(tenant, owner_client, make_member, api_client_for):
    media = upload(owner_client, samples.png_bytes(11, 11), folder="Campaigns", name="a.png")
    viewer = api_client_for(make_member(tenant, Role.VIEWER))
    assert viewer.get(f"{URL}folders/").status_code == 200
    assert viewer.post(f"{URL}folders/move/", {"from": "Campaigns", "to": "X"}, format="json").status_code == 403
    replaced = viewer.put(
        f"{URL}{media['id']}/file/",
        {"file": SimpleUploadedFile("b.png", samples.png_bytes(30, 30), "image/png")},
        format="multipart",
    )
    assert replaced.status_code == 403
    assert folders_of(tenant) == {"a.png": "Campaigns"}
    assert owner_client.get(f"{URL}{media['id']}/").json()["sha256"] == media["sha256"]


def test_replacing_the_file_keeps_the_entry_and_deletes_the_old_file(
    owner_client, tenant, media_root: Path, django_capture_on_commit_callbacks
):
    media = upload(owner_client, samples.png_bytes(100, 100), folder="Brand", name="logo.png")
    with tenancy.tenant_context(tenant):
        old_file = Media.objects.get(pk=media["id"]).file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.put(
            f"{URL}{media['id']}/file/",
            {"file": SimpleUploadedFile("logo-v2.jpg", samples.jpeg_bytes(640, 480), "image/jpeg")},
            format="multipart",
        )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == media["id"] and body["name"] == "logo.png" and body["folder"] == "Brand"
    assert (body["width"], body["height"], body["mimeType"]) == (640, 480, "image/jpeg")
    assert body["originalName"] == "logo-v2.jpg" and body["sha256"] != media["sha256"]
    assert not (media_root / old_file).exists()
    with tenancy.tenant_context(tenant):
        assert Media.objects.count() == 1
        assert AuditLogEntry.objects.filter(action="media.replaced", object_id=media["id"]).exists()


def test_replacing_an_image_with_a_video_is_refused_and_keeps_the_old_file(owner_client, tenant, media_root: Path):
    media = upload(owner_client, samples.png_bytes(100, 100), name="logo.png")
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    response = owner_client.put(
        f"{URL}{media['id']}/file/",
        {"file": SimpleUploadedFile("clip.mp4", samples.mp4_bytes(), "video/mp4")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before
    assert owner_client.get(f"{URL}{media['id']}/").json()["sha256"] == media["sha256"]


def test_replacing_respects_the_storage_limit_by_the_size_difference(owner_client, tenant, media_root: Path):
    small = samples.png_bytes(20, 20)
    media = upload(owner_client, small, name="logo.png")
    tenant.limit_overrides = {"storageBytes": len(small) + 10}
    tenant.save(update_fields=["limit_overrides"])
    bigger = samples.jpeg_bytes(640, 480)
    response = owner_client.put(
        f"{URL}{media['id']}/file/", {"file": SimpleUploadedFile("big.jpg", bigger, "image/jpeg")}, format="multipart"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "STORAGE_LIMIT_REACHED"
    assert owner_client.get(f"{URL}{media['id']}/").json()["sha256"] == media["sha256"]
    # A smaller file fits even at the limit: only the difference counts.
    smaller = owner_client.put(
        f"{URL}{media['id']}/file/",
        {"file": SimpleUploadedFile("s.png", samples.png_bytes(8, 8), "image/png")},
        format="multipart",
    )
    assert smaller.status_code == 200, smaller.json()


def test_another_tenants_media_cannot_be_replaced(owner_client, other_tenant, make_member, api_client_for):
    theirs = upload(api_client_for(make_member(other_tenant, Role.OWNER)), samples.png_bytes(), name="theirs.png")
    response = owner_client.put(
        f"{URL}{theirs['id']}/file/",
        {"file": SimpleUploadedFile("x.png", samples.png_bytes(9, 9), "image/png")},
        format="multipart",
    )
    assert response.status_code == 404
    with tenancy.tenant_context(other_tenant):
        assert Media.objects.get(pk=theirs["id"]).sha256 == theirs["sha256"]
