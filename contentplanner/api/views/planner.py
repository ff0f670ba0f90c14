"""Calendar feeds (secret ICS URLs) and CSV imports of posts. Thin: validate, scope, call services, render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from contentplanner import selectors
from contentplanner.api.serializers import planner as p
from contentplanner.errors import ImportFileInvalid
from contentplanner.models import CalendarFeed, PostImport
from contentplanner.services import calendar_feeds, imports, link_preview
from core.api.inputs import validated
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import PermissionDenied


class CalendarFeedViewSet(mixins.ListModelMixin, TenantViewSet):
    """The caller's calendar feeds: a secret ICS URL of scheduled and published posts (their own view of the
    workspace, or one team's channels). The URL is shown once, at creation; deleting a feed revokes it."""

    serializer_class = p.CalendarFeedOutput
    # A feed URL shows the workspace's posts to whoever holds it, outside any login: creating one is a writer's call.
    required_permissions = {"list": "cp.post.read", "*": "cp.post.write"}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CalendarFeed.objects.all()
        return selectors.calendar_feeds_of(self.principal)

    @extend_schema(
        request=p.CalendarFeedInput, responses={201: p.CalendarFeedCreatedOutput, **error_responses(400, 403, 404)}
    )
    def create(self, request):
        data = validated(p.CalendarFeedInput, request)
        created = calendar_feeds.create_feed(actor=self.principal, name=data["name"], team_id=data["team_id"])
        output = {**p.CalendarFeedOutput(created.feed).data, "url": created.url}
        return Response(output, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def destroy(self, request, pk=None):
        calendar_feeds.revoke_feed(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostImportViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, TenantViewSet):
    """CSV bulk imports of posts: upload a file, poll the job for per-row results."""

    serializer_class = p.PostImportOutput
    required_permissions = {"list": "cp.post.read", "retrieve": "cp.post.read", "*": "cp.post.write"}
    parser_classes = [MultiPartParser]
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.post_imports()

    @extend_schema(
        request={"multipart/form-data": p.PostImportInput},
        responses={202: p.PostImportOutput, **error_responses(400, 403)},
        description="Queue an import of a CSV file (columns `channel`, `text`, `mediaUrls`, `publishAt`, `timezone`, "
        "`firstComment`, `tags`). Posts are created as drafts with their publish time. When any row has an error "
        "and `partial` is false, nothing is created (the job ends `failed` with every row's errors). "
        "400 IMPORT_FILE_INVALID for a file that is not readable CSV.",
    )
    def create(self, request):
        if self.principal.user is None:
            raise PermissionDenied("Imports run as a member: use a member's token, not an API key.")
        data = validated(p.PostImportInput, request)
        upload = data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ImportFileInvalid("The file is larger than 2 MB.")
        job = imports.create_import(
            actor=self.principal, file_name=upload.name or "", raw=upload.read(), partial=data["partial"]
        )
        return Response(p.PostImportOutput(PostImport.objects.get(pk=job.pk)).data, status=status.HTTP_202_ACCEPTED)


class LinkPreviewView(TenantAPIView):
    """Open Graph preview of a link, fetched through the SSRF guard (public hosts only)."""

    required_permissions = {"post": "cp.post.write"}

    @extend_schema(
        operation_id="cp_link_preview",
        request=p.LinkPreviewInput,
        responses={200: p.LinkPreviewOutput, **error_responses(400, 403)},
        description="Fetch the page (public hosts only, at most 1 MB, 3 redirects, 8 s) and return its Open Graph "
        "title, description and image, to fill a post's link fields. 400 LINK_PREVIEW_FAILED with `reason` "
        "(URL_NOT_ALLOWED, TOO_LARGE, TIMEOUT, FETCH_FAILED, ...).",
    )
    def post(self, request):
        data = validated(p.LinkPreviewInput, request)
        return Response(p.LinkPreviewOutput(link_preview.fetch_preview(data["url"])).data)
