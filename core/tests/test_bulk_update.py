"""core.db.bulk.update_objects: many objects' own values in one statement, within the current tenant."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import tenancy
from core.db.bulk import update_objects
from core.models import AuditLogEntry


def _entry(tenant, action: str) -> AuditLogEntry:
    with tenancy.platform_access():
        return AuditLogEntry.all_tenants.create(tenant=tenant, action=action, changes={"old": 1}, ip_address="10.0.0.1")


def test_each_row_gets_its_own_values_in_one_statement_and_other_tenants_rows_are_untouched(tenant, other_tenant):
    ours = [_entry(tenant, "a"), _entry(tenant, "b")]
    theirs = _entry(other_tenant, "c")
    ours[0].action, ours[0].changes, ours[0].ip_address = "first", {"camelCase": [1, "x"], "n": None}, None
    ours[1].action, ours[1].changes = "second", {}
    theirs.action = "not ours"

    with tenancy.tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        changed = update_objects([*ours, theirs], ["action", "changes", "ip_address"])

    with tenancy.platform_access():
        rows = {
            entry.pk: (entry.action, entry.changes, entry.ip_address)
            for entry in AuditLogEntry.all_tenants.filter(pk__in=[ours[0].pk, ours[1].pk, theirs.pk])
        }
    assert rows[ours[0].pk] == ("first", {"camelCase": [1, "x"], "n": None}, None)
    assert rows[ours[1].pk] == ("second", {}, "10.0.0.1")
    assert rows[theirs.pk] == ("c", {"old": 1}, "10.0.0.1")  # another tenant's row: not matched
    assert changed == 2
    if connection.vendor == "postgresql":
        [update] = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
        assert "jsonb_array_elements" in update


def test_nothing_to_write_sends_nothing(tenant):
    with tenancy.tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        assert update_objects([], ["action"]) == 0
    assert queries.captured_queries == []
