"""Domain errors of the inbox, with stable codes."""

from __future__ import annotations

from core.errors import Conflict, DomainError, ValidationFailed


class PreconditionFailed(DomainError):
    """412: the ticket changed since the `updatedAt` the client read (If-Match)."""

    status = 412
    code = "PRECONDITION_FAILED"
    message = "The ticket was changed by someone else; reload it and try again."


class ActionNotSupported(Conflict):
    """409: the network (or the ticket type) does not offer this action; nothing was sent."""

    code = "NOT_SUPPORTED"
    message = "This action is not supported for this ticket."


class UnknownAction(ValidationFailed):
    """400: the action name is not one of ours; `details.valid` lists them."""

    code = "UNKNOWN_ACTION"
    message = "Unknown action."


class ActionNotRetryable(Conflict):
    code = "NOT_RETRYABLE"
    message = "Only a failed action can be retried."


class OutcomeUnknown(Conflict):
    """409: the network may have taken the action already; retrying needs `confirmNotSent: true`."""

    code = "OUTCOME_UNKNOWN"
    message = (
        "The network did not confirm whether this action happened; check the network, then retry with confirmNotSent."
    )


class InteractorErased(Conflict):
    code = "INTERACTOR_ERASED"
    message = "This person's data was erased."


class WebhookSignatureInvalid(DomainError):
    """401: a push without a valid signature of the network; nothing is stored."""

    status = 401
    code = "SIGNATURE_INVALID"
    message = "Missing or invalid webhook signature."


class WebhookPayloadInvalid(ValidationFailed):
    """400: the body is not the network's webhook shape; nothing is stored."""

    code = "WEBHOOK_PAYLOAD_INVALID"
    message = "The webhook body is not in the network's format."


class ListInUse(Conflict):
    """409: a rule still uses this keyword or interactor list; `details.rules` names them."""

    code = "LIST_IN_USE"
    message = "Rules use this list; change or delete them first."
