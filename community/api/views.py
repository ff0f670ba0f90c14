"""Community API: thin views over `community.services` and `community.selectors`.

Every view accepts a member token or a tenant key with `X-Member-Id` (acting as a member) before the default
credentials. Querysets are scoped to what the caller may see, so an object the caller may not read and another
tenant's object are the same 404.
"""

from __future__ import annotations

from djangorestframework_camel_case.parser import CamelCaseJSONParser
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from community import access, selectors
from community.api import serializers as s
from community.api.pagination import CommunityPagination
from community.api.parsers import CommunityJSONParser
from community.api.throttling import MemberRateThrottle
from community.authentication import ApiKeyMemberAuthentication, MemberTokenAuthentication, find_member
from community.models import ContentStatus, Member, RolePermission, TargetType
from community.services import boards as board_services
from community.services import content as content_services
from community.services import members as member_services
from community.services import reactions as reaction_services
from community.services import reports as report_services
from community.services import roles as role_services
from community.services import settings as settings_services
from community.services import tags as tag_services
from core.api.inputs import validated
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import NotFound, ValidationFailed

READ, PARTICIPATE, MODERATE, MANAGE = (
    "community.read",
    "community.participate",
    "community.moderate",
    "community.manage",
)
SLOT_PATTERN = r"reactions/(?P<slot>[^/]+)"


class CommunityViewMixin:
    authentication_classes = [
        MemberTokenAuthentication,
        ApiKeyMemberAuthentication,
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
    ]
    pagination_class = CommunityPagination
    throttle_classes = [MemberRateThrottle]
    # The JSON parser is replaced (map keys stay as sent); the other default parsers are kept.
    parser_classes = [
        CommunityJSONParser,
        *[parser for parser in api_settings.DEFAULT_PARSER_CLASSES if not issubclass(parser, CamelCaseJSONParser)],
    ]
    filter_backends: list = []

    @property
    def viewer(self) -> access.Viewer:
        return access.viewer_of(self.principal)

    def member_context(self) -> dict:
        return {
            "show_private": access.can(self.principal, RolePermission.COMMUNITY_MANAGE),
            "member": access.acting_member(self.principal),
        }


def _author(reference: str | None) -> Member | None:
    if not reference:
        return None
    member = find_member(reference)
    if member is None:
        raise ValidationFailed(details={"author": [f"Unknown member: {reference}."]})
    return member


# ---------------------------------------------------------------- settings, roles


class SettingsView(CommunityViewMixin, TenantAPIView):
    required_permissions = {"get": READ, "put": MANAGE}

    @extend_schema(responses={200: s.CommunitySettingsOutput})
    def get(self, request):
        return Response(s.CommunitySettingsOutput(settings_services.ensure_community()).data)

    @extend_schema(request=s.CommunitySettingsInput, responses={200: s.CommunitySettingsOutput, **error_responses(400)})
    def put(self, request):
        data = validated(s.CommunitySettingsInput, request)
        community = settings_services.update_settings(
            settings_services.ensure_community(),
            actor=self.principal,
            name=data.get("name"),
            signup_mode=data.get("signup_mode"),
            default_role=data.get("default_role_id"),
            reaction_slots=data.get("reaction_slots"),
        )
        return Response(s.CommunitySettingsOutput(community).data)


