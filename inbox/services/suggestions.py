"""Reply suggestions: an agent proposes a reply, an approver sends it (possibly edited) or rejects it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.auth import Principal
from core.errors import InvalidState
from inbox.models import ReplySuggestion, SuggestionStatus, Ticket, TicketEvent
from inbox.services.actions import check_network_action, perform_action


def suggest_reply(ticket: Ticket, *, actor: Principal, text: str, private: bool = False) -> ReplySuggestion:
    """Record a proposed reply (checked like a reply: the network must take it, within its length limit)."""
    check_network_action(ticket, "reply", {"text": text, "private": private})
    with transaction.atomic():
        suggestion = ReplySuggestion.objects.create(
            ticket=ticket, text=text, is_private=private, author=actor.user, author_label=actor.label
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind="suggested",
            actor_user=actor.user,
            actor_label=actor.label,
            data={"suggestionId": str(suggestion.pk)},
        )
    return suggestion


def _decide(suggestion: ReplySuggestion) -> ReplySuggestion:
    locked = ReplySuggestion.objects.select_for_update().select_related("ticket").get(pk=suggestion.pk)
    if locked.status != SuggestionStatus.SUGGESTED:
        raise InvalidState(f"The suggestion was {locked.status} already.")
    return locked


def approve_suggestion(suggestion: ReplySuggestion, *, actor: Principal, text: str = "") -> ReplySuggestion:
    """Send the suggestion as a reply (the `text` given replaces it: "edited and approved"). Exactly once: the row
    lock and state check mean two approvers clicking at once send one reply."""
    with transaction.atomic():
        locked = _decide(suggestion)
        sent = text or locked.text
        action = perform_action(
            locked.ticket, "reply", actor=actor, params={"text": sent, "private": locked.is_private}
        )
        locked.status = SuggestionStatus.APPROVED
        locked.sent_text = sent
        locked.action = action
        locked.decided_by_label = actor.label
        locked.decided_at = timezone.now()
        locked.save()
        TicketEvent.objects.create(
            ticket=locked.ticket,
            kind="suggestionApproved",
            actor_user=actor.user,
            actor_label=actor.label,
            data={"suggestionId": str(locked.pk), "edited": sent != locked.text, "actionId": str(action.pk)},
        )
    return locked


def reject_suggestion(suggestion: ReplySuggestion, *, actor: Principal, reason: str) -> ReplySuggestion:
    with transaction.atomic():
        locked = _decide(suggestion)
        locked.status = SuggestionStatus.REJECTED
        locked.rejection_reason = reason
        locked.decided_by_label = actor.label
        locked.decided_at = timezone.now()
        locked.save()
        TicketEvent.objects.create(
            ticket=locked.ticket,
            kind="suggestionRejected",
            actor_user=actor.user,
            actor_label=actor.label,
            data={"suggestionId": str(locked.pk), "reason": reason[:500]},
        )
    return locked
