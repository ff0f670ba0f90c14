"""The inbox's operator console: tickets (history and notes inline), interactors, actions (retry failed), polling
cursors (poll now, sandbox bursts), bulk jobs; categories, templates and folders; business hours and auto-replies
sent, alerts (incidents inline; evaluate now, deactivate).
cursors (poll now, sandbox bursts), bulk jobs, smart rules (switch a misfiring one off) and their lists.

Admin reads `all_tenants`; actions go through the same services as the API, inside the row's tenant, with the
staff user as the actor, and are audit-logged.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Max, Min
from django.utils import timezone

from core import audit, tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.errors import DomainError
from inbox import demo
from inbox.models import (
    SUMMARY_COUNT_COLUMNS,
    ActionStatus,
    Alert,
    AlertIncident,
    AutoReplySent,
    BulkJob,
    BusinessHours,
    Category,
    CustomChannelCredential,
    Folder,
    Followup,
    InboxAgent,
    IngestionCursor,
    Interactor,
    InteractorList,
    KeywordList,
    Rule,
    Ticket,
    TicketAction,
    TicketDaySummary,
    TicketEvent,
    TicketNote,
)
from inbox.models import Template as ReplyTemplate
from inbox.services import actions as action_services
from inbox.services import alerts as alert_services
from inbox.services import assignment, report_summary
from inbox.services import categories as category_services
from inbox.services import rules as rule_services
from inbox.services import tickets as ticket_services
from inbox.services.templates import unknown_placeholders
from tenants.roles import staff_principal
from tenants.selectors import tenants_by_ids


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


class OrganisationAdmin(TenantAdmin):
    """Categories, templates and folders are created inside a tenant, through the API; the admin edits them."""

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(OrganisationAdmin):
    list_display = ["id", "tenant", "name", "parent", "position", "is_hidden", "created_at"]
    list_filter = ["is_hidden", ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["id", "name", "parent__name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["tenant", "created_at", "updated_at"]
    list_select_related = ["tenant", "parent"]
    actions = ["delete_moving_children_up"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # through the action below: children move up, ticket links go (the API's rules)

    @admin.action(description="Delete (sub-categories move up, tickets lose the category)")
    def delete_moving_children_up(self, request, queryset):
        self._each(request, queryset, "Delete", lambda c, p: category_services.delete_category(c, actor=p))


class TemplateAdminForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["name", "text", "team"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        unknown = unknown_placeholders(text)
        if unknown:
            raise forms.ValidationError(f"Unknown placeholders: {', '.join(unknown)}.")
        return text


@admin.register(ReplyTemplate)
class TemplateAdmin(OrganisationAdmin):
    form = TemplateAdminForm
    list_display = ["id", "tenant", "name", "team", "created_by", "updated_at"]
    list_filter = [("team", admin.EmptyFieldListFilter)]
    search_fields = ["id", "name", "text", "team__name"]
    raw_id_fields = ["team"]
    list_select_related = ["tenant", "team", "created_by"]


@admin.register(Folder)
class FolderAdmin(OrganisationAdmin):
    list_display = ["id", "tenant", "name", "position", "created_by", "updated_at"]
    search_fields = ["id", "name"]
    # Filters are validated by the API (the ticket list's own input); the admin shows them, edits name and order.
    readonly_fields = ["tenant", "filters", "created_by", "created_at", "updated_at"]
    list_select_related = ["tenant", "created_by"]


@admin.register(CustomChannelCredential)
class CustomChannelCredentialAdmin(TenantAdmin, ReadOnlyModelAdmin):
    """Which custom channels have public API credentials, and when they were last used (never the secrets)."""

    list_display = ["channel", "tenant", "token_prefix", "created_at", "last_used_at"]
    search_fields = ["token_prefix", "channel__name"]
    fields = ["tenant", "channel", "token_prefix", "created_at", "last_used_at"]
    list_select_related = ["tenant", "channel"]


@admin.register(Followup)
class FollowupAdmin(TenantAdmin):
    list_display = ["ticket", "user", "due_at", "fired_at", "tenant"]
    list_filter = [("fired_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "note"]
    raw_id_fields = ["ticket", "user"]
    list_select_related = ["ticket", "user", "tenant"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(TenantAdmin, ReadOnlyModelAdmin):
    """Read-only: schedules are validated by the API (PUT .../business-hours), which the console does not repeat."""

    list_display = ["id", "tenant", "channel", "timezone", "is_auto_reply_enabled", "updated_at"]
    list_filter = ["is_auto_reply_enabled", "timezone"]
    search_fields = ["id", "channel__name", "channel__external_id", "auto_reply_text"]
    list_select_related = ["tenant", "channel"]


@admin.register(AutoReplySent)
class AutoReplySentAdmin(TenantAdmin, ReadOnlyModelAdmin):
    list_display = ["id", "tenant", "channel", "interactor", "period_start", "action", "created_at"]
    search_fields = ["id", "channel__name", "interactor__name", "interactor__handle", "ticket__id"]
    list_select_related = ["tenant", "channel", "interactor", "action"]
    date_hierarchy = "created_at"


class AlertIncidentInline(admin.TabularInline):
    model = AlertIncident
    extra = 0
    can_delete = False
    fields = ["opened_at", "closed_at", "ticket_count", "ticket_ids", "notified_to"]
    readonly_fields = fields
    ordering = ["-opened_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(TenantAdmin):
    """Alerts are created through the API (its checks per kind); here they can be renamed, paused and evaluated."""

    list_display = ["id", "tenant", "name", "kind", "is_active", "channel", "created_at"]
    list_filter = ["kind", "is_active", "is_negative_only"]
    search_fields = ["id", "name", "channel__name", "recipient_emails"]
    # Everything but the name and the switch: the condition and recipients are checked per kind by the API.
    readonly_fields = [
        "tenant",
        *(field for field in alert_services.ALERT_FIELDS if field not in ("name", "is_active")),
        "created_by",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["tenant", "channel"]
    inlines = [AlertIncidentInline]
    actions = ["evaluate_now", "deactivate"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Evaluate now (opens or closes the incident; mails on opening)")
    def evaluate_now(self, request, queryset):
        self._each(request, queryset, "Evaluate", lambda a, p: alert_services.evaluate_alert(a))

    @admin.action(description="Deactivate (closes the open incident)")
    def deactivate(self, request, queryset):
        self._each(
            request,
            queryset,
            "Deactivate",
            lambda a, p: alert_services.update_alert(a, actor=p, changes={"is_active": False}),
        )


@admin.register(AlertIncident)
class AlertIncidentAdmin(TenantAdmin, ReadOnlyModelAdmin):
    list_display = ["id", "tenant", "alert", "opened_at", "closed_at", "ticket_count"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter), "alert__kind"]
    search_fields = ["id", "alert__name", "alert__id"]
    list_select_related = ["tenant", "alert"]
    date_hierarchy = "opened_at"


@admin.register(InboxAgent)
class InboxAgentAdmin(TenantAdmin):
    """Agents' round-robin settings. Rows appear on first use; changes go through the service (audited, and more
    room drains the agent's teams' backlogs)."""

    list_display = ["id", "tenant", "user", "max_open_tickets", "is_available", "last_assigned_at"]
    list_filter = ["is_available"]
    search_fields = ["id", "user__email", "user__first_name", "user__last_name"]
    fields = ["tenant", "user", "max_open_tickets", "is_available", "last_assigned_at", "created_at", "updated_at"]
    readonly_fields = ["tenant", "user", "last_assigned_at", "created_at", "updated_at"]
    list_select_related = ["tenant", "user"]
    actions = ["make_available", "make_unavailable", "drain_backlogs"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        with acting_as_staff(request, obj.tenant) as principal:
            assignment.update_agent(obj, actor=principal, changes=changes)

    @admin.action(description="Mark available (their teams' backlogs drain)")
    def make_available(self, request, queryset):
        self._each(
            request,
            queryset,
            "Available",
            lambda a, p: assignment.update_agent(a, actor=p, changes={"is_available": True}),
        )

    @admin.action(description="Mark unavailable (no new tickets)")
    def make_unavailable(self, request, queryset):
        self._each(
            request,
            queryset,
            "Unavailable",
            lambda a, p: assignment.update_agent(a, actor=p, changes={"is_available": False}),
        )

    @admin.action(description="Drain their teams' backlogs now")
    def drain_backlogs(self, request, queryset):
        self._each(request, queryset, "Drain queued", lambda a, p: assignment.schedule_drain_for_agent(a.user_id))


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


@admin.register(TicketDaySummary)
class TicketDaySummaryAdmin(TenantAdmin, ReadOnlyModelAdmin):
    """What the inbox reports read (written by the services, never by hand). Rebuild from the tickets after a
    tenant's time zone changed (rows keep the days of the zone they were written in) or when figures look off;
    `manage.py rebuild_inbox_report_summary` does whole tenants."""

    list_display = ["day", "tenant", "grain", "channel_id", "team", "key", *SUMMARY_COUNT_COLUMNS]
    list_filter = ["grain", "day"]
    search_fields = ["=tenant__id", "=channel_id", "=team", "=key"]
    list_select_related = ["tenant"]
    actions = ["rebuild"]

    @admin.action(description="Rebuild these rows' tenants and days from the tickets")
    def rebuild(self, request, queryset):
        spans = queryset.values("tenant").annotate(first=Min("day"), last=Max("day"))
        by_tenant = {span["tenant"]: span for span in spans}
        for tenant in tenants_by_ids(set(by_tenant)).values():
            span = by_tenant[tenant.pk]
            with acting_as_staff(request, tenant) as principal:
                written = report_summary.rebuild_summary(span["first"], span["last"], actor=principal)
            self.message_user(
                request, f"{tenant}: {span['first']}..{span['last']} rebuilt ({written} rows).", messages.SUCCESS
            )
