"""Saved replies: placeholders are checked when a template is saved (an unknown one is a 400 then, not a broken
reply later) and filled when it is used, by an agent or by a rule."""

from __future__ import annotations

import re

from django.db import transaction

from core import audit
from core.auth import Principal
from core.errors import ValidationFailed
from inbox.models import Template, Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
KNOWN_PLACEHOLDERS = (
    "interactor.name",
    "interactor.handle",
    "agent.firstName",
    "agent.lastName",
    "agent.name",
    "channel.name",
)


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in KNOWN_PLACEHOLDERS})


def check_template_text(text: str, *, field: str = "text") -> None:
    """Raise a 400 naming every placeholder the renderer would not know."""
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in KNOWN_PLACEHOLDERS)
        raise ValidationFailed(
            details={field: [f"Unknown placeholder {{{{{name}}}}}; known: {known}." for name in unknown]}
        )


def render_template(text: str, *, ticket: Ticket, agent=None) -> str:
    """Fill the placeholders for `ticket` answered by `agent` (a user, or None for a rule: the agent's names are
    then empty). The text was checked when saved; an unknown name left by an older version renders empty."""
    interactor = ticket.interactor if ticket.interactor_id else None
    first = (getattr(agent, "first_name", "") or "") if agent else ""
    last = (getattr(agent, "last_name", "") or "") if agent else ""
    values = {
        "interactor.name": (interactor.name or interactor.handle) if interactor else "",
        "interactor.handle": interactor.handle if interactor else "",
        "agent.firstName": first,
        "agent.lastName": last,
        "agent.name": f"{first} {last}".strip(),
        "channel.name": getattr(ticket.channel, "name", "") or "",
    }
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), text)


def create_template(*, actor: Principal, name: str, text: str, team=None) -> Template:
    """A saved reply for the whole tenant, or for `team` only (its members and the admins see it)."""
    check_template_text(text)
    with transaction.atomic():
        template = Template.objects.create(name=name, text=text, team=team, created_by=actor.user)
        audit.record("inbox.template.created", template, actor=actor, changes={"name": name})
    return template


def update_template(template: Template, *, actor: Principal, changes: dict) -> Template:
    """Apply `changes` (any of name, text, team); the text's placeholders are checked again."""
    if "text" in changes:
        check_template_text(changes["text"])
    with transaction.atomic():
        template = Template.objects.select_for_update().get(pk=template.pk)
        for key, value in changes.items():
            setattr(template, key, value)
        template.save()
        audit.record("inbox.template.updated", template, actor=actor, changes={"fields": sorted(changes)})
    return template


def delete_template(template: Template, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("inbox.template.deleted", template, actor=actor, changes={"name": template.name})
        template.delete()
