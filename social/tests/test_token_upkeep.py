import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from conftest import requires_postgres
from core import tenancy
from core.models import AuditLogEntry
from social import tasks
from social.models import Channel
from social.networks import base, registry
from social.schedules import BEAT_SCHEDULE
from social.services import tokens
from social.tests.factories import ChannelFactory
from tenants.roles import Role


class FakeAdapter:
    """Counts refresh calls; answers with a new access token and no refresh token, or raises `error`."""

    network = "sandbox"
    calls = 0
    error: Exception | None = None
    delay = 0.0
    during = None  # called while the "network" works on the request
    lock = threading.Lock()

    def refresh(self, credentials):
        with FakeAdapter.lock:
            FakeAdapter.calls += 1
        if FakeAdapter.during is not None:
            FakeAdapter.during()
        if FakeAdapter.delay:
            time.sleep(FakeAdapter.delay)
        if FakeAdapter.error is not None:
            raise FakeAdapter.error
        return base.TokenSet(access_token=f"new-{FakeAdapter.calls}", expires_at=timezone.now() + timedelta(days=60))


@pytest.fixture
def fake_adapter(monkeypatch):
    FakeAdapter.calls, FakeAdapter.error, FakeAdapter.delay, FakeAdapter.during = 0, None, 0.0, None
    monkeypatch.setattr(registry, "get_adapter", lambda network: FakeAdapter())
    monkeypatch.setattr(tokens, "get_adapter", lambda network: FakeAdapter())
    return FakeAdapter


def expiring(tenant, **fields):
    return ChannelFactory(tenant=tenant, token_expires_at=timezone.now() + timedelta(hours=2), **fields)


def reload(tenant, channel):
    with tenancy.tenant_context(tenant):
        return Channel.objects.get(pk=channel.pk)


def test_beat_schedule_runs_the_dispatcher_every_ten_minutes():
    entry = BEAT_SCHEDULE["social-token-refresh"]
    assert entry["task"] == "social.tasks.dispatch_token_refreshes"
    assert entry["schedule"].minute == set(range(0, 60, 10))


def test_refresh_keeps_the_old_refresh_token_and_audits(tenant, fake_adapter):
    channel = expiring(tenant, refresh_token="long-lived")
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel)
        assert AuditLogEntry.objects.filter(action="channel.token_refreshed", object_id=str(channel.pk)).exists()
    stored = reload(tenant, channel)
    assert stored.access_token == "new-1" and stored.refresh_token == "long-lived"
    assert stored.token_expires_at > timezone.now() + timedelta(days=59)
    assert fake_adapter.calls == 1


def test_the_network_call_runs_with_no_transaction_open(tenant, fake_adapter):
    """A slow token endpoint must not hold a row lock (or a transaction) open: only storing the answer locks."""
    channel = expiring(tenant)
    outer = len(connection.atomic_blocks)  # the test's own transaction
    seen = []
    fake_adapter.during = lambda: seen.append(len(connection.atomic_blocks))
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel)
    assert seen == [outer]
    assert reload(tenant, channel).access_token == "new-1"


def test_a_disconnect_during_the_call_is_not_undone_by_the_answer(tenant, fake_adapter):
    channel = expiring(tenant)

    def disconnect_meanwhile():
        Channel.objects.filter(pk=channel.pk).update(status="disconnected", access_token="", refresh_token="")

    fake_adapter.during = disconnect_meanwhile
    with tenancy.tenant_context(tenant):
        result = tokens.refresh_channel_token(channel, force=True)
        assert not AuditLogEntry.objects.filter(action="channel.token_refreshed").exists()
    stored = reload(tenant, channel)
    assert fake_adapter.calls == 1
    assert (result.status, stored.status, stored.access_token) == ("disconnected", "disconnected", "")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_row_stays_unlocked_while_the_network_answers(tenant, fake_adapter):
    """Another connection can lock the channel row (e.g. the publishing pipeline) during the refresh call."""
    channel = expiring(tenant)
    outcomes = []

    def lock_from_elsewhere():
        def worker():
            try:
                with tenancy.tenant_context(tenant), transaction.atomic():
                    Channel.objects.select_for_update(nowait=True).get(pk=channel.pk)
                outcomes.append("locked")
            except DatabaseError as exc:
                outcomes.append(type(exc).__name__)
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()

    fake_adapter.during = lock_from_elsewhere
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel)
    assert outcomes == ["locked"]
    assert reload(tenant, channel).access_token == "new-1"


def test_fresh_token_is_not_refreshed_unless_forced(tenant, fake_adapter):
    channel = ChannelFactory(tenant=tenant, token_expires_at=timezone.now() + timedelta(days=20))
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel)
        assert fake_adapter.calls == 0
        tokens.refresh_channel_token(channel, force=True)
    assert fake_adapter.calls == 1


def test_a_caller_with_a_stale_copy_does_not_refresh_again(tenant, fake_adapter):
    channel = expiring(tenant)
    stale = reload(tenant, channel)
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel, force=True)
        result = tokens.refresh_channel_token(stale, force=True)
    assert fake_adapter.calls == 1 and result.access_token == "new-1"


