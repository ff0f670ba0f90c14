"""Shared steps of the smart-rule tests: lists and rules made through the API, items ingested like a poll."""

from __future__ import annotations

from datetime import UTC, datetime

from core import tenancy
from inbox.incoming import IncomingItem
from inbox.models import Ticket, TicketEvent
from inbox.services.ingestion import ingest

RULES = "/api/v1/inbox/rules/"
KEYWORD_LISTS = "/api/v1/inbox/keyword-lists/"
INTERACTOR_LISTS = "/api/v1/inbox/interactor-lists/"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def created(response) -> dict:
    assert response.status_code == 201, response.json()
    return response.json()


def keyword_list(client, keywords: list[str], name: str = "Words") -> str:
    return created(client.post(KEYWORD_LISTS, {"name": name, "keywords": keywords}, format="json"))["id"]


def rule(client, name: str, actions: list[dict], conditions: dict | None = None, **fields) -> dict:
    payload = {"name": name, "actions": actions, "conditions": conditions or {}, **fields}
    return created(client.post(RULES, payload, format="json"))


def item(item_id: str, text: str, *, author: str = "fan-1", type: str = "comment") -> IncomingItem:
    return IncomingItem(
        network_item_id=item_id,
        type=type,
        text=text,
        author_id=author,
        author_name=f"Name {author}",
        created_at=T0,
        parent_id="post-1" if type != "message" else "conv-1",
    )


def ingest_items(tenant, channel, items: list[IncomingItem]):
    with tenancy.tenant_context(tenant):
        return ingest(channel, items)


def ticket(tenant, item_id: str) -> Ticket:
    with tenancy.tenant_context(tenant):
        return Ticket.objects.select_related("assignee", "team").get(network_item_id=item_id)


def rule_events(tenant, item_id: str) -> list[dict]:
    with tenancy.tenant_context(tenant):
        rows = TicketEvent.objects.filter(ticket__network_item_id=item_id, kind="rule").order_by("created_at", "id")
        return [row.data for row in rows]
