"""Ticket actions: every change an agent makes to a ticket is a `TicketAction` row with a result.

Local actions (archive, assign, sentiment, ...) are applied at once and recorded `done`. Network actions (reply,
like, hide, delete, ...) are checked first (the network and ticket type must support them, text within the
network's limit: nothing is sent otherwise), committed as `pending`, and run by a task:

1. `execute_action` claims the row with a conditional UPDATE that sets `sent_at` (committed before the call), so a
   task that runs twice, or a redelivered message, finds it taken and sends nothing;
2. the adapter is called outside any transaction;
3. the result is recorded: `done` (a reply also becomes our own ticket in the thread, under the network's id, so the
   next poll finds it and adds no second copy), `failed` with the network's code and reason, or, when the request
   was sent and no answer came, `pending` with `outcome_unknown`: the next poll that shows our reply confirms it;
   `sweep_unknown_outcomes` fails the rest after a while for a person to check before retrying. A custom
   channel's reply stays `pending` once its endpoint took it, until the integrator confirms it
   (`inbox.services.public_api`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.auth import Principal
from core.errors import ValidationFailed
from core.notify import notify
from inbox.errors import ActionNotRetryable, ActionNotSupported, OutcomeUnknown, UnknownAction
from inbox.incoming import IncomingItem
from inbox.models import (
    ActionStatus,
    ArchiveReason,
    Sentiment,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
    TicketType,
)
from inbox.services import assignment, public_api, report_summary
from inbox.services.business_hours import mark_resolved, reply_done
from inbox.services.categories import check_archivable, set_categories
from inbox.services.reply_media import resolve_reply_media
from inbox.services.templates import render_template
from social.networks.base import AuthExpired, NetworkError, PermissionMissing, UnknownOutcome
from social.services.listening import adapter_for

logger = logging.getLogger(__name__)

NETWORK_ACTIONS = ("reply", "like", "unlike", "hide", "unhide", "delete")
LOCAL_ACTIONS = (
    "archive",
    "unarchive",
    "assign",
    "sentiment",
    "priority",
    "unpriority",
    "snooze",
    "markRead",
    "markUnread",
    "forward",
    "categorize",
)
VALID_ACTIONS = NETWORK_ACTIONS + LOCAL_ACTIONS
# Which ticket types each network action applies to (a DM cannot be liked or hidden).
ACTION_TYPES = {
    "like": {TicketType.COMMENT, TicketType.REPLY, TicketType.MENTION, TicketType.POST},
    "unlike": {TicketType.COMMENT, TicketType.REPLY, TicketType.MENTION, TicketType.POST},
    "hide": {TicketType.COMMENT, TicketType.REPLY},
    "unhide": {TicketType.COMMENT, TicketType.REPLY},
    "delete": {TicketType.COMMENT, TicketType.REPLY, TicketType.POST},
    "reply": set(TicketType.values),
}
# The adapter method (and capability) each network action needs.
ACTION_CAPABILITY = {"like": "like", "unlike": "like", "hide": "hide", "unhide": "hide", "delete": "delete"}
# Networks with a private reply to a public comment (Messenger's `recipient.comment_id`).
PRIVATE_REPLY_NETWORKS = frozenset({"facebook", "instagram", "sandbox", public_api.CUSTOM_NETWORK})
UNKNOWN_OUTCOME_GRACE = timedelta(minutes=30)
UNCLAIMED_GRACE = timedelta(minutes=5)


# --- checks --------------------------------------------------------------------------------------------------------
def _adapter_for(ticket: Ticket):
    return adapter_for(ticket.network)


def _supports(adapter, capability: str, method: str) -> bool:
    if adapter is None or not callable(getattr(adapter, method, None)):
        return False
    capabilities = getattr(adapter, "capabilities", None)
    return capabilities is None or capability in capabilities


def _reply_method(ticket: Ticket, private: bool) -> str:
    if ticket.network == public_api.CUSTOM_NETWORK:
        return "reply"  # one webhook for every kind of answer: the integrator reads `private`
    return "send_message" if ticket.type == TicketType.MESSAGE or private else "reply"


def check_network_action(ticket: Ticket, action: str, params: dict) -> None:
    """Raise NOT_SUPPORTED (409) or a 400 before anything is stored or sent."""
    if ticket.is_deleted_in_network or ticket.status == TicketStatus.DELETED:
        raise ActionNotSupported("The item no longer exists on the network.")
    if ticket.type not in ACTION_TYPES[action]:
        raise ActionNotSupported(f"{action} is not possible on a {ticket.type}.", details={"type": ticket.type})
    adapter = _adapter_for(ticket)
    if action == "reply":
        private = bool(params.get("private"))
        method = _reply_method(ticket, private)
        private_comment_reply = private and ticket.type != TicketType.MESSAGE
        if not _supports(adapter, "reply", method) or (
            private_comment_reply and ticket.network not in PRIVATE_REPLY_NETWORKS
        ):
            kind = "private replies" if private else "replies"
            raise ActionNotSupported(f"{ticket.network} does not support {kind} here.")
        limit = adapter.rules.max_text_length
        if len(params.get("text", "")) > limit:
            raise ValidationFailed(
                details={"text": [f"At most {limit} characters on {ticket.network}."], "limit": limit}
            )
        if params.get("media_ids"):
            params["media"] = resolve_reply_media(
                ticket,
                adapter,
                params["media_ids"],
                text=params.get("text", ""),
                method=method,
                private=private_comment_reply,
            )
        if ticket.network == public_api.CUSTOM_NETWORK:
            public_api.check_reply(ticket)
        elif ticket.type == TicketType.MESSAGE and ticket.interactor_id is None:
            raise ActionNotSupported("This conversation has no recipient to answer.")
        return
    method = "unlike" if action == "unlike" else ("hide" if action == "unhide" else action)
    if not _supports(adapter, ACTION_CAPABILITY[action], method):
        raise ActionNotSupported(f"{ticket.network} does not support {action}.")


# --- entry point ---------------------------------------------------------------------------------------------------
def perform_action(ticket: Ticket, action: str, *, actor: Principal, params: dict | None = None, bulk_job=None):
    """Run `action` on `ticket` for `actor`: local actions at once, network actions queued. Returns the action."""
    params = dict(params or {})
    if action not in VALID_ACTIONS:
        raise UnknownAction(f"Unknown action {action!r}.", details={"valid": list(VALID_ACTIONS)})
    if action in NETWORK_ACTIONS:
        if params.get("template") is not None:
            _fill_template(ticket, params, actor)
        check_network_action(ticket, action, params)
        with transaction.atomic():
            row = _new_action(ticket, action, params, actor, bulk_job=bulk_job)
            _record_event(ticket, action, actor, {**params, "actionId": str(row.pk), "status": "pending"})
            transaction.on_commit(lambda: _enqueue(row))
        return row
    with transaction.atomic(), report_summary.tracking([ticket.pk]):
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        previous_assignee_id = locked.assignee_id
        LOCAL_HANDLERS[action](locked, params, actor, bulk_job)
        locked.save()
        assignment.ticket_left_agent(previous_assignee_id, locked)
        row = _new_action(locked, action, params, actor, status=ActionStatus.DONE, bulk_job=bulk_job)
        _record_event(locked, action, actor, params)
    return row


def _fill_template(ticket: Ticket, params: dict, actor: Principal) -> None:
    """A reply from a saved template: rendered for the acting agent unless the agent sent their own `text` (the
    template as they edited it); the template's id stays in the action's params for reports."""
    template = params.pop("template")
    params["templateId"] = str(template.pk)
    if not params.get("text"):
        params["text"] = render_template(template.text, ticket=ticket, agent=actor.user if actor else None)


def _new_action(ticket, action, params, actor, *, status=ActionStatus.PENDING, bulk_job=None) -> TicketAction:
    now = timezone.now()
    return TicketAction.objects.create(
        ticket=ticket,
        action=action,
        params=_jsonable(params),
        status=status,
        completed_at=now if status == ActionStatus.DONE else None,
        actor_user=actor.user,
        actor_label=actor.label,
        bulk_job=bulk_job,
    )


def _record_event(ticket: Ticket, kind: str, actor: Principal | None, data: dict) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor_user=actor.user if actor else None,
        actor_label=actor.label if actor else "network",
        data=_jsonable(data),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value.pk)
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _enqueue(action: TicketAction) -> None:
    from inbox.tasks import run_ticket_action  # the one service -> task edge of this module

    run_ticket_action.delay(action_id=str(action.pk), tenant_id=str(action.tenant_id))


# --- local actions -------------------------------------------------------------------------------------------------
def _archive(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    check_archivable(ticket)
    now = timezone.now()
    ticket.status = TicketStatus.ARCHIVED
    ticket.archive_reason = ArchiveReason.MASS if bulk_job is not None else ArchiveReason.MANUAL
    ticket.archived_at = now
    ticket.snoozed_until = None
    mark_resolved(ticket, now)


def _unarchive(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    ticket.status = TicketStatus.OPEN
    ticket.archive_reason = ""
    ticket.archived_at = None
    ticket.snoozed_until = None
    ticket.resolved_at = None
    ticket.resolution_business_seconds = None


def _assign(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    # The view resolved `user`/`team` inside the tenant; None unassigns.
    if "user" in params:
        ticket.assignee = params["user"]
    if "team" in params:
        ticket.team = params["team"]
    # A team without a person: the team's round-robin picks one (or the ticket waits in the team's backlog).
    if params.get("team") is not None and "user" not in params:
        assignment.route_to_team([ticket], team=params["team"])


def _sentiment(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    value = params.get("value")
    if value not in (None, "", *Sentiment.values):
        raise ValidationFailed(details={"value": [f"One of {', '.join(Sentiment.values)} or null."]})
    ticket.sentiment = value or ""


def _flag(field: str, value: bool) -> Callable:
    def apply(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
        setattr(ticket, field, value)

    return apply


def _snooze(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    until = params.get("until")
    if not isinstance(until, datetime) or until <= timezone.now():
        raise ValidationFailed(details={"until": ["A time in the future."]})
    ticket.status = TicketStatus.SNOOZED
    ticket.snoozed_until = until


def _forward(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    emails = params.get("emails") or []
    if not emails:
        raise ValidationFailed(details={"emails": ["At least one address."]})
    author = ticket.interactor.name if ticket.interactor_id and ticket.interactor else "someone"
    note = params.get("note") or ""
    notify(
        "inbox.ticket.forwarded",
        to=emails,
        subject=params.get("subject") or f"Fwd: {ticket.type} from {author} on {ticket.network}",
        body=f"{actor.label} forwarded this {ticket.type}:\n\n{ticket.text}\n\n{note}".strip(),
        tenant_id=ticket.tenant_id,
        data={"ticketId": str(ticket.pk), "network": ticket.network, "url": ticket.url},
    )


def _categorize(ticket: Ticket, params: dict, actor: Principal, bulk_job) -> None:
    set_categories(ticket, params.get("categoryIds") or [], actor=actor)


LOCAL_HANDLERS: dict[str, Callable] = {
    "archive": _archive,
    "unarchive": _unarchive,
    "assign": _assign,
    "sentiment": _sentiment,
    "priority": _flag("is_priority", True),
    "unpriority": _flag("is_priority", False),
    "snooze": _snooze,
    "markRead": _flag("is_unread", False),
    "markUnread": _flag("is_unread", True),
    "forward": _forward,
    "categorize": _categorize,
}


# --- network actions, in the task ----------------------------------------------------------------------------------
def execute_action(action_id) -> str:
    """Run one pending network action exactly once (current tenant). Returns the resulting status."""
    from social.selectors import inbox_channels
    from social.services.channels import credentials_for, mark_needs_attention

    action = TicketAction.objects.select_related("ticket").filter(pk=action_id).first()
    if action is None or action.status != ActionStatus.PENDING or action.sent_at is not None:
        return action.status if action else "missing"
    now = timezone.now()
    # The claim: committed before the network call; a second run of this task matches no row and stops here.
    if not TicketAction.objects.filter(
        pk=action.pk, status=ActionStatus.PENDING, sent_at__isnull=True, attempt=action.attempt
    ).update(sent_at=now, updated_at=now):
        return "taken"
    ticket = action.ticket
    channel = inbox_channels().filter(pk=ticket.channel_id).first()
    if channel is None:
        _fail(action, "CHANNEL_UNAVAILABLE", "The channel is disconnected or needs attention.")
        return ActionStatus.FAILED
    adapter = adapter_for(ticket.network)
    if adapter is None:
        _fail(action, "NOT_SUPPORTED", f"No adapter speaks {ticket.network}.")
        return ActionStatus.FAILED
    credentials = credentials_for(channel)
    try:
        result = _call(adapter, credentials, ticket, action)
    except UnknownOutcome as exc:
        TicketAction.objects.filter(pk=action.pk).update(
            outcome_unknown=True, error_code=exc.code, error_message=str(exc)[:2000], updated_at=timezone.now()
        )
        return ActionStatus.PENDING
    except NetworkError as exc:
        if isinstance(exc, AuthExpired | PermissionMissing):
            mark_needs_attention(channel, reason=f"Inbox {action.action}: {exc}")
        _fail(action, exc.code, str(exc))
        return ActionStatus.FAILED
    if "acceptedAt" in result:  # a custom channel's endpoint took it; done once the integrator confirms
        public_api.record_accepted(action, result)
        return ActionStatus.PENDING
    succeed_action(channel, action, result)
    return ActionStatus.DONE


def _call(adapter, credentials, ticket: Ticket, action: TicketAction) -> dict:
    remote_id, name, params = ticket.network_item_id, action.action, action.params
    if ticket.network == public_api.CUSTOM_NETWORK:
        return public_api.deliver_reply(adapter, credentials, ticket, action)
    if name == "reply":
        text, images = params.get("text", ""), [m["url"] for m in params.get("media") or []]
        if _reply_method(ticket, bool(params.get("private"))) == "send_message":
            return _send_message_parts(adapter, credentials, ticket, action, text, images)
        published = adapter.reply(
            credentials, remote_id=remote_id, text=text, **({"image_url": images[0]} if images else {})
        )
        return {"networkItemId": published.remote_id, "url": published.url}
    if name == "like":
        adapter.like(credentials, remote_id=remote_id)
    elif name == "unlike":
        adapter.unlike(credentials, remote_id=remote_id)
    elif name in ("hide", "unhide"):
        adapter.hide(credentials, remote_id=remote_id, hidden=name == "hide")
    elif name == "delete":
        adapter.delete(credentials, remote_id=remote_id)
    return {}


def _send_message_parts(adapter, credentials, ticket: Ticket, action: TicketAction, text: str, images: list) -> dict:
    """A direct reply: the text, then each image as its own message (the Send API takes one or the other per
    message). With several parts, each one sent is recorded on the action before the next is sent, so a retry after
    a failure sends only the parts not sent yet."""
    parts = ([{"text": text}] if text else []) + [{"image_url": url} for url in images]
    sent = list(action.result.get("sentParts", [])) if len(parts) > 1 else []
    for part in parts[len(sent) :]:
        published = adapter.send_message(
            credentials,
            recipient_id=ticket.interactor.network_user_id,
            conversation_id=ticket.parent_network_item_id if ticket.type == TicketType.MESSAGE else "",
            private_reply_to=ticket.network_item_id if ticket.type != TicketType.MESSAGE else "",
            **part,
        )
        sent.append({"networkItemId": published.remote_id, "url": published.url, **_image_of(part)})
        if len(parts) > 1:
            TicketAction.objects.filter(pk=action.pk, status=ActionStatus.PENDING).update(
                result={"sentParts": sent}, updated_at=timezone.now()
            )
    first = sent[0]
    return {"networkItemId": first["networkItemId"], "url": first["url"], **({"parts": sent} if len(sent) > 1 else {})}


def _image_of(part: dict) -> dict:
    return {"imageUrl": part["image_url"]} if "image_url" in part else {}


def _fail(action: TicketAction, code: str, message: str) -> None:
    now = timezone.now()
    TicketAction.objects.filter(pk=action.pk, status=ActionStatus.PENDING).update(
        status=ActionStatus.FAILED, error_code=code, error_message=message[:2000], completed_at=now, updated_at=now
    )
    TicketEvent.objects.create(
        ticket_id=action.ticket_id,
        kind=f"{action.action}Failed",
        actor_label="network",
        data={"actionId": str(action.pk), "code": code, "message": message[:500]},
    )


TICKET_EFFECTS = {
    "like": {"is_liked": True},
    "unlike": {"is_liked": False},
    "hide": {"is_hidden": True},
    "unhide": {"is_hidden": False},
    "delete": {"status": TicketStatus.DELETED},
}


def succeed_action(channel, action: TicketAction, result: dict) -> None:
    """Record a network action as done (and a reply as our own ticket in the thread)."""
    from inbox.services.ingestion import ingest

    now = timezone.now()
    ticket = action.ticket
    with transaction.atomic():
        TicketAction.objects.filter(pk=action.pk, status=ActionStatus.PENDING).update(
            status=ActionStatus.DONE, result=result, completed_at=now, error_code="", error_message="", updated_at=now
        )
        effects = dict(TICKET_EFFECTS.get(action.action, {}))
        if action.action == "reply":
            effects.update(reply_done(action, now))
            # Our reply joins the thread now, under the network's id(s): the next poll recognises it, no second copy.
            ingest(channel, _own_reply_items(channel, ticket, action, result, now))
        Ticket.objects.filter(pk=ticket.pk).update(**effects, updated_at=now)
        TicketEvent.objects.create(
            ticket_id=ticket.pk,
            kind=f"{action.action}Done",
            actor_label="network",
            data={"actionId": str(action.pk), **result},
        )


def _own_reply_items(channel, ticket: Ticket, action: TicketAction, result: dict, now) -> list[IncomingItem]:
    """Our reply as the network holds it: one item, or one per message when a direct reply was sent in parts (the
    text, then each image)."""
    text = action.params.get("text", "")
    images = tuple({"type": "image", "url": m["url"]} for m in action.params.get("media") or [])
    pieces = [
        (part["networkItemId"], part.get("url", ""), "", ({"type": "image", "url": part["imageUrl"]},))
        if "imageUrl" in part
        else (part["networkItemId"], part.get("url", ""), text, ())
        for part in result.get("parts", [])
    ] or [(result["networkItemId"], result.get("url", ""), text, images)]
    return [
        IncomingItem(
            network_item_id=item_id,
            type=TicketType.MESSAGE if ticket.type == TicketType.MESSAGE else TicketType.REPLY,
            text=item_text,
            author_id=channel.external_id,
            created_at=now,
            # A conversation without a thread id (a custom channel's ticket) is answered under itself.
            parent_id=(ticket.parent_network_item_id or ticket.network_item_id)
            if ticket.type == TicketType.MESSAGE
            else ticket.network_item_id,
            url=url,
            attachments=attachments,
        )
        for item_id, url, item_text, attachments in pieces
    ]


def retry_action(action: TicketAction, *, actor: Principal, confirm_not_sent: bool = False) -> TicketAction:
    """Queue a failed network action again (a new attempt). One whose outcome was unknown may already have happened
    on the network: it is retried only when the caller confirms it did not."""
    if action.status != ActionStatus.FAILED or action.action not in NETWORK_ACTIONS:
        raise ActionNotRetryable()
    if action.error_code == UnknownOutcome.code and not confirm_not_sent:
        raise OutcomeUnknown()
    check_network_action(action.ticket, action.action, action.params)
    with transaction.atomic():
        updated = TicketAction.objects.filter(pk=action.pk, status=ActionStatus.FAILED, attempt=action.attempt).update(
            status=ActionStatus.PENDING,
            attempt=action.attempt + 1,
            sent_at=None,
            outcome_unknown=False,
            completed_at=None,
            error_code="",
            error_message="",
            updated_at=timezone.now(),
        )
        if not updated:
            raise ActionNotRetryable("The action was retried already.")
        action.refresh_from_db()
        _record_event(action.ticket, f"{action.action}Retried", actor, {"actionId": str(action.pk)})
        transaction.on_commit(lambda: _enqueue(action))
    return action


def sweep_stale_actions(*, now: datetime | None = None) -> dict[str, int]:
    """Safety net (current tenant): re-enqueue pending actions never claimed (the broker lost the message), and fail
    the ones whose outcome stayed unknown past the grace period, for a person to check (never re-sent blindly)."""
    now = now or timezone.now()
    unclaimed = list(
        TicketAction.objects.filter(
            status=ActionStatus.PENDING, sent_at__isnull=True, created_at__lte=now - UNCLAIMED_GRACE
        )[:500]
    )
    for action in unclaimed:
        _enqueue(action)
    # Sent long ago and still pending: the call timed out (outcome_unknown) or the worker died mid-call.
    expired = TicketAction.objects.filter(status=ActionStatus.PENDING, sent_at__lte=now - UNKNOWN_OUTCOME_GRACE).update(
        outcome_unknown=False,
        status=ActionStatus.FAILED,
        error_code=UnknownOutcome.code,
        error_message="The network never confirmed this action; check the network before retrying.",
        completed_at=now,
        updated_at=now,
    )
    return {"requeued": len(unclaimed), "unknownFailed": expired}
