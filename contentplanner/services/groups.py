"""Post group writes: one message for several channels. The group holds the shared content; its posts that are
not customised (`is_customized` False) follow the group's edits."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.errors import ContentRulesViolated, InvalidPostState, NotAWorkingDraft, WorkingDraftExists
from contentplanner.models import Post, PostContent, PostGroup, PostState
from contentplanner.services import posts as post_services
from contentplanner.services.content import replace_media
from contentplanner.services.validation import assert_in_future, assert_publishable_channel
from core import audit
from core.auth import Principal
from core.errors import DomainError, ValidationFailed

GROUP_FIELDS = PostContent.EDITABLE_FIELDS


def _post_content(group_content: dict, network: str) -> dict:
    """The group's content as a post's: network options are per network on the group."""
    content = dict(group_content)
    if "network_options" in content:
        content["network_options"] = (content["network_options"] or {}).get(network, {})
    return content


def create_group(*, actor: Principal, channels: list, content: dict, working_draft: bool = False) -> PostGroup:
    """Create the group and one draft post per channel, all or nothing. A `working_draft` (the composer's open
    session, one per member: 409 WORKING_DRAFT_EXISTS) holds preDraft posts only its author sees."""
    publish_at = content.get("publish_at")
    assert_in_future(publish_at)
    for channel in channels:
        assert_publishable_channel(channel)
    if working_draft:
        _assert_no_working_draft(actor)
    with transaction.atomic():
        group = PostGroup(author=actor.user, is_working_draft=working_draft)
        group.apply_content({name: value for name, value in content.items() if value is not None})
        group.campaign = content.get("campaign")
        group.assignee = content.get("assignee")
        group.publish_at = publish_at
        group.publish_timezone = content.get("publish_timezone") or ""
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:  # another request opened one meanwhile (uniq_working_draft_per_author)
            _assert_no_working_draft(actor)
            raise
        if content.get("media"):
            replace_media(group, content["media"])
        if content.get("tags"):
            group.tags.set(content["tags"])
        for channel in channels:
            post_services.create_post(
                actor=actor, channel=channel, content=_post_content(content, channel.network), group=group
            )
        audit.record("cp.post_group.create", group, actor=actor, changes={"channels": [str(c.pk) for c in channels]})
    return group


def _assert_no_working_draft(actor: Principal) -> None:
    if actor.user is None:
        raise ValidationFailed(details={"workingDraft": ["A working draft belongs to a member, not an API key."]})
    current = PostGroup.objects.filter(author=actor.user, is_working_draft=True, deleted_at__isnull=True).first()
    if current is not None:
        raise WorkingDraftExists(details={"postGroupId": str(current.pk)})


def save_working_draft(group: PostGroup, *, actor: Principal) -> list[Post]:
    """The author's working draft becomes ordinary drafts the team sees (all its posts, all or nothing)."""
    if not group.is_working_draft or group.author_id != getattr(actor.user, "pk", None):
        raise NotAWorkingDraft()
    with transaction.atomic():
        saved = act_on_posts(group, "save_draft", lambda post: post_services.save_as_draft(post, actor=actor))
        audit.record("cp.post_group.save_draft", group, actor=actor, changes={"posts": [str(p.pk) for p in saved]})
    return saved


def live_posts(group: PostGroup):
    return group.posts.exclude(state=PostState.DELETED).select_related("channel").order_by("created_at", "id")


def update_group(group: PostGroup, *, actor: Principal, changes: dict) -> PostGroup:
    """Update the shared content; posts that are not customised and still editable follow it."""
    with transaction.atomic():
        group = PostGroup.objects.select_for_update(of=("self",)).get(pk=group.pk)
        before = {name: getattr(group, name) for name in GROUP_FIELDS}
        group.apply_content(changes)
        for name in ("campaign", "assignee", "publish_at"):
            if name in changes:
                setattr(group, name, changes[name])
        if "publish_timezone" in changes:
            group.publish_timezone = changes["publish_timezone"] or ""
        group.save()
        if "media" in changes:
            replace_media(group, changes["media"])
        if "tags" in changes:
            group.tags.set(changes["tags"])
        for post in live_posts(group).filter(is_customized=False):
            if post.state not in states.ACTION_SOURCES["edit"]:
                continue  # publishing/published posts keep what went out
            post_services.update_post(
                post, actor=actor, changes=_post_content(changes, post.channel.network), from_group=True
            )
        audit.record(
            "cp.post_group.update",
            group,
            actor=actor,
            changes=audit.diff(before, {n: getattr(group, n) for n in GROUP_FIELDS}),
        )
    return group


