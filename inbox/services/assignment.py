"""Round-robin assignment inside a team, honouring each agent's capacity and availability.

`route_to_team(tickets, team=)` gives each ticket, oldest first, to the team's available agent with room who has
waited longest (`last_assigned_at`, never-assigned first); a ticket nobody can take stays in the team's backlog (team
set, no assignee). `drain_backlog(team)` hands the backlog out, oldest first, when capacity frees: after a ticket is
archived, unassigned or reassigned, or an agent becomes available or gets more room (`schedule_drain_for_agent`,
queued after commit).

Agents of a team: its members whose active membership may triage tickets (`inbox.ticket.work`). Their load: tickets
assigned to them that are open or snoozed (a snoozed ticket comes back to the same person).

Concurrency: both entry points lock the team's `InboxAgent` rows (`select_for_update`, ordered by user id, so two
teams sharing agents lock in the same order) before counting the load. Concurrent routers for one team queue on those
locks, and the count each reads after its lock includes what the previous holder committed, so no agent goes over
capacity. The rows are created on first use (`ignore_conflicts`, same order) before they are locked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import PermissionDenied
from inbox.models import InboxAgent, Ticket, TicketEvent, TicketStatus
from inbox.services import report_summary

AGENT_PERMISSION = "inbox.ticket.work"
MANAGE_PERMISSION = "inbox.config.manage"
LOAD_STATUSES = (TicketStatus.OPEN, TicketStatus.SNOOZED)
DRAIN_BATCH = 500
ROUND_ROBIN_LABEL = "round-robin"


# --- agents of a team ----------------------------------------------------------------------------------------------
def team_agent_user_ids(team) -> list:
    """User ids of the team's members who may work tickets, sorted (the lock order)."""
    from tenants.roles import permissions_for_role
    from tenants.selectors import active_members, team_members

    user_ids = list(team_members(team).values_list("user_id", flat=True))
    memberships = active_members().filter(user_id__in=user_ids)
    return sorted(
        (m.user_id for m in memberships if AGENT_PERMISSION in permissions_for_role(m.role, m.custom_permissions)),
        key=str,
    )


def _ensure_agents(user_ids: list) -> None:
    tenant_id = tenancy.get_current_tenant_id()
    InboxAgent.objects.bulk_create(
        [InboxAgent(tenant_id=tenant_id, user_id=user_id) for user_id in user_ids], ignore_conflicts=True
    )


def _lock_team_agents(team) -> list[InboxAgent]:
    user_ids = team_agent_user_ids(team)
    if not user_ids:
        return []
    _ensure_agents(user_ids)
    agents = list(InboxAgent.objects.select_for_update().filter(user_id__in=user_ids).order_by("user_id"))
    return agents


def _open_load(user_ids: Iterable) -> Counter:
    rows = (
        Ticket.objects.filter(assignee_id__in=list(user_ids), status__in=LOAD_STATUSES)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    return Counter(dict(rows))


def _has_room(agent: InboxAgent, load: Counter) -> bool:
    return agent.is_available and (agent.max_open_tickets is None or load[agent.user_id] < agent.max_open_tickets)


def _next_agent(agents: list[InboxAgent], load: Counter) -> InboxAgent | None:
    candidates = [agent for agent in agents if _has_room(agent, load)]
    if not candidates:
        return None
    # Never assigned first, then who waited longest; the user id breaks ties so the order is stable.
    return min(
        candidates,
        key=lambda a: (a.last_assigned_at is not None, a.last_assigned_at or timezone.now(), str(a.user_id)),
    )


def _distribute(tickets: list[Ticket], team, agents: list[InboxAgent]) -> int:
    """Give `tickets` (oldest first) to `agents` (locked), persist, record the history. Returns how many got one."""
    load = _open_load(agent.user_id for agent in agents)
    for ticket in tickets:
        if ticket.assignee_id is not None:  # about to move: it no longer weighs on its former assignee here
            load[ticket.assignee_id] -= 1
    now = timezone.now()
    chosen: dict = defaultdict(list)
    touched: list[InboxAgent] = []
    for step, ticket in enumerate(tickets):
        agent = _next_agent(agents, load)
        user_id = agent.user_id if agent else None
        if agent is not None:
            load[user_id] += 1
            # Strictly increasing within a batch, so the rotation goes round instead of sticking to one tie.
            agent.last_assigned_at = now + timedelta(microseconds=step)
            touched.append(agent)
        ticket.assignee_id = user_id
        ticket.team_id = team.pk
        chosen[user_id].append(ticket.pk)
    with report_summary.tracking(ticket.pk for ticket in tickets):
        for user_id, ids in chosen.items():
            Ticket.objects.filter(pk__in=ids).update(assignee_id=user_id, team_id=team.pk, updated_at=now)
    if touched:
        InboxAgent.objects.bulk_update(list({a.pk: a for a in touched}.values()), ["last_assigned_at"])
    tenant_id = tenancy.get_current_tenant_id()
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                tenant_id=tenant_id,
                ticket_id=ticket.pk,
                kind="roundRobin",
                actor_label=ROUND_ROBIN_LABEL,
                data={"teamId": str(team.pk), "assigneeId": str(ticket.assignee_id) if ticket.assignee_id else None},
            )
            for ticket in tickets
        ]
    )
    return sum(len(ids) for user_id, ids in chosen.items() if user_id is not None)


