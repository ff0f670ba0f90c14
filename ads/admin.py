"""Operator console for ads: accounts (sync now, revoke the connection), read-only mirror, lead forms and the
sandbox platform's store. Tokens are never rendered."""

from __future__ import annotations

from django.contrib import admin, messages

from ads.models import (
    Ad,
    AdAccount,
    AdAccountPermission,
    AdAccountStatus,
    AdConnection,
    AdSet,
    Campaign,
    Creative,
    LeadForm,
    SandboxAdObject,
)
from ads.services import sync
from core import tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin


class AdAccountPermissionInline(admin.TabularInline):
    model = AdAccountPermission
    extra = 0
    fields = ["user", "permission", "created_at"]
    readonly_fields = ["user", "permission", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AdAccount)
class AdAccountAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "external_id",
        "platform",
        "status",
        "tenant",
        "currency",
        "last_synced_at",
        "sync_paused_until",
    ]
    list_filter = ["platform", "status", "currency"]
    search_fields = ["name", "external_id", "business_name", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    inlines = [AdAccountPermissionInline]
    actions = ["sync_now", "revoke_connection"]
    fields = [
        "id",
        "tenant",
        "platform",
        "external_id",
        "name",
        "currency",
        "timezone_name",
        "business_name",
        "status",
        "connection",
        "last_synced_at",
        "objects_synced_at",
        "insights_synced_from",
        "insights_synced_through",
        "sync_paused_until",
        "last_sync_error",
        "platform_requests_count",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [f for f in fields if f not in {"name"}]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # accounts come from an OAuth connect

    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        reports = []
        for account in queryset.select_related("tenant"):
            with tenancy.tenant_context(account.tenant):
                report = sync.sync_account(account.pk)
            self.audit(request, "synced", account, {"status": report.status, "requests": report.requests})
            reports.append(f"{account.name}: {report.status}")
        self.message_user(request, "; ".join(reports), messages.INFO)

    @admin.action(description="Revoke the connection (forget the token; the account needs reconnecting)")
    def revoke_connection(self, request, queryset):
        count = 0
        for account in queryset.select_related("tenant", "connection"):
            with tenancy.tenant_context(account.tenant):
                if account.connection is not None:
                    AdConnection.objects.filter(pk=account.connection_id).update(access_token="")
                AdAccount.objects.filter(pk=account.pk).update(status=AdAccountStatus.NEEDS_RECONNECT)
            self.audit(request, "connection_revoked", account)
            count += 1
        self.message_user(request, f"{count} account(s) need reconnecting.", messages.SUCCESS)


@admin.register(AdConnection)
class AdConnectionAdmin(ReadOnlyModelAdmin):
    list_display = ["platform", "external_user_id", "tenant", "token_expires_at", "connected_by", "created_at"]
    list_filter = ["platform"]
    search_fields = ["external_user_id", "tenant__name"]
    list_select_related = ["tenant", "connected_by"]
    fields = ["tenant", "platform", "external_user_id", "token_state", "token_expires_at", "scopes", "connected_by"]
    readonly_fields = fields

    @admin.display(description="access token")
    def token_state(self, obj: AdConnection) -> str:
        return "set (hidden)" if obj.access_token else "—"


class MirrorAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "remote_id", "status", "effective_status", "ad_account", "tenant", "remote_updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "remote_id", "ad_account__name", "ad_account__external_id"]
    list_select_related = ["ad_account", "tenant"]


@admin.register(Campaign)
class CampaignAdmin(MirrorAdmin):
    list_display = [*MirrorAdmin.list_display, "objective", "daily_budget"]
    list_filter = ["status", "objective"]


@admin.register(AdSet)
class AdSetAdmin(MirrorAdmin):
    list_filter = ["status", "optimization_goal"]


@admin.register(Ad)
class AdAdmin(MirrorAdmin):
    pass


@admin.register(Creative)
class CreativeAdmin(MirrorAdmin):
    list_display = ["name", "remote_id", "ad_account", "tenant"]
    list_filter = []


@admin.register(LeadForm)
class LeadFormAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "remote_id", "page_id", "status", "leads_count", "ad_account", "tenant"]
    list_filter = ["status", "locale"]
    search_fields = ["name", "remote_id", "page_id"]
    list_select_related = ["ad_account", "tenant"]


@admin.register(SandboxAdObject)
class SandboxAdObjectAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "kind", "remote_id", "account_external_id", "parent_remote_id"]
    list_filter = ["kind"]
    search_fields = ["remote_id", "account_external_id", "parent_remote_id"]
