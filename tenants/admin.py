"""The operator console for tenants, users and access. Uses `all_tenants` (the default manager) under the
platform access that `core.middleware.PlatformAdminMiddleware` grants staff; secrets are never displayed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from core import tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.errors import DomainError, PermissionDenied
from tenants.models import (
    ApiKey,
    AuthSession,
    Membership,
    MonthlyActiveUser,
    Plan,
    RefreshToken,
    SsoIdentity,
    Team,
    TeamMember,
    Tenant,
    TenantExternalId,
    TenantSso,
    TenantStatus,
    User,
)
from tenants.roles import staff_principal
from tenants.services import api_keys as api_key_services
from tenants.services import impersonation, sso
from tenants.tokens import revoke_session, revoke_user_sessions


class NoAddMixin:
    """Tenant-owned rows are created through the API or services (they need a tenant context); the console
    inspects, corrects and acts on them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TenantExternalIdInline(admin.TabularInline):
    model = TenantExternalId
    extra = 0
    fields = ["platform", "external_id", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans as data: limits and features apply to every tenant on the plan from its next request. Changes are kept
    in the admin's history; a plan in use cannot be deleted or have its code renamed (tenants store the code)."""

    list_display = ["code", "name", "price_label", "is_public", "sort_order", "tenant_count"]
    list_filter = ["is_public"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "price_label", "is_public", "sort_order", "limits", "features", "created_at"]
    readonly_fields = ["created_at"]

    @admin.display(description="tenants")
    def tenant_count(self, plan: Plan) -> int:
        return Tenant.objects.filter(plan=plan.code).count()

    def _in_use(self, plan: Plan | None) -> bool:
        return plan is not None and Tenant.objects.filter(plan=plan.code).exists()

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if self._in_use(obj) else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._in_use(obj)


@admin.register(Tenant)
class TenantAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "status", "plan", "parent", "expires_at", "created_at"]
    list_filter = ["status", "plan", "created_at"]
    search_fields = ["name", "slug", "external_ids__external_id"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["id", "created_at", "updated_at", "last_activity_at"]
    fields = [
        "id",
        "name",
        "slug",
        "status",
        "parent",
        "plan",
        "limit_overrides",
        "feature_overrides",
        "timezone",
        "locale",
        "settings",
        "theme",
        "expires_at",
        "last_activity_at",
        "created_at",
        "updated_at",
    ]
    inlines = [TenantExternalIdInline]
    actions = ["suspend", "activate", "archive"]

    def audit_tenants(self, obj):
        return [obj]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            # A choice of the existing plans (tenants store the code; a typo would zero every limit).
            return forms.ChoiceField(
                choices=[(plan.code, str(plan)) for plan in Plan.objects.all()], help_text=db_field.help_text
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tenants are archived, never deleted

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            with tenancy.tenant_context(obj):
                Team.objects.get_or_create(is_default=True, defaults={"name": "Everyone"})

    def _set_status(self, request, queryset, status: str) -> None:
        for tenant in queryset:
            if tenant.status != status:
                before = tenant.status
                tenant.status = status
                tenant.save(update_fields=["status", "updated_at"])
                self.audit(request, "status_changed", tenant, {"status": [before, status]})
        self.message_user(request, f"{queryset.count()} tenant(s) now {status}.", messages.SUCCESS)

    @admin.action(description="Suspend selected tenants")
    def suspend(self, request, queryset):
        self._set_status(request, queryset, TenantStatus.SUSPENDED)

    @admin.action(description="Activate selected tenants")
    def activate(self, request, queryset):
        self._set_status(request, queryset, TenantStatus.ACTIVE)

    @admin.action(description="Archive selected tenants")
    def archive(self, request, queryset):
        self._set_status(request, queryset, TenantStatus.ARCHIVED)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["tenant", "role", "is_active", "external_user_id", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "has_totp", "last_login", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", "created_at"]
    search_fields = ["email", "first_name", "last_name"]
    # password, totp_secret and recovery code hashes are deliberately absent.
    fields = [
        "id",
        "email",
        "first_name",
        "last_name",
        "locale",
        "timezone",
        "avatar_url",
        "is_active",
        "is_staff",
        "is_superuser",
        "totp_confirmed_at",
        "failed_login_count",
        "locked_until",
        "password_changed_at",
        "last_login",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "id",
        "is_superuser",
        "totp_confirmed_at",
        "failed_login_count",
        "password_changed_at",
        "last_login",
        "created_at",
        "updated_at",
    ]
    inlines = [MembershipInline]
    actions = ["force_logout", "lock", "unlock"]

    @admin.display(boolean=True, description="TOTP")
    def has_totp(self, obj: User) -> bool:
        return obj.has_totp

    def audit_tenants(self, obj: User):
        # A user has no tenant of its own: the change is logged in every tenant they belong to.
        return [m.tenant for m in Membership.all_tenants.filter(user=obj).select_related("tenant")]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # lock instead: deleting a user would rewrite history (authors, audit actors)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.set_unusable_password()  # they set one through the password reset flow
        super().save_model(request, obj, form, change)

    @admin.action(description="Force logout (revoke all sessions)")
    def force_logout(self, request, queryset):
        for user in queryset:
            revoked = revoke_user_sessions(user, reason="admin_force_logout")
            self.audit(request, "force_logout", user, {"sessions_revoked": revoked})
        self.message_user(request, "Sessions revoked.", messages.SUCCESS)

    @admin.action(description="Lock (deactivate and log out)")
    def lock(self, request, queryset):
        for user in queryset:
            user.is_active = False
            user.save(update_fields=["is_active", "updated_at"])
            revoke_user_sessions(user, reason="admin_lock")
            self.audit(request, "locked", user, {"is_active": [True, False]})
        self.message_user(request, "Users locked.", messages.SUCCESS)

    @admin.action(description="Unlock (reactivate, clear failed logins)")
    def unlock(self, request, queryset):
        for user in queryset:
            user.is_active, user.locked_until, user.failed_login_count = True, None, 0
            user.save(update_fields=["is_active", "locked_until", "failed_login_count", "updated_at"])
            self.audit(request, "unlocked", user, {"is_active": [False, True]})
        self.message_user(request, "Users unlocked.", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(NoAddMixin, AuditedModelAdmin):
    list_display = ["user", "tenant", "role", "is_active", "external_user_id", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "tenant__name", "tenant__slug", "external_user_id"]
    list_select_related = ["user", "tenant"]
    fields = [
        "id",
        "tenant",
        "user",
        "role",
        "custom_permissions",
        "read_only_channel_ids",
        "external_user_id",
        "is_active",
        "invited_by",
        "created_at",
    ]
    actions = ["impersonate"]

    def has_impersonate_permission(self, request) -> bool:
        return request.user.has_perm("tenants.impersonate")

    @admin.action(description="Impersonate the selected member (one)", permissions=["impersonate"])
    def impersonate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one member to impersonate.", messages.ERROR)
            return None
        membership = queryset.select_related("tenant", "user").get()
        try:
            pair = impersonation.start_impersonation(
                membership, staff_user=request.user, user_agent=request.META.get("HTTP_USER_AGENT", "")
            )
        except PermissionDenied as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return TemplateResponse(
            request,
            "admin/tenants/impersonation_started.html",
            {**self.admin_site.each_context(request), "pair": pair, "session": pair.session, "title": "Impersonation"},
        )

    # read_only_channel_ids is not enforced anywhere yet: shown, never edited, so it promises nothing.
    readonly_fields = ["id", "tenant", "user", "read_only_channel_ids", "invited_by", "created_at"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(NoAddMixin, AuditedModelAdmin):
    list_display = ["name", "tenant", "is_default", "member_count", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    fields = ["id", "tenant", "name", "description", "is_default", "created_at"]
    readonly_fields = ["id", "tenant", "is_default", "created_at"]
    inlines = [TeamMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(ordering="member_count")
    def member_count(self, obj: Team) -> int:
        return obj.member_count

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_default

    def save_formset(self, request, form, formset, change) -> None:
        for member in formset.save(commit=False):
            member.tenant_id = form.instance.tenant_id
            member.save()
            self.audit(request, "member_saved", form.instance, {"user_id": str(member.user_id), "role": member.role})
        for member in formset.deleted_objects:
            self.audit(request, "member_removed", form.instance, {"user_id": str(member.user_id)})
            member.delete()


@admin.register(ApiKey)
class ApiKeyAdmin(NoAddMixin, AuditedModelAdmin):
    list_display = [
        "name",
        "tenant",
        "display_prefix",
        "scopes",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["name", "prefix", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant", "created_by"]
    # key_hash is never shown.
    fields = [
        "id",
        "tenant",
        "name",
        "display_prefix",
        "scopes",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = ["id", "tenant", "display_prefix", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="prefix")
    def display_prefix(self, obj: ApiKey) -> str:
        return f"hb_{obj.prefix}_…"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the audit trail refers to keys

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        # Through the service, acting as the staff user: one audit entry, naming them, like any other revocation.
        for key in queryset.filter(revoked_at__isnull=True).select_related("tenant"):
            with tenancy.acting_as(staff_principal(key.tenant, request.user)) as actor:
                api_key_services.revoke_api_key(key, actor=actor)
        self.message_user(request, "Keys revoked.", messages.SUCCESS)


@admin.register(AuthSession)
class AuthSessionAdmin(ReadOnlyModelAdmin, AuditedModelAdmin):
    list_display = ["user", "tenant", "created_at", "last_used_at", "revoked_at", "revoke_reason", "impersonator"]
    list_filter = ["revoke_reason", "created_at"]
    search_fields = ["user__email", "tenant__name", "ip_address"]
    list_select_related = ["user", "tenant", "impersonator"]
    fields = [
        "id",
        "tenant",
        "user",
        "membership",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoke_reason",
        "user_agent",
        "ip_address",
        "impersonator",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def get_urls(self):
        end = self.admin_site.admin_view(self.end_impersonation_view)
        return [
            path("<uuid:session_id>/end-impersonation/", end, name="tenants_authsession_end_impersonation"),
            *super().get_urls(),
        ]

    def end_impersonation_view(self, request, session_id):
        """The "End impersonation now" button: the session's tokens stop working at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        session = get_object_or_404(
            AuthSession.all_tenants.select_related("tenant", "user", "membership"), pk=session_id
        )
        if session.impersonator_id != request.user.pk and not request.user.is_superuser:
            raise Http404("No such impersonation session of yours.")
        ended = impersonation.end_impersonation(session, staff_user=request.user)
        self.message_user(request, "Impersonation ended." if ended else "The impersonation had already ended.")
        return redirect("admin:tenants_authsession_changelist")

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request, queryset):
        for session in queryset.filter(revoked_at__isnull=True).select_related("tenant"):
            with tenancy.acting_as(staff_principal(session.tenant, request.user)):
                revoke_session(session, reason="admin_revoke")
                self.audit(request, "revoked", session, {"user_id": str(session.user_id)})
        self.message_user(request, "Sessions revoked.", messages.SUCCESS)


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyModelAdmin):
    list_display = ["session", "tenant", "created_at", "expires_at", "used_at"]
    list_select_related = ["tenant", "session"]
    fields = ["id", "tenant", "session", "created_at", "expires_at", "used_at"]  # token_hash never shown
    readonly_fields = fields


@admin.register(MonthlyActiveUser)
class MonthlyActiveUserAdmin(ReadOnlyModelAdmin):
    list_display = ["month", "tenant", "user"]
    list_filter = ["month"]
    search_fields = ["tenant__name", "user__email"]
    list_select_related = ["tenant", "user"]
    fields = ["tenant", "user", "month", "created_at"]
    readonly_fields = fields


@admin.register(TenantSso)
class TenantSsoAdmin(NoAddMixin, AuditedModelAdmin):
    """Tenants configure SSO through the API (which checks the issuer); staff inspect it, adjust domains, role and
    enforcement, re-read the discovery document, or switch enforcement off for a locked-out tenant. The client
    secret is never shown."""

    list_display = ["tenant", "issuer", "client_id", "default_role", "enforce", "metadata_fetched_at", "updated_at"]
    list_filter = ["enforce", "default_role"]
    search_fields = ["tenant__name", "tenant__slug", "issuer", "client_id"]
    list_select_related = ["tenant"]
    fields = [
        "id",
        "tenant",
        "issuer",
        "client_id",
        "allowed_domains",
        "default_role",
        "enforce",
        "provider_metadata",
        "metadata_fetched_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "id",
        "tenant",
        "issuer",
        "client_id",
        "provider_metadata",
        "metadata_fetched_at",
        "created_at",
        "updated_at",
    ]
    actions = ["refresh_discovery", "stop_enforcing"]

    @admin.action(description="Re-read the issuer's discovery document")
    def refresh_discovery(self, request, queryset):
        for config in queryset.select_related("tenant"):
            try:
                with tenancy.tenant_context(config.tenant):
                    sso.refresh_metadata(config)
            except DomainError as exc:
                self.message_user(request, f"{config.tenant}: {exc.message} {exc.details or ''}", messages.ERROR)
                continue
            self.audit(request, "discovery_refreshed", config)
        self.message_user(request, "Done.", messages.INFO)

    @admin.action(description="Stop enforcing SSO (password login for everyone)")
    def stop_enforcing(self, request, queryset):
        for config in queryset.filter(enforce=True).select_related("tenant"):
            with tenancy.tenant_context(config.tenant):
                TenantSso.objects.filter(pk=config.pk).update(enforce=False)
            self.audit(request, "updated", config, {"enforce": [True, False]})
        self.message_user(request, "Password login is allowed again.", messages.SUCCESS)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(NoAddMixin, AuditedModelAdmin):
    """Links of identity-provider accounts (issuer, sub) to users, per tenant. Deleting a link lets the person be
    matched by email again on their next SSO sign-in (and, if they were removed, join again)."""

    list_display = ["subject", "issuer", "user", "email", "tenant", "last_login_at", "created_at"]
    list_filter = ["issuer", "created_at"]
    search_fields = ["subject", "email", "user__email", "tenant__name", "tenant__slug"]
    list_select_related = ["user", "tenant"]
    fields = ["id", "tenant", "user", "issuer", "subject", "email", "last_login_at", "created_at"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False
