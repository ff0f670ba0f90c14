"""The community's operator console: the moderation queue (pending posts), hidden content, bans, and every model.

Admin querysets use `all_tenants`. Moderation actions run the same services as the API, inside each object's
tenant, as the staff user (audit-logged with their email), so counts, history and events stay right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet

from community.models import (
    Board,
    BoardMember,
    Comment,
    CommunitySettings,
    ContentStatus,
    Member,
    MemberStatus,
    Post,
    Reaction,
    Reply,
    Report,
    ReportStatus,
    Revision,
    Role,
    Tag,
    TagMapping,
)
from community.services import content as content_services
from community.services import members as member_services
from community.services import reports as report_services
from core import tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.errors import DomainError
from tenants.roles import staff_principal

STAFF_PERMISSIONS = frozenset({"community.read", "community.participate", "community.moderate", "community.manage"})


def _run_as_staff(modeladmin, request, queryset: QuerySet, service: Callable, verb: str) -> None:
    """Apply `service(obj, actor=...)` to each selected object in its own tenant; report what was refused."""
    done, refused = 0, []
    for obj in queryset.select_related("tenant"):
        # Staff act with every community permission: the services check community permissions, not Hubbub roles.
        principal = dataclasses.replace(staff_principal(obj.tenant, request.user), permissions=STAFF_PERMISSIONS)
        with tenancy.acting_as(principal):
            try:
                service(type(obj).objects.get(pk=obj.pk), actor=principal)
                done += 1
            except DomainError as exc:
                refused.append(f"{obj}: {exc.message}")
    if done:
        modeladmin.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)


class TenantAdmin(AuditedModelAdmin):
    def get_queryset(self, request):
        return self.model.all_tenants.select_related("tenant")


@admin.register(CommunitySettings)
class CommunitySettingsAdmin(TenantAdmin):
    list_display = ["name", "tenant", "signup_mode", "default_role", "updated_at"]
    list_filter = ["signup_mode"]
    search_fields = ["name", "tenant__name", "tenant__slug"]
    readonly_fields = ["tenant", "default_role"]


@admin.register(Role)
class RoleAdmin(TenantAdmin):
    list_display = ["name", "tenant", "kind", "permissions", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "tenant__name"]


@admin.register(Member)
class MemberAdmin(TenantAdmin):
    list_display = [
        "username",
        "display_name",
        "tenant",
        "role",
        "status",
        "post_count",
        "comment_count",
        "login_count",
        "created_at",
    ]
    list_filter = ["status", "role__kind", "is_bot", "created_at"]
    search_fields = ["username", "email", "first_name", "last_name", "handle", "sso_id", "tenant__name"]
    readonly_fields = [
        "tenant",
        "handle",
        "role",
        "post_count",
        "comment_count",
        "reply_count",
        "login_count",
        "last_login_at",
        "banned_at",
        "erased_at",
        "token_version",
    ]
    actions = ["ban", "unban", "approve_waitlisted"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role")

    @admin.action(description="Ban the selected members (their tokens stop working)")
    def ban(self, request, queryset):
        _run_as_staff(self, request, queryset, member_services.ban_member, "Banned")

    @admin.action(description="Unban the selected members")
    def unban(self, request, queryset):
        _run_as_staff(
            self, request, queryset.filter(status=MemberStatus.BANNED), member_services.unban_member, "Unbanned"
        )

    @admin.action(description="Let the selected waitlisted members in")
    def approve_waitlisted(self, request, queryset):
        _run_as_staff(
            self, request, queryset.filter(status=MemberStatus.WAITLIST), member_services.approve_member, "Approved"
        )


class BoardMemberInline(admin.TabularInline):
    model = BoardMember
    extra = 0
    raw_id_fields = ["member"]
    fields = ["member", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return BoardMember.all_tenants.select_related("member")


@admin.register(Board)
class BoardAdmin(TenantAdmin):
    list_display = [
        "name",
        "tenant",
        "visibility",
        "is_private",
        "needs_approval",
        "display_order",
        "post_count",
        "last_posted_at",
    ]
    list_filter = ["visibility", "is_private", "needs_approval"]
    search_fields = ["name", "tenant__name"]
    readonly_fields = ["tenant", "post_count", "last_posted_at"]
    filter_horizontal = ["posting_roles"]
    inlines = [BoardMemberInline]


class ModeratedContentAdmin(TenantAdmin):
    """Pending (the approval queue) and hidden content first; approve, hide or restore in bulk."""

    list_filter = ["status", "created_at"]
    readonly_fields = [
        "tenant",
        "author",
        "content",
        "clean_text",
        "short_text",
        "react_count",
        "s1_count",
        "s2_count",
        "s3_count",
        "s4_count",
        "s5_count",
        "s6_count",
        "edited_at",
        "created_at",
    ]
    actions = ["approve", "hide"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Approve / restore the selected items")
    def approve(self, request, queryset):
        service = content_services.approve_post if self.model is Post else _moderate("approve")
        _run_as_staff(self, request, queryset.exclude(status=ContentStatus.PUBLISHED), service, "Published")

    @admin.action(description="Hide the selected items")
    def hide(self, request, queryset):
        service = content_services.hide_post if self.model is Post else _moderate("hide")
        _run_as_staff(self, request, queryset.exclude(status=ContentStatus.HIDDEN), service, "Hidden")


def _moderate(action: str) -> Callable:
    def run(obj, *, actor):
        return content_services.moderate(obj, actor=actor, action=action)

    return run


@admin.register(Post)
class PostAdmin(ModeratedContentAdmin):
    list_display = ["headline", "board", "author", "tenant", "status", "comment_count", "react_count", "created_at"]
    list_filter = ["status", "board__needs_approval", "created_at"]
    search_fields = ["headline", "clean_text", "author__username", "board__name", "tenant__name"]
    readonly_fields = [
        *ModeratedContentAdmin.readonly_fields,
        "board",
        "comment_count",
        "reply_count",
        "view_count",
        "pinned_at",
        "last_activity_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("board", "author")


@admin.register(Comment)
class CommentAdmin(ModeratedContentAdmin):
    list_display = ["short_text", "post", "author", "tenant", "status", "reply_count", "created_at"]
    search_fields = ["clean_text", "author__username", "tenant__name"]
    readonly_fields = [*ModeratedContentAdmin.readonly_fields, "post", "reply_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("post", "author")


@admin.register(Reply)
class ReplyAdmin(ModeratedContentAdmin):
    list_display = ["short_text", "comment", "author", "tenant", "status", "created_at"]
    search_fields = ["clean_text", "author__username", "tenant__name"]
    readonly_fields = [*ModeratedContentAdmin.readonly_fields, "comment", "post"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("comment", "author")


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyModelAdmin):
    list_display = ["target_type", "target_id", "slot", "member", "tenant", "created_at"]
    list_filter = ["target_type", "slot"]
    search_fields = ["target_id", "member__username"]

    def get_queryset(self, request):
        return Reaction.all_tenants.select_related("member", "tenant")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyModelAdmin):
    list_display = ["target_type", "target_id", "edited_by", "tenant", "created_at"]
    list_filter = ["target_type"]
    search_fields = ["target_id", "edited_by", "headline"]

    def get_queryset(self, request):
        return Revision.all_tenants.select_related("tenant")


class TagMappingInline(admin.TabularInline):
    model = TagMapping
    extra = 0
    fields = ["ref_type", "ref_id", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return TagMapping.all_tenants.all()


@admin.register(Tag)
class TagAdmin(TenantAdmin):
    list_display = ["display_name", "name", "tenant", "back_color", "text_color", "created_at"]
    search_fields = ["name", "display_name", "tenant__name"]
    readonly_fields = ["tenant"]
    inlines = [TagMappingInline]


@admin.register(Report)
class ReportAdmin(TenantAdmin):
    """Reported content: hide it (resolving every open report on it) or dismiss the report."""

    list_display = ["target_type", "target_id", "reason", "status", "reporter", "tenant", "created_at"]
    list_filter = ["status", "reason", "target_type"]
    search_fields = ["target_id", "details", "reporter__username", "tenant__name"]
    readonly_fields = [
        "tenant",
        "reporter",
        "target_type",
        "target_id",
        "reason",
        "details",
        "status",
        "resolved_by",
        "resolved_at",
    ]
    actions = ["hide_content", "dismiss"]

    def has_add_permission(self, request) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter")

    @admin.action(description="Hide the reported content")
    def hide_content(self, request, queryset):
        _run_as_staff(self, request, queryset.filter(status=ReportStatus.OPEN), _resolve(hide=True), "Hidden")

    @admin.action(description="Dismiss the selected reports")
    def dismiss(self, request, queryset):
        _run_as_staff(self, request, queryset.filter(status=ReportStatus.OPEN), _resolve(hide=False), "Dismissed")


def _resolve(*, hide: bool) -> Callable:
    def run(report, *, actor):
        return report_services.resolve_report(report, actor=actor, hide=hide)

    return run
