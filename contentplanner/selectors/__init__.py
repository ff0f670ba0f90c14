"""Content planner reads: visible posts and groups with their relations loaded once (bounded queries per list).
The calendar and counts live in `selectors.calendar`, the analytics queries in `selectors.analytics`.

A member sees the posts of the channels they see (social.selectors: their teams' channels; OWNER/ADMIN and API keys
all); others are invisible (404). Deleted posts are never listed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from contentplanner.models import (
    ApprovalRequest,
    CalendarFeed,
    Campaign,
    ExternalApproval,
    FeedItem,
    Post,
    PostGroup,
    PostGroupMedia,
    PostImport,
    PostMedia,
    PostState,
    PublishAttempt,
    Tag,
)
from core.auth import Principal
from social import selectors as social_selectors


def _visible(queryset: QuerySet, principal: Principal, channel_field: str = "channel_id") -> QuerySet:
    if social_selectors.sees_all_channels(principal):
        return queryset
    return queryset.filter(**{f"{channel_field}__in": social_selectors.visible_channel_ids_subquery(principal.user.pk)})


def post_relations(queryset: QuerySet[Post]) -> QuerySet[Post]:
    return queryset.select_related("channel", "campaign").prefetch_related(
        "tags",
        Prefetch("media_items", queryset=PostMedia.objects.select_related("media").order_by("position")),
    )


def _live_posts(principal: Principal) -> QuerySet[Post]:
    """Posts not deleted, without other people's working drafts (preDraft posts are their author's alone)."""
    others_working = Q(state=PostState.PRE_DRAFT) & ~Q(author_id=getattr(principal.user, "pk", None))
    return Post.objects.exclude(state=PostState.DELETED).exclude(others_working)


def posts_visible_to(principal: Principal) -> QuerySet[Post]:
    """Live (not deleted) posts on channels `principal` sees, newest first, relations loaded."""
    return post_relations(_visible(_live_posts(principal), principal)).order_by("-created_at", "-id")


def post_groups_visible_to(principal: Principal) -> QuerySet[PostGroup]:
    """Live groups with at least one visible live post; each group's `posts` prefetch holds only those."""
    visible_posts = _visible(_live_posts(principal), principal)
    return (
        PostGroup.objects.filter(deleted_at__isnull=True)
        .filter(Exists(visible_posts.filter(group_id=OuterRef("pk"))))
        .select_related("campaign")
        .prefetch_related(
            "tags",
            Prefetch("media_items", queryset=PostGroupMedia.objects.select_related("media").order_by("position")),
            Prefetch("posts", queryset=post_relations(visible_posts).order_by("created_at", "id")),
        )
        .order_by("-created_at", "id")
    )


def working_draft_of(principal: Principal) -> PostGroup | None:
    """The caller's working draft (their open composer session), or None."""
    if principal.user is None:
        return None
    return post_groups_visible_to(principal).filter(is_working_draft=True, author=principal.user).first()


def feed_items(post: Post) -> QuerySet[FeedItem]:
    return FeedItem.objects.filter(post=post).select_related("actor").order_by("created_at", "id")


def publish_attempts(post: Post) -> QuerySet[PublishAttempt]:
    return PublishAttempt.objects.filter(post=post).order_by("number", "id")


def approval_requests(post: Post) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(post=post).select_related("approver").order_by("round", "created_at", "id")


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("name", "id")


def tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name", "id")


def posts_blocking_media(media) -> list[str]:
    """Ids of the posts using `media`, in any state: a draft or an approved post still needs its files, and the
    database protects the reference (PostMedia.media is PROTECT)."""
    return [str(pk) for pk in PostMedia.objects.filter(media=media).values_list("post_id", flat=True).distinct()]


def post_visible_exists(principal: Principal, post_id) -> bool:
    """Whether `post_id` names a post of the current tenant that `principal` can see (short links name posts)."""
    return posts_visible_to(principal).filter(pk=post_id).exists()


def post_with_channel(post_id) -> Post | None:
    """The current tenant's post with its channel, or None."""
    return Post.objects.select_related("channel").filter(pk=post_id).first()


def posts_due_for_metrics(since, networks) -> QuerySet[Post]:
    """Posts of every tenant published since `since` on active channels of `networks` (platform jobs only: the
    caller holds platform access)."""
    channels = social_selectors.active_channels_of_all_tenants(networks)
    return Post.all_tenants.filter(
        state=PostState.PUBLISHED, published_at__gte=since, channel__in=channels.values("pk")
    ).exclude(remote_id="")


def external_approvals(post: Post) -> QuerySet[ExternalApproval]:
    return ExternalApproval.objects.filter(post=post).order_by("round", "created_at", "id")


def calendar_feeds_of(principal: Principal) -> QuerySet[CalendarFeed]:
    """The caller's own feeds (a feed is a personal secret; admins revoke others' in the admin)."""
    if principal.user is None:
        return CalendarFeed.objects.none()
    return CalendarFeed.objects.filter(owner=principal.user).order_by("created_at", "id")


def post_imports() -> QuerySet[PostImport]:
    return PostImport.objects.defer("content").order_by("-created_at", "id")


def client_approvals_due_for_reminder(now, within) -> QuerySet[ExternalApproval]:
    """Pending client links of every tenant expiring within `within` and not reminded yet (platform scan: the caller
    holds platform access)."""
    return ExternalApproval.all_tenants.filter(
        state="PENDING", reminded_at__isnull=True, expires_at__gt=now, expires_at__lte=now + within
    )


def posts_waiting_for_approval_sweep(now, remind_after) -> QuerySet[Post]:
    """Posts of every tenant waiting for approval that are past their publish time (not flagged yet) or have a
    request older than `remind_after` (platform scan: the caller holds platform access)."""
    old_request = ApprovalRequest.all_tenants.filter(
        post_id=OuterRef("pk"), state="PENDING", reminded_at__isnull=True, created_at__lte=now - remind_after
    )
    return Post.all_tenants.filter(state=PostState.NEEDS_APPROVAL).filter(
        Q(publish_at__lte=now, approval_expired_at__isnull=True) | Exists(old_request)
    )
