"""Community input and output shapes (camelCase on the wire)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.models import (
    REACTION_SLOTS,
    Board,
    BoardVisibility,
    Comment,
    CommunitySettings,
    ContentStatus,
    Member,
    MemberStatus,
    Post,
    Reply,
    Report,
    ReportReason,
    ReportStatus,
    Revision,
    Role,
    RolePermission,
    SignupMode,
    Tag,
    TagRefType,
    TargetType,
)
from core.api.inputs import TenantScopedPrimaryKeyRelatedField


def _roles(request):
    return Role.objects.all()


def _boards(request):
    return Board.objects.all()


# ---------------------------------------------------------------- settings and roles


class CommunitySettingsOutput(serializers.ModelSerializer):
    default_role_id = serializers.UUIDField(allow_null=True)
    reaction_slots = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = CommunitySettings
        fields = ["name", "signup_mode", "default_role_id", "reaction_slots", "updated_at"]
        read_only_fields = fields


class CommunitySettingsInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    signup_mode = serializers.ChoiceField(choices=SignupMode.choices, required=False)
    default_role_id = TenantScopedPrimaryKeyRelatedField(_roles, label_name="role", required=False)
    reaction_slots = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        required=False,
        help_text="Emoji per slot, `s1`..`s6`; an empty value turns the slot off.",
    )


class CommunityRoleOutput(serializers.ModelSerializer):
    is_default = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.ChoiceField(choices=RolePermission.choices))

    class Meta:
        model = Role
        fields = ["id", "name", "description", "kind", "is_default", "permissions", "created_at", "updated_at"]
        read_only_fields = fields


class CommunityRoleInput(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    permissions = serializers.ListField(child=serializers.ChoiceField(choices=RolePermission.choices))


# ---------------------------------------------------------------- members

PRIVATE_MEMBER_FIELDS = ("email", "sso_id", "ban_reason")


class CommunityRoleRef(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class CommunityMemberOutput(serializers.ModelSerializer):
    """`email`, `ssoId` and `banReason` only for community managers and the member themself (seed: fields the
    caller may not see are left out)."""

    display_name = serializers.CharField()
    role = CommunityRoleRef()
    email = serializers.EmailField(required=False, allow_null=True)
    sso_id = serializers.CharField(required=False, allow_null=True)
    ban_reason = serializers.CharField(required=False)

    class Meta:
        model = Member
        fields = [
            "id",
            "handle",
            "username",
            "display_name",
            "first_name",
            "middle_name",
            "last_name",
            "email",
            "avatar_url",
            "banner_url",
            "description",
            "social_links",
            "language",
            "timezone",
            "sso_id",
            "is_bot",
            "role",
            "status",
            "ban_reason",
            "post_count",
            "comment_count",
            "reply_count",
            "login_count",
            "last_login_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, member):
        data = super().to_representation(member)
        show_private = self.context.get("show_private", False)
        viewer_member = self.context.get("member")
        if not show_private and (viewer_member is None or viewer_member.pk != member.pk):
            for name in PRIVATE_MEMBER_FIELDS:
                data.pop(name, None)
        return data


class CommunitySocialLinksField(serializers.DictField):
    child = serializers.URLField(max_length=500)


class CommunityMemberProfileInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    middle_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    username = serializers.CharField(max_length=60, required=False, help_text="Letters, digits and _; unique.")
    avatar_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    banner_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, help_text="HTML; sanitised.")
    social_links = CommunitySocialLinksField(required=False)
    language = serializers.CharField(max_length=10, required=False)
    timezone = serializers.CharField(max_length=64, required=False)


class CommunityMemberCreateInput(CommunityMemberProfileInput):
    first_name = serializers.CharField(max_length=100)
    username = serializers.CharField(max_length=60, help_text="Letters, digits and _; unique case-insensitively.")
    email = serializers.EmailField()
    email_verified = serializers.BooleanField(help_text="Must be true: only verified emails make members (seed).")
    sso_id = serializers.CharField(max_length=200, required=False)
    role_id = TenantScopedPrimaryKeyRelatedField(_roles, label_name="role", required=False)
    status = serializers.ChoiceField(
        choices=[MemberStatus.ACTIVE, MemberStatus.WAITLIST], required=False, help_text="Default: by sign-up mode."
    )


class CommunityMemberListQuery(serializers.Serializer):
    sort_by = serializers.ChoiceField(choices=["id", "joined", "name"], default="id")
    order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")
    status = serializers.ChoiceField(choices=[*MemberStatus.values, "all"], default=MemberStatus.ACTIVE)
    search = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CommunityRoleChangeInput(serializers.Serializer):
    role_id = TenantScopedPrimaryKeyRelatedField(_roles, label_name="role")


class CommunityBanInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CommunityTokenProfileInput(CommunityMemberProfileInput):
    first_name = serializers.CharField(max_length=100)
    username = serializers.CharField(max_length=60)
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class CommunityTokenInput(serializers.Serializer):
    sso_id = serializers.CharField(max_length=200)
    profile = CommunityTokenProfileInput(
        required=False, help_text="Creates the member on first use (key scope `users:provision` or `admin`)."
    )


class CommunityTokenOutput(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    member = CommunityMemberOutput()


# ---------------------------------------------------------------- boards


class CommunityBoardOutput(serializers.ModelSerializer):
    posting_role_ids = serializers.SerializerMethodField()
    pinned_posts = serializers.SerializerMethodField()

    class Meta:
        model = Board
        fields = [
            "id",
            "name",
            "about",
            "icon",
            "is_private",
            "visibility",
            "posting_role_ids",
            "needs_approval",
            "display_order",
            "pinned_posts",
            "post_count",
            "last_posted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_posting_role_ids(self, board) -> list[str]:
        return [str(role.pk) for role in board.posting_roles.all()]

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_pinned_posts(self, board) -> list[str]:
        pinned = getattr(board, "pinned", None)
        if pinned is None:
            pinned = board.posts.filter(pinned_at__isnull=False, status=ContentStatus.PUBLISHED).order_by("-pinned_at")
        return [str(post.pk) for post in pinned]


class CommunityBoardInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    about = serializers.CharField(required=False, allow_blank=True)
    icon = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=BoardVisibility.choices, required=False)
    posting_role_ids = serializers.ListField(
        child=TenantScopedPrimaryKeyRelatedField(_roles, label_name="role"),
        required=False,
        help_text="Roles that may post; empty: any active member.",
    )
    needs_approval = serializers.BooleanField(required=False)
    display_order = serializers.IntegerField(min_value=0, required=False)


class CommunityReorderInput(serializers.Serializer):
    display_order = serializers.DictField(child=serializers.IntegerField(min_value=0), allow_empty=False)


class CommunityBoardMembersInput(serializers.Serializer):
    member_changes = serializers.DictField(
        child=serializers.BooleanField(), allow_empty=False, help_text="Member id or handle -> true (add) / false."
    )


class CommunityMessageOutput(serializers.Serializer):
    message = serializers.CharField()


# ---------------------------------------------------------------- content


class CommunityAuthorOutput(serializers.Serializer):
    id = serializers.UUIDField()
    handle = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField()
    is_deleted = serializers.BooleanField()

    def to_representation(self, member):
        deleted = member.status == MemberStatus.DELETED
        return {
            "id": str(member.pk),
            "handle": member.handle,
            "username": "" if deleted else member.username,
            "display_name": member.display_name,
            "avatar_url": "" if deleted else member.avatar_url,
            "is_deleted": deleted,
        }


class CommunityContentOutputMixin(serializers.Serializer):
    author = CommunityAuthorOutput()
    reactions = serializers.SerializerMethodField()
    my_reactions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_reactions(self, obj) -> dict[str, int]:
        return obj.reaction_counts()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=REACTION_SLOTS)))
    def get_my_reactions(self, obj) -> list[str]:
        """The acting member's slots on this object (empty when no member acts)."""
        return self.context.get("my_reactions", {}).get(obj.pk, [])


