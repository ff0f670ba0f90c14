"""core.db.bulk on tickets: one UPDATE where each row keeps the fields it does not name, scoped to the current
tenant; one INSERT that skips rows meeting a unique key and returns only the rows it inserted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import tenancy
from core.db import bulk
from inbox.models import Category, TicketCategory
from inbox.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_update_rows_changes_each_row_its_own_fields_in_one_statement(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        first, second = TicketFactory(tenant=tenant, sentiment="POSITIVE"), TicketFactory(tenant=tenant)
    with tenancy.tenant_context(other_tenant):
        foreign = TicketFactory(tenant=other_tenant)
    with tenancy.tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        updated = bulk.update_rows(
            type(first),
            {
                first.pk: {"is_priority": True},
                second.pk: {"sentiment": "NEGATIVE", "assignee_id": None, "status": "archived"},
                foreign.pk: {"is_priority": True},
            },
        )
    assert updated == 2
    if connection.vendor == "postgresql":
        assert len([q for q in queries.captured_queries if "UPDATE inbox_ticket" in q["sql"]]) == 1
    with tenancy.tenant_context(tenant):
        first.refresh_from_db()
        second.refresh_from_db()
    with tenancy.tenant_context(other_tenant):
        foreign.refresh_from_db()
    assert (first.is_priority, first.sentiment, first.status) == (True, "POSITIVE", "open")
    assert (second.is_priority, second.sentiment, second.status) == (False, "NEGATIVE", "archived")
    assert foreign.is_priority is False  # another tenant's row is never touched
    assert second.updated_at > second.created_at


def test_insert_rows_skips_existing_pairs_and_returns_only_its_own(tenant):
    with tenancy.tenant_context(tenant):
        ticket, other = TicketFactory(tenant=tenant), TicketFactory(tenant=tenant)
        category = Category.objects.create(name="Sales")
        TicketCategory.objects.create(ticket=ticket, category=category)
        inserted = bulk.insert_rows(
            TicketCategory,
            [{"ticket_id": ticket.pk, "category_id": category.pk}, {"ticket_id": other.pk, "category_id": category.pk}],
            skip_conflicts_on=("ticket", "category"),
            returning=("ticket", "category"),
        )
        assert inserted == [(other.pk, category.pk)]
        rows = TicketCategory.objects.filter(category=category)
        assert sorted(str(t) for t in rows.values_list("ticket_id", flat=True)) == sorted(
            [str(ticket.pk), str(other.pk)]
        )
        assert {row.tenant_id for row in rows} == {tenant.pk}
