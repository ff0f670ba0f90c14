"""The public ticket API of custom channels (seed 004 `public`): an integrator pushes its own items as tickets and
learns of agents' replies through a signed webhook.

- Credentials: `issue_credentials` gives a channel token (`hbc_...`, shown once, stored as its SHA-256 digest) and a
  Standard Webhooks secret (`whsec_...`, stored encrypted, shown once); issuing again replaces both.
- Inbound: `channel_for_token` names the tenant and channel; `push_ticket` and `update_pushed_ticket` go through
  the one ingestion service (dedupe on `(channel, networkItemId)` by the unique constraint: a second push of an
  id is 409 `TICKET_EXISTS` and changes nothing).
- Outbound: an agent's reply on a custom channel runs through the exactly-once action pipeline
  (`inbox.services.actions`); `deliver_reply` is its send step: one JSON POST to the channel's `endpointUrl`, signed
  like every Hubbub webhook (`notifications.services.webhooks.signature`), with `webhook-id` = `msg_<replyId>` on
  every attempt so the receiver dedupes a retried delivery.
- Outcome, as designed: a 2xx means the integrator *accepted* the reply, not that the person got it, so the action
  stays `pending` (`result.acceptedAt`) until `confirm_reply` (`POST .../replies/{rid}/success` with the item id the
  reply got on the integrator's side) marks it `done` and adds the reply to the thread as our own ticket. An
  accepted reply never confirmed is failed by the action sweep after `UNKNOWN_OUTCOME_GRACE` with `UNKNOWN_OUTCOME`
  (a person checks before retrying, exactly like a network call that timed out); a confirmation that arrives after
  that still marks it done. A non-2xx answer fails the action with the mapped code; a timeout leaves it pending
  with `outcome_unknown`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.errors import NotFound
from inbox.errors import ActionNotSupported, ChannelTokenInvalid, NotACustomChannel, ReplyNotDelivered, TicketExists
from inbox.incoming import IncomingItem
from inbox.models import (
    ActionStatus,
    CustomChannelCredential,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
    TicketType,
)
from inbox.services import report_summary
from inbox.services.ingestion import ingest
from notifications.services.webhooks import new_secret, signature
from social.networks.base import NotSupported, UnknownOutcome

CUSTOM_NETWORK = "custom"
TOKEN_PREFIX = "hbc_"
REPLY_EVENT = "inbox.ticket.reply"
# Seed 004 interaction types -> our ticket types (a generic `TICKET`, the default, is a conversation).
INTERACTION_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("POST", "ALBUM", "PHOTO", "MEDIA", "VIDEO", "TWEET", "ADPOST", "WEB", "NEWS", "BLOG", "FORUM"), TicketType.POST
    ),
    "COMMENT": TicketType.COMMENT,
    **dict.fromkeys(("THREAD", "MESSAGE", "DM", "TICKET"), TicketType.MESSAGE),
    "MENTION": TicketType.MENTION,
    **dict.fromkeys(("REVIEW", "RATING"), TicketType.REVIEW),
}


@dataclass(frozen=True)
class PublicCaller:
    """Who called the public API: the tenant and custom channel the token belongs to."""

    tenant: object
    channel: object
    credential: CustomChannelCredential


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- credentials ---------------------------------------------------------------------------------------------------
def issue_credentials(channel, *, actor: Principal) -> tuple[CustomChannelCredential, str]:
    """New token and signing secret for a custom channel (replacing any earlier pair). Returns (credential, token):
    the token is not stored and cannot be shown again; the secret can be read once from the credential."""
    if channel.network != CUSTOM_NETWORK:
        raise NotACustomChannel()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        credential, _ = CustomChannelCredential.objects.update_or_create(
            channel=channel,
            defaults={
                "token_digest": _digest(token),
                "token_prefix": token[:12],
                "signing_secret": new_secret(),
                "last_used_at": None,
            },
        )
        audit.record(
            "inbox.custom_channel.credentials_issued", channel, actor=actor, changes={"tokenPrefix": token[:12]}
        )
    return credential, token


def channel_for_token(token: str) -> PublicCaller:
    """The tenant and channel of a channel token (platform read by digest). Unknown, replaced, a channel that is
    no longer an active inbox channel or a suspended tenant -> 401, the same answer for each."""
    if not token.startswith(TOKEN_PREFIX):
        raise ChannelTokenInvalid()
    with tenancy.platform_access():
        credential = (
            CustomChannelCredential.all_tenants.select_related("tenant", "channel")
            .filter(token_digest=_digest(token))
            .first()
        )
    if credential is None:
        raise ChannelTokenInvalid()
    channel = credential.channel
    usable = channel.network == CUSTOM_NETWORK and channel.is_usable and channel.inbox_enabled
    if not usable or not credential.tenant.is_usable:
        raise ChannelTokenInvalid()
    return PublicCaller(tenant=credential.tenant, channel=channel, credential=credential)


def touch(caller: PublicCaller) -> None:
    """Remember when the token was last used (at most once a minute: pushes come in bursts)."""
    now = timezone.now()
    last = caller.credential.last_used_at
    if last is None or (now - last).total_seconds() > 60:
        CustomChannelCredential.objects.filter(pk=caller.credential.pk).update(last_used_at=now)


# --- inbound -------------------------------------------------------------------------------------------------------
def _attachments(data: dict) -> tuple[dict, ...]:
    pictures = [
        {"kind": "image", "url": p.get("large") or p["small"], "thumbnailUrl": p["small"]}
        for p in data.get("pictures") or []
    ]
    files = [
        {k: v for k, v in {"kind": "file", **a}.items() if v not in (None, "")} for a in data.get("attachments") or []
    ]
    return tuple(pictures + files)


def push_ticket(channel, interaction: dict) -> Ticket:
    """Create the ticket of one pushed interaction (current tenant). 409 TICKET_EXISTS when its id is known."""
    item_id = interaction["network_item_id"]
    existing = Ticket.objects.filter(channel=channel, network_item_id=item_id).values_list("pk", flat=True).first()
    if existing is not None:
        raise TicketExists(details={"ticketId": str(existing)})
    interactor = interaction.get("interactor") or {}
    root = (interaction.get("root") or {}).get("root_id", "")
    item = IncomingItem(
        network_item_id=item_id,
        type=INTERACTION_TYPES[interaction.get("type") or "TICKET"],
        text=interaction.get("message", ""),
        author_id=interactor.get("interactor_id", ""),
        author_name=interactor.get("name", ""),
        author_avatar_url=interactor.get("picture", ""),
        created_at=interaction.get("created_time"),
        parent_id=root if root != item_id else "",
        url=interaction.get("url") or interaction.get("link") or "",
        attachments=_attachments(interaction),
        rating=interaction.get("rating"),
    )
    report = ingest(channel, [item])
    if report.created == 0:  # another push of the same id won the insert: the unique constraint decided
        raise TicketExists(details={"ticketId": str(_by_item(channel, item_id).pk)})
    return _by_item(channel, item_id)


def _by_item(channel, item_id: str) -> Ticket:
    return Ticket.objects.select_related("interactor").get(channel=channel, network_item_id=item_id)


def update_pushed_ticket(ticket: Ticket, interaction: dict, *, reset: bool) -> Ticket:
    """An edit reported by the integrator: a new message goes through ingestion (kept in the edit history, marked
    edited, in the ticket's history); url, media and rating are replaced; `reset` moves an archived ticket back."""
    channel = ticket.channel
    interactor = interaction.get("interactor") or {}
    if "message" in interaction or interactor:
        ingest(
            channel,
            [
                IncomingItem(
                    network_item_id=ticket.network_item_id,
                    type=ticket.type,
                    text=interaction.get("message", ""),
                    author_id=ticket.interactor.network_user_id if ticket.interactor_id else "",
                    author_name=interactor.get("name", ""),
                    author_avatar_url=interactor.get("picture", ""),
                    edited_at=interaction.get("updated_time"),
                )
            ],
        )
    fields: dict = {}
    if "url" in interaction or "link" in interaction:
        fields["url"] = interaction.get("url") or interaction.get("link") or ""
    if "pictures" in interaction or "attachments" in interaction:
        fields["attachments"] = list(_attachments(interaction))
    if "rating" in interaction:
        fields["rating"] = interaction["rating"]
    with transaction.atomic():
        if fields:
            Ticket.objects.filter(pk=ticket.pk).update(**fields, updated_at=timezone.now())
        if reset:
            with report_summary.tracking([ticket.pk]):
                _reopen(ticket)
    return _by_item(channel, ticket.network_item_id)


def _reopen(ticket: Ticket) -> None:
    now = timezone.now()
    reopened = Ticket.objects.filter(pk=ticket.pk, status__in=[TicketStatus.ARCHIVED, TicketStatus.SNOOZED]).update(
        status=TicketStatus.OPEN,
        archive_reason="",
        archived_at=None,
        snoozed_until=None,
        resolved_at=None,
        is_unread=True,
        updated_at=now,
    )
    if reopened:
        TicketEvent.objects.create(ticket=ticket, kind="reset", actor_label=CUSTOM_NETWORK, data={})


# --- outbound ------------------------------------------------------------------------------------------------------
def success_url(ticket: Ticket, action: TicketAction) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/public/inbox/tickets/{ticket.pk}/replies/{action.pk}/success"


def reply_body(ticket: Ticket, action: TicketAction) -> bytes:
    """The webhook body of one reply: the envelope of every Hubbub webhook (`type`, `timestamp`, `data`)."""
    data = {
        "replyId": str(action.pk),
        "ticketId": str(ticket.pk),
        "networkItemId": ticket.network_item_id,
        "rootId": ticket.root_network_item_id,
        "text": action.params.get("text", ""),
        "private": bool(action.params.get("private")),
        "media": action.params.get("media") or [],
        "author": action.actor_label,
        "successUrl": success_url(ticket, action),
    }
    envelope = {"type": REPLY_EVENT, "timestamp": action.created_at.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def deliver_reply(adapter, credentials, ticket: Ticket, action: TicketAction) -> dict:
    """The send step of a reply on a custom channel (called by `actions.execute_action`, outside any transaction).
    Returns the result to keep on the still-pending action; adapter errors propagate to the pipeline."""
    credential = CustomChannelCredential.objects.filter(channel_id=ticket.channel_id).first()
    if credential is None:
        raise NotSupported("The custom channel has no public API credentials: issue them first.")
    body = reply_body(ticket, action)
    msg_id = f"msg_{action.pk}"
    timestamp = int(time.time())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(credential.signing_secret, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "Hubbub-Webhooks/1.0",
    }
    status_code = adapter.deliver(credentials, body=body, headers=headers)
    return {"acceptedAt": timezone.now().isoformat(), "webhookId": msg_id, "statusCode": status_code}


def check_reply(ticket: Ticket) -> None:
    """A reply on a custom channel needs the credentials that sign it (and name the endpoint's confirmations)."""
    if not CustomChannelCredential.objects.filter(channel_id=ticket.channel_id).exists():
        raise ActionNotSupported("Issue the channel's public API credentials before replying on it.")


def record_accepted(action: TicketAction, result: dict) -> None:
    """The endpoint took the reply (2xx): keep it pending, awaiting the integrator's confirmation."""
    now = timezone.now()
    TicketAction.objects.filter(pk=action.pk, status=ActionStatus.PENDING).update(result=result, updated_at=now)
    TicketEvent.objects.create(
        ticket_id=action.ticket_id,
        kind=f"{action.action}Accepted",
        actor_label=CUSTOM_NETWORK,
        data={"actionId": str(action.pk), "webhookId": result["webhookId"]},
    )


def confirm_reply(channel, ticket: Ticket, reply_id, interaction: dict) -> tuple[Ticket, bool]:
    """`.../replies/{rid}/success`: the reply reached the person under `networkItemId`. Marks the action done and
    adds the reply to the thread as our own ticket. Returns (reply ticket, whether this call confirmed it); a
    repeat with the same id answers the same ticket, another id or an undelivered reply is 409."""
    from inbox.services.actions import succeed_action  # the pipeline's own "done" step (it imports this module)

    action = TicketAction.objects.filter(ticket=ticket, pk=reply_id, action="reply").first()
    if action is None:
        raise NotFound()
    item_id = interaction["network_item_id"]
    if action.status == ActionStatus.DONE:
        if action.result.get("networkItemId") != item_id:
            raise ReplyNotDelivered(details={"networkItemId": action.result.get("networkItemId")})
        return _by_item(channel, item_id), False
    confirmable = action.sent_at is not None and (
        action.status == ActionStatus.PENDING
        or (action.status == ActionStatus.FAILED and action.error_code == UnknownOutcome.code)
    )
    if not confirmable or "acceptedAt" not in action.result:
        raise ReplyNotDelivered()
    result = {
        **action.result,
        "networkItemId": item_id,
        "url": interaction.get("url", ""),
        "confirmedBy": "endpoint",
    }
    with transaction.atomic():
        # A confirmation after the sweep gave up on it: the truth arrived late, the reply did happen.
        TicketAction.objects.filter(pk=action.pk, status=ActionStatus.FAILED).update(status=ActionStatus.PENDING)
        action.refresh_from_db()
        succeed_action(channel, action, result)
    return _by_item(channel, item_id), True
