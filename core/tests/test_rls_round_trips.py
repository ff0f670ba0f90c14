"""The RLS backend sends the tenant setting only when it changes (core/db/backends/postgresql), and never keeps a
setting PostgreSQL has undone."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from conftest import requires_postgres
from core import tenancy
from core.db import rls

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


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


def test_one_send_for_many_transactions_of_one_tenant(tenant, setting_sends):
    with tenancy.tenant_context(tenant):
        _setting()
        setting_sends.clear()
        for _ in range(3):
            with transaction.atomic():
                assert _setting() == str(tenant.pk)
    assert setting_sends == []


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