CONTENT_FIELDS = [
    "content",
    "clean_text",
    "short_text",
    "status",
    "react_count",
    "reactions",
    "my_reactions",
    "author",
    "edited_at",
    "created_at",
    "updated_at",
]


class CommunityPostOutput(CommunityContentOutputMixin, serializers.ModelSerializer):
    board_id = serializers.UUIDField()
    is_pinned = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "board_id",
            "headline",
            *CONTENT_FIELDS,
            "comment_count",
            "reply_count",
            "view_count",
            "is_pinned",
            "pinned_at",
            "last_activity_at",
        ]
        read_only_fields = fields

    def get_is_pinned(self, post) -> bool:
        return post.pinned_at is not None


class CommunityCommentOutput(CommunityContentOutputMixin, serializers.ModelSerializer):
    post_id = serializers.UUIDField()

    class Meta:
        model = Comment
        fields = ["id", "post_id", *CONTENT_FIELDS, "reply_count"]
        read_only_fields = fields


class CommunityReplyOutput(CommunityContentOutputMixin, serializers.ModelSerializer):
    post_id = serializers.UUIDField()
    comment_id = serializers.UUIDField()

    class Meta:
        model = Reply
        fields = ["id", "post_id", "comment_id", *CONTENT_FIELDS]
        read_only_fields = fields


