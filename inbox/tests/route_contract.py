"""The inbox's declarations for the generated route contract (core/tests/test_route_contract.py).

Tickets, interactors, ticket actions, categories, templates and folders come from `inbox/demo.py`; a reply
suggestion is proposed through the API on the ticket the contract puts in the path, so the nested routes name a
suggestion of that very ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone


def _suggestion(world) -> None:
    ticket = world.object_of("inbox.Ticket")
    payload = {"text": "Thanks, we are looking into it."}
    response = world.owner_client.post(f"/api/v1/inbox/tickets/{ticket.pk}/suggest/", payload, format="json")
    assert response.status_code == 201, response.json()


def _bulk_job(world) -> None:
    ticket = world.object_of("inbox.Ticket")
    payload = {"action": "markRead", "ids": [str(ticket.pk)]}
    response = world.owner_client.post("/api/v1/inbox/tickets/bulk/", payload, format="json")
    assert response.status_code == 202, response.json()


def _followup(world) -> None:
    ticket = world.object_of("inbox.Ticket")
    payload = {"dueAt": (timezone.now() + timedelta(days=1)).isoformat(), "note": "Check the refund"}
    response = world.owner_client.post(f"/api/v1/inbox/tickets/{ticket.pk}/followups/", payload, format="json")
    assert response.status_code == 201, response.json()


def _agent(world) -> None:
    # Listing the agents gives every member who may work tickets (the owner too) their settings row.
    response = world.owner_client.get("/api/v1/inbox/agents/")
    assert response.status_code == 200, response.json()


OBJECT_BUILDERS: dict[str, Callable[[Any], None]] = {
    "inbox.BulkJob": _bulk_job,
    "inbox.Followup": _followup,
    "inbox.ReplySuggestion": _suggestion,
    "inbox.InboxAgent": _agent,
}

PATH_VALUES: dict[tuple[str, str], Callable[[Any], Any]] = {
    # Any action the ticket menu offers; "archive" is a write every role below AGENT is refused.
    ("TicketViewSet", "action_name"): lambda world: "archive",
    ("TicketViewSet", "action_id"): lambda world: world.object_of("inbox.TicketAction").pk,
    ("TicketViewSet", "suggestion_id"): lambda world: world.object_of("inbox.ReplySuggestion").pk,
    ("FollowupViewSet", "ticket_id"): lambda world: world.object_of("inbox.Followup").ticket_id,
}

EXEMPT: dict[tuple[str, str, str], str] = {
    ("api/v1/inbox/^tickets/export/?$", "post", "lowest_role"): "a read: the CSV of the tickets the caller sees "
    "(inbox.ticket.read, which VIEWER holds); POST only carries the filter body",
}
