"""Client approval without an account: signed, expiring, single-use links to one post's current content.

- `request_external_approval`: a draft post goes to needsApproval (a new round, the clients are its approvers);
  a post already waiting gets the clients added to its round. Each email gets its own link.
- A link is refused when forged/unknown (404), used (410 APPROVAL_LINK_USED), expired (410 APPROVAL_LINK_EXPIRED),
  for content that has changed since it was sent or an older round (410 APPROVAL_LINK_OUTDATED), or when the post
  is no longer waiting for approval (409 APPROVAL_CLOSED).
- A client's accept counts like a member's under the tenant's policy (`any`: decides; `all`: the round waits for
  everyone asked); a reject rejects. Every decision lands in the feed and the audit log, and the author and the
  requester are told.
- Editing a post that is waiting restarts its round: the old links stop working and fresh ones go to the same
  clients (`restart_round`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.errors import (
    ApprovalClosed,
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    ApprovalLinkOutdated,
    ApprovalLinkUsed,
)
from contentplanner.models import (
    ExternalApproval,
    ExternalApprovalState,
    Post,
    PostContent,
    PostState,
)
from contentplanner.services import approval, feed, secret_links
from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from core.notify import notify
from social import selectors as social_selectors

SALT = "contentplanner.external-approval"
DEFAULT_EXPIRY_HOURS = 72
MAX_EXPIRY_HOURS = 24 * 30
# A reminder goes out once, when a pending link has less than this left.
REMINDER_BEFORE = timedelta(hours=24)


def content_digest(post: Post) -> str:
    """What the client approves: the post's content, media and channel (any change makes old links outdated)."""
    content = {name: getattr(post, name) for name in PostContent.EDITABLE_FIELDS}
    content["media"] = [
        [str(m), alt] for m, alt in post.media_items.order_by("position").values_list("media_id", "alt_text")
    ]
    content["channel"] = str(post.channel_id)
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/public/approvals/{token}"


def request_external_approval(
    post: Post, *, actor: Principal, emails: list[str], message: str = "", expires_in_hours: int = DEFAULT_EXPIRY_HOURS
) -> list[ExternalApproval]:
    """Send each client in `emails` a link to approve `post` (draft or needsApproval)."""
    emails = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    if not emails:
        raise ValidationFailed(details={"emails": ["Give at least one email address."]})
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("channel").get(pk=post.pk)
        if post.state == PostState.DRAFT:
            previous = post.state
            post.approval_round += 1
            post.approval_step = 0
            post.approval_expired_at = None
            post.state = PostState.NEEDS_APPROVAL
            post.approved_at = None
            post.save(
                update_fields=[
                    "approval_round",
                    "approval_step",
                    "approval_expired_at",
                    "state",
                    "approved_at",
                    "updated_at",
                ]
            )
            feed.add_history(
                post, "submitted", actor=actor.user, data={"round": post.approval_round, "clients": emails}
            )
            audit.record("cp.post.submit", post, actor=actor, changes={"state": [previous, post.state]})
        elif post.state != PostState.NEEDS_APPROVAL:
            raise ApprovalClosed(
                "Client approval can be asked for a draft or a post waiting for approval.",
                details={"state": post.state},
            )
        links = _issue_links(post, actor=actor, emails=emails, message=message, hours=expires_in_hours)
        feed.add_history(post, "clientApprovalRequested", actor=actor.user, message=message, data={"emails": emails})
        audit.record("cp.post.external_approval_requested", post, actor=actor, changes={"emails": emails})
    return links


def _issue_links(post: Post, *, actor: Principal | None, emails: list[str], message: str, hours: int) -> list:
    now = timezone.now()
    digest = content_digest(post)
    requester = actor.user if actor is not None else None
    sender = actor.label if actor is not None else "Your agency"
    links = []
    for email in emails:
        token, token_digest = secret_links.issue(SALT)
        link = ExternalApproval.objects.create(
            post=post,
            email=email,
            message=message,
            token_digest=token_digest,
            content_digest=digest,
            round=post.approval_round,
            step=post.approval_step,
            expires_at=now + timedelta(hours=hours),
            requested_by=requester,
        )
        links.append(link)
        intro = f"{message}\n\n" if message else ""
        notify(
            "contentplanner.approval.client_requested",
            to=[email],
            subject="Please approve a post",
            body=f"{sender} asks you to approve a post for {post.channel}.\n\n{intro}{post.text[:1000]}\n\n"
            f"Review it and approve or reject (the link works once, until {link.expires_at:%Y-%m-%d %H:%M} UTC):\n"
            f"{link_url(token)}",
            tenant_id=post.tenant_id,
            data={"postId": str(post.pk), "externalApprovalId": str(link.pk), "expiresAt": link.expires_at.isoformat()},
        )
    return links


