"""Concurrent clicks on PostgreSQL: every click is counted (one atomic UPDATE per click, no lost updates)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from conftest import requires_postgres
from core import tenancy
from social.models import ShortLink
from social.tests.factories import ShortLinkFactory
from tenants.tests.factories import TenantFactory


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_clicks_are_all_counted():
    tenant = TenantFactory(name="Clicks", plan="business")
    link = ShortLinkFactory(tenant=tenant, target_url="https://example.com/concurrent")
    clicks, threads_count = 50, 10
    barrier = threading.Barrier(threads_count)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker():
        client = Client()
        barrier.wait()
        try:
            for _ in range(clicks // threads_count):
                status = client.get(f"/s/{link.code}").status_code
                with lock:
                    statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * clicks
    with tenancy.tenant_context(tenant):
        assert ShortLink.objects.get(pk=link.pk).click_count == clicks