# --- public entry points -------------------------------------------------------------------------------------------
def route_to_team(tickets: list[Ticket], *, team) -> None:
    """Assign `tickets` round-robin among `team`'s available agents with room; the rest wait in the team's backlog.

    Sets `assignee_id`/`team_id` on the given instances too (callers that save them afterwards keep the choice).
    """
    if not tickets:
        return
    ordered = sorted(tickets, key=lambda t: (t.created_at or timezone.now(), str(t.pk)))
    with transaction.atomic():
        _distribute(ordered, team, _lock_team_agents(team))


def drain_backlog(team) -> int:
    """Assign the team's backlog (open, team set, no assignee), oldest first, while its agents have room. Returns
    how many tickets were assigned (at most DRAIN_BATCH; the task queues itself again when the batch was full)."""
    with transaction.atomic():
        agents = _lock_team_agents(team)
        load = _open_load(agent.user_id for agent in agents)
        room = 0
        for agent in agents:
            if agent.is_available:
                free = DRAIN_BATCH if agent.max_open_tickets is None else agent.max_open_tickets - load[agent.user_id]
                room += max(free, 0)
        if room <= 0:
            return 0
        # Tickets an agent is working on right now (locked) are skipped: the next drain takes them.
        backlog = list(
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(team=team, assignee__isnull=True, status=TicketStatus.OPEN)
            .order_by("created_at", "id")[: min(room, DRAIN_BATCH)]
        )
        if not backlog:
            return 0
        return _distribute(backlog, team, agents)


def schedule_drain(team_ids: Iterable) -> None:
    """After commit, queue a backlog drain for each of `team_ids` (no-op for an empty list)."""
    team_ids = sorted({str(team_id) for team_id in team_ids})
    if not team_ids:
        return
    tenant_id = str(tenancy.get_current_tenant_id())

    def enqueue() -> None:
        from inbox.tasks import drain_team_backlog  # the one service -> task edge of this module

        for team_id in team_ids:
            drain_team_backlog.delay(team_id=team_id, tenant_id=tenant_id)

    transaction.on_commit(enqueue)


def schedule_drain_for_agent(user_id) -> None:
    """Capacity freed for `user_id`: drain (after commit) the backlog of each of their teams that has one."""
    from tenants.models import TeamMember

    team_ids = TeamMember.objects.filter(user_id=user_id).values("team_id")
    with_backlog = (
        Ticket.objects.filter(team_id__in=team_ids, assignee__isnull=True, status=TicketStatus.OPEN)
        .order_by()
        .values_list("team_id", flat=True)
        .distinct()
    )
    schedule_drain(with_backlog)


def ticket_left_agent(previous_assignee_id, ticket: Ticket) -> None:
    """Called when a local action changed `ticket`: if it no longer weighs on its former assignee, their teams'
    backlogs may move."""
    if previous_assignee_id is None:
        return
    if ticket.assignee_id != previous_assignee_id or ticket.status not in LOAD_STATUSES:
        schedule_drain_for_agent(previous_assignee_id)


# --- agent settings ------------------------------------------------------------------------------------------------
def ensure_agents_of_tenant(user_id=None) -> None:
    """Give every active member who may work tickets (or just `user_id`, when they are one) their settings row
    with the defaults, so lists show them all. One read of the members, one INSERT ... ON CONFLICT DO NOTHING."""
    from tenants.roles import permissions_for_role
    from tenants.selectors import active_members

    members = active_members().only("user_id", "role", "custom_permissions")
    if user_id is not None:
        members = members.filter(user_id=user_id)
    user_ids = [m.user_id for m in members if AGENT_PERMISSION in permissions_for_role(m.role, m.custom_permissions)]
    _ensure_agents(sorted(user_ids, key=str))


def update_agent(agent: InboxAgent, *, actor: Principal, changes: dict) -> InboxAgent:
    """Change `max_open_tickets` (managers) and/or `is_available` (managers, or the agent themself). More room or
    coming back drains the agent's teams' backlogs after commit."""
    is_self = actor.user is not None and actor.user.pk == agent.user_id
    manages = actor.has(MANAGE_PERMISSION) or actor.kind == "staff"  # staff: the operator console
    if "max_open_tickets" in changes and not manages:
        raise PermissionDenied("Only managers set an agent's capacity.")
    if "is_available" in changes and not (is_self or manages):
        raise PermissionDenied("Only managers set another agent's availability.")
    with transaction.atomic():
        current = InboxAgent.objects.select_for_update().get(pk=agent.pk)
        before = {field: getattr(current, field) for field in changes}
        for field, value in changes.items():
            setattr(current, field, value)
        current.save()
        diff = {field: [before[field], value] for field, value in changes.items() if before[field] != value}
        if diff:
            audit.record("inbox.agent.updated", current, actor=actor, changes=_camel(diff))
        if _gained_room(before, changes):
            schedule_drain_for_agent(current.user_id)
    return InboxAgent.objects.select_related("user").get(pk=agent.pk)


def _gained_room(before: dict, changes: dict) -> bool:
    if changes.get("is_available") is True and before.get("is_available") is False:
        return True
    if "max_open_tickets" in changes:
        old, new = before["max_open_tickets"], changes["max_open_tickets"]
        return old is not None and (new is None or new > old)
    return False


def _camel(diff: dict) -> dict:
    names = {"max_open_tickets": "maxOpenTickets", "is_available": "isAvailable"}
    return {names[k]: v for k, v in diff.items()}
