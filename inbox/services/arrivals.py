"""What happens when new tickets arrive, beyond storing them: the auto-reply outside business hours and the burst
alerts. Ingestion calls `tickets_arrived` once per batch, inside the batch's transaction (a rolled-back batch
queues no reply and opens no incident)."""

from __future__ import annotations

from datetime import datetime

from inbox.services.alerts import evaluate_burst_alerts
from inbox.services.business_hours import send_auto_replies


def tickets_arrived(channel, ticket_ids: list, *, now: datetime) -> None:
    """`ticket_ids`: the batch's new tickets not written by us (some may have lost an insert race: they are
    skipped)."""
    if not ticket_ids:
        return
    send_auto_replies(channel, ticket_ids, now=now)
    evaluate_burst_alerts([channel.pk], now=now)
