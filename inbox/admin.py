"""The inbox's operator console: tickets (history and notes inline), interactors, actions (retry failed), polling
cursors (poll now, sandbox bursts), bulk jobs, smart rules (switch a misfiring one off) and their lists.

Admin reads `all_tenants`; actions go through the same services as the API, inside the row's tenant, with the
staff user as the actor, and are audit-logged.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from core import audit, tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.errors import DomainError
from inbox import demo
from inbox.models import (
    ActionStatus,
    BulkJob,
    IngestionCursor,
    Interactor,
    InteractorList,
    KeywordList,
    Rule,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketNote,
)
from inbox.services import actions as action_services
from inbox.services import rules as rule_services
from inbox.services import tickets as ticket_services
from tenants.roles import staff_principal


def acting_as_staff(request, tenant):
    """The admin acts on a tenant's rows as the staff user, audited under their name."""
    return tenancy.acting_as(staff_principal(tenant, request.user))


class TenantAdmin(AuditedModelAdmin):
    def get_queryset(self, request):
        return self.model.all_tenants.all()

    def _each(self, request, queryset, label: str, fn) -> None:
        done, refused = 0, []
        for obj in queryset.select_related("tenant"):
            with acting_as_staff(request, obj.tenant) as principal:
                try:
                    fn(obj, principal)
                    done += 1
                except (DomainError, ValueError) as exc:
                    refused.append(f"{obj.pk}: {getattr(exc, 'message', exc)}")
        if done:
            self.message_user(request, f"{label}: {done} done.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{label} refused: " + "; ".join(refused[:10]), messages.WARNING)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor_label", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TicketNoteInline(admin.TabularInline):
    model = TicketNote
    extra = 0
    can_delete = False
    fields = ["created_at", "author_label", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(TenantAdmin):
    list_display = ["id", "tenant", "channel", "type", "status", "is_unread", "is_own", "sentiment", "created_at"]
    list_filter = [
        "status",
        "type",
        "network",
        "is_own",
        "is_priority",
        "is_unread",
        "is_deleted_in_network",
        "sentiment",
    ]
    search_fields = ["id", "network_item_id", "text", "interactor__name", "interactor__handle", "channel__name"]
    raw_id_fields = ["channel", "parent", "interactor", "assignee", "team", "followup_to"]
    readonly_fields = [
        "tenant",
        "network",
        "network_item_id",
        "parent_network_item_id",
        "root_network_item_id",
        "edit_history",
        "first_response_at",
        "resolved_at",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["tenant", "channel"]
    inlines = [TicketNoteInline, TicketEventInline]
    actions = ["archive", "reopen"]

    @admin.action(description="Archive (as the staff user)")
    def archive(self, request, queryset):
        self._each(request, queryset, "Archive", lambda t, p: action_services.perform_action(t, "archive", actor=p))

    @admin.action(description="Reopen (as the staff user)")
    def reopen(self, request, queryset):
        self._each(request, queryset, "Reopen", lambda t, p: action_services.perform_action(t, "unarchive", actor=p))


@admin.register(Interactor)
class InteractorAdmin(TenantAdmin):
    list_display = ["id", "tenant", "network", "name", "handle", "is_blocked", "erased_at", "created_at"]
    list_filter = ["network", "is_blocked"]
    search_fields = ["id", "name", "handle", "network_user_id"]
    readonly_fields = ["tenant", "erased_at", "created_at", "updated_at"]
    list_select_related = ["tenant"]
    actions = ["erase"]

    @admin.action(description="Erase personal data (GDPR)")
    def erase(self, request, queryset):
        self._each(request, queryset, "Erase", lambda i, p: ticket_services.erase_interactor(i, actor=p))


@admin.register(TicketAction)
class TicketActionAdmin(TenantAdmin):
    list_display = [
        "id",
        "tenant",
        "ticket",
        "action",
        "status",
        "attempt",
        "outcome_unknown",
        "error_code",
        "created_at",
    ]
    list_filter = ["status", "action", "outcome_unknown", "error_code"]
    search_fields = ["id", "ticket__id", "ticket__network_item_id", "error_message", "actor_label"]
    raw_id_fields = ["ticket", "actor_user", "bulk_job"]
    readonly_fields = [f.name for f in TicketAction._meta.fields]
    list_select_related = ["tenant", "ticket"]
    actions = ["retry_failed"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry failed actions (unknown outcomes: only after checking the network)")
    def retry_failed(self, request, queryset):
        self._each(
            request,
            queryset.filter(status=ActionStatus.FAILED),
            "Retry",
            lambda a, p: action_services.retry_action(a, actor=p, confirm_not_sent=True),
        )


@admin.register(IngestionCursor)
class IngestionCursorAdmin(TenantAdmin):
    list_display = [
        "id",
        "tenant",
        "channel",
        "kind",
        "next_poll_at",
        "last_polled_at",
        "consecutive_failures",
        "is_supported",
    ]
    list_filter = ["kind", "is_supported", "channel__network"]
    search_fields = ["id", "channel__name", "channel__external_id", "last_error"]
    raw_id_fields = ["channel"]
    readonly_fields = ["tenant", "last_polled_at", "last_item_at", "last_error", "created_at", "updated_at"]
    list_select_related = ["tenant", "channel"]
    actions = ["poll_soon", "sandbox_burst"]

    @admin.action(description="Poll at the next sweep")
    def poll_soon(self, request, queryset):
        with tenancy.platform_access():
            count = queryset.update(next_poll_at=timezone.now(), is_supported=True)
        self.message_user(request, f"{count} cursors due now.", messages.SUCCESS)

    @admin.action(description="Sandbox: burst of 20 items on these channels, ingested now")
    def sandbox_burst(self, request, queryset):
        def run(cursor, principal):
            demo.burst(cursor.channel, count=20)
            demo.poll_now(cursor.channel)
            audit.record("admin.inbox.sandbox_burst", cursor.channel, actor=principal, changes={"count": 20})

        channels = {}
        for cursor in queryset.select_related("channel"):
            channels.setdefault(cursor.channel_id, cursor)
        self._each(request, queryset.filter(pk__in=[c.pk for c in channels.values()]), "Burst", run)


@admin.register(BulkJob)
class BulkJobAdmin(TenantAdmin, ReadOnlyModelAdmin):
    list_display = ["id", "tenant", "action", "status", "total_count", "done_count", "failed_count", "created_at"]
    list_filter = ["status", "action"]
    search_fields = ["id", "actor_label"]
    list_select_related = ["tenant"]


@admin.register(Rule)
class RuleAdmin(TenantAdmin):
    """Smart rules; conditions and actions are edited through the API (validated there), switched on/off here."""

    list_display = ["name", "tenant", "is_active", "position", "trigger", "updated_at"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["id", "name"]
    readonly_fields = ["tenant", "conditions", "actions", "created_by", "created_at", "updated_at"]
    list_select_related = ["tenant"]
    actions = ["activate", "deactivate"]

    @admin.action(description="Activate")
    def activate(self, request, queryset):
        self._each(request, queryset, "Activate", lambda r, p: rule_services.update_rule(r, actor=p, is_active=True))

    @admin.action(description="Deactivate (a rule that misfires)")
    def deactivate(self, request, queryset):
        self._each(request, queryset, "Deactivate", lambda r, p: rule_services.update_rule(r, actor=p, is_active=False))


@admin.register(KeywordList)
class KeywordListAdmin(TenantAdmin, ReadOnlyModelAdmin):
    list_display = ["name", "tenant", "updated_at"]
    search_fields = ["id", "name"]
    list_select_related = ["tenant"]


@admin.register(InteractorList)
class InteractorListAdmin(TenantAdmin, ReadOnlyModelAdmin):
    list_display = ["name", "tenant", "updated_at"]
    search_fields = ["id", "name"]
    list_select_related = ["tenant"]
