"""Demo data of the content planner (called by `manage.py seed_demo` after social's sandbox channels exist).

Idempotent: the campaign and tags are found by name, each demo post by its text, so re-running adds nothing.
The one exception is on purpose: when no demo post is waiting to be published, three new ones are scheduled
1, 2 and 3 minutes ahead, so every `make run` shows the dispatcher publishing on the sandbox network.
Writes go through the services (create, schedule, publish); states that are history (approval decisions, a past
failure) are written directly with their feed entries.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from contentplanner.models import Campaign, Post, PostState, PublishAttempt, PublishOutcome, Tag
from contentplanner.publishing import claims, execute_publish_attempt, failed_feed_key
from contentplanner.services import feed, metrics
from contentplanner.services import posts as post_services
from contentplanner.services.campaigns import create_campaign
from contentplanner.services.tags import create_tag
from core import tenancy
from core.auth import Principal
from social import selectors as social_selectors
from social.services import publishing as social_publishing
from tenants import selectors as tenant_selectors
from tenants.roles import permissions_for_role

CAMPAIGN = {"name": "Spring launch", "description": "Demo campaign: the spring collection.", "color": "3b82f6"}
TAGS = (("product", "22c55e"), ("behind-the-scenes", "f59e0b"), ("event", "ef4444"))
DUE_SOON_PREFIX = "Live demo: published by the dispatcher"

# (state, text, tags): one post per state, on alternating sandbox channels.
DEMO_POSTS = (
    (PostState.DRAFT, "Draft: teaser for the spring collection. #spring", ("product",)),
    (PostState.NEEDS_APPROVAL, "Waiting for approval: our new store opens Saturday!", ("event",)),
    (PostState.APPROVED, "Approved: meet the team behind the collection.", ("behind-the-scenes",)),
    (PostState.REJECTED, "Rejected: 50% off everything (not approved by legal).", ("product",)),
    (PostState.SCHEDULED, "Scheduled for tomorrow: the lookbook is out.", ("product",)),
    (PostState.PUBLISHED, "Published: thank you for 10k followers!", ("event",)),
    (PostState.FAILED, "Failed: a video the network refused.", ("behind-the-scenes",)),
)


def _principal(tenant, owner: AbstractBaseUser) -> Principal:
    membership = tenant_selectors.active_members().filter(user=owner).first()
    role = membership.role if membership else "OWNER"
    return Principal(
        tenant=tenant,
        permissions=permissions_for_role(role, membership.custom_permissions if membership else None),
        kind="user",
        user=owner,
        membership=membership,
        role=role,
    )


def seed_demo(*, tenant, owner: AbstractBaseUser) -> list[Post]:
    """Create the demo campaign, tags and posts in every state on the tenant's sandbox channels; return new posts."""
    with tenancy.tenant_context(tenant):
        sandbox = social_selectors.channels().filter(network="sandbox")
        channels = [channel for channel in sandbox if social_publishing.publish_blocker(channel) is None]
        if not channels:
            return []
        actor = _principal(tenant, owner)
        with transaction.atomic():
            campaign = Campaign.objects.filter(name=CAMPAIGN["name"]).first() or create_campaign(
                actor=actor, **CAMPAIGN
            )
            tags = {
                name: Tag.objects.filter(name=name).first() or create_tag(actor=actor, name=name, color=c)
                for name, c in TAGS
            }
        created = []
        for index, (state, text, tag_names) in enumerate(DEMO_POSTS):
            if Post.objects.filter(text=text).exists():
                continue
            channel = channels[index % len(channels)]
            content = {"text": text, "campaign": campaign, "tags": [tags[name] for name in tag_names]}
            created.append(_make(state, actor=actor, channel=channel, content=content))
        created.extend(_due_soon(actor, channels, campaign))
    return created


def _make(state: str, *, actor: Principal, channel, content: dict) -> Post:
    now = timezone.now()
    if state == PostState.SCHEDULED:
        content = {**content, "publish_at": now + timedelta(days=1)}
    post = post_services.create_post(actor=actor, channel=channel, content=content)
    if state == PostState.SCHEDULED:
        return post_services.schedule_post(post, actor=actor)
    if state == PostState.PUBLISHED:
        post = _publish_inline(post)
        metrics.collect_post_metrics(post)  # the post, tag and campaign analytics have a first measurement
        return post
    if state in (PostState.NEEDS_APPROVAL, PostState.APPROVED, PostState.REJECTED):
        return _history_state(post, state, actor=actor)
    if state == PostState.FAILED:
        return _failed(post)
    return post


def _history_state(post: Post, state: str, *, actor: Principal) -> Post:
    keys = {
        PostState.NEEDS_APPROVAL: ["submitted"],
        PostState.APPROVED: ["submitted", "approved"],
        PostState.REJECTED: ["submitted", "rejected"],
    }[state]
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(
            state=state,
            approval_round=1,
            approved_at=timezone.now() if state == PostState.APPROVED else None,
        )
        for key in keys:
            message = "Not with this discount wording, please." if key == "rejected" else ""
            feed.add_history(post, key, actor=actor.user, message=message)
    post.refresh_from_db()
    return post


def _publish_inline(post: Post) -> Post:
    """Publish on the sandbox now, through the real pipeline (claim + attempt), without waiting for a worker."""
    now = timezone.now()
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(state=PostState.APPROVED, publish_at=now)
        with tenancy.platform_access():
            claimed = claims.claim_post(post.pk, seen_attempts=0, from_states=(PostState.APPROVED,), now=now)
        if claimed:
            PublishAttempt.objects.create(post=post, number=1, started_at=now)
    if claimed:
        execute_publish_attempt(post.pk, 1)
    post.refresh_from_db()
    return post


def _failed(post: Post) -> Post:
    now = timezone.now()
    message = "sandbox: content refused (media: Videos are at most 3600 seconds long.)"
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(
            state=PostState.FAILED,
            publish_at=now - timedelta(hours=2),
            attempt_count=1,
            error_code="INVALID_CONTENT",
            error_message=message,
        )
        PublishAttempt.objects.create(
            post=post,
            number=1,
            started_at=now - timedelta(hours=2),
            finished_at=now - timedelta(hours=2) + timedelta(milliseconds=420),
            outcome=PublishOutcome.FAILED,
            error_code="INVALID_CONTENT",
            error_message=message,
            network_status_code=400,
            latency_ms=420,
        )
        post.refresh_from_db()
        feed.add_history(
            post,
            failed_feed_key("INVALID_CONTENT"),
            message=message,
            data={"attempt": 1, "errorCode": "INVALID_CONTENT", "details": {}},
        )
    return post


def _due_soon(actor: Principal, channels: list, campaign: Campaign) -> list[Post]:
    """Three posts due in 1, 2 and 3 minutes, unless some are still waiting from an earlier run."""
    waiting = Post.objects.filter(
        text__startswith=DUE_SOON_PREFIX, state__in=[PostState.SCHEDULED, PostState.PUBLISHING]
    ).exists()
    if waiting:
        return []
    now = timezone.now()
    posts = []
    for minutes in (1, 2, 3):
        when = now + timedelta(minutes=minutes)
        content = {
            "text": f"{DUE_SOON_PREFIX} at {when:%H:%M:%S} UTC (+{minutes} min).",
            "campaign": campaign,
            "publish_at": when,
        }
        post = post_services.create_post(actor=actor, channel=channels[minutes % len(channels)], content=content)
        posts.append(post_services.schedule_post(post, actor=actor))
    return posts