def test_dispatcher_enqueues_one_refresh_per_expiring_channel_across_tenants(tenant, other_tenant, fake_adapter):
    mine = expiring(tenant)
    theirs = expiring(other_tenant)
    ChannelFactory(tenant=tenant, token_expires_at=timezone.now() + timedelta(days=10))  # not due
    expiring(tenant, status="needsAttention")  # flagged: waits for a reconnect
    expiring(tenant, network="custom")  # no adapter
    assert tasks.dispatch_token_refreshes.delay().get() == 2
    assert fake_adapter.calls == 2
    assert reload(tenant, mine).access_token.startswith("new-")
    assert reload(other_tenant, theirs).access_token.startswith("new-")


def test_refusal_flags_the_channel_and_emails_admins_once(
    tenant, make_member, fake_adapter, django_capture_on_commit_callbacks
):
    owner = make_member(tenant, Role.OWNER, email="boss@example.com")
    make_member(tenant, Role.ADMIN, email="admin@example.com")
    make_member(tenant, Role.EDITOR, email="editor@example.com")
    channel = expiring(tenant, name="Acme Page")
    fake_adapter.error = base.AuthExpired("token revoked")
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.refresh_channel_token.delay(channel_id=str(channel.pk), tenant_id=str(tenant.pk)).get()
    assert result == "AUTH_EXPIRED"
    stored = reload(tenant, channel)
    assert stored.status == "needsAttention" and "AUTH_EXPIRED" in stored.status_reason
    assert stored.attention_notified_at is not None
    # One email per admin (the tenant's default workflow for the notice mails each subscriber on their own).
    assert sorted(address for m in mail.outbox for address in m.to) == ["admin@example.com", "boss@example.com"]
    assert all("Acme Page" in m.subject and stored.access_token not in m.body for m in mail.outbox)
    with tenancy.tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="channel.needs_attention", object_id=str(channel.pk)).count() == 1
        # a later failure (e.g. a manual refresh) does not email again
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(base.AuthExpired):
            tokens.refresh_channel_token(stored, force=True)
    assert len(mail.outbox) == 2
    assert owner.user.email == "boss@example.com"


def test_permission_missing_also_needs_attention(tenant, owner, fake_adapter, django_capture_on_commit_callbacks):
    channel = expiring(tenant)
    fake_adapter.error = base.PermissionMissing("scope pages_manage_posts missing")
    with (
        tenancy.tenant_context(tenant),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(base.PermissionMissing),
    ):
        tokens.refresh_channel_token(channel)
    assert reload(tenant, channel).status == "needsAttention"
    assert len(mail.outbox) == 1


def test_temporary_failure_leaves_the_channel_active(tenant, owner, fake_adapter):
    channel = expiring(tenant)
    fake_adapter.error = base.TemporaryNetworkError("503")
    assert (
        tasks.refresh_channel_token.delay(channel_id=str(channel.pk), tenant_id=str(tenant.pk)).get() == "NETWORK_DOWN"
    )
    stored = reload(tenant, channel)
    assert stored.status == "active" and stored.access_token == channel.access_token
    assert mail.outbox == []


def test_successful_refresh_after_attention_reactivates_and_rearms_the_email(tenant, owner, fake_adapter):
    channel = expiring(tenant, status="needsAttention", attention_notified_at=timezone.now())
    with tenancy.tenant_context(tenant):
        tokens.refresh_channel_token(channel, force=True)
    stored = reload(tenant, channel)
    assert stored.status == "active" and stored.attention_notified_at is None


def test_concurrent_callers_wait_for_the_lock_holder(tenant, fake_adapter):
    """With the cache lock taken, a second caller waits and returns the refreshed row without calling."""
    from django.core.cache import cache

    channel = expiring(tenant)
    cache.add(tokens.lock_key(channel.pk), "someone-else", 5)
    with tenancy.tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(access_token="refreshed-by-other")
    threading.Timer(0.2, lambda: cache.delete(tokens.lock_key(channel.pk))).start()
    with tenancy.tenant_context(tenant):
        result = tokens.refresh_channel_token(channel)
    assert fake_adapter.calls == 0 and result.access_token == "refreshed-by-other"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_make_one_network_call(tenant, fake_adapter):
    fake_adapter.delay = 0.3
    channel = expiring(tenant)
    errors = []
    barrier = threading.Barrier(20)

    def worker():
        try:
            with tenancy.tenant_context(tenant):
                copy = Channel.objects.get(pk=channel.pk)
                barrier.wait()
                tokens.refresh_channel_token(copy)
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported by the assert below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fake_adapter.calls == 1
    assert reload(tenant, channel).access_token == "new-1"


def test_mark_needs_attention_from_other_callers_emails_once(tenant, owner, django_capture_on_commit_callbacks):
    """The publishing pipeline calls this on AuthExpired/PermissionMissing: repeated failures email once."""
    from social.services.channels import mark_needs_attention

    channel = ChannelFactory(tenant=tenant, name="Flaky")
    with tenancy.tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        assert mark_needs_attention(channel, reason="AUTH_EXPIRED: token revoked") is True
        assert mark_needs_attention(channel, reason="AUTH_EXPIRED: token revoked") is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.user.email]
    stored = reload(tenant, channel)
    assert stored.status == "needsAttention" and stored.status_reason == "AUTH_EXPIRED: token revoked"
