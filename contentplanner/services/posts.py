"""Post writes: create, edit (with its state effects), schedule, unschedule, publish now, delete, duplicate.

`changes`/`content` dicts use model field names: the content fields (text, title, link_*, first_comment),
post_type, network_options, media (list of (Media, alt_text) in order), plus the internal fields tags (list of Tag),
campaign, assignee, publish_at (UTC datetime) and publish_timezone.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contentplanner import states, tasks
from contentplanner.errors import ContentRulesViolated, InvalidPostState, NoPublishAt, PostPublished
from contentplanner.models import Post, PostContent, PostGroup, PostState, PublishAttempt
from contentplanner.publishing import claims
from contentplanner.services import approval, external_approval, feed
from contentplanner.services.content import replace_media
from contentplanner.services.validation import assert_in_future, assert_publishable_channel, content_errors_for, flatten
from core import audit
from core.auth import Principal
from core.notify import notify

AUDITED_FIELDS = ("state", "publish_at", "is_customized", *PostContent.CONTENT_FIELDS)


def _snapshot(post: Post) -> dict:
    return {name: getattr(post, name) for name in AUDITED_FIELDS}


def _refresh_warnings(post: Post) -> None:
    post.warnings = flatten(content_errors_for(post))
    post.save(update_fields=["warnings", "updated_at"])


def create_post(
    *,
    actor: Principal,
    channel,
    content: dict,
    group: PostGroup | None = None,
    audit_action: str = "cp.post.create",
) -> Post:
    """Create a draft post on `channel` (visible, active, publishing enabled: checked by the caller's selector and
    here); a preDraft one in a working draft `group`. The network's rule violations are stored as `warnings`, not
    refused."""
    assert_publishable_channel(channel)
    publish_at = content.get("publish_at")
    assert_in_future(publish_at)
    with transaction.atomic():
        post = Post(
            channel=channel,
            group=group,
            state=PostState.PRE_DRAFT if group is not None and group.is_working_draft else PostState.DRAFT,
            author=actor.user,
            is_customized=False,
        )
        post.apply_content(content)
        post.campaign = content.get("campaign")
        post.assignee = content.get("assignee")
        post.publish_at = publish_at
        post.publish_timezone = content.get("publish_timezone") or ""
        post.save()
        if content.get("media"):
            replace_media(post, content["media"])
        if content.get("tags"):
            post.tags.set(content["tags"])
        _refresh_warnings(post)
        feed.add_history(post, "created", actor=actor.user, data={"groupId": str(group.pk) if group else None})
        if post.assignee_id:
            _assigned(post, actor)
        audit.record(audit_action, post, actor=actor, changes={"channel": str(channel.pk), "state": post.state})
    return post


def update_post(post: Post, *, actor: Principal, changes: dict, from_group: bool = False) -> Post:
    """Apply `changes`. Content changes: a rejected post returns to draft; an approved or scheduled post edited by
    a non-approver goes back to needsApproval (unscheduled); a group post edited on its own becomes customised.
    Published posts cannot be edited (409 POST_PUBLISHED)."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel", "author").get(pk=post.pk)
        if post.state == PostState.PUBLISHED:
            raise PostPublished()
        states.assert_action(post, "edit")
        before = _snapshot(post)
        content_changed = post.apply_content(changes)
        if "media" in changes:
            current = [(item.media_id, item.alt_text) for item in post.media_items.order_by("position")]
            wanted = [(item.pk, alt or "") for item, alt in changes["media"]]
            if current != wanted:
                replace_media(post, changes["media"])
                content_changed = True
        if "campaign" in changes:
            post.campaign = changes["campaign"]
        assignee_changed = "assignee" in changes and getattr(changes["assignee"], "pk", None) != post.assignee_id
        if "assignee" in changes:
            post.assignee = changes["assignee"]
        if "publish_timezone" in changes:
            post.publish_timezone = changes["publish_timezone"] or ""
        if "publish_at" in changes and changes["publish_at"] != post.publish_at:
            assert_in_future(changes["publish_at"])
            if changes["publish_at"] is None and post.state == PostState.SCHEDULED:
                raise NoPublishAt("Unschedule the post before clearing its publish time.")
            post.publish_at = changes["publish_at"]
        if content_changed and post.group_id and not from_group:
            post.is_customized = True
        post.save()
        if "tags" in changes:
            post.tags.set(changes["tags"])
        if content_changed:
            errors = content_errors_for(post)
            post.warnings = flatten(errors)
            post.save(update_fields=["warnings", "updated_at"])
            feed.add_history(post, "edited", actor=actor.user, data={"fromGroup": from_group})
            _apply_edit_state_effects(post, actor, errors)
        elif post.state == PostState.SCHEDULED and "publish_at" in changes:
            errors = content_errors_for(post)
            if errors:
                raise ContentRulesViolated(details=errors)
            feed.add_history(post, "scheduled", actor=actor.user, data={"publishAt": post.publish_at.isoformat()})
        if assignee_changed and post.assignee_id:
            _assigned(post, actor)
        audit.record("cp.post.update", post, actor=actor, changes=audit.diff(before, _snapshot(post)))
    return post


