import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import tenancy
from social.models import BitlyAccount, Media
from social.services import media as media_services
from social.tests import factories as samples
from social.tests.factories import MediaFactory, ShortLinkFactory
from tenants.models import User


@pytest.fixture
def staff_client(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(User.objects.create_superuser("ops@example.com", "a long staff password"))
    return client


def test_media_change_page_previews_the_thumbnail_and_changelist_filters(staff_client, tenant, tmp_path):
    with tenancy.tenant_context(tenant):
        media = media_services.create_media_from_upload(SimpleUploadedFile("a.png", samples.png_bytes()))
    page = staff_client.get(f"/admin/social/media/{media.pk}/change/")
    assert page.status_code == 200
    assert f'<img src="/media/{media.thumbnail.name}"' in page.content.decode()
    listing = staff_client.get("/admin/social/media/", {"kind__exact": "image", "q": "a.png"})
    assert listing.status_code == 200 and str(media.pk) in listing.content.decode()


def test_media_admin_delete_goes_through_the_service(
    staff_client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    media = MediaFactory(tenant=tenant)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] != []
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/social/media/{media.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with tenancy.platform_access():
        assert not Media.all_tenants.filter(pk=media.pk).exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_shortlink_changelist_shows_click_counts(staff_client, tenant):
    link = ShortLinkFactory(tenant=tenant, target_url="https://example.com/x")
    listing = staff_client.get("/admin/social/shortlink/", {"q": link.code})
    assert listing.status_code == 200 and link.code in listing.content.decode()
    page = staff_client.get(f"/admin/social/shortlink/{link.pk}/change/").content.decode()
    assert 'name="click_count"' not in page  # read-only


def test_bitly_token_is_write_only(staff_client, tenant):
    response = staff_client.post(
        "/admin/social/bitlyaccount/add/",
        {"account_tenant": str(tenant.pk), "group_guid": "Bg1", "new_access_token": "tok-secret-123"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenancy.platform_access():
        account = BitlyAccount.all_tenants.get(tenant=tenant)
    assert account.access_token == "tok-secret-123"
    page = staff_client.get(f"/admin/social/bitlyaccount/{account.pk}/change/").content.decode()
    assert "tok-secret-123" not in page
