"""Admin: posts (filters, search, attempts inline), approval requests, campaigns, tags, read-only feed items.

Admin uses `all_tenants` querysets. The publishing pipeline adds its actions (retry, unschedule) to
`PostAdmin.actions`.
"""

from __future__ import annotations

from django.contrib import admin

from contentplanner.models import ApprovalRequest, Campaign, FeedItem, Post, PublishAttempt, Tag


class TenantAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return self.model.all_tenants.all()


class PublishAttemptInline(admin.TabularInline):
    model = PublishAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "finished_at",
        "outcome",
        "error_code",
        "error_message",
        "network_status_code",
        "network_request_id",
        "latency_ms",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(TenantAdmin):
    list_display = ["id", "tenant", "channel", "state", "publish_at", "published_at", "attempt_count", "created_at"]
    list_filter = ["state", "channel__network", "needs_attention", "imported"]
    search_fields = ["id", "text", "title", "remote_id", "channel__name", "error_code"]
    raw_id_fields = ["channel", "group", "author", "assignee", "campaign"]
    readonly_fields = ["tenant", "state", "attempt_count", "published_at", "remote_id", "created_at", "updated_at"]
    list_select_related = ["tenant", "channel"]
    inlines = [PublishAttemptInline]
    actions: list = []  # the publishing pipeline registers retry/unschedule here


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(TenantAdmin):
    list_display = ["post", "approver", "state", "round", "decided_at", "created_at"]
    list_filter = ["state"]
    search_fields = ["post__id", "approver__email"]
    raw_id_fields = ["post", "approver"]


@admin.register(Campaign)
class CampaignAdmin(TenantAdmin):
    list_display = ["name", "tenant", "color", "starts_on", "ends_on"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(TenantAdmin):
    list_display = ["name", "tenant", "color"]
    search_fields = ["name"]


@admin.register(FeedItem)
class FeedItemAdmin(TenantAdmin):
    list_display = ["post", "type", "key", "actor", "created_at"]
    list_filter = ["type", "key"]
    search_fields = ["post__id", "message"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
