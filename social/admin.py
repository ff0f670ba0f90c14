"""Operator console of the social app: channels (with "refresh token now"), OAuth states, sandbox publications,
the media library, short links and bit.ly accounts.

Rows are created through the API or OAuth (they need a tenant context and, for media, a probed file); the console
inspects, corrects metadata and runs actions. Actions that change state go through the app's services inside the
row's tenant, acting as the staff user, so the service's audit entry names them. Secrets (tokens, the bit.ly token,
PKCE verifiers) are never rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html

from core import tenancy
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.auth import Principal
from social.errors import MediaInUse
from social.models import (
    BitlyAccount,
    Channel,
    ChannelTokenOwner,
    ConnectGrant,
    Media,
    OAuthState,
    SandboxPublication,
    ShortLink,
    TeamChannel,
)
from social.networks.base import NetworkError
from social.services import media as media_services
from social.services import shortlinks as shortlink_services
from social.services import tokens as token_services

if TYPE_CHECKING:
    from tenants.models import Tenant


def staff_principal(request: HttpRequest, tenant: Tenant) -> Principal:
    """Who acts when staff run an action for `tenant` from the console."""
    return Principal(tenant=tenant, permissions=frozenset(), kind="staff", user=request.user)


# --- channels --------------------------------------------------------------------------------------------------------
class TeamChannelInline(admin.TabularInline):
    model = TeamChannel
    extra = 0
    fields = ["team", "created_at"]
    readonly_fields = ["team", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ChannelTokenOwnerInline(admin.TabularInline):
    """Whose tokens the channel holds (tokens never shown); removal goes through the API's token owner route."""

    model = ChannelTokenOwner
    extra = 0
    fields = ["user", "network_user_id", "token_expires_at", "scopes", "invalid_reason", "invalidated_at", "updated_at"]
    readonly_fields = fields
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
    inlines = [TeamChannelInline, ChannelTokenOwnerInline]
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
        """Through the token service, as the staff user: the service's audit entry names them."""
        refreshed, failed = 0, []
        for channel in queryset.select_related("tenant"):
            with tenancy.acting_as(staff_principal(request, channel.tenant)) as actor:
                try:
                    token_services.refresh_channel_token(channel, force=True, actor=actor)
                except NetworkError as exc:
                    failed.append(f"{channel.name}: {exc.code}")
                    continue
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


@admin.register(ConnectGrant)
class ConnectGrantAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "tenant", "network", "user", "expires_at", "consumed_at"]
    list_filter = ["network"]
    list_select_related = ["tenant", "user"]
    search_fields = ["tenant__name", "user__email"]
    fields = ["tenant", "network", "user", "team", "created_at", "expires_at", "consumed_at"]  # never the tokens
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


# --- media library, short links, bit.ly ---------------------------------------------------------------------------
@admin.register(Media)
class MediaAdmin(AuditedModelAdmin):
    list_display = ["name", "tenant", "kind", "mime_type", "size_bytes", "folder", "created_at"]
    list_filter = ["kind", "mime_type", "created_at"]
    search_fields = ["name", "original_name", "alt_text", "sha256", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"
    fields = [
        "preview",
        "id",
        "tenant",
        "name",
        "alt_text",
        "folder",
        "kind",
        "mime_type",
        "original_name",
        "size_bytes",
        "width",
        "height",
        "duration_seconds",
        "file",
        "source_url",
        "sha256",
        "uploaded_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in {"name", "alt_text", "folder"}]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Preview")
    def preview(self, media: Media) -> str:
        if not media.thumbnail:
            return "-"
        return format_html('<img src="{}" alt="" style="max-width:320px;max-height:320px">', media.thumbnail.url)

    def delete_model(self, request, obj: Media) -> None:
        self._delete(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for media in queryset.select_related("tenant"):
            self._delete(request, media)

    def _delete(self, request, media: Media) -> None:
        """Through the media service, as the staff user (files removed, in-use media kept, audit names them)."""
        with tenancy.acting_as(staff_principal(request, media.tenant)) as actor:
            try:
                media_services.delete_media(media, actor=actor)
            except MediaInUse as exc:
                self.message_user(
                    request, f"{media.name}: used by planned posts {exc.details['postIds']}", level=messages.ERROR
                )


@admin.register(ShortLink)
class ShortLinkAdmin(AuditedModelAdmin):
    list_display = ["code", "tenant", "target_url", "click_count", "last_clicked_at", "provider", "created_at"]
    list_filter = ["provider", "created_at", "last_clicked_at"]
    search_fields = ["code", "target_url", "title", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    fields = [
        "id",
        "tenant",
        "code",
        "target_url",
        "title",
        "click_count",
        "last_clicked_at",
        "provider",
        "external_short_url",
        "post_id",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in {"target_url", "title"}]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BitlyAccountForm(forms.ModelForm):
    account_tenant = forms.ModelChoiceField(queryset=None, required=False, label="Tenant")
    new_access_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        label="Access token",
        help_text="Write-only. Leave empty to keep the current token.",
    )

    class Meta:
        model = BitlyAccount
        fields = ["group_guid"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built per form, not at import time; the tenant model is reached as the FK target.
        tenant_model = BitlyAccount._meta.get_field("tenant").related_model
        self.fields["account_tenant"].queryset = tenant_model.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            if not cleaned.get("account_tenant"):
                self.add_error("account_tenant", "Choose the tenant.")
            if not cleaned.get("new_access_token"):
                self.add_error("new_access_token", "The token is required.")
        return cleaned


@admin.register(BitlyAccount)
class BitlyAccountAdmin(AuditedModelAdmin):
    form = BitlyAccountForm
    list_display = ["tenant", "group_guid", "connected_by", "created_at"]
    search_fields = ["tenant__name", "tenant__slug", "group_guid"]
    list_select_related = ["tenant", "connected_by"]

    def get_fields(self, request, obj=None):
        return (
            ["account_tenant", "group_guid", "new_access_token"]
            if obj is None
            else [
                "tenant",
                "group_guid",
                "new_access_token",
                "created_at",
            ]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["tenant", "created_at"]

    def save_model(self, request, obj: BitlyAccount, form, change) -> None:
        """Through the short-link service, as the staff user (one audit entry naming them); an empty token field
        keeps the stored token."""
        tenant = obj.tenant if change else form.cleaned_data["account_tenant"]
        token = form.cleaned_data.get("new_access_token") or obj.access_token
        with tenancy.acting_as(staff_principal(request, tenant)) as actor:
            saved = shortlink_services.set_bitly_account(
                actor=actor, access_token=token, group_guid=form.cleaned_data.get("group_guid", "")
            )
        obj.pk, obj.tenant = saved.pk, saved.tenant

    def delete_model(self, request, obj: BitlyAccount) -> None:
        with tenancy.acting_as(staff_principal(request, obj.tenant)) as actor:
            shortlink_services.remove_bitly_account(actor=actor)

    def delete_queryset(self, request, queryset) -> None:
        for account in queryset.select_related("tenant"):
            self.delete_model(request, account)
