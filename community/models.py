"""The tenant's own community forum (seed 003): settings, roles, members, boards, posts, comments, replies,
reactions in six configurable slots, tags and tag mappings, edit history.

Members are the tenant's customers, not Hubbub staff, so they are their own model. Counts (posts, comments,
replies, reactions per slot) are denormalised columns changed only with `F()` updates by the services, so
concurrent writers never lose an increment.
"""

from __future__ import annotations

import secrets
import string

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import TenantScopedModel

REACTION_SLOTS = ("s1", "s2", "s3", "s4", "s5", "s6")
HANDLE_ALPHABET = string.ascii_lowercase + string.digits
DELETED_MEMBER_NAME = "deleted member"


def new_handle() -> str:
    """24 characters of [a-z0-9] (~124 bits): not guessable, and lower case survives camelCase key conversion."""
    return "".join(secrets.choice(HANDLE_ALPHABET) for _ in range(24))


class SignupMode(models.TextChoices):
    OPEN = "open"
    WAITLIST = "waitlist"
    INVITE_ONLY = "inviteOnly"


class CommunitySettings(TenantScopedModel):
    """One per tenant, created on first use together with the default roles."""

    name = models.CharField(max_length=120, default="Community")
    signup_mode = models.CharField(max_length=20, choices=SignupMode.choices, default=SignupMode.OPEN)
    default_role = models.ForeignKey(
        "community.Role", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"s1": "👍", ...}: a slot absent or empty is not configured and cannot be reacted with.
    reaction_slots = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_community_settings_per_tenant")]
        verbose_name_plural = "community settings"

    def __str__(self) -> str:
        return self.name

    def configured_slots(self) -> list[str]:
        return [slot for slot in REACTION_SLOTS if self.reaction_slots.get(slot)]


class RoleKind(models.TextChoices):
    ADMIN = "admin"
    MODERATOR = "moderator"
    MEMBER = "member"
    CUSTOM = "custom"


class RolePermission(models.TextChoices):
    """What a member holding the role may do (checked against the acting member)."""

    POST_CREATE = "post.create"
    COMMENT_CREATE = "comment.create"
    REACT = "react"
    CONTENT_MODERATE = "content.moderate"  # approve, hide, pin, edit or delete anyone's content, see pending/hidden
    MEMBER_MODERATE = "member.moderate"  # ban and unban
    COMMUNITY_MANAGE = "community.manage"  # settings, boards, roles, tags, members' roles


class Role(TenantScopedModel):
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=RoleKind.choices, default=RoleKind.CUSTOM)
    permissions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="uniq_community_role_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.kind != RoleKind.CUSTOM

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


class MemberStatus(models.TextChoices):
    WAITLIST = "waitlist"
    ACTIVE = "active"
    BANNED = "banned"
    DELETED = "deleted"


class Member(TenantScopedModel):
    handle = models.CharField(max_length=32, default=new_handle, editable=False)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    username = models.CharField(max_length=30)
    email = models.EmailField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    banner_url = models.URLField(max_length=1000, blank=True)
    description = models.TextField(blank=True)  # sanitised HTML
    social_links = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    sso_id = models.CharField(max_length=200, null=True, blank=True)
    is_bot = models.BooleanField(default=False)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="members")
    status = models.CharField(max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    ban_reason = models.CharField(max_length=500, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # Bumped on ban and erase: member tokens carry it, so older tokens stop working at once.
    token_version = models.PositiveIntegerField(default=1)
    post_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    login_count = models.PositiveIntegerField(default=0)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("username"), name="uniq_community_member_username"),
            models.UniqueConstraint(
                "tenant", Lower("email"), condition=models.Q(email__isnull=False), name="uniq_community_member_email"
            ),
            models.UniqueConstraint(
                fields=["tenant", "sso_id"], condition=models.Q(sso_id__isnull=False), name="uniq_community_member_sso"
            ),
            models.UniqueConstraint(fields=["handle"], name="uniq_community_member_handle"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="community_member_joined"),
            models.Index("tenant", "status", Lower("username"), name="community_member_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.status == MemberStatus.DELETED:
            return DELETED_MEMBER_NAME
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.username


class BoardVisibility(models.TextChoices):
    """Seed `hidden_type`: who sees the board in lists (0, 1, 2)."""

    EVERYONE = "everyone"
    MEMBERS = "members"
    BOARD_MEMBERS = "boardMembers"


class Board(TenantScopedModel):
    name = models.CharField(max_length=120)
    about = models.TextField(blank=True)
    icon = models.CharField(max_length=1000, blank=True)
    is_private = models.BooleanField(default=False)  # content only for board members (and moderators)
    visibility = models.CharField(max_length=20, choices=BoardVisibility.choices, default=BoardVisibility.EVERYONE)
    # Empty: any active member may post; otherwise only members holding one of these roles.
    posting_roles = models.ManyToManyField(Role, blank=True, related_name="+")
    needs_approval = models.BooleanField(default=False)
    display_order = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    members = models.ManyToManyField(Member, through="BoardMember", related_name="boards")

    class Meta:
        ordering = ["display_order", "created_at", "id"]

    def __str__(self) -> str:
        return self.name


class BoardMember(TenantScopedModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="board_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["board", "member"], name="uniq_community_board_member")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.board_id}"


class ContentStatus(models.TextChoices):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    DELETED = "deleted"


class Content(TenantScopedModel):
    """What posts, comments and replies share: sanitised HTML, derived text, status, reaction counts."""

    author = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    content = models.TextField()
    clean_text = models.TextField(blank=True)
    short_text = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=ContentStatus.choices, default=ContentStatus.PUBLISHED)
    edited_at = models.DateTimeField(null=True, blank=True)
    react_count = models.IntegerField(default=0)
    s1_count = models.IntegerField(default=0)
    s2_count = models.IntegerField(default=0)
    s3_count = models.IntegerField(default=0)
    s4_count = models.IntegerField(default=0)
    s5_count = models.IntegerField(default=0)
    s6_count = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def reaction_counts(self) -> dict[str, int]:
        return {slot: getattr(self, f"{slot}_count") for slot in REACTION_SLOTS if getattr(self, f"{slot}_count")}


class Post(Content):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="posts")
    headline = models.CharField(max_length=300)
    comment_count = models.IntegerField(default=0)
    reply_count = models.IntegerField(default=0)
    view_count = models.IntegerField(default=0)
    pinned_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "board", "status", "-created_at", "-id"], name="community_post_board_new"),
            models.Index(
                fields=["tenant", "board", "status", "-last_activity_at", "-id"], name="community_post_board_act"
            ),
            models.Index(fields=["tenant", "status", "-created_at", "-id"], name="community_post_new"),
            models.Index(fields=["tenant", "author", "-created_at"], name="community_post_author"),
            # Boards list their pinned posts: a handful among millions.
            models.Index(
                fields=["tenant", "board", "-pinned_at"],
                condition=models.Q(pinned_at__isnull=False),
                name="community_post_pinned",
            ),
        ]

    def __str__(self) -> str:
        return self.headline


