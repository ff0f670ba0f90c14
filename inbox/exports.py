"""CSV export of tickets, produced row by row so a large export never sits in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet

from inbox.models import Ticket

COLUMNS = (
    "id",
    "createdAt",
    "network",
    "channel",
    "type",
    "status",
    "sentiment",
    "priority",
    "unread",
    "own",
    "interactor",
    "text",
    "assigneeId",
    "teamId",
    "firstResponseAt",
    "resolvedAt",
    "url",
)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _cell(value: str) -> str:
    # A cell a spreadsheet would run as a formula is prefixed with a quote (CSV injection).
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def ticket_csv_rows(queryset: QuerySet[Ticket]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for ticket in queryset.iterator(chunk_size=1000):
        interactor = ticket.interactor
        writer.writerow(
            [
                str(ticket.pk),
                _iso(ticket.created_at),
                ticket.network,
                _cell(ticket.channel.name),
                ticket.type,
                ticket.status,
                ticket.sentiment,
                "yes" if ticket.is_priority else "",
                "yes" if ticket.is_unread else "",
                "yes" if ticket.is_own else "",
                _cell(interactor.name if interactor else ""),
                _cell(ticket.text),
                str(ticket.assignee_id or ""),
                str(ticket.team_id or ""),
                _iso(ticket.first_response_at),
                _iso(ticket.resolved_at),
                ticket.url,
            ]
        )
        yield flush()