def delete_group(group: PostGroup, *, actor: Principal) -> dict:
    """Delete the group's deletable posts; the group itself goes once none of its posts is left.
    Returns {"deleted": [ids], "kept": [ids]} (kept: posts whose state forbids deleting)."""
    deleted, kept = [], []
    with transaction.atomic():
        group = PostGroup.objects.select_for_update(of=("self",)).get(pk=group.pk)
        for post in live_posts(group):
            if post.state in states.ACTION_SOURCES["delete"]:
                post_services.delete_post(post, actor=actor)
                deleted.append(str(post.pk))
            else:
                kept.append(str(post.pk))
        if not kept:
            group.deleted_at = timezone.now()
            group.save(update_fields=["deleted_at", "updated_at"])
        audit.record("cp.post_group.delete", group, actor=actor, changes={"deleted": deleted, "kept": kept})
    return {"deleted": deleted, "kept": kept}


def act_on_posts(group: PostGroup, action: str, run) -> list[Post]:
    """Run `run(post)` for every live post that `action` may start from, all or nothing. Per-post failures are
    collected and reported together under details.posts.{postId}."""
    with transaction.atomic():
        candidates = [post for post in live_posts(group) if post.state in states.ACTION_SOURCES[action]]
        if not candidates:
            raise InvalidPostState(f"No post of this group can {action}.", details={"action": action})
        done, failures = [], {}
        for post in candidates:
            try:
                with transaction.atomic():
                    done.append(run(post))
            except DomainError as exc:
                failures[str(post.pk)] = {"code": exc.code, "message": exc.message, "details": exc.details}
        if failures:
            raise ContentRulesViolated(
                f"Some posts of the group cannot {action}; nothing was changed.",
                code="GROUP_ACTION_FAILED",
                details={"posts": failures},
            )
    return done


def schedule_group(group: PostGroup, *, actor: Principal, publish_at=None, publish_timezone: str | None = None):
    """Schedule every draft/approved post of the group at `publish_at` (default: the group's publish time)."""
    when = publish_at or group.publish_at
    with transaction.atomic():
        if publish_at is not None:
            group.publish_at = publish_at
            group.publish_timezone = publish_timezone or group.publish_timezone
            group.save(update_fields=["publish_at", "publish_timezone", "updated_at"])
        return act_on_posts(
            group,
            "schedule",
            lambda post: post_services.schedule_post(
                post, actor=actor, publish_at=when, publish_timezone=publish_timezone or group.publish_timezone
            ),
        )


def publish_group(group: PostGroup, *, actor: Principal) -> list[Post]:
    """Publish every draft/approved post of the group now."""
    return act_on_posts(group, "publish", lambda post: post_services.request_publish_now(post, actor=actor))


def duplicate_group(group: PostGroup, *, actor: Principal) -> PostGroup:
    """A new group with the same shared content and a draft copy of each live post (publish times reset)."""
    with transaction.atomic():
        copy = PostGroup(author=actor.user)
        for name in GROUP_FIELDS:
            setattr(copy, name, getattr(group, name))
        copy.campaign, copy.assignee = group.campaign, group.assignee
        copy.publish_timezone = group.publish_timezone
        copy.save()
        replace_media(copy, [(item.media, item.alt_text) for item in group.media_items.select_related("media")])
        copy.tags.set(group.tags.all())
        for post in live_posts(group):
            new = post_services.create_post(
                actor=actor,
                channel=post.channel,
                content=post_services.content_of(post),
                group=copy,
                audit_action="cp.post.duplicate",
            )
            if post.is_customized:
                Post.objects.filter(pk=new.pk).update(is_customized=True)
        audit.record("cp.post_group.duplicate", copy, actor=actor, changes={"source": str(group.pk)})
    return copy