class Comment(Content):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    reply_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "post", "created_at", "id"], name="community_comment_post")]

    def __str__(self) -> str:
        return self.short_text


class Reply(Content):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="replies")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"
        indexes = [models.Index(fields=["tenant", "comment", "created_at", "id"], name="community_reply_comment")]

    def __str__(self) -> str:
        return self.short_text


class TargetType(models.TextChoices):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"


class Reaction(TenantScopedModel):
    """One member's reaction in one slot on one post, comment or reply (the unique constraint makes it one)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reactions")
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.UUIDField()
    slot = models.CharField(max_length=2, choices=[(slot, slot) for slot in REACTION_SLOTS])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "target_type", "target_id", "member", "slot"], name="uniq_community_reaction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.slot} on {self.target_type}:{self.target_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "offTopic"
    OTHER = "other"


class ReportStatus(models.TextChoices):
    OPEN = "open"
    HIDDEN = "hidden"  # resolved by hiding the content
    DISMISSED = "dismissed"


class Report(TenantScopedModel):
    """A member flags a post, comment or reply for the moderators (one report per member per object)."""

    reporter = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reports")
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.UUIDField()
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    details = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    resolved_by = models.CharField(max_length=255, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "target_type", "target_id", "reporter"], name="uniq_community_report"
            )
        ]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"], name="community_report_queue")]

    def __str__(self) -> str:
        return f"{self.reason} on {self.target_type}:{self.target_id}"


class Revision(TenantScopedModel):
    """The text of a post, comment or reply before an edit (edit history)."""

    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.UUIDField()
    headline = models.CharField(max_length=300, blank=True)
    content = models.TextField()
    edited_by = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "target_type", "target_id", "-created_at"], name="community_rev")]

    def __str__(self) -> str:
        return f"{self.target_type}:{self.target_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Tag(TenantScopedModel):
    name = models.CharField(max_length=100)  # lowercased hashtag form, unique per community
    display_name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    image = models.URLField(max_length=1000, blank=True)
    og_image = models.URLField(max_length=1000, blank=True)
    og_title = models.CharField(max_length=200, blank=True)
    og_description = models.CharField(max_length=500, blank=True)
    back_color = models.CharField(max_length=9, default="#ffffff")
    text_color = models.CharField(max_length=9, default="#330000")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_community_tag_name")]

    def __str__(self) -> str:
        return self.display_name


class TagRefType(models.TextChoices):
    POST = "post"
    BOARD = "board"
    MEMBER = "member"


class TagMapping(TenantScopedModel):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="mappings")
    ref_type = models.CharField(max_length=10, choices=TagRefType.choices)
    ref_id = models.UUIDField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tag", "ref_type", "ref_id"], name="uniq_community_tag_mapping")
        ]
        indexes = [models.Index(fields=["tenant", "ref_type", "ref_id"], name="community_tagmap_ref")]

    def __str__(self) -> str:
        return f"{self.tag_id} -> {self.ref_type}:{self.ref_id}"