@dataclass(frozen=True)
class OpenLink:
    link: ExternalApproval
    post: Post


def open_link(token: str) -> OpenLink:
    """The link and its post (tenant context entered by the caller with `link.tenant`); refused as the module says."""
    token_digest = secret_links.digest_of_token(token, SALT)
    if token_digest is None:
        raise ApprovalLinkInvalid()
    with tenancy.platform_access():
        link = (
            ExternalApproval.all_tenants.select_related("tenant", "post", "post__channel")
            .filter(token_digest=token_digest)
            .first()
        )
    if link is None or not link.tenant.is_usable:  # a suspended workspace's links stop working too
        raise ApprovalLinkInvalid()
    return OpenLink(link=link, post=link.post)


def assert_usable(link: ExternalApproval, post: Post) -> None:
    if link.state != ExternalApprovalState.PENDING:
        if link.state == ExternalApprovalState.WITHDRAWN:
            raise ApprovalLinkOutdated()
        raise ApprovalLinkUsed(details={"decision": link.state, "decidedAt": link.decided_at.isoformat()})
    if link.expires_at <= timezone.now():
        raise ApprovalLinkExpired()
    if link.round != post.approval_round or link.content_digest != content_digest(post):
        raise ApprovalLinkOutdated()
    if post.state != PostState.NEEDS_APPROVAL:
        raise ApprovalClosed(details={"state": post.state})


def decide(token: str, *, decision: str, comment: str = "") -> ExternalApproval:
    """The client's approve/reject through the link. Single use: the link row is locked and checked again."""
    if decision not in ("approve", "reject"):
        raise ValidationFailed(details={"decision": ["Must be approve or reject."]})
    if decision == "reject" and not comment.strip():
        raise ValidationFailed(details={"comment": ["Tell the team why you reject the post."]})
    opened = open_link(token)
    with tenancy.tenant_context(opened.link.tenant), transaction.atomic():
        link = ExternalApproval.objects.select_for_update().get(pk=opened.link.pk)
        post = Post.objects.select_for_update(of=("self",)).select_related("author", "channel").get(pk=link.post_id)
        assert_usable(link, post)
        now = timezone.now()
        label = f"client:{link.email}"
        link.state = ExternalApprovalState.ACCEPTED if decision == "approve" else ExternalApprovalState.REJECTED
        link.comment, link.decided_at = comment, now
        link.save(update_fields=["state", "comment", "decided_at", "updated_at"])
        data = {"client": link.email, "externalApprovalId": str(link.pk)}
        if decision == "reject":
            states.assert_transition(post, PostState.REJECTED)
            post.state, post.needs_attention = PostState.REJECTED, True
            post.save(update_fields=["state", "needs_attention", "updated_at"])
            feed.add_history(post, "rejected", message=comment, data=data)
            audit.record(
                "cp.post.reject", post, actor=None, actor_label=label, changes={"state": ["needsApproval", "rejected"]}
            )
            approval.notify_author(
                post, "contentplanner.approval.rejected", f"{link.email} rejected the post.", comment
            )
        else:
            approval.step_met(post, actor=None, actor_user=None, label=label, comment=comment, data=data)
        _tell_requester(link, post, decision, comment)
    return link


def _tell_requester(link: ExternalApproval, post: Post, decision: str, comment: str) -> None:
    if link.requested_by is None or link.requested_by_id == post.author_id:
        return  # the author is told by the approval service already
    verb = "approved" if decision == "approve" else "rejected"
    notify(
        f"contentplanner.approval.client_{verb}",
        to=[link.requested_by.email],
        subject=f"{link.email} {verb} a post",
        body=f"{link.email} {verb} post {post.pk}." + (f"\n\n{comment}" if comment else ""),
        tenant_id=post.tenant_id,
        data={"postId": str(post.pk), "decision": decision, "comment": comment},
    )