class RoleViewSet(CommunityViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Admin, Moderator, Member (created with the community) and custom roles."""

    serializer_class = s.CommunityRoleOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE}

    def scope_queryset(self):
        return selectors.roles()

    def list(self, request, *args, **kwargs):
        settings_services.ensure_community()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.CommunityRoleInput, responses={201: s.CommunityRoleOutput, **error_responses(400, 409)})
    def create(self, request):
        role = role_services.create_role(actor=self.principal, **validated(s.CommunityRoleInput, request))
        return Response(s.CommunityRoleOutput(role).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommunityRoleInput, responses={200: s.CommunityRoleOutput, **error_responses(400, 409)})
    def partial_update(self, request, pk=None):
        role = role_services.update_role(
            self.get_object(), actor=self.principal, **validated(s.CommunityRoleInput, request, partial=True)
        )
        return Response(s.CommunityRoleOutput(role).data)

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        role_services.delete_role(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- members, member tokens


class MemberViewSet(CommunityViewMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Community members. DELETE is the GDPR erasure: personal data goes, content stays as "deleted member"."""

    serializer_class = s.CommunityMemberOutput
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "by_handle": READ,
        "me": PARTICIPATE,
        "create": MANAGE,
        "partial_update": PARTICIPATE,  # the member themself, or a manager (checked by the service)
        "destroy": PARTICIPATE,
        "role": MANAGE,
        "ban": MODERATE,
        "unban": MODERATE,
        "approve": MODERATE,
    }

    def scope_queryset(self):
        return selectors.all_members()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self.member_context()}

    def _out(self, member) -> dict:
        return s.CommunityMemberOutput(member, context=self.member_context()).data

    @extend_schema(parameters=[s.CommunityMemberListQuery], responses={200: s.CommunityMemberOutput(many=True)})
    def list(self, request):
        query = validated(s.CommunityMemberListQuery, request, source="query")
        queryset = selectors.members(
            status=None if query["status"] == "all" else query["status"],
            search=query.get("search", ""),
            sort_by=query["sort_by"],
            order=query["order"],
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: s.CommunityMemberOutput})
    @action(detail=False, methods=["get"], url_path=r"by-handle/(?P<handle>[a-z0-9]+)")
    def by_handle(self, request, handle=None):
        member = self.get_queryset().filter(handle=handle).first()
        if member is None:
            raise NotFound()
        return Response(self._out(member))

    @extend_schema(responses={200: s.CommunityMemberOutput, **error_responses(400)})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(self._out(access.require_member(self.principal)))

    @extend_schema(
        request=s.CommunityMemberCreateInput, responses={201: s.CommunityMemberOutput, **error_responses(409)}
    )
    def create(self, request):
        data = dict(validated(s.CommunityMemberCreateInput, request))
        data["role"] = data.pop("role_id", None)
        member = member_services.create_member(actor=self.principal, **data)
        return Response(self._out(member), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CommunityMemberProfileInput, responses={200: s.CommunityMemberOutput, **error_responses(409)}
    )
    def partial_update(self, request, pk=None):
        member = self.get_object()
        data = validated(s.CommunityMemberProfileInput, request, partial=True)
        member = member_services.update_member(member, actor=self.principal, **data)
        return Response(self._out(member))

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        member_services.erase_member(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.CommunityRoleChangeInput, responses={200: s.CommunityMemberOutput})
    @action(detail=True, methods=["post"])
    def role(self, request, pk=None):
        member = self.get_object()
        role = validated(s.CommunityRoleChangeInput, request)["role_id"]
        return Response(self._out(member_services.change_role(member, actor=self.principal, role=role)))

    @extend_schema(request=s.CommunityBanInput, responses={200: s.CommunityMemberOutput})
    @action(detail=True, methods=["post"])
    def ban(self, request, pk=None):
        member = self.get_object()
        data = validated(s.CommunityBanInput, request)
        return Response(self._out(member_services.ban_member(member, actor=self.principal, **data)))

    @extend_schema(request=None, responses={200: s.CommunityMemberOutput})
    @action(detail=True, methods=["post"])
    def unban(self, request, pk=None):
        return Response(self._out(member_services.unban_member(self.get_object(), actor=self.principal)))

    @extend_schema(request=None, responses={200: s.CommunityMemberOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Let a waitlisted member in."""
        return Response(self._out(member_services.approve_member(self.get_object(), actor=self.principal)))


class MemberTokenView(CommunityViewMixin, TenantAPIView):
    """SSO: a tenant API key vouches for the member with `ssoId` and gets a member token (1 h) for them."""

    required_permissions = {"post": PARTICIPATE}

    @extend_schema(request=s.CommunityTokenInput, responses={200: s.CommunityTokenOutput, **error_responses(400, 404)})
    def post(self, request):
        data = validated(s.CommunityTokenInput, request)
        member, token, expires_in = member_services.sign_in_with_sso(
            actor=self.principal, sso_id=data["sso_id"], profile=data.get("profile")
        )
        body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "member": member}
        return Response(s.CommunityTokenOutput(body, context={"member": member}).data)


# ---------------------------------------------------------------- boards


class BoardViewSet(CommunityViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.CommunityBoardOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE}

    def scope_queryset(self):
        return selectors.boards_for(self.viewer)

    def _input(self, request, partial: bool = False) -> dict:
        data = dict(validated(s.CommunityBoardInput, request, partial=partial))
        if "posting_role_ids" in data:
            data["posting_roles"] = data.pop("posting_role_ids")
        return data

    def _out(self, board) -> dict:
        return s.CommunityBoardOutput(self.get_queryset().get(pk=board.pk)).data

    @extend_schema(request=s.CommunityBoardInput, responses={201: s.CommunityBoardOutput})
    def create(self, request):
        board = board_services.create_board(actor=self.principal, **self._input(request))
        return Response(self._out(board), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommunityBoardInput, responses={200: s.CommunityBoardOutput})
    def partial_update(self, request, pk=None):
        board = board_services.update_board(self.get_object(), actor=self.principal, **self._input(request, True))
        return Response(self._out(board))

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        board_services.delete_board(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.CommunityReorderInput, responses={200: s.CommunityBoardOutput(many=True)})
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        order = validated(s.CommunityReorderInput, request)["display_order"]
        board_services.reorder_boards(order, actor=self.principal)
        return Response(s.CommunityBoardOutput(self.get_queryset(), many=True).data)

    @extend_schema(request=s.CommunityBoardMembersInput, responses={200: s.CommunityMessageOutput})
    @action(detail=True, methods=["put"])
    def members(self, request, pk=None):
        board = self.get_object()
        changes = {}
        unknown = []
        for reference, allowed in validated(s.CommunityBoardMembersInput, request)["member_changes"].items():
            member = find_member(reference)
            if member is None:
                unknown.append(reference)
            else:
                changes[member] = allowed
        if unknown:
            raise ValidationFailed(details={"memberChanges": [f"Unknown member: {', '.join(unknown)}."]})
        board_services.change_board_members(board, changes, actor=self.principal)
        return Response({"message": "OK"})


# ---------------------------------------------------------------- posts, comments, replies, reactions


class TargetActionsMixin:
    """What members do to posts, comments and replies alike: react (six slots) and report."""

    target_type: str

    def _my_reactions(self, rows) -> dict:
        member = access.acting_member(self.principal)
        if member is None or not rows:
            return {}
        return selectors.my_reactions(member.pk, self.target_type, [row.pk for row in rows])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "my_reactions": getattr(self, "_page_reactions", {})}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page_reactions = self._my_reactions(page)
        return page

    def _one(self, obj) -> dict:
        return self.get_serializer(
            obj, context={**self.get_serializer_context(), "my_reactions": self._my_reactions([obj])}
        ).data

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "slot", str, OpenApiParameter.PATH, description="s1..s6", enum=["s1", "s2", "s3", "s4", "s5", "s6"]
            )
        ],
        responses={200: s.CommunityReactionOutput, **error_responses(400)},
    )
    @action(detail=True, methods=["put", "delete"], url_path=SLOT_PATTERN)
    def reactions(self, request, pk=None, slot=None, **kwargs):
        """React as the acting member (PUT adds, DELETE removes; both idempotent)."""
        target = self.get_object()
        if request.method == "PUT":
            changed = reaction_services.add_reaction(target, actor=self.principal, slot=slot)
        else:
            changed = reaction_services.remove_reaction(target, actor=self.principal, slot=slot)
        target.refresh_from_db()
        return Response(
            {
                "target_type": self.target_type,
                "target_id": str(target.pk),
                "changed": changed,
                "react_count": target.react_count,
                "reactions": target.reaction_counts(),
                "my_reactions": self._my_reactions([target]).get(target.pk, []),
            }
        )

    @extend_schema(request=s.CommunityReportInput, responses={201: s.CommunityReportOutput, **error_responses(400)})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None, **kwargs):
        """Report this content to the moderators as the acting member (again: updates your report)."""
        target = self.get_object()
        data = validated(s.CommunityReportInput, request)
        report = report_services.report_content(target, actor=self.principal, **data)
        return Response(s.CommunityReportOutput(report).data, status=status.HTTP_201_CREATED)


POST_QUERY_PARAMS = [s.CommunityPostListQuery]


class PostViewSet(CommunityViewMixin, TargetActionsMixin, TenantViewSet):
    """Posts; `?cursor=` pages newest first (`sort=newest`) or by latest activity (`sort=activity`). Lists show
    published posts; `status=pending` is the approval queue (moderators; members see their own)."""

    serializer_class = s.CommunityPostOutput
    target_type = TargetType.POST
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "revisions": READ,
        "create": PARTICIPATE,
        "partial_update": PARTICIPATE,
        "destroy": PARTICIPATE,
        "reactions": PARTICIPATE,
        "report": PARTICIPATE,
        "approve": MODERATE,
        "hide": MODERATE,
        "pin": MODERATE,
        "unpin": MODERATE,
    }

    def scope_queryset(self):
        return selectors.posts_for(self.viewer)

    @extend_schema(parameters=POST_QUERY_PARAMS, responses={200: s.CommunityPostOutput(many=True)})
    def list(self, request):
        query = validated(s.CommunityPostListQuery, request, source="query")
        queryset = selectors.filter_posts(
            self.get_queryset(),
            board=query.get("board"),
            author=query.get("author"),
            tag=query.get("tag"),
            # Lists show published posts unless asked for a queue (`pending`, `hidden`): an equality on status
            # lets the (tenant, board, status, -created_at) index serve the page without a sort.
            status=query.get("status") or ContentStatus.PUBLISHED,
        )
        self.cursor_field = "last_activity_at" if query["sort"] == "activity" else "created_at"
        queryset = queryset.order_by(f"-{self.cursor_field}", "-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: s.CommunityPostOutput})
    def retrieve(self, request, pk=None):
        post = self.get_object()
        content_services.record_view(post)
        post.refresh_from_db(fields=["view_count"])
        return Response(self._one(post))

    @extend_schema(request=s.CommunityPostCreateInput, responses={201: s.CommunityPostOutput, **error_responses(409)})
    def create(self, request):
        data = validated(s.CommunityPostCreateInput, request)
        post = content_services.create_post(
            data["board_id"],
            actor=self.principal,
            headline=data["headline"],
            content=data["content"],
            author=_author(data.get("author")),
        )
        return Response(self._one(post), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommunityPostUpdateInput, responses={200: s.CommunityPostOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        post = self.get_object()
        data = validated(s.CommunityPostUpdateInput, request, partial=True)
        post = content_services.update_post(
            post,
            actor=self.principal,
            headline=data.get("headline"),
            content=data.get("content"),
            board=data.get("board_id"),
        )
        return Response(self._one(post))

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        content_services.delete_post(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.CommunityPostOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return Response(self._one(content_services.approve_post(self.get_object(), actor=self.principal)))

    @extend_schema(request=None, responses={200: s.CommunityPostOutput})
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        return Response(self._one(content_services.hide_post(self.get_object(), actor=self.principal)))

    @extend_schema(request=None, responses={200: s.CommunityPostOutput})
    @action(detail=True, methods=["post"])
    def pin(self, request, pk=None):
        post = content_services.set_pinned(self.get_object(), actor=self.principal, pinned=True)
        return Response(self._one(post))

    @extend_schema(request=None, responses={200: s.CommunityPostOutput})
    @action(detail=True, methods=["post"])
    def unpin(self, request, pk=None):
        post = content_services.set_pinned(self.get_object(), actor=self.principal, pinned=False)
        return Response(self._one(post))

    @extend_schema(responses={200: s.CommunityRevisionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None):
        """Edit history: the text before each edit, newest first."""
        post = self.get_object()
        page = self.paginate_queryset(selectors.revisions(TargetType.POST, post.pk))
        return self.get_paginated_response(s.CommunityRevisionOutput(page, many=True).data)


class TextContentMixin(TargetActionsMixin):
    """Shared actions of comments and replies: edit, delete, moderation, reactions."""

    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "revisions": READ,
        "create": PARTICIPATE,
        "partial_update": PARTICIPATE,
        "destroy": PARTICIPATE,
        "reactions": PARTICIPATE,
        "report": PARTICIPATE,
        "approve": MODERATE,
        "hide": MODERATE,
    }

    @extend_schema(request=s.CommunityTextUpdateInput, responses={200: None, **error_responses(409)})
    def partial_update(self, request, pk=None, **kwargs):
        target = self.get_object()  # first: content the caller may not see is a 404 whatever the body says
        content = validated(s.CommunityTextUpdateInput, request)["content"]
        return Response(self._one(content_services.update_text(target, actor=self.principal, content=content)))

    @extend_schema(responses={200: s.CommunityRevisionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None, **kwargs):
        """Edit history: the text before each edit, newest first."""
        obj = self.get_object()
        page = self.paginate_queryset(selectors.revisions(self.target_type, obj.pk))
        return self.get_paginated_response(s.CommunityRevisionOutput(page, many=True).data)

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None, **kwargs):
        content_services.moderate(self.get_object(), actor=self.principal, action="delete")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, **kwargs):
        """Restore hidden content."""
        return Response(self._one(content_services.moderate(self.get_object(), actor=self.principal, action="approve")))

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None, **kwargs):
        return Response(self._one(content_services.moderate(self.get_object(), actor=self.principal, action="hide")))


def _with_output(serializer):
    """Point the shared actions' OpenAPI responses at the concrete output serializer."""
    schema = extend_schema(responses={200: serializer, **error_responses(409)})
    return extend_schema_view(partial_update=schema, approve=schema, hide=schema)


class _ChildContentViewSet(
    CommunityViewMixin, TextContentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    """The children of one parent (comments of a post, replies to a comment), oldest first, and creating one."""

    parent_kwarg: str

    def parents(self):
        raise NotImplementedError

    def children_of(self, parent_id):
        raise NotImplementedError

    def create_child(self, parent, **fields):
        raise NotImplementedError

    def scope_queryset(self):
        # Schema generation builds the view without URL kwargs (`swagger_fake_view`): no parent, no filter.
        return self.children_of(getattr(self, "kwargs", {}).get(self.parent_kwarg))

    def _parent(self):
        parent = self.parents().filter(pk=self.kwargs[self.parent_kwarg]).first()
        if parent is None:
            raise NotFound()
        return parent

    def list(self, request, *args, **kwargs):
        self._parent()  # a parent the caller may not see has no children to list: 404, not an empty page
        return super().list(request, *args, **kwargs)

    def create(self, request, **kwargs):
        parent = self._parent()
        data = validated(s.CommunityTextInput, request)
        child = self.create_child(
            parent, actor=self.principal, content=data["content"], author=_author(data.get("author"))
        )
        return Response(self._one(child), status=status.HTTP_201_CREATED)


def _creates(serializer):
    return extend_schema_view(
        create=extend_schema(request=s.CommunityTextInput, responses={201: serializer, **error_responses(409)})
    )


@_with_output(s.CommunityCommentOutput)
@_creates(s.CommunityCommentOutput)
class PostCommentViewSet(_ChildContentViewSet):
    """Comments of one post (`/posts/{postId}/comments/`), oldest first."""

    serializer_class = s.CommunityCommentOutput
    target_type = TargetType.COMMENT
    parent_kwarg = "post_pk"

    def parents(self):
        return selectors.posts_for(self.viewer)

    def children_of(self, parent_id):
        return selectors.comments_for(self.viewer, parent_id)

    def create_child(self, parent, **fields):
        return content_services.create_comment(parent, **fields)


@_with_output(s.CommunityCommentOutput)
class CommentViewSet(CommunityViewMixin, TextContentMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """A comment by id (`/comments/{id}`): read, edit, delete, moderate, react."""

    serializer_class = s.CommunityCommentOutput
    target_type = TargetType.COMMENT

    def scope_queryset(self):
        return selectors.any_comments_for(self.viewer)


@_with_output(s.CommunityReplyOutput)
@_creates(s.CommunityReplyOutput)
class CommentReplyViewSet(_ChildContentViewSet):
    """Replies to one comment (`/comments/{commentId}/replies/`), oldest first."""

    serializer_class = s.CommunityReplyOutput
    target_type = TargetType.REPLY
    parent_kwarg = "comment_pk"

    def parents(self):
        return selectors.any_comments_for(self.viewer)

    def children_of(self, parent_id):
        return selectors.replies_for(self.viewer, parent_id)

    def create_child(self, parent, **fields):
        return content_services.create_reply(parent, **fields)


@_with_output(s.CommunityReplyOutput)
class ReplyViewSet(CommunityViewMixin, TextContentMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """A reply by id (`/replies/{id}`): read, edit, delete, moderate, react."""

    serializer_class = s.CommunityReplyOutput
    target_type = TargetType.REPLY

    def scope_queryset(self):
        return selectors.replies_for(self.viewer)


# ---------------------------------------------------------------- tags


class TagViewSet(CommunityViewMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.CommunityTagOutput
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "search": READ,
        "mapping": READ,
        "mappings": MODERATE,
        "*": MANAGE,
    }

    def scope_queryset(self):
        return selectors.tags()

    @extend_schema(parameters=[s.CommunityTagListQuery], responses={200: s.CommunityTagOutput(many=True)})
    def list(self, request):
        query = validated(s.CommunityTagListQuery, request, source="query")
        queryset = self.get_queryset()
        if query.get("ids"):
            queryset = queryset.filter(pk__in=query["ids"])
        key = "name" if query["sort_by"] == "name" else "id"
        queryset = queryset.order_by(f"-{key}" if query["order"] == "desc" else key)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.CommunityTagOutput(page, many=True).data)

    @extend_schema(parameters=[s.CommunityTagSearchQuery], responses={200: s.CommunityTagOutput(many=True)})
    @action(detail=False, methods=["get"])
    def search(self, request):
        """Tags whose hashtag name starts with `prefix`."""
        prefix = validated(s.CommunityTagSearchQuery, request, source="query")["prefix"]
        page = self.paginate_queryset(selectors.tags_by_prefix(prefix))
        return self.get_paginated_response(s.CommunityTagOutput(page, many=True).data)

    @extend_schema(parameters=[s.CommunityTagMappingInput], responses={200: s.CommunityTagOutput(many=True)})
    @action(detail=False, methods=["get"], url_path="mapping")
    def mapping(self, request):
        """The tags of one post, board or member (`refType`, `refId`)."""
        query = validated(s.CommunityTagMappingInput, request, source="query")
        page = self.paginate_queryset(selectors.tags_for_ref(query["ref_type"], query["ref_id"]))
        return self.get_paginated_response(s.CommunityTagOutput(page, many=True).data)

    @extend_schema(request=s.CommunityTagInput, responses={201: s.CommunityTagOutput, **error_responses(409)})
    def create(self, request):
        tag = tag_services.create_tag(actor=self.principal, **validated(s.CommunityTagInput, request))
        return Response(s.CommunityTagOutput(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommunityTagInput, responses={200: s.CommunityTagOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        tag = tag_services.update_tag(
            self.get_object(), actor=self.principal, **validated(s.CommunityTagInput, request, partial=True)
        )
        return Response(s.CommunityTagOutput(tag).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        tag_services.delete_tag(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.CommunityTagMappingInput, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def mappings(self, request, pk=None):
        """Tag (POST) or untag (DELETE) a post, board or member; both idempotent."""
        tag = self.get_object()
        data = validated(s.CommunityTagMappingInput, request)
        if request.method == "POST":
            tag_services.map_tag(tag, actor=self.principal, **data)
        else:
            tag_services.unmap_tag(tag, actor=self.principal, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- reports


class ReportViewSet(CommunityViewMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The moderators' queue of reported content."""

    serializer_class = s.CommunityReportOutput
    required_permissions = {"*": MODERATE}

    def scope_queryset(self):
        return selectors.reports()

    @extend_schema(parameters=[s.CommunityReportListQuery], responses={200: s.CommunityReportOutput(many=True)})
    def list(self, request):
        query = validated(s.CommunityReportListQuery, request, source="query")
        page = self.paginate_queryset(
            selectors.reports(status=query.get("status"), target_type=query.get("target_type"))
        )
        return self.get_paginated_response(s.CommunityReportOutput(page, many=True).data)

    @extend_schema(request=s.CommunityReportResolveInput, responses={200: s.CommunityReportOutput})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        report = self.get_object()
        hide = validated(s.CommunityReportResolveInput, request)["action"] == "hide"
        return Response(
            s.CommunityReportOutput(report_services.resolve_report(report, actor=self.principal, hide=hide)).data
        )
