"""The catalogue of outgoing webhook event types (GET /api/v1/webhooks/event-types).

Each app registers the events it emits in `core.extensions.register_webhook_event_type` (from its
`AppConfig.ready`), with a description and an example payload; `notifications.services.webhooks.emit` refuses any
other name, and an endpoint subscribes to registered names or to a family of them (`community.*`)."""

from __future__ import annotations

from core import extensions


def is_known(event_type: str) -> bool:
    return event_type in extensions.webhook_event_types()


def families() -> list[str]:
    """`community.*`, `community.member.*`, ...: every prefix of a registered name, as a subscription filter."""
    found: set[str] = set()
    for name in extensions.webhook_event_types():
        parts = name.split(".")
        found.update(".".join(parts[:n]) + ".*" for n in range(1, len(parts)))
    return sorted(found)


def is_valid_filter(pattern: str) -> bool:
    return is_known(pattern) or pattern in families()


def matches(filters: list[str], event_type: str) -> bool:
    if not filters:
        return True
    return any(f == event_type or (f.endswith(".*") and event_type.startswith(f[:-1])) for f in filters)


def register_own() -> None:
    """The events the notifications app emits itself (from `NotificationsConfig.ready`)."""
    extensions.register_webhook_event_type(
        "notification.failed",
        description="A notification message could not be sent, or its provider reported it undelivered.",
        example={
            "messageId": "6b1f1a7e-0c5d-4b8e-9a51-1d2f3e4a5b6c",
            "transactionId": "order-1234-shipped",
            "workflow": "order.shipped",
            "subscriberId": "customer-1",
            "channel": "email",
            "error": {"code": "ALL_PROVIDERS_FAILED", "message": "Every provider failed."},
        },
    )
    extensions.register_webhook_event_type(
        "webhook.endpoint_disabled",
        description="An endpoint was disabled after failing for days.",
        example={
            "endpointId": "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a",
            "url": "https://example.com/hubbub-webhooks",
            "reason": "every delivery failed since 2026-01-01 09:00 UTC",
        },
    )
