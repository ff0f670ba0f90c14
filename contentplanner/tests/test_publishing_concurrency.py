"""Concurrent dispatchers on PostgreSQL: real transactions, one database connection per thread."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from conftest import requires_postgres
from contentplanner import publishing, tasks
from contentplanner.models import Post, PostState, PublishAttempt
from contentplanner.tests.factories import ChannelFactory, PostFactory
from core import tenancy
from social.models import SandboxPublication

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _network_pool():
    """Batches here run outside a transaction, so their network calls go through the worker's thread pool, whose
    threads keep connections: closed before the test database is dropped."""
    yield
    from contentplanner.publishing import batch

    batch.shutdown_network_pool()


def _in_thread(target, results: list, errors: list):
    def run():
        try:
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - re-raised by the test through `errors`
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_two_dispatchers_at_once_claim_each_post_once(tenant):
    channel = ChannelFactory(tenant=tenant)
    posts = [PostFactory(channel=channel, due=True, text=f"Post {i}") for i in range(50)]
    start = threading.Barrier(2)
    now = timezone.now()

    def dispatcher():
        start.wait()
        claimed = []
        while batch := publishing.claim_due_posts(now=now, limit=5):  # small batches: the two interleave
            tasks.enqueue(batch)  # as the dispatcher task does: each committed batch is published at once
            claimed.extend(c.post_id for c in batch)
        return claimed

    results, errors = [], []
    threads = [_in_thread(dispatcher, results, errors) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    first, second = results
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(str(p.pk) for p in posts)
    with tenancy.tenant_context(tenant):
        assert set(Post.objects.values_list("state", "attempt_count")) == {(PostState.PUBLISHED, 1)}
        assert PublishAttempt.objects.count() == 50
        assert set(PublishAttempt.objects.values_list("number", "outcome")) == {(1, "published")}
    publications = SandboxPublication.objects.filter(kind="post", channel_external_id=channel.external_id)
    assert publications.count() == 50
    assert sum(publications.values_list("submit_count", flat=True)) == 50
    assert {p.correlation_id for p in publications} == {f"hb-{p.pk}-1" for p in posts}


def test_dispatcher_skips_rows_locked_by_another_dispatcher(tenant):
    """skip_locked: a second dispatcher neither waits for nor claims the rows another one holds."""
    channel = ChannelFactory(tenant=tenant)
    now = timezone.now()
    posts = [PostFactory(channel=channel, due=True, publish_at=now - timedelta(minutes=10 - i)) for i in range(10)]
    held = {str(p.pk) for p in posts[:4]}
    locked, release = threading.Event(), threading.Event()

    def other_dispatcher():
        with tenancy.platform_access(), transaction.atomic():
            list(Post.all_tenants.select_for_update().filter(pk__in=held))
            locked.set()
            release.wait(timeout=30)
        return True

    results, errors = [], []
    holder = _in_thread(other_dispatcher, results, errors)
    holder.start()
    assert locked.wait(timeout=30)
    try:
        claimed = publishing.claim_due_posts(now=now, limit=50)
    finally:
        release.set()
        holder.join(timeout=30)

    assert errors == []
    assert {c.post_id for c in claimed} == {str(p.pk) for p in posts[4:]}
    # Once released, the held posts are claimed by the next run, still once each.
    assert {c.post_id for c in publishing.claim_due_posts(now=now, limit=50)} == held
    with tenancy.tenant_context(tenant):
        assert set(Post.objects.values_list("attempt_count", flat=True)) == {1}
    assert connection.vendor == "postgresql"


def test_a_batch_publishes_through_the_network_pool_once_each(tenant, other_tenant, settings):
    settings.PUBLISH_NETWORK_CONCURRENCY = 3
    posts = [PostFactory(channel=ChannelFactory(tenant=tenant), due=True) for _ in range(7)]
    PostFactory(channel=ChannelFactory(tenant=other_tenant), due=True)  # another tenant's post: another task
    claims = publishing.claim_due_posts(now=timezone.now())
    [batch] = [posts for tenant_id, posts in tasks.publish_batches(claims) if tenant_id == str(tenant.pk)]
    with tenancy.tenant_context(tenant):
        threads_before = threading.active_count()
        results = publishing.execute_publish_batch([(post_id, attempt) for post_id, attempt in batch])
        assert threading.active_count() > threads_before  # the calls ran on the pool's threads
    assert set(results.values()) == {"published"} and len(results) == 7
    with tenancy.platform_access():
        published = Post.all_tenants.filter(pk__in=[p.pk for p in posts], state=PostState.PUBLISHED).count()
    assert published == 7
    for post in posts:
        [submits] = SandboxPublication.objects.filter(
            kind="post", correlation_id__startswith=f"hb-{post.pk}-"
        ).values_list("submit_count", flat=True)
        assert submits == 1
