"""Admin of the analytics app: dashboards, shared links (revoke action) and email reports (pause/resume).

Admin uses `all_tenants` querysets; edits are audit-logged. Revoking goes through the same service as the API,
inside the link's tenant, with the staff user as the actor.
"""

from __future__ import annotations

from django.contrib import admin, messages

from analytics.models import Dashboard, EmailReport, EmailReportDelivery, SharedLink
from analytics.services import shared_links
from core.admin import AuditedModelAdmin
from core.auth import Principal
from core.tenancy import acting_as


class TenantAdmin(AuditedModelAdmin):
    def get_queryset(self, request):
        return self.model.all_tenants.all()


@admin.register(Dashboard)
class DashboardAdmin(TenantAdmin):
    list_display = ["name", "tenant", "widget_count", "range_days", "compare_to", "updated_at"]
    list_filter = ["compare_to"]
    search_fields = ["name", "description", "tenant__name"]
    list_select_related = ["tenant"]
    readonly_fields = ["tenant", "created_by", "created_at", "updated_at"]

    @admin.display(description="widgets")
    def widget_count(self, obj: Dashboard) -> int:
        return len(obj.widgets)


@admin.register(SharedLink)
class SharedLinkAdmin(TenantAdmin):
    list_display = ["name", "dashboard", "tenant", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "dashboard__name", "tenant__name"]
    list_select_related = ["dashboard", "tenant"]
    readonly_fields = ["tenant", "dashboard", "token_digest", "channel_ids", "last_used_at", "created_by", "created_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset) -> None:
        count = 0
        for link in queryset.select_related("tenant"):
            staff = Principal(tenant=link.tenant, permissions=frozenset(), kind="staff", user=request.user)
            with acting_as(staff) as principal:
                shared_links.revoke_link(link, actor=principal)
                count += 1
        self.message_user(request, f"Revoked {count} link(s).", messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    model = EmailReportDelivery
    extra = 0
    can_delete = False
    fields = ["period_start", "period_end", "recipients", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailReport)
class EmailReportAdmin(TenantAdmin):
    list_display = ["name", "tenant", "report_type", "frequency", "is_active", "last_sent_at"]
    list_filter = ["report_type", "frequency", "is_active"]
    search_fields = ["name", "tenant__name", "dashboard__name"]
    list_select_related = ["tenant", "dashboard"]
    readonly_fields = ["tenant", "last_sent_at", "created_by", "created_at", "updated_at"]
    inlines = [DeliveryInline]
    actions = ["pause", "resume"]

    @admin.action(description="Pause the selected reports")
    def pause(self, request, queryset) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Resume the selected reports")
    def resume(self, request, queryset) -> None:
        self._set_active(request, queryset, True)

    def _set_active(self, request, queryset, active: bool) -> None:
        for report in queryset:
            self.audit(request, "resume" if active else "pause", report)
        updated = queryset.update(is_active=active)
        self.message_user(request, f"{updated} report(s) {'resumed' if active else 'paused'}.", messages.SUCCESS)
