"""Routing tickets to a team.

Minimal version (branch inbox-rules): `route_to_team` sets the team and leaves the tickets unassigned, in the
team's backlog; choosing agents by capacity (round-robin over open tickets) belongs to the assignment service of
branch inbox-reports, which replaces this file at merge with the same signature.
"""

from __future__ import annotations

from django.utils import timezone

from inbox.models import Ticket


def route_to_team(tickets: list[Ticket], *, team) -> None:
    """Give `tickets` to `team`, unassigned (the team's backlog)."""
    if not tickets:
        return
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(team=team, assignee=None, updated_at=timezone.now())
    for ticket in tickets:
        ticket.team, ticket.assignee = team, None
