"""Upkeep of the ticket counters (`inbox.models.TicketCount`, written by PostgreSQL triggers on every ticket write).

- `compact_ticket_counts()`: folds each key's appended rows into one (a single DELETE ... RETURNING feeding an
  INSERT: one snapshot, so a row appended meanwhile is neither lost nor counted twice) and drops the rows of
  channels that no longer exist;
- `reconcile_ticket_counts()`: compares every key with a scan of the tickets in the same statement (one snapshot)
  and appends the difference, so a counter that ever drifted (a bug, a manual fix in SQL) is right again.
Both run as platform jobs over every tenant (beat). On SQLite there are no triggers and the counts scan instead.
"""

from __future__ import annotations

from django.db import connection, transaction

from core import tenancy
from inbox.models import Ticket, TicketCount

KEY = "tenant_id, channel_id, type, status, is_unread"


def counters_enabled() -> bool:
    return connection.vendor == "postgresql"


def compact_ticket_counts() -> int:
    """Fold the counter rows of every tenant to one per key. Returns the rows left."""
    if not counters_enabled():
        return 0
    table, channels = TicketCount._meta.db_table, Ticket._meta.get_field("channel").related_model._meta.db_table
    with tenancy.platform_access(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} AS c WHERE NOT EXISTS (SELECT 1 FROM {channels} WHERE id = c.channel_id)")
        cursor.execute(
            f"WITH folded AS (DELETE FROM {table} RETURNING {KEY}, delta) "
            f"INSERT INTO {table} (id, created_at, updated_at, {KEY}, delta) "
            f"SELECT gen_random_uuid(), now(), now(), {KEY}, sum(delta) FROM folded "
            f"GROUP BY {KEY} HAVING sum(delta) <> 0"
        )
        return cursor.rowcount


def reconcile_ticket_counts() -> int:
    """Append a correction for every key whose counter differs from a scan. Returns how many were corrected."""
    if not counters_enabled():
        return 0
    table, tickets = TicketCount._meta.db_table, Ticket._meta.db_table
    with tenancy.platform_access(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, created_at, updated_at, {KEY}, delta) "
            f"SELECT gen_random_uuid(), now(), now(), {KEY}, sum(truth) - sum(counted) FROM ("
            f"  SELECT {KEY}, count(*) AS truth, 0 AS counted FROM {tickets} GROUP BY {KEY}"
            f"  UNION ALL SELECT {KEY}, 0, sum(delta) FROM {table} GROUP BY {KEY}"
            f") AS both_sides GROUP BY {KEY} HAVING sum(truth) <> sum(counted)"
        )
        return cursor.rowcount
