"""Operator console for channels: filters, search, "refresh token now". Tokens are never rendered: the form has
no token fields, only whether one is set and when it expires."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models

from core import tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from social.models import Channel, OAuthState, SandboxPublication, TeamChannel
from social.networks.base import NetworkError


class TeamChannelInline(admin.TabularInline):
    model = TeamChannel
    extra = 0
    fields = ["team", "created_at"]
    readonly_fields = ["team", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Channel)
class ChannelAdmin(AuditedModelAdmin):
    list_display = ["name", "network", "status", "tenant", "token_expires_at", "last_synced_at", "created_at"]
    list_filter = ["network", "status", "publishing_enabled", "inbox_enabled"]
    search_fields = ["name", "username", "external_id", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    raw_id_fields = ["token_owner", "connected_by"]
    inlines = [TeamChannelInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["refresh_token_now"]
    readonly_fields = [
        "id",
        "tenant",
        "network",
        "external_id",
        "access_token_state",
        "refresh_token_state",
        "token_expires_at",
        "scopes",
        "token_owner_external_id",
        "attention_notified_at",
        "last_synced_at",
        "disconnected_at",
        "created_at",
        "updated_at",
    ]
    fields = [
        "id",
        "tenant",
        "network",
        "external_id",
        "name",
        "username",
        "image_url",
        "network_url",
        "publishing_enabled",
        "inbox_enabled",
        "status",
        "status_reason",
        "access_token_state",
        "refresh_token_state",
        "token_expires_at",
        "scopes",
        "token_owner_external_id",
        "token_owner",
        "connected_by",
        "config",
        "attention_notified_at",
        "last_synced_at",
        "disconnected_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # channels come from OAuth connects or the API (they need a tenant context)

    @admin.display(description="access token")
    def access_token_state(self, obj: Channel) -> str:
        return "set (hidden)" if obj.access_token else "—"

    @admin.display(description="refresh token")
    def refresh_token_state(self, obj: Channel) -> str:
        return "set (hidden)" if obj.refresh_token else "—"

    @admin.action(description="Refresh token now")
    def refresh_token_now(self, request, queryset):
        from social.services.tokens import refresh_channel_token

        refreshed, failed = 0, []
        for channel in queryset.select_related("tenant"):
            with tenancy.tenant_context(channel.tenant):
                try:
                    refresh_channel_token(channel, force=True)
                except NetworkError as exc:
                    failed.append(f"{channel.name}: {exc.code}")
                    continue
            self.audit(request, "token_refreshed", channel)
            refreshed += 1
        if refreshed:
            self.message_user(request, f"{refreshed} channel token(s) refreshed.", messages.SUCCESS)
        if failed:
            self.message_user(request, "Refresh failed for " + "; ".join(failed), messages.ERROR)


@admin.register(OAuthState)
class OAuthStateAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "tenant", "network", "user", "expires_at", "consumed_at"]
    list_filter = ["network"]
    list_select_related = ["tenant", "user"]
    fields = ["tenant", "network", "user", "channel", "created_at", "expires_at", "consumed_at"]  # no PKCE verifier
    readonly_fields = fields


@admin.register(SandboxPublication)
class SandboxPublicationAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "channel_external_id", "kind", "remote_id", "correlation_id", "submit_count"]
    list_filter = ["kind"]
    search_fields = ["channel_external_id", "remote_id", "correlation_id", "text"]
    fields = [
        "remote_id",
        "channel_external_id",
        "correlation_id",
        "kind",
        "parent_remote_id",
        "text",
        "payload",
        "submit_count",
        "created_at",
        "deleted_at",
    ]
    readonly_fields = fields
