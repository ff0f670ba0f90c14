"""Reads of the notifications app, with their joins, for views, tasks and other apps."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core import tenancy
from notifications.models import (
    Channel,
    ChatConnection,
    Event,
    ExecutionDetail,
    Integration,
    Message,
    Subscriber,
    Topic,
    WebhookDelivery,
    WebhookEndpoint,
    Workflow,
    WorkflowGroup,
)


def integration_for_receipt(integration_id: str, provider_id: str) -> Integration | None:
    """The integration a public status callback names, across tenants (the caller then enters its tenant)."""
    with tenancy.platform_access():
        return (
            Integration.all_tenants.select_related("tenant")
            .filter(pk=integration_id, provider_id=provider_id, is_deleted=False)
            .first()
        )


def integrations() -> QuerySet[Integration]:
    return Integration.objects.filter(is_deleted=False).order_by("channel", "-is_primary", "created_at", "id")


def chat_connections() -> QuerySet[ChatConnection]:
    return ChatConnection.objects.select_related("subscriber", "connected_by").order_by("network", "name", "id")


def subscribers() -> QuerySet[Subscriber]:
    return Subscriber.objects.order_by("-created_at", "-id")


def topics() -> QuerySet[Topic]:
    return Topic.objects.annotate(subscriber_count=Count("memberships")).order_by("key", "id")


def workflows() -> QuerySet[Workflow]:
    return Workflow.objects.select_related("group").order_by("name", "id")


def workflow_groups() -> QuerySet[WorkflowGroup]:
    return WorkflowGroup.objects.order_by("name", "id")


def events() -> QuerySet[Event]:
    return Event.objects.select_related("workflow")


def messages() -> QuerySet[Message]:
    return Message.objects.select_related("subscriber", "event__workflow").order_by("-created_at", "-id")


def executions_of(message: Message) -> QuerySet[ExecutionDetail]:
    return ExecutionDetail.objects.filter(job_id=message.job_id).order_by("created_at", "id")


def feed_of(subscriber: Subscriber) -> QuerySet[Message]:
    return (
        Message.objects.filter(subscriber=subscriber, channel=Channel.IN_APP)
        .exclude(status__in=["queued", "sending", "failed"])
        .select_related("event__workflow")
        .order_by("-created_at", "-id")
    )


def feed_counts(subscriber: Subscriber, *, feed_identifier: str | None = None) -> dict[str, int]:
    feed = feed_of(subscriber)
    if feed_identifier is not None:
        feed = feed.filter(feed_identifier=feed_identifier)
    return feed.aggregate(
        total_count=Count("id"),
        unseen_count=Count("id", filter=Q(seen_at__isnull=True)),
        unread_count=Count("id", filter=Q(read_at__isnull=True)),
    )


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-created_at", "-id")


def webhook_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("event", "endpoint").order_by("-created_at", "-id")


def subscribers_by_id(subscriber_ids: list[str]) -> dict[str, Subscriber]:
    """{subscriberId: subscriber} for the ids that exist in the current tenant."""
    return {s.subscriber_id: s for s in Subscriber.objects.filter(subscriber_id__in=list(subscriber_ids))}
