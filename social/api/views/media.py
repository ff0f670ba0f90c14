"""Media library endpoints: list/filter, multipart upload or URL import, detail, edit, replace the file, folder
tree and moves, delete."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.inputs import validated
from core.api.schema import ErrorSerializer, error_responses
from core.api.viewsets import TenantViewSet
from social import selectors
from social.api.serializers import media as s
from social.models import Media, MediaKind
from social.services import media as media_services


class MediaFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MediaKind.choices)
    folder = django_filters.CharFilter(method="filter_folder", help_text="Exact folder path ('' = root).")
    tag = django_filters.CharFilter(method="filter_tag", help_text="Media carrying this tag (case-insensitive).")
    # `?sha256=` on the wire: the camelCase middleware underscoreizes the key to `sha_256`.
    sha_256 = django_filters.CharFilter(field_name="sha256", help_text="Media with this content hash (duplicates).")

    class Meta:
        model = Media
        fields = ["kind"]

    def filter_folder(self, queryset, name, value):
        try:
            return queryset.filter(folder=media_services.normalize_folder(value))
        except ValueError:
            return queryset.none()

    def filter_tag(self, queryset, name, value):
        # (media, name) is unique and tags are de-duplicated case-insensitively: the join cannot repeat a row.
        return queryset.filter(tags__name__iexact=value.strip())


_UPLOAD_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="`VALIDATION_ERROR`, `UNSUPPORTED_MEDIA_TYPE` (content is not a supported image/video/PDF), "
        "`URL_IMPORT_FAILED` (URL not allowed: private/loopback address, bad scheme; too many redirects; timeout).",
    ),
    403: OpenApiResponse(
        ErrorSerializer, description="`FORBIDDEN`, or `STORAGE_LIMIT_REACHED` with `{limitBytes, usedBytes}`."
    ),
    413: OpenApiResponse(ErrorSerializer, description="`PAYLOAD_TOO_LARGE`: larger than MAX_UPLOAD_BYTES."),
}


class MediaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's media library. Upload with multipart `file`, or import with JSON `{url}`."""

    serializer_class = s.MediaOutput
    required_permissions = {
        "list": "social.media.read",
        "retrieve": "social.media.read",
        "folders": "social.media.read",
        "*": "social.media.write",
    }
    filterset_class = MediaFilter
    search_fields = ["name", "original_name", "alt_text"]
    ordering_fields = ["created_at", "size_bytes", "name"]

    def scope_queryset(self):
        return selectors.media_items()

    @extend_schema(responses={200: s.MediaFolderOutput})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def folders(self, request):
        """The library's folders as a tree with media counts (folders exist through the media in them)."""
        return Response(s.MediaFolderOutput(selectors.media_folder_tree()).data)

    @extend_schema(
        request=s.MediaFolderMoveInput, responses={200: s.MediaFolderMoveOutput, **error_responses(400, 404)}
    )
    @action(detail=False, methods=["post"], url_path="folders/move", filter_backends=[], pagination_class=None)
    def move_folder(self, request):
        """Move or rename a folder with its subfolders (`{from: "Campaigns/2025", to: "Archive/2025"}`)."""
        data = validated(s.MediaFolderMoveInput, request)
        return Response({"moved": media_services.move_folder(data["from"], data["to"], actor=self.principal)})

    @extend_schema(request={"multipart/form-data": s.MediaFileInput}, responses={200: s.MediaOutput, **_UPLOAD_ERRORS})
    @action(detail=True, methods=["put"], url_path="file", filter_backends=[])
    def replace_file(self, request, pk=None):
        """Replace the file behind this entry (same kind); posts using it publish the new file."""
        media = self.get_object()  # another tenant's id is a 404 whatever the body
        upload = validated(s.MediaFileInput, request)["file"]
        return Response(s.MediaOutput(media_services.replace_media_file(media, upload, actor=self.principal)).data)

    @extend_schema(
        request={"multipart/form-data": s.MediaUploadInput, "application/json": s.MediaUrlImportInput},
        responses={201: s.MediaOutput, **_UPLOAD_ERRORS},
    )
    def create(self, request):
        if (request.content_type or "").startswith("multipart/"):
            fields = dict(validated(s.MediaUploadInput, request))
            media = media_services.create_media_from_upload(fields.pop("file"), actor=self.principal, **fields)
        else:
            fields = dict(validated(s.MediaUrlImportInput, request))
            media = media_services.import_media_from_url(fields.pop("url"), actor=self.principal, **fields)
        media = selectors.media_items().get(pk=media.pk)
        return Response(s.MediaOutput(media).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MediaUpdateInput, responses={200: s.MediaOutput})
    def partial_update(self, request, pk=None):
        values = validated(s.MediaUpdateInput, request, partial=True)
        media = media_services.update_media(self.get_object(), **values, actor=self.principal)
        return Response(s.MediaOutput(media).data)

    @extend_schema(
        request=None,
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorSerializer, description="`MEDIA_IN_USE`: posts use it, in any state (`postIds`)."
            ),
            **error_responses(404),
        },
    )
    def destroy(self, request, pk=None):
        media_services.delete_media(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)
