"""Content planner models: post groups, posts (one per channel), approval, feed, campaigns, tags, metrics.

State changes go through contentplanner.states (the transition table) and the services; models hold fields,
constraints and small pure helpers only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from core.models import TenantScopedModel

color_validator = RegexValidator(r"^[0-9a-f]{6}$", "Must be 6 lower-case hex digits, e.g. 1a2b3c.")


class PostState(models.TextChoices):
    # A post of its author's working draft (the composer's open post group): private to the author until it is
    # saved as a draft, scheduled or published.
    PRE_DRAFT = "preDraft"
    DRAFT = "draft"
    NEEDS_APPROVAL = "needsApproval"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    DELETED = "deleted"


class PostType(models.TextChoices):
    POST = "post"
    CAROUSEL = "carousel"
    ALBUM = "album"
    STORY = "story"
    REEL = "reel"
    VIDEO = "video"
    PIN = "pin"
    ARTICLE = "article"
    REPOST = "repost"  # X: repost `networkOptions.repostOf` (no text or media of its own)


class PublishOutcome(models.TextChoices):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    UNKNOWN = "unknown"
    RECONCILED = "reconciled"


class ApprovalState(models.TextChoices):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class FeedItemType(models.TextChoices):
    COMMENT = "COMMENT"
    HISTORY = "HISTORY"
    SYSTEMMESSAGE = "SYSTEMMESSAGE"


class Campaign(TenantScopedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    color = models.CharField(max_length=6, blank=True, validators=[color_validator])
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Tag(TenantScopedModel):
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=6, blank=True, validators=[color_validator])

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="uniq_tag_name_ci")]

    def __str__(self) -> str:
        return self.name


class PostContent(models.Model):
    """The content fields a group shares with its (non-customised) posts."""

    text = models.TextField(blank=True)
    title = models.CharField(max_length=300, blank=True)
    link_url = models.URLField(max_length=2000, blank=True)
    link_title = models.CharField(max_length=300, blank=True)
    link_description = models.TextField(blank=True)
    link_image_url = models.URLField(max_length=2000, blank=True)
    first_comment = models.TextField(blank=True)

    CONTENT_FIELDS = ("text", "title", "link_url", "link_title", "link_description", "link_image_url", "first_comment")
    # What a content edit may set (the concrete post and group both have a type and per-network options).
    EDITABLE_FIELDS = (*CONTENT_FIELDS, "post_type", "network_options")

    class Meta:
        abstract = True

    def apply_content(self, content: dict) -> bool:
        """Set the editable fields present in `content` (None clears one: "" or {}); True when anything changed."""
        changed = False
        for name in self.EDITABLE_FIELDS:
            if name not in content:
                continue
            value = content[name] if content[name] is not None else ({} if name == "network_options" else "")
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        return changed


class PostGroup(PostContent, TenantScopedModel):
    """One message planned for several channels: the shared draft and its posts."""

    post_type = models.CharField(max_length=20, choices=PostType.choices, default=PostType.POST)
    network_options = models.JSONField(default=dict, blank=True)  # {network: {...}}
    media = models.ManyToManyField("social.Media", through="PostGroupMedia", related_name="cp_post_groups")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="groups")
    tags = models.ManyToManyField(Tag, blank=True, related_name="groups")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    publish_at = models.DateTimeField(null=True, blank=True)
    publish_timezone = models.CharField(max_length=64, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The author's working draft (its posts are preDraft); it ends when they are saved, scheduled or discarded.
    is_working_draft = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "author"],
                condition=models.Q(is_working_draft=True, deleted_at__isnull=True),
                name="uniq_working_draft_per_author",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:50] or str(self.pk)


class PostGroupMedia(TenantScopedModel):
    group = models.ForeignKey(PostGroup, on_delete=models.CASCADE, related_name="media_items")
    media = models.ForeignKey("social.Media", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    alt_text = models.CharField(max_length=1500, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["group", "position"], name="uniq_group_media_position")]


class Post(PostContent, TenantScopedModel):
    """One publication on one channel."""

    group = models.ForeignKey(PostGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    channel = models.ForeignKey("social.Channel", on_delete=models.PROTECT, related_name="posts")
    state = models.CharField(max_length=20, choices=PostState.choices, default=PostState.DRAFT, db_index=True)
    post_type = models.CharField(max_length=20, choices=PostType.choices, default=PostType.POST)
    network_options = models.JSONField(default=dict, blank=True)
    media = models.ManyToManyField("social.Media", through="PostMedia", related_name="cp_posts")
    is_customized = models.BooleanField(default=False, help_text="Diverged from its group: group edits skip it.")
    publish_at = models.DateTimeField(null=True, blank=True)
    publish_timezone = models.CharField(max_length=64, blank=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_attention = models.BooleanField(default=False)
    first_comment_failed = models.BooleanField(default=False)
    imported = models.BooleanField(default=False)
    remote_id = models.CharField(max_length=255, blank=True)
    network_url = models.URLField(max_length=2000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # `attempt_count` when the current publishing run began (a manual retry starts a new run): the automatic retry
    # budget counts the attempts since then.
    run_started_attempt = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    publishing_started_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Approval bookkeeping: the current round (a post sent back to approval starts a new one) and when the
    # current content was approved (unschedule returns to `approved` only if it was).
    approval_round = models.PositiveIntegerField(default=0)
    # The step of the tenant's approval chain the current round is at (0 without a chain: one step).
    approval_step = models.PositiveSmallIntegerField(default=0)
    # When the round's expiry (publish time passed while waiting) was flagged, so the sweep flags it once.
    approval_expired_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "state", "publish_at"], name="cp_post_tenant_state_pub"),
            models.Index(fields=["state", "publish_at"], name="cp_post_state_pub"),
            models.Index(fields=["state", "next_attempt_at"], name="cp_post_state_next_attempt"),
            # The default list order (newest first): page 1 of 100k posts is an index scan, not a sort.
            models.Index(fields=["tenant", "-created_at", "-id"], name="cp_post_tenant_newest"),
            # The analytics read the published posts of a period: the range scan carries the channel.
            models.Index(
                fields=["tenant", "published_at"],
                include=["channel"],
                condition=models.Q(state="published"),
                name="cp_post_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} post on {self.channel_id}"


class PostMedia(TenantScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media_items")
    media = models.ForeignKey("social.Media", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    alt_text = models.CharField(max_length=1500, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["post", "position"], name="uniq_post_media_position")]


class PublishAttempt(TenantScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=PublishOutcome.choices, default=PublishOutcome.PENDING)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    network_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    network_request_id = models.CharField(max_length=255, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["number", "id"]
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="uniq_publish_attempt_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.post_id}: {self.outcome}"


class ApprovalRequest(TenantScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_requests")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    round = models.PositiveIntegerField(default=1)
    step = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "approver", "round", "step"], name="uniq_approval_request_round_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} on {self.post_id}: {self.state}"


class FeedItem(TenantScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="feed_items")
    type = models.CharField(max_length=20, choices=FeedItemType.choices)
    key = models.CharField(max_length=60, blank=True)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "created_at"], name="cp_feed_post_created")]

    def __str__(self) -> str:
        return f"{self.type} {self.key} on {self.post_id}"


# The counters of PostMetrics, in report order (analytics, exports and collection share them).
METRIC_FIELDS: tuple[str, ...] = (
    "impressions",
    "reach",
    "engagements",
    "likes",
    "comments",
    "shares",
    "clicks",
    "video_views",
)


class PostMetrics(TenantScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="metrics")
    collected_at = models.DateTimeField()
    impressions = models.PositiveIntegerField(default=0)
    reach = models.PositiveIntegerField(default=0)
    engagements = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    video_views = models.PositiveIntegerField(default=0)
    # The post's current figures: its newest row (kept by `services.metrics.collect_post_metrics`), so the analytics
    # join one row per post instead of looking up each post's newest collection.
    is_latest = models.BooleanField(default=False)

    class Meta:
        ordering = ["collected_at", "id"]
        indexes = [models.Index(fields=["post", "collected_at"], name="cp_postmetrics_post_time")]
        constraints = [
            # At most one current row per post; the counters ride along so the analytics join reads the index only.
            models.UniqueConstraint(
                fields=["post"],
                condition=models.Q(is_latest=True),
                include=list(METRIC_FIELDS),
                name="uniq_postmetrics_latest",
            ),
        ]


class ChannelMetrics(TenantScopedModel):
    channel = models.ForeignKey("social.Channel", on_delete=models.CASCADE, related_name="cp_metrics")
    day = models.DateField()
    followers = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)
    engagements = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "id"]
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="uniq_channel_metrics_day")]
        indexes = [
            # The analytics engine sums a tenant's days over a range: an index-only scan on PostgreSQL.
            models.Index(
                fields=["tenant", "day"],
                include=["channel", "followers", "impressions", "engagements"],
                name="cp_channelmetrics_tenant_day",
            ),
        ]


class ExternalApprovalState(models.TextChoices):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"  # superseded: the post was edited (a fresh link went out) or the round closed


class ExternalApproval(TenantScopedModel):
    """A client's approval of one post through a signed, expiring, single-use link (no account needed).

    Only the SHA-256 digest of the link's secret is stored; the link itself is in the email only. `content_digest`
    pins what the client was shown: a link for content that has changed since is refused."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="external_approvals")
    email = models.EmailField()
    message = models.TextField(blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    content_digest = models.CharField(max_length=64)
    round = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField(default=0)  # the post's approval chain step when the client was asked
    expires_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=ExternalApprovalState.choices, default=ExternalApprovalState.PENDING
    )
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "expires_at"], name="cp_extappr_state_expiry")]

    def __str__(self) -> str:
        return f"{self.email} on {self.post_id}: {self.state}"


class CalendarFeed(TenantScopedModel):
    """A secret ICS URL of scheduled and published posts, for one member or one team; revocable (deleted)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("tenants.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name or f"feed {self.pk}"


class PostImportState(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the file had errors and partial=false: nothing was created


class PostImport(TenantScopedModel):
    """A CSV bulk import of posts: a pollable job with per-row results (`rows`: [{row, status, errors, postId}])."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField()  # the decoded CSV (bounded at upload)
    partial = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=PostImportState.choices, default=PostImportState.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"import {self.pk}: {self.state}"