class CommunityRevisionOutput(serializers.ModelSerializer):
    class Meta:
        model = Revision
        fields = ["id", "headline", "content", "edited_by", "created_at"]
        read_only_fields = fields


class CommunityPostCreateInput(serializers.Serializer):
    board_id = TenantScopedPrimaryKeyRelatedField(_boards, label_name="board")
    headline = serializers.CharField(max_length=300)
    content = serializers.CharField(help_text="HTML; sanitised on the server (allow-list).")
    author = serializers.CharField(
        required=False, max_length=64, help_text="Member id or handle; default: the acting member."
    )


class CommunityPostUpdateInput(serializers.Serializer):
    board_id = TenantScopedPrimaryKeyRelatedField(_boards, label_name="board", required=False)
    headline = serializers.CharField(max_length=300, required=False)
    content = serializers.CharField(required=False)


class CommunityPostListQuery(serializers.Serializer):
    board = serializers.UUIDField(required=False)
    author = serializers.UUIDField(required=False)
    tag = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(
        choices=[ContentStatus.PUBLISHED, ContentStatus.PENDING, ContentStatus.HIDDEN],
        required=False,
        help_text="Default `published`; `pending` is the approval queue, `hidden` what moderators hid.",
    )
    sort = serializers.ChoiceField(choices=["newest", "activity"], default="newest")


class CommunityTextInput(serializers.Serializer):
    content = serializers.CharField(help_text="HTML; sanitised on the server (allow-list).")
    author = serializers.CharField(
        required=False, max_length=64, help_text="Member id or handle; default: the acting member."
    )


class CommunityTextUpdateInput(serializers.Serializer):
    content = serializers.CharField()


class CommunityReactionOutput(serializers.Serializer):
    target_type = serializers.CharField()
    target_id = serializers.UUIDField()
    changed = serializers.BooleanField(help_text="False when the reaction was already there (or already gone).")
    react_count = serializers.IntegerField()
    reactions = serializers.DictField(child=serializers.IntegerField())
    my_reactions = serializers.ListField(child=serializers.CharField())


# ---------------------------------------------------------------- tags


class CommunityTagOutput(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = [
            "id",
            "name",
            "display_name",
            "description",
            "image",
            "og_image",
            "og_title",
            "og_description",
            "back_color",
            "text_color",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CommunityTagInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="As shown; stored also as a lowercased hashtag.")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    image = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    og_image = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    og_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    og_description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    back_color = serializers.CharField(max_length=9, required=False, help_text="#rrggbb or #rrggbbaa")
    text_color = serializers.CharField(max_length=9, required=False, help_text="#rrggbb or #rrggbbaa")


class CommunityTagListQuery(serializers.Serializer):
    ids = serializers.CharField(required=False, help_text="Comma-separated tag ids.")
    sort_by = serializers.ChoiceField(choices=["id", "name"], default="name")
    order = serializers.ChoiceField(choices=["asc", "desc"], default="asc")

    def validate_ids(self, value: str) -> list[str]:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        field = serializers.UUIDField()
        return [str(field.to_internal_value(part)) for part in ids]


class CommunityTagSearchQuery(serializers.Serializer):
    prefix = serializers.CharField(max_length=100)


class CommunityTagMappingInput(serializers.Serializer):
    ref_type = serializers.ChoiceField(choices=TagRefType.choices)
    ref_id = serializers.UUIDField()


# ---------------------------------------------------------------- reports


class CommunityReportInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    details = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CommunityReportOutput(serializers.ModelSerializer):
    reporter = CommunityAuthorOutput()

    class Meta:
        model = Report
        fields = [
            "id",
            "target_type",
            "target_id",
            "reason",
            "details",
            "status",
            "reporter",
            "resolved_by",
            "resolved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CommunityReportListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False)


class CommunityReportResolveInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=["hide", "dismiss"], help_text="Hide the content, or dismiss the report.")
