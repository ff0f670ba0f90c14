"""Stable error codes of the notifications app."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound, ValidationFailed


class IntegrationIdentifierTaken(Conflict):
    code = "INTEGRATION_IDENTIFIER_TAKEN"
    message = "An integration with this identifier already exists."


class IntegrationCheckFailed(DomainError):
    status = 400
    code = "INTEGRATION_CHECK_FAILED"
    message = "The provider refused the credentials."


class SubscriberExists(Conflict):
    code = "SUBSCRIBER_EXISTS"
    message = "A subscriber with this subscriberId already exists."


class TopicExists(Conflict):
    code = "TOPIC_EXISTS"
    message = "A topic with this key already exists."


class WorkflowExists(Conflict):
    code = "WORKFLOW_EXISTS"
    message = "A workflow with this identifier already exists."


class InvalidTemplate(ValidationFailed):
    code = "INVALID_TEMPLATE"
    message = "A step template does not render."


class WorkflowInactive(Conflict):
    code = "WORKFLOW_INACTIVE"
    message = "The workflow is not active."


class UnknownWorkflow(NotFound):
    code = "NOT_FOUND"
    message = "Unknown workflow."


class WebhookUrlNotAllowed(ValidationFailed):
    code = "WEBHOOK_URL_NOT_ALLOWED"
    message = "The webhook URL is not allowed."


class ReceiptUnsigned(DomainError):
    status = 401
    code = "RECEIPT_UNSIGNED"
    message = "The status callback carries no signature."


class ReceiptSignatureInvalid(DomainError):
    status = 403
    code = "RECEIPT_SIGNATURE_INVALID"
    message = "The status callback's signature does not verify with the integration's key."


class ChatConnectionExists(Conflict):
    code = "CHAT_CONNECTION_EXISTS"
    message = "This tenant already has a chat connection with this network and name."


class ChatChannelNotUsable(DomainError):
    status = 400
    code = "CHAT_CHANNEL_NOT_USABLE"
    message = "An X chat connection needs one of this workspace's connected X channels, granted dm.write."


class ChatTestFailed(DomainError):
    status = 400
    code = "CHAT_TEST_FAILED"
    message = "The chat network refused the test message."
