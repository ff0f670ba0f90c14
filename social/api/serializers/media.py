"""Media library: output, multipart upload, URL import and edit serializers."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from social.models import Media
from social.services import media as media_services


def absolute_file_url(field_file) -> str | None:
    """The storage URL; local storage gives a path, made absolute with PUBLIC_BASE_URL."""
    if not field_file:
        return None
    url = field_file.url
    return url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"


class MediaOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    uploaded_by = serializers.UUIDField(source="uploaded_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Media
        fields = [
            "id",
            "kind",
            "mime_type",
            "name",
            "original_name",
            "size_bytes",
            "width",
            "height",
            "duration_seconds",
            "alt_text",
            "tags",
            "folder",
            "url",
            "thumbnail_url",
            "source_url",
            "sha256",
            "uploaded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, media: Media) -> str | None:
        return absolute_file_url(media.file)

    def get_thumbnail_url(self, media: Media) -> str | None:
        return absolute_file_url(media.thumbnail)

    def get_tags(self, media: Media) -> list[str]:
        return media.tag_names


class _MediaFieldsInput(serializers.Serializer):
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=media_services.MAX_TAG_LENGTH, allow_blank=True),
        required=False,
        max_length=media_services.MAX_TAGS,
    )
    folder = serializers.CharField(required=False, allow_blank=True, max_length=500)
    name = serializers.CharField(required=False, max_length=255)

    def validate_tags(self, value: list[str]) -> list[str]:
        # Multipart clients may send one comma-separated `tags` value instead of repeating the field.
        if len(value) == 1 and "," in value[0]:
            value = value[0].split(",")
        try:
            return media_services.normalize_tags(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_folder(self, value: str) -> str:
        try:
            return media_services.normalize_folder(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class MediaUploadInput(_MediaFieldsInput):
    """multipart/form-data: `file` plus optional `altText`, `tags` (repeated or comma-separated), `folder`."""

    file = serializers.FileField(allow_empty_file=False)


class MediaUrlImportInput(_MediaFieldsInput):
    """JSON: import from a public http(s) URL."""

    url = serializers.URLField(max_length=2000)


class MediaUpdateInput(_MediaFieldsInput):
    pass


class MediaFileInput(serializers.Serializer):
    """multipart/form-data: the new `file` (same kind as the one it replaces)."""

    file = serializers.FileField(allow_empty_file=False)


class MediaFolderOutput(serializers.Serializer):
    path = serializers.CharField(help_text="'' for the root.")
    name = serializers.CharField()
    media_count = serializers.IntegerField(help_text="Media directly in this folder.")
    total_count = serializers.IntegerField(help_text="Media in this folder and its subfolders.")
    children = serializers.ListField(child=serializers.DictField(), help_text="Subfolders, same shape, by name.")


class MediaFolderMoveInput(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under its wire name.
    to = serializers.CharField(allow_blank=True, max_length=500, help_text="New path ('' = the root).")

    def get_fields(self):
        return {"from": serializers.CharField(max_length=500, help_text="Folder path to move."), **super().get_fields()}


class MediaFolderMoveOutput(serializers.Serializer):
    moved = serializers.IntegerField(help_text="How many media moved.")