def _apply_edit_state_effects(post: Post, actor: Principal, errors: dict) -> None:
    if post.state == PostState.REJECTED:
        states.assert_transition(post, PostState.DRAFT)
        post.state = PostState.DRAFT
        post.save(update_fields=["state", "updated_at"])
        feed.add_history(post, "backToDraft", actor=actor.user)
    elif post.state in (PostState.APPROVED, PostState.SCHEDULED) and post.approved_at is not None:
        if not actor.has(approval.APPROVE_PERMISSION):
            # The approval covered the old content: ask again (this also unschedules).
            approval.open_approval_round(post, actor=actor, reason="editedAfterApproval")
    elif post.state == PostState.SCHEDULED and errors:
        raise ContentRulesViolated(details=errors)
    elif post.state == PostState.NEEDS_APPROVAL:
        # The decisions so far were about the old content: the round (members and clients) starts again.
        external_approval.restart_round(post, actor=actor)


def _assigned(post: Post, actor: Principal) -> None:
    assignee = post.assignee
    feed.add_history(post, "assigned", actor=actor.user, data={"assignee": str(assignee.pk)})
    if actor.user is not None and actor.user.pk == assignee.pk:
        return
    notify(
        "contentplanner.post.assigned",
        to=[assignee.email],
        subject="A post was assigned to you",
        body=f"{actor.label} assigned post {post.pk} to you.",
        tenant_id=post.tenant_id,
        data={"postId": str(post.pk), "assignedBy": actor.label},
    )


def settle_working_draft(group_id) -> None:
    """A working draft ends once none of its posts is preDraft any more (saved, scheduled, published, discarded)."""
    if group_id and not Post.objects.filter(group_id=group_id, state=PostState.PRE_DRAFT).exists():
        PostGroup.objects.filter(pk=group_id, is_working_draft=True).update(is_working_draft=False)


def schedule_post(post: Post, *, actor: Principal, publish_at=None, publish_timezone: str | None = None) -> Post:
    """draft/approved -> scheduled at `publish_at` (UTC, future; default the post's own). Checks the network's
    content rules (400 CONTENT_RULES_VIOLATED) and, from draft, whether the author needs approval (409)."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel", "author").get(pk=post.pk)
        states.assert_action(post, "schedule")
        approval.assert_may_skip_approval(post)
        when = publish_at or post.publish_at
        if when is None:
            raise NoPublishAt(details={"publishAt": ["Required: the post has no publish time."]})
        assert_in_future(when)
        assert_publishable_channel(post.channel)
        errors = content_errors_for(post)
        if errors:
            raise ContentRulesViolated(details=errors)
        states.assert_transition(post, PostState.SCHEDULED)
        previous = post.state
        post.state, post.publish_at, post.needs_attention = PostState.SCHEDULED, when, False
        if publish_timezone:
            post.publish_timezone = publish_timezone
        post.next_attempt_at = None
        post.warnings = []
        post.save()
        feed.add_history(post, "scheduled", actor=actor.user, data={"publishAt": when.isoformat()})
        audit.record(
            "cp.post.schedule", post, actor=actor, changes={"state": [previous, post.state], "publishAt": when}
        )
        settle_working_draft(post.group_id)
    return post


def save_as_draft(post: Post, *, actor: Principal) -> Post:
    """preDraft -> draft: the post leaves its author's working draft and shows to the team."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
        states.assert_action(post, "save_draft")
        states.assert_transition(post, PostState.DRAFT)
        post.state = PostState.DRAFT
        post.save(update_fields=["state", "updated_at"])
        feed.add_history(post, "savedAsDraft", actor=actor.user)
        audit.record("cp.post.save_draft", post, actor=actor, changes={"state": [PostState.PRE_DRAFT, post.state]})
        settle_working_draft(post.group_id)
    return post


def unschedule_post(post: Post, *, actor: Principal) -> Post:
    """scheduled -> approved (if its content was approved) or draft. The publish time is kept."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
        states.assert_action(post, "unschedule")
        target = PostState.APPROVED if post.approved_at else PostState.DRAFT
        states.assert_transition(post, target)
        post.state, post.next_attempt_at = target, None
        post.save(update_fields=["state", "next_attempt_at", "updated_at"])
        feed.add_history(post, "unscheduled", actor=actor.user, data={"state": target})
        audit.record("cp.post.unschedule", post, actor=actor, changes={"state": [PostState.SCHEDULED, target]})
    return post


def delete_post(post: Post, *, actor: Principal) -> Post:
    """draft/approved/rejected/failed -> deleted (soft: the row, feed and attempts stay for history)."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
        states.assert_action(post, "delete")
        states.assert_transition(post, PostState.DELETED)
        previous = post.state
        post.state, post.deleted_at = PostState.DELETED, timezone.now()
        post.save(update_fields=["state", "deleted_at", "updated_at"])
        feed.add_history(post, "deleted", actor=actor.user)
        audit.record("cp.post.delete", post, actor=actor, changes={"state": [previous, post.state]})
        settle_working_draft(post.group_id)
    return post


