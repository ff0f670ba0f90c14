"""Operator console for the media library, short links and bit.ly accounts (imported by social/admin.py).

Rows are created through the API (they need a tenant context and, for media, a probed file); the console inspects,
corrects metadata and deletes. Media deletes go through the service, so files are removed and media used by a
planned post stay. The bit.ly token is write-only here: never displayed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html

from core import tenancy
from core.admin import AuditedModelAdmin
from social.models import BitlyAccount, Media, ShortLink
from social.services import media as media_services
from tenants.models import Tenant


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
        with tenancy.tenant_context(media.tenant):
            try:
                media_services.delete_media(media)
            except media_services.MediaInUse as exc:
                self.message_user(
                    request, f"{media.name}: used by planned posts {exc.details['postIds']}", level=messages.ERROR
                )
                return
            self.audit(request, "deleted", media, {"repr": str(media)})


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
    account_tenant = forms.ModelChoiceField(queryset=Tenant.objects.order_by("name"), required=False, label="Tenant")
    new_access_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        label="Access token",
        help_text="Write-only. Leave empty to keep the current token.",
    )

    class Meta:
        model = BitlyAccount
        fields = ["group_guid"]

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
        if not change:
            obj.tenant = form.cleaned_data["account_tenant"]
            obj.connected_by = request.user
        if form.cleaned_data.get("new_access_token"):
            obj.access_token = form.cleaned_data["new_access_token"]
        super().save_model(request, obj, form, change)
