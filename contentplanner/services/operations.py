"""Post operations beyond create/edit/schedule: change a post's channel, add channels to a group, copy chosen fields
to sibling posts, submit a whole group for approval, and mark a manually published post as published."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.errors import InvalidPostState
from contentplanner.models import Post, PostContent, PostGroup, PostState
from contentplanner.services import approval, external_approval, feed
from contentplanner.services import groups as group_services
from contentplanner.services import posts as post_services
from contentplanner.services.validation import assert_publishable_channel, content_errors_for, flatten
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

# Fields `copy_to_siblings` may copy (content, media, tags, scheduling intent).
COPYABLE_FIELDS = frozenset({*PostContent.CONTENT_FIELDS, "post_type", "media", "tags", "campaign", "publish_at"})
CHANGE_CHANNEL_STATES = frozenset(
    {PostState.DRAFT, PostState.NEEDS_APPROVAL, PostState.APPROVED, PostState.REJECTED, PostState.FAILED}
)
# A post published by hand (a story, a placeholder channel) can be recorded as published from these states.
MARK_PUBLISHED_STATES = frozenset({PostState.DRAFT, PostState.APPROVED, PostState.SCHEDULED, PostState.FAILED})


def change_channel(post: Post, *, actor: Principal, channel) -> Post:
    """Move a not-yet-published post to another channel (visible to the actor: checked by the view's selector).
    Its content is re-validated for the new network (warnings); per-network options come from its group when it has
    one. An approved post edited by a non-approver, and a post waiting for approval, go (back) through approval."""
    assert_publishable_channel(channel)
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel", "group").get(pk=post.pk)
        if post.state not in CHANGE_CHANNEL_STATES:
            raise InvalidPostState(f"Cannot change the channel of a {post.state} post.", details={"state": post.state})
        if channel.pk == post.channel_id:
            return post
        previous = post.channel
        post.channel = channel
        if previous.network != channel.network:
            options = (post.group.network_options or {}).get(channel.network, {}) if post.group else {}
            post.network_options = options
        post.save(update_fields=["channel", "network_options", "updated_at"])
        post.warnings = flatten(content_errors_for(post))
        post.save(update_fields=["warnings", "updated_at"])
        feed.add_history(
            post, "channelChanged", actor=actor.user, data={"from": str(previous.pk), "to": str(channel.pk)}
        )
        audit.record(
            "cp.post.change_channel", post, actor=actor, changes={"channel": [str(previous.pk), str(channel.pk)]}
        )
        if post.state == PostState.NEEDS_APPROVAL:
            external_approval.restart_round(post, actor=actor)
        elif post.state == PostState.APPROVED and not actor.has(approval.APPROVE_PERMISSION):
            approval.open_approval_round(post, actor=actor, reason="channelChanged")
    return post


def add_channels(group: PostGroup, *, actor: Principal, channels: list) -> list[Post]:
    """Plan the group's message on more channels: a draft post per channel the group has no live post on yet."""
    with transaction.atomic():
        group = PostGroup.objects.select_for_update().get(pk=group.pk)
        present = set(group_services.live_posts(group).values_list("channel_id", flat=True))
        wanted = [channel for channel in channels if channel.pk not in present]
        if not wanted:
            raise ValidationFailed(details={"channelIds": ["The group already has a post on every one of them."]})
        content = {name: getattr(group, name) for name in PostContent.EDITABLE_FIELDS}
        content["media"] = [(item.media, item.alt_text) for item in group.media_items.select_related("media")]
        content["tags"] = list(group.tags.all())
        content["campaign"], content["assignee"] = group.campaign, group.assignee
        content["publish_timezone"] = group.publish_timezone
        if group.publish_at and group.publish_at > timezone.now():
            content["publish_at"] = group.publish_at
        created = []
        for channel in wanted:
            per_network = dict(content)
            per_network["network_options"] = (group.network_options or {}).get(channel.network, {})
            created.append(post_services.create_post(actor=actor, channel=channel, content=per_network, group=group))
        audit.record(
            "cp.post_group.add_channels", group, actor=actor, changes={"channels": [str(c.pk) for c in wanted]}
        )
    return created


def copy_to_siblings(post: Post, *, actor: Principal, fields: list[str], siblings: list[Post]) -> list[Post]:
    """Copy `fields` of `post` to `siblings` (posts of the same group), all or nothing; each sibling goes through
    the normal edit (customised flag, approval effects, published posts refused)."""
    unknown = sorted(set(fields) - COPYABLE_FIELDS)
    if unknown:
        raise ValidationFailed(details={"fields": [f"Cannot copy: {', '.join(unknown)}."]})
    if post.group_id is None:
        raise ValidationFailed(details={"postIds": ["The post is not part of a group: it has no siblings."]})
    strangers = [str(s.pk) for s in siblings if s.group_id != post.group_id or s.pk == post.pk]
    if strangers:
        raise ValidationFailed(details={"postIds": [f"Not siblings of this post: {', '.join(strangers)}."]})
    changes = {}
    for name in fields:
        if name == "media":
            changes["media"] = [(item.media, item.alt_text) for item in post.media_items.select_related("media")]
        elif name == "tags":
            changes["tags"] = list(post.tags.all())
        else:
            changes[name] = getattr(post, name)
    with transaction.atomic():
        updated = [post_services.update_post(sibling, actor=actor, changes=changes) for sibling in siblings]
        audit.record(
            "cp.post.copy_to_siblings",
            post,
            actor=actor,
            changes={"fields": sorted(fields), "siblings": [str(s.pk) for s in siblings]},
        )
    return updated


def submit_group(group: PostGroup, *, actor: Principal) -> list[Post]:
    """Submit every draft post of the group for approval, all or nothing."""
    return group_services.act_on_posts(group, "submit", lambda post: approval.submit_post(post, actor=actor))


def mark_published(post: Post, *, actor: Principal, network_url: str = "") -> Post:
    """Record that the post was published by hand (stories, placeholder channels). A draft whose author needs
    approval is refused like publish-now (409 APPROVAL_REQUIRED)."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("author").get(pk=post.pk)
        if post.state not in MARK_PUBLISHED_STATES:
            raise InvalidPostState(f"Cannot mark a {post.state} post as published.", details={"state": post.state})
        approval.assert_may_skip_approval(post)
        previous = post.state
        states.assert_transition(post, PostState.PUBLISHED)
        post.state, post.published_at = PostState.PUBLISHED, timezone.now()
        post.network_url = network_url or post.network_url
        post.needs_attention, post.next_attempt_at = False, None
        post.save(
            update_fields=["state", "published_at", "network_url", "needs_attention", "next_attempt_at", "updated_at"]
        )
        feed.add_history(post, "published", actor=actor.user, data={"manual": True, "networkUrl": post.network_url})
        audit.record(
            "cp.post.mark_published", post, actor=actor, changes={"state": [previous, post.state], "manual": True}
        )
    return post
