"""Admin for notifications and webhooks. Credentials and secrets are never rendered; actions (check, reset the
circuit, resend a message, redeliver, enable/disable an endpoint) go through the services, inside the row's
tenant, with the staff user as the actor (audit-logged)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages

from core import tenancy
from core.admin import AuditedModelAdmin
from core.auth import Principal
from core.errors import DomainError
from notifications.models import (
    ChatConnection,
    DigestBatch,
    Event,
    ExecutionDetail,
    Integration,
    Job,
    Message,
    Preference,
    Subscriber,
    SubscriberCredential,
    Topic,
    TopicSubscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Workflow,
    WorkflowGroup,
)
from notifications.services import chat_connections, delivery, integrations, webhooks


class TenantAdmin(AuditedModelAdmin):
    list_select_related = ["tenant"]

    def get_queryset(self, request):
        return self.model.all_tenants.all()

    def run_for_each(self, request, queryset, label: str, service: Callable[[object, Principal], object]) -> None:
        done, refused = 0, []
        for obj in queryset.select_related("tenant"):
            principal = Principal(tenant=obj.tenant, permissions=frozenset(), kind="staff", user=request.user)
            with tenancy.acting_as(principal):
                try:
                    service(obj, principal)
                    done += 1
                except DomainError as exc:
                    refused.append(f"{obj}: {exc.message}")
        if done:
            self.message_user(request, f"{label}: {done}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"{label} refused for {line}", messages.WARNING)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Integration)
class IntegrationAdmin(TenantAdmin):
    list_display = [
        "identifier",
        "tenant",
        "channel",
        "provider_id",
        "is_active",
        "is_primary",
        "failure_count",
        "circuit_open_until",
        "is_deleted",
    ]
    list_filter = ["channel", "provider_id", "is_active", "is_primary", "is_deleted"]
    search_fields = ["identifier", "name", "tenant__name"]
    exclude = ["credentials_encrypted"]  # never rendered; tenants set credentials through the API
    readonly_fields = [
        "tenant",
        "channel",
        "provider_id",
        "failure_count",
        "circuit_open_until",
        "last_checked_at",
        "deleted_at",
        "deleted_by",
    ]
    actions = ["check_credentials", "reset_circuit"]

    @admin.action(description="Check credentials with the provider")
    def check_credentials(self, request, queryset) -> None:
        self.run_for_each(
            request, queryset, "Checked", lambda obj, actor: integrations.check_integration(obj, actor=actor)
        )

    @admin.action(description="Close the circuit breaker")
    def reset_circuit(self, request, queryset) -> None:
        self.run_for_each(request, queryset, "Circuit closed", lambda obj, actor: integrations.record_success(obj))


class CredentialInline(admin.TabularInline):
    model = SubscriberCredential
    fields = ["provider_id", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(TenantAdmin):
    list_display = ["subscriber_id", "tenant", "email", "phone", "user", "is_online", "created_at"]
    list_filter = ["is_online", "locale"]
    search_fields = ["subscriber_id", "email", "phone", "first_name", "last_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["tenant"]
    inlines = [CredentialInline]


@admin.register(ChatConnection)
class ChatConnectionAdmin(ReadOnlyMixin, TenantAdmin):
    """Tenants connect channels through the API (the URL is checked there); staff look, test and disconnect."""

    list_display = ["name", "network", "tenant", "subscriber", "webhook_url_hint", "connected_by", "created_at"]
    list_filter = ["network", "created_at"]
    search_fields = ["name", "subscriber__subscriber_id", "tenant__name", "tenant__slug", "connected_by__email"]
    list_select_related = ["tenant", "subscriber", "connected_by"]
    fields = ["tenant", "network", "name", "subscriber", "webhook_url_hint", "connected_by", "created_at"]
    readonly_fields = fields
    actions = ["send_test", "disconnect"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the disconnect action goes through the service (audit-logged)

    @admin.action(description="Post a test message")
    def send_test(self, request, queryset):
        self.run_for_each(request, queryset, "Test message sent", lambda obj, actor: chat_connections.send_test(obj))

    @admin.action(description="Disconnect (deletes the stored webhook URL)")
    def disconnect(self, request, queryset):
        self.run_for_each(
            request, queryset, "Disconnected", lambda obj, actor: chat_connections.disconnect(obj, actor=actor)
        )


@admin.register(Topic)
class TopicAdmin(TenantAdmin):
    list_display = ["key", "tenant", "name", "created_at"]
    search_fields = ["key", "name"]
    readonly_fields = ["tenant"]


@admin.register(TopicSubscription)
class TopicSubscriptionAdmin(TenantAdmin):
    list_display = ["topic", "subscriber", "tenant", "created_at"]
    search_fields = ["topic__key", "subscriber__subscriber_id"]
    raw_id_fields = ["topic", "subscriber"]
    readonly_fields = ["tenant"]


@admin.register(WorkflowGroup)
class WorkflowGroupAdmin(TenantAdmin):
    list_display = ["name", "tenant"]
    search_fields = ["name"]
    readonly_fields = ["tenant"]


@admin.register(Workflow)
class WorkflowAdmin(TenantAdmin):
    list_display = ["identifier", "tenant", "name", "group", "is_active", "is_critical", "updated_at"]
    list_filter = ["is_active", "is_critical"]
    search_fields = ["identifier", "name"]
    readonly_fields = ["tenant", "steps"]  # steps are validated by the API (templates must render)


@admin.register(Preference)
class PreferenceAdmin(TenantAdmin):
    list_display = ["subscriber", "workflow", "tenant", "channels"]
    search_fields = ["subscriber__subscriber_id"]
    raw_id_fields = ["subscriber", "workflow"]
    readonly_fields = ["tenant"]


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = ["transaction_id", "tenant", "workflow", "status", "triggered_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["transaction_id", "workflow__identifier"]


@admin.register(Job)
class JobAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = ["id", "tenant", "event", "subscriber", "step_index", "status", "run_at", "claimed_at"]
    list_filter = ["status"]
    search_fields = ["event__transaction_id", "subscriber__subscriber_id"]


@admin.register(DigestBatch)
class DigestBatchAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = ["id", "tenant", "workflow", "subscriber", "digest_key", "is_open", "closes_at"]
    list_filter = ["is_open"]
    search_fields = ["subscriber__subscriber_id", "digest_key"]


class ExecutionInline(admin.TabularInline):
    model = ExecutionDetail
    fields = ["created_at", "step_index", "status", "detail", "provider_id", "raw"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = [
        "id",
        "tenant",
        "channel",
        "provider_id",
        "status",
        "subscriber",
        "attempt_count",
        "sent_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["channel", "status", "provider_id", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "id",
        "event__transaction_id",
        "subscriber__subscriber_id",
        "subscriber__email",
        "provider_message_id",
    ]
    inlines = [ExecutionInline]
    actions = ["resend"]

    @admin.action(description="Send again (failed messages)")
    def resend(self, request, queryset) -> None:
        self.run_for_each(
            request, queryset, "Queued again", lambda obj, actor: delivery.retry_message(obj, actor=actor)
        )


@admin.register(ExecutionDetail)
class ExecutionDetailAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = ["created_at", "tenant", "job", "step_index", "status", "provider_id", "detail"]
    list_filter = ["status", "provider_id"]
    search_fields = ["detail", "job__event__transaction_id"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantAdmin):
    list_display = ["url", "tenant", "is_active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    exclude = ["secret_encrypted", "previous_secret_encrypted"]  # secrets are shown once, to the tenant
    readonly_fields = ["tenant", "failing_since", "disabled_at", "disabled_reason", "previous_secret_expires_at"]
    actions = ["disable", "enable"]

    @admin.action(description="Disable (stop deliveries)")
    def disable(self, request, queryset) -> None:
        self.run_for_each(
            request,
            queryset,
            "Disabled",
            lambda obj, actor: webhooks.disable_endpoint(
                obj, reason=f"disabled by staff ({request.user.email})", actor=actor
            ),
        )

    @admin.action(description="Enable")
    def enable(self, request, queryset) -> None:
        self.run_for_each(
            request, queryset, "Enabled", lambda obj, actor: webhooks.update_endpoint(obj, actor=actor, is_active=True)
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = ["id", "tenant", "event_type", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["id", "event_type"]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "created_at", "status_code", "is_success", "error", "response_excerpt", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, TenantAdmin):
    list_display = [
        "id",
        "tenant",
        "endpoint",
        "event",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = ["status"]
    search_fields = ["id", "endpoint__url", "event__event_type", "last_error"]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver now")
    def redeliver(self, request, queryset) -> None:
        self.run_for_each(
            request, queryset, "Redelivery queued", lambda obj, actor: webhooks.redeliver(obj, actor=actor)
        )