def restart_round(post: Post, *, actor: Principal) -> None:
    """The content of a post waiting for approval changed (post locked by the caller): a new round starts the chain
    again at its first step and sends the same clients fresh links; the old links and requests stop counting."""
    pending_clients = list(
        post.external_approvals.filter(round=post.approval_round, state=ExternalApprovalState.PENDING)
    )
    had_members = post.approval_requests.filter(round=post.approval_round).exists()
    post.approval_round += 1
    post.approval_step = 0
    post.approval_expired_at = None
    post.save(update_fields=["approval_round", "approval_step", "approval_expired_at", "updated_at"])
    ExternalApproval.objects.filter(pk__in=[link.pk for link in pending_clients]).update(
        state=ExternalApprovalState.WITHDRAWN, updated_at=timezone.now()
    )
    # The chain starts again at its first step (a round of clients only asks no members again).
    members = approval.approvers_for(post, 0) if had_members else []
    approval.ask_step(post, members)
    feed.add_history(
        post,
        "approvalRestarted",
        actor=actor.user,
        data={"round": post.approval_round, "clients": [link.email for link in pending_clients]},
    )
    audit.record("cp.post.approval_restarted", post, actor=actor, changes={"round": post.approval_round})
    notify(
        "contentplanner.approval.requested",
        to=[user.email for user in members],
        subject="A post you were asked to approve has changed",
        body=f"{actor.label} changed post {post.pk}; please review it again:\n\n{post.text[:500]}",
        tenant_id=post.tenant_id,
        data={"postId": str(post.pk), "round": post.approval_round},
    )
    for link in pending_clients:
        hours = max(1, int((link.expires_at - link.created_at).total_seconds() // 3600))
        _issue_links(post, actor=actor, emails=[link.email], message=link.message, hours=hours)


def remind(link_id, *, now=None) -> bool:
    """Remind the client of a pending link that expires soon, once: the reminder is claimed on the row first, so a
    second sweep (or a redelivered task) sends nothing. Runs in the link's tenant. True when a reminder was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = ExternalApproval.objects.filter(
            pk=link_id,
            state=ExternalApprovalState.PENDING,
            reminded_at__isnull=True,
            expires_at__gt=now,
            post__state=PostState.NEEDS_APPROVAL,
        ).update(reminded_at=now)
        if not claimed:
            return False
        link = ExternalApproval.objects.select_related("post__channel").get(pk=link_id)
        notify(
            "contentplanner.approval.client_reminder",
            to=[link.email],
            subject="Reminder: a post is waiting for your approval",
            body=f"The approval link we sent you for a post on {link.post.channel} expires at "
            f"{link.expires_at:%Y-%m-%d %H:%M} UTC. Open the link in our first email to approve or reject it.",
            tenant_id=link.tenant_id,
            data={"postId": str(link.post_id), "externalApprovalId": str(link.pk)},
            notice_id=f"cp-client-reminder-{link.pk}",
        )
        feed.add_system_message(link.post, "clientReminded", message=f"{link.email} was reminded.")
    return True


def preview(opened: OpenLink) -> dict:
    """What the client sees (inside the link's tenant): the post, and whether and why the link cannot be used."""
    link, post = opened.link, opened.post
    problem, problem_message = "", ""
    try:
        assert_usable(link, post)
    except (ApprovalLinkUsed, ApprovalLinkExpired, ApprovalLinkOutdated, ApprovalClosed) as exc:
        problem, problem_message = exc.code, exc.message
    media = [
        {"url": social_selectors.media_public_url(item.media) or "", "alt_text": item.alt_text}
        for item in post.media_items.select_related("media").order_by("position")
    ]
    return {
        "state": link.state,
        "usable": not problem,
        "problem": problem,
        "problem_message": problem_message,
        "expires_at": link.expires_at,
        "message": link.message,
        "workspace": link.tenant.name,
        "channel_name": post.channel.name,
        "network": post.channel.network,
        "post_type": post.post_type,
        "text": post.text,
        "title": post.title,
        "link_url": post.link_url,
        "first_comment": post.first_comment,
        "publish_at": post.publish_at,
        "media": media,
    }
