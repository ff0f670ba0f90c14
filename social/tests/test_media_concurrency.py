"""Two uploads racing for the last bytes of the plan's storage on PostgreSQL: exactly one wins."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from conftest import requires_postgres
from core import tenancy
from social.models import Media
from social.services import media as media_services
from social.tests import factories as samples
from tenants.tests.factories import TenantFactory


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_cannot_both_slip_under_the_storage_limit(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    content = samples.png_bytes(64, 64)
    tenant = TenantFactory(name="Quota", plan="business")
    tenant.limit_overrides = {"storageBytes": len(content) + 10}  # room for one file, not two
    tenant.save(update_fields=["limit_overrides"])

    real_used = media_services.storage_used_bytes

    def slow_used_bytes():
        used = real_used()
        time.sleep(0.3)  # widen the race window: without the tenant-row lock both uploads would read 0 here
        return used

    monkeypatch.setattr(media_services, "storage_used_bytes", slow_used_bytes)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def worker(index: int) -> None:
        try:
            with tenancy.tenant_context(tenant):
                barrier.wait()
                media_services.create_media_from_upload(SimpleUploadedFile(f"{index}.png", content))
            outcomes.append("created")
        except media_services.StorageLimitReached:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused"]
    with tenancy.tenant_context(tenant):
        assert Media.objects.count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2  # one file and its thumbnail, no orphan
