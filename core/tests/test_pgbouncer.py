"""Behind PgBouncer in transaction pool mode no tenant setting leaks from one pooled transaction to the next.

Runs in `.ci/pgbouncer.sh`, which starts Debian's pgbouncer (`.ci/pgbouncer.ini`) and points the suite at it with
DATABASE_TRANSACTION_POOLING on. A second, plain client of the same pool (no Hubbub backend, no wrappers) takes the
server connection each Hubbub transaction has just given back and reports what it inherited.
"""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from conftest import requires_postgres
from core import tenancy
from tenants.models import Team

pytestmark = [
    requires_postgres,
    pytest.mark.skipif(
        not settings.DATABASE_TRANSACTION_POOLING, reason="runs behind a transaction pooler (.ci/pgbouncer.sh)"
    ),
    pytest.mark.django_db(transaction=True),
]

_INHERITED = "SELECT pg_backend_pid(), current_setting('app.tenant_id', true), current_user"


@pytest.fixture
def plain_client():
    """Another client of the pooler, connected as Hubbub is, that runs each statement as its own transaction."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{**params, "prepare_threshold": None}, autocommit=True) as client:
        yield client


def _inside_hubbub_transaction() -> tuple[int, int]:
    """(server pid, teams visible through row-level security alone) inside one Hubbub transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), (SELECT count(*) FROM tenants_team)")
        return cursor.fetchone()


def test_the_next_client_of_a_server_connection_inherits_no_tenant(tenant, other_tenant, plain_client):
    with tenancy.platform_access():
        Team.all_tenants.create(tenant=tenant, name="acme-only")
        Team.all_tenants.create(tenant=other_tenant, name="globex-only")
        Team.all_tenants.create(tenant=other_tenant, name="globex-too")
        teams = {t.pk: Team.all_tenants.filter(tenant=t).count() for t in (tenant, other_tenant)}
    connected_as = plain_client.execute("SELECT current_user").fetchone()[0]
    assert teams[tenant.pk] != teams[other_tenant.pk]

    seen = []
    for current in (tenant, other_tenant, tenant):
        with tenancy.tenant_context(current):
            pid, visible = _inside_hubbub_transaction()
        assert visible == teams[current.pk]  # the setting sent in this transaction, not one inherited
        inherited_pid, tenant_setting, role = plain_client.execute(_INHERITED).fetchone()
        assert inherited_pid == pid, "not behind a transaction pooler: the two clients got different servers"
        assert (tenant_setting or "", role) == ("", connected_as)
        seen.append(pid)
    assert len(set(seen)) == 1  # one server connection served both tenants in turn


def test_a_rolled_back_transaction_leaves_nothing_either(tenant, plain_client):
    connected_as = plain_client.execute("SELECT current_user").fetchone()[0]
    with tenancy.tenant_context(tenant), pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        raise RuntimeError("abandon the transaction")
    inherited_pid, tenant_setting, role = plain_client.execute(_INHERITED).fetchone()
    assert inherited_pid == pid
    assert (tenant_setting or "", role) == ("", connected_as)