def request_publish_now(post: Post, *, actor: Principal) -> Post:
    """draft/approved -> publishing now, through the dispatcher's claim (409 when not allowed); the one publish
    task is enqueued after commit."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel", "author").get(pk=post.pk)
        states.assert_action(post, "publish")
        states.assert_transition(post, PostState.PUBLISHING)
        approval.assert_may_skip_approval(post)
        assert_publishable_channel(post.channel)
        errors = content_errors_for(post)
        if errors:
            raise ContentRulesViolated(details=errors)
        now = timezone.now()
        previous = post.state
        extra = {} if post.publish_at else {"publish_at": now}
        if not claims.claim_post(
            post.pk, seen_attempts=post.attempt_count, from_states=(previous,), now=now, extra=extra
        ):
            raise InvalidPostState("The post changed meanwhile; reload it.", details={"state": post.state})
        attempt = post.attempt_count + 1
        PublishAttempt.objects.create(post=post, number=attempt, started_at=now)
        post.refresh_from_db()
        feed.add_history(post, "publishNow", actor=actor.user, data={"from": previous, "attempt": attempt})
        audit.record("cp.post.publish_now", post, actor=actor, changes={"state": [previous, PostState.PUBLISHING]})
        settle_working_draft(post.group_id)
        tasks.enqueue([claims.Claim(post_id=str(post.pk), attempt=attempt, tenant_id=str(post.tenant_id))])
    return post


def retry_post(post: Post, *, actor: Principal) -> Post:
    """failed -> scheduled (now, if its time has passed). Attempt numbers continue; a new run begins, with a fresh
    budget of automatic retries."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel").get(pk=post.pk)
        states.assert_action(post, "retry")
        states.assert_transition(post, PostState.SCHEDULED)
        assert_publishable_channel(post.channel)
        now = timezone.now()
        before = {"state": post.state, "errorCode": post.error_code}
        post.state = PostState.SCHEDULED
        if post.publish_at is None or post.publish_at < now:
            post.publish_at = now
        post.next_attempt_at = None
        post.run_started_attempt = post.attempt_count
        post.error_code = ""
        post.error_message = ""
        post.save(
            update_fields=[
                "state",
                "publish_at",
                "next_attempt_at",
                "run_started_attempt",
                "error_code",
                "error_message",
                "updated_at",
            ]
        )
        feed.add_history(
            post, "scheduled", actor=actor.user, data={"retry": True, "publishAt": post.publish_at.isoformat()}
        )
        audit.record(
            "cp.post.retry",
            post,
            actor=actor,
            changes={"state": [before["state"], post.state], "errorCode": [before["errorCode"], ""]},
        )
    return post


def retry_first_comment(post: Post, *, actor: Principal) -> Post:
    """Send a published post's refused first comment again. The failure flag is cleared by a conditional UPDATE, so
    two clicks send one comment; the comment goes out in the background and a new refusal flags it again."""
    with transaction.atomic():
        if post.state != PostState.PUBLISHED or not post.first_comment:
            raise InvalidPostState(
                "Only a published post's first comment can be sent again.", details={"state": post.state}
            )
        taken = Post.objects.filter(pk=post.pk, state=PostState.PUBLISHED, first_comment_failed=True).update(
            first_comment_failed=False, updated_at=timezone.now()
        )
        if not taken:
            raise InvalidPostState("The first comment did not fail, or is being sent again already.")
        feed.add_history(post, "firstCommentRetried", actor=actor.user)
        audit.record("cp.post.first_comment_retried", post, actor=actor)
        tasks.enqueue_first_comment(str(post.pk), str(post.tenant_id))
    post.refresh_from_db()
    return post


def content_of(post: Post) -> dict:
    """A post's content and internal fields as a `content` dict for create_post (duplicates)."""
    content = {name: getattr(post, name) for name in PostContent.EDITABLE_FIELDS}
    content["media"] = [(item.media, item.alt_text) for item in post.media_items.select_related("media")]
    content["tags"] = list(post.tags.all())
    content["campaign"] = post.campaign
    content["assignee"] = post.assignee
    content["publish_timezone"] = post.publish_timezone
    return content


def duplicate_post(post: Post, *, actor: Principal, channels: list | None = None) -> list[Post]:
    """Copy `post` as new drafts (without publish time) on `channels` (default: its own channel)."""
    with transaction.atomic():
        content = content_of(post)
        return [
            create_post(actor=actor, channel=channel, content=content, audit_action="cp.post.duplicate")
            for channel in (channels or [post.channel])
        ]
