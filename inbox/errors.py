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


class CategoryRequired(Conflict):
    """409: the tenant asks agents to categorize a ticket before archiving it (setting `categorizeBeforeArchive`)."""

    code = "CATEGORY_REQUIRED"
    message = "Categorize this ticket before archiving it."


class CategoryCycle(ValidationFailed):
    """400: a category cannot move under itself or one of its descendants."""

    code = "CATEGORY_CYCLE"
    message = "A category cannot be moved under itself or one of its descendants."


class CategoryNameTaken(Conflict):
    """409: a sibling already has this name (names are unique among a parent's children)."""

    code = "CATEGORY_NAME_TAKEN"
    message = "A category with this name already exists at this place in the tree."


class ChannelTokenInvalid(DomainError):
    """401: the public ticket API needs a valid custom channel token (`Authorization: Bearer hbc_...`)."""

    status = 401
    code = "CHANNEL_TOKEN_INVALID"
    message = "Missing, unknown or revoked channel token."


class NotACustomChannel(Conflict):
    """409: public API credentials exist only for channels of the `custom` network."""

    code = "NOT_A_CUSTOM_CHANNEL"
    message = "Only custom channels have public ticket API credentials."


class TicketExists(Conflict):
    """409: the channel already has a ticket with this `networkItemId` (pushing again is idempotent)."""

    code = "TICKET_EXISTS"
    message = "A ticket with this networkItemId exists on the channel."


class ReplyNotDelivered(Conflict):
    """409: the reply was not delivered to the endpoint (yet), or was confirmed under another item id."""

    code = "REPLY_NOT_DELIVERED"
    message = "This reply was not delivered to your endpoint, or was confirmed with another networkItemId."


class ListInUse(Conflict):
    """409: a rule still uses this keyword or interactor list; `details.rules` names them."""

    code = "LIST_IN_USE"
    message = "Rules use this list; change or delete them first."


class ListNameTaken(Conflict):
    """409: the tenant already has a keyword or interactor list with this name."""

    code = "LIST_NAME_TAKEN"
    message = "A list with this name already exists."
