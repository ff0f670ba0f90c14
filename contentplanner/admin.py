"""Admin: posts (filters, search, attempts inline), approval requests, campaigns, tags, read-only feed items.

Admin uses `all_tenants` querysets; edits are audit-logged. Post actions (retry publishing, unschedule) go
through the same services as the API, inside the post's tenant, with the staff user as the actor.
"""

from __future__ import annotations

from django.contrib import admin, messages

from contentplanner.models import (
    ApprovalRequest,
    CalendarFeed,
    Campaign,
    ExternalApproval,
    ExternalApprovalState,
    FeedItem,
    Post,
    PostImport,
    PublishAttempt,
    Tag,
)
from contentplanner.services import posts as post_services
from core import audit
from core.admin import AuditedModelAdmin
from core.auth import Principal
from core.errors import DomainError
from core.tenancy import acting_as


class TenantAdmin(AuditedModelAdmin):
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
    actions = ["retry_publishing", "unschedule"]

    def _apply(self, request, queryset, label: str, service) -> None:
        done, refused = 0, []
        for post in queryset.select_related("tenant"):
            # The staff user acts in the post's tenant: the services' audit entries name them.
            staff = Principal(tenant=post.tenant, permissions=frozenset(), kind="staff", user=request.user)
            with acting_as(staff) as principal:
                try:
                    service(post, principal)
                    done += 1
                except DomainError as exc:
                    refused.append(f"{post.pk}: {exc.message}")
        if done:
            self.message_user(request, f"{label}: {done} post(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"{label} refused for {line}", messages.WARNING)

    @admin.action(description="Retry publishing (failed posts)")
    def retry_publishing(self, request, queryset) -> None:
        self._apply(request, queryset, "Retried", lambda post, p: post_services.retry_post(post, actor=p))

    @admin.action(description="Unschedule (scheduled posts)")
    def unschedule(self, request, queryset) -> None:
        self._apply(request, queryset, "Unscheduled", lambda post, p: post_services.unschedule_post(post, actor=p))


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


@admin.register(ExternalApproval)
class ExternalApprovalAdmin(TenantAdmin):
    """Client approval links (the links themselves are never stored). Withdrawing one makes it unusable."""

    list_display = ["id", "tenant", "post", "email", "state", "round", "step", "expires_at", "decided_at"]
    list_filter = ["state"]
    search_fields = ["id", "email", "post__id"]
    raw_id_fields = ["post", "requested_by"]
    readonly_fields = [
        "tenant",
        "post",
        "email",
        "token_digest",
        "content_digest",
        "round",
        "step",
        "state",
        "comment",
        "decided_at",
        "reminded_at",
        "created_at",
    ]
    list_select_related = ["tenant", "post"]
    actions = ["withdraw"]

    @admin.action(description="Withdraw (the link stops working)")
    def withdraw(self, request, queryset) -> None:
        for link in queryset.filter(state=ExternalApprovalState.PENDING).select_related("tenant"):
            ExternalApproval.all_tenants.filter(pk=link.pk).update(state=ExternalApprovalState.WITHDRAWN)
            audit.record(
                "cp.post.external_approval_withdrawn", link, actor=None, actor_user=request.user, tenant=link.tenant
            )
        self.message_user(request, "Withdrawn.", messages.SUCCESS)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(TenantAdmin):
    """Secret calendar feeds; deleting one revokes its URL (e.g. a leaked link)."""

    list_display = ["id", "tenant", "owner", "team", "name", "last_read_at", "created_at"]
    search_fields = ["id", "name", "owner__email"]
    raw_id_fields = ["owner", "team"]
    readonly_fields = ["tenant", "token_digest", "last_read_at", "created_at"]
    list_select_related = ["tenant", "owner", "team"]


@admin.register(PostImport)
class PostImportAdmin(TenantAdmin):
    list_display = ["id", "tenant", "file_name", "state", "total_rows", "created_count", "error_count", "created_at"]
    list_filter = ["state", "partial"]
    search_fields = ["id", "file_name", "created_by__email"]
    raw_id_fields = ["created_by"]
    readonly_fields = [
        "tenant",
        "created_by",
        "file_name",
        "partial",
        "state",
        "total_rows",
        "created_count",
        "error_count",
        "rows",
        "error_message",
        "finished_at",
        "created_at",
    ]
    exclude = ["content"]
    list_select_related = ["tenant"]
