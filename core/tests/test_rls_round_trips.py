"""The RLS backend sends the tenant setting only when it changes (core/db/backends/postgresql), and never keeps a
setting PostgreSQL has undone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, transaction

from conftest import requires_postgres
from core import tenancy
from core.db import rls

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

# The session-level cache: behind a transaction pooler (.ci/pgbouncer.sh) the setting is per transaction instead,
# which the pooled tests below and core/tests/test_pgbouncer.py cover.
session_level = pytest.mark.skipif(
    settings.DATABASE_TRANSACTION_POOLING, reason="session-level setting: not used behind a transaction pooler"
)


@pytest.fixture
def setting_sends(monkeypatch):
    """How often the backend decides to send `set_config` (it asks `app_role_ready` right before each send)."""
    sends = []
    original = rls.app_role_ready

    def spy(conn):
        sends.append(tenancy.get_current_tenant_id())
        return original(conn)

    monkeypatch.setattr(rls, "app_role_ready", spy)
    return sends


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0]


@session_level
def test_one_send_for_many_transactions_of_one_tenant(tenant, setting_sends):
    with tenancy.tenant_context(tenant):
        _setting()
        setting_sends.clear()
        for _ in range(3):
            with transaction.atomic():
                assert _setting() == str(tenant.pk)
    assert setting_sends == []


@session_level
def test_a_changed_tenant_or_a_rollback_sends_it_again(tenant, other_tenant, setting_sends):
    with tenancy.tenant_context(tenant):
        assert _setting() == str(tenant.pk)
    with tenancy.tenant_context(other_tenant):
        assert _setting() == str(other_tenant.pk)
    assert len(setting_sends) == 2

    # Switched inside a transaction that rolls back: PostgreSQL restores the old value, the backend must not trust
    # its cache.
    with tenancy.tenant_context(other_tenant):
        with pytest.raises(RuntimeError), transaction.atomic():
            with tenancy.tenant_context(tenant):
                assert _setting() == str(tenant.pk)
            raise RuntimeError("roll back")
        with tenancy.tenant_context(tenant):
            assert _setting() == str(tenant.pk)
        assert _setting() == str(other_tenant.pk)


@pytest.fixture
def round_trips(monkeypatch):
    """Queries psycopg sends (each one simple-protocol message, one round trip)."""
    from psycopg import client_cursor

    sent = []
    original = client_cursor.ClientCursorMixin._execute_send

    def spy(self, query, **kwargs):
        sent.append(query.query)
        return original(self, query, **kwargs)

    monkeypatch.setattr(client_cursor.ClientCursorMixin, "_execute_send", spy)
    return sent


@session_level
def test_a_changed_tenant_rides_in_the_statements_round_trip(tenant, other_tenant, round_trips):
    from tenants.models import Team

    for owner, names in ((tenant, ["rt-a"]), (other_tenant, ["rt-b", "rt-c"])):
        with tenancy.tenant_context(owner):
            Team.objects.bulk_create([Team(tenant=owner, name=name) for name in names])
    with tenancy.tenant_context(tenant):
        assert Team.objects.filter(name__startswith="rt-").count() == 1
    round_trips.clear()
    with tenancy.tenant_context(other_tenant):
        assert Team.objects.filter(name__startswith="rt-").count() == 2  # the setting applied before the statement
        assert len(round_trips) == 1 and b"set_config" in round_trips[0]
        # The statement's own result is what the caller sees: an UPDATE's row count, not the setting's row.
        assert Team.objects.filter(name__startswith="rt-").update(description="x") == 2
        assert _setting() == str(other_tenant.pk)
    assert len(round_trips) == 3


@session_level
def test_a_failing_statement_does_not_leave_a_trusted_setting(tenant, other_tenant, setting_sends):
    from django.db import DatabaseError

    with tenancy.tenant_context(tenant):
        _setting()
    setting_sends.clear()
    with tenancy.tenant_context(other_tenant):
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # autocommit: the setting sent with it is undone
        assert _setting() == str(other_tenant.pk)
    assert len(setting_sends) == 2


# --- transaction pooling (PgBouncer pool_mode = transaction): nothing stays on the server connection ---------------


@pytest.fixture
def pooled(settings):
    """Transaction-local settings, on a fresh connection (no session-level setting left from before)."""
    connection.close()
    settings.DATABASE_TRANSACTION_POOLING = True
    yield
    connection.close()


def _left_on_server_connection() -> tuple:
    """What the next client of the server connection would inherit (read past the backend's wrappers)."""
    row = connection.connection.execute("SELECT current_setting('app.tenant_id', true), current_user").fetchone()
    return row[0] or "", row[1]


def _rls_only_team_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_team")  # no tenant filter: row-level security alone
        return cursor.fetchone()[0]


def test_pooled_statements_carry_their_own_transaction_local_setting(pooled, tenant, other_tenant, round_trips):
    from tenants.models import Team

    with tenancy.platform_access():
        counts = {t.pk: Team.all_tenants.filter(tenant=t).count() for t in (tenant, other_tenant)}
    connected_as = _left_on_server_connection()[1]
    for current in (tenant, other_tenant, tenant):
        round_trips.clear()
        with tenancy.tenant_context(current):
            assert _rls_only_team_count() == counts[current.pk]
            assert _rls_only_team_count() == counts[current.pk]  # sent again: the first one ended with its statement
        assert len(round_trips) == 2 and all(b"', true)" in sent for sent in round_trips)
        assert _left_on_server_connection() == ("", connected_as)


def test_pooled_transactions_set_it_once_and_leave_nothing(pooled, tenant, round_trips):
    from tenants.models import Team

    connected_as = _left_on_server_connection()[1]
    with tenancy.tenant_context(tenant):
        with transaction.atomic():
            Team.objects.create(name="pooled")
            round_trips.clear()
            assert _setting() == str(tenant.pk) and _rls_only_team_count() >= 1
            assert not any(b"set_config" in sent for sent in round_trips)
        assert _left_on_server_connection() == ("", connected_as)
        with pytest.raises(RuntimeError, match="atomic"), connection.cursor() as cursor:
            cursor.executemany("SELECT %s", [(1,), (2,)])  # cannot carry the setting outside a transaction
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("SELECT %s", [(1,), (2,)])
    assert _left_on_server_connection() == ("", connected_as)
