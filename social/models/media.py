"""The media library: uploaded or imported files (images, videos, animations, documents) of a tenant.

Folders are a normalised path string ("campaigns/2026/spring", "" = root) rather than a folder model: moving a file
is one field update, listing a folder is an indexed equality filter, and no empty-folder bookkeeping is needed.
Tags are rows of `MediaTag` (not a JSON list) so `?tag=` is an indexed join on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import TenantScopedModel


class MediaKind(models.TextChoices):
    IMAGE = "image"
    VIDEO = "video"
    ANIMATION = "animation"
    OTHER = "other"


def media_upload_path(instance: Media, filename: str) -> str:
    """media/<tenant_id>/<uuid>.<ext>: the client's file name never reaches the disk."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"media/{instance.tenant_id}/{uuid.uuid4().hex}.{extension}"


def thumbnail_upload_path(instance: Media, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"media/{instance.tenant_id}/thumbs/{uuid.uuid4().hex}.{extension}"


class Media(TenantScopedModel):
    kind = models.CharField(max_length=16, choices=MediaKind.choices, db_index=True)
    mime_type = models.CharField(max_length=100, help_text="Sniffed from the content, never taken from the client.")
    file = models.FileField(upload_to=media_upload_path, max_length=255)
    name = models.CharField(max_length=255, help_text="Display name (defaults to the original file name).")
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    alt_text = models.TextField(blank=True)
    folder = models.CharField(max_length=500, blank=True, default="")
    thumbnail = models.FileField(upload_to=thumbnail_upload_path, max_length=255, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sha256 = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "media"
        indexes = [
            models.Index(fields=["tenant", "folder"]),
            models.Index(fields=["tenant", "kind"]),
            models.Index(fields=["tenant", "sha256"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_names(self) -> list[str]:
        return sorted(tag.name for tag in self.tags.all())


class MediaTag(TenantScopedModel):
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["media", "name"], name="uniq_media_tag")]
        indexes = [models.Index(fields=["tenant", "name"])]

    def __str__(self) -> str:
        return self.name
