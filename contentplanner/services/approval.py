"""The approval workflow: who must approve, submit, approve/reject under the tenant's policy.

Tenant settings (`Tenant.settings`, stored snake_case like every JSON field; camelCase on the wire):
- `approval_required` (bool, default false): posts of authors whose role lacks `cp.post.approve` must be approved
  before they are scheduled or published (schedule/publish from draft -> 409 APPROVAL_REQUIRED).
- `approval_required_roles` (list of roles, optional): overrides which authors' roles need approval.
- `approval_policy`: `any` (default; the first accept decides) or `all` (every requested approver must accept).
  One reject rejects under both.
- `approval_roles` (list of roles, optional): the roles asked to approve; default every member holding
  `cp.post.approve`. Only members who can see the post's channel are asked; the author never (no self-approval).
- `approval_chain` (list of steps, optional): ordered steps, each `{name, roles, policy}` (e.g. editor -> brand
  lead). A round starts at step 0; when a step's policy is met the next step's approvers are asked; the last step
  approves the post. One reject at any step rejects. Without a chain there is one step made of the settings above.
  Clients asked through approval links (services.external_approval) belong to the step that is current when asked.
- Expiry: a post still waiting when its publish time passes is flagged (needsAttention + a feed entry), never
  published; members who have not decided after REMIND_AFTER are reminded once (tasks, beat).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from contentplanner import states
from contentplanner.errors import (
    AlreadyDecided,
    ApprovalRequired,
    NoApprovers,
    NotAnApprover,
    SelfApproval,
)
from contentplanner.models import ApprovalRequest, ApprovalState, ExternalApprovalState, Post, PostState
from contentplanner.services import feed
from contentplanner.services.validation import content_errors_for, flatten
from core import audit, tenancy
from core.auth import Principal
from core.errors import ValidationFailed
from core.notify import notify
from social import selectors as social_selectors
from tenants import selectors as tenant_selectors
from tenants.roles import permissions_for_role

APPROVE_PERMISSION = "cp.post.approve"


def _settings() -> dict:
    return tenancy.require_current_tenant().settings or {}


def approval_policy() -> str:
    return "all" if _settings().get("approval_policy") == "all" else "any"


def approval_chain() -> list[dict]:
    """The tenant's steps; without a chain, one step from `approval_roles`/`approval_policy`."""
    steps = _settings().get("approval_chain") or []
    if not steps:
        return [{"name": "", "roles": _settings().get("approval_roles") or [], "policy": approval_policy()}]
    return [
        {
            "name": s.get("name", ""),
            "roles": s.get("roles") or [],
            "policy": "all" if s.get("policy") == "all" else "any",
        }
        for s in steps
    ]


def step_policy(post: Post) -> str:
    steps = approval_chain()
    return steps[min(post.approval_step, len(steps) - 1)]["policy"]


def approval_required_for(user: AbstractBaseUser | None) -> bool:
    """Whether posts authored by `user` must be approved before scheduling (API-key authors: never)."""
    config = _settings()
    if not config.get("approval_required") or user is None:
        return False
    membership = tenant_selectors.active_members().filter(user=user).first()
    if membership is None:
        return True
    required_roles = config.get("approval_required_roles")
    if required_roles:
        return membership.role in required_roles
    return APPROVE_PERMISSION not in permissions_for_role(membership.role, membership.custom_permissions)


def assert_may_skip_approval(post: Post) -> None:
    """Schedule/publish from (pre)draft: refused when the author's role needs approval."""
    if post.state in (PostState.PRE_DRAFT, PostState.DRAFT) and approval_required_for(post.author):
        raise ApprovalRequired()


def approvers_for(post: Post, step: int = 0) -> list[AbstractBaseUser]:
    """Members asked to approve `post` at `step` of the chain: the step's roles (default: holders of
    cp.post.approve), able to see its channel, never the author."""
    approver_roles = approval_chain()[step]["roles"]
    approvers = []
    for membership in social_selectors.members_who_see_channel(post.channel):
        if membership.user_id == post.author_id or not membership.user.is_active:
            continue
        if approver_roles:
            if membership.role not in approver_roles:
                continue
        elif APPROVE_PERMISSION not in permissions_for_role(membership.role, membership.custom_permissions):
            continue
        approvers.append(membership.user)
    return approvers


def open_approval_round(post: Post, *, actor: Principal, key: str = "submitted", reason: str = "") -> Post:
    """Move `post` (locked by the caller) to needsApproval with fresh requests for its approvers, and email them."""
    states.assert_transition(post, PostState.NEEDS_APPROVAL)
    approvers = approvers_for(post, 0)
    if not approvers:
        raise NoApprovers()
    previous = post.state
    post.approval_round += 1
    post.approval_step = 0
    post.approval_expired_at = None
    post.state = PostState.NEEDS_APPROVAL
    post.approved_at = None
    post.needs_attention = False
    post.next_attempt_at = None
    post.save(
        update_fields=[
            "approval_round",
            "approval_step",
            "approval_expired_at",
            "state",
            "approved_at",
            "needs_attention",
            "next_attempt_at",
            "updated_at",
        ]
    )
    ask_step(post, approvers)
    data = {"approvers": [str(u.pk) for u in approvers], "round": post.approval_round, "policy": step_policy(post)}
    if reason:
        data["reason"] = reason
    feed.add_history(post, key, actor=actor.user, data=data)
    audit.record("cp.post.submit", post, actor=actor, changes={"state": [previous, post.state], **data})
    notify(
        "contentplanner.approval.requested",
        to=[u.email for u in approvers],
        subject="A post is waiting for your approval",
        body=f"{actor.label} asks you to approve post {post.pk}:\n\n{post.text[:500]}",
        tenant_id=post.tenant_id,
        data={"postId": str(post.pk), "round": post.approval_round, "requestedBy": actor.label},
    )
    return post


def submit_post(post: Post, *, actor: Principal) -> Post:
    """draft -> needsApproval, asking every approver of the post."""
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
        states.assert_action(post, "submit")
        return open_approval_round(post, actor=actor)


def approve_post(post: Post, *, actor: Principal, comment: str = "") -> Post:
    """Record the actor's acceptance; when the policy is met the post becomes approved (or scheduled when its
    publishAt is still in the future and it meets the network's content rules)."""
    with transaction.atomic():
        post, request = _lock_for_decision(post, actor, "approve")
        now = timezone.now()
        request.state, request.comment, request.decided_at = ApprovalState.ACCEPTED, comment, now
        request.save(update_fields=["state", "comment", "decided_at", "updated_at"])
        step_met(post, actor=actor, actor_user=actor.user, label=actor.label, comment=comment)
    return post


def ask_step(post: Post, approvers: list[AbstractBaseUser]) -> None:
    """Create the current round/step's requests for `approvers` (post locked by the caller)."""
    ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                tenant=post.tenant, post=post, approver=user, round=post.approval_round, step=post.approval_step
            )
            for user in approvers
        ]
    )


def step_met(
    post: Post, *, actor: Principal | None, actor_user: AbstractBaseUser | None, label: str, comment: str, data=None
) -> Post:
    """An accept was recorded at the current step (post locked): wait for the others (`all`), ask the next step of
    the chain, or approve the post after the last step."""
    data = data or {}
    if step_policy(post) == "all" and still_waiting(post):
        feed.add_history(post, "approvalGiven", actor=actor_user, message=comment, data={**data, "policy": "all"})
        audit.record("cp.post.approval_given", post, actor=actor, actor_label=label, changes={"comment": comment})
        return post
    steps = approval_chain()
    if post.approval_step + 1 < len(steps):
        approvers = approvers_for(post, post.approval_step + 1)
        if approvers:
            post.approval_step += 1
            post.save(update_fields=["approval_step", "updated_at"])
            ask_step(post, approvers)
            step = steps[post.approval_step]
            feed.add_history(
                post,
                "approvalStepCompleted",
                actor=actor_user,
                message=comment,
                data={**data, "nextStep": post.approval_step, "nextStepName": step["name"]},
            )
            audit.record(
                "cp.post.approval_step", post, actor=actor, actor_label=label, changes={"step": post.approval_step}
            )
            notify(
                "contentplanner.approval.requested",
                to=[u.email for u in approvers],
                subject="A post is waiting for your approval",
                body=f"Post {post.pk} passed the previous approval step; it is your turn"
                f"{' (' + step['name'] + ')' if step['name'] else ''}:\n\n{post.text[:500]}",
                tenant_id=post.tenant_id,
                data={"postId": str(post.pk), "round": post.approval_round, "step": post.approval_step},
            )
            return post
        # A later step nobody can approve (no member in its roles sees the channel) does not block the post.
    return complete_approval(post, actor=actor, actor_user=actor_user, label=label, comment=comment, data=data)


def still_waiting(post: Post) -> bool:
    """Whether a member or a client asked at the current round and step has not accepted yet."""
    members = post.approval_requests.filter(round=post.approval_round, step=post.approval_step).exclude(
        state=ApprovalState.ACCEPTED
    )
    clients = post.external_approvals.filter(
        round=post.approval_round, step=post.approval_step, state=ExternalApprovalState.PENDING
    )
    return members.exists() or clients.exists()


def complete_approval(
    post: Post, *, actor: Principal | None, actor_user: AbstractBaseUser | None, label: str, comment: str, data=None
) -> Post:
    """The policy is met (post locked by the caller): approved, or scheduled when its publishAt is still ahead and
    it meets the network's content rules. `actor` None: a client through an approval link (`label` names them)."""
    now = timezone.now()
    previous = post.state
    target = PostState.APPROVED
    if post.publish_at and post.publish_at > now:
        errors = content_errors_for(post)
        if errors:
            post.warnings = flatten(errors)
        else:
            target = PostState.SCHEDULED
    states.assert_transition(post, target)
    post.state, post.approved_at, post.needs_attention = target, now, False
    post.save(update_fields=["state", "approved_at", "needs_attention", "warnings", "updated_at"])
    feed.add_history(post, "approved", actor=actor_user, message=comment, data={"state": target, **(data or {})})
    if target == PostState.SCHEDULED:
        feed.add_history(post, "scheduled", actor=actor_user, data={"publishAt": post.publish_at.isoformat()})
    audit.record(
        "cp.post.approve",
        post,
        actor=actor,
        actor_label=label,
        changes={"state": [previous, target], "comment": comment, **(data or {})},
    )
    notify_author(post, "contentplanner.approval.approved", f"Your post was approved by {label}.", comment)
    return post


def reject_post(post: Post, *, actor: Principal, comment: str) -> Post:
    """needsApproval -> rejected (one reject decides under both policies). A reason is required."""
    if not (comment or "").strip():
        raise ValidationFailed(details={"comment": ["A reason is required to reject a post."]})
    with transaction.atomic():
        post, request = _lock_for_decision(post, actor, "reject")
        request.state, request.comment, request.decided_at = ApprovalState.REJECTED, comment, timezone.now()
        request.save(update_fields=["state", "comment", "decided_at", "updated_at"])
        states.assert_transition(post, PostState.REJECTED)
        previous = post.state
        post.state, post.needs_attention = PostState.REJECTED, True
        post.save(update_fields=["state", "needs_attention", "updated_at"])
        feed.add_history(post, "rejected", actor=actor.user, message=comment)
        audit.record("cp.post.reject", post, actor=actor, changes={"state": [previous, post.state], "comment": comment})
        notify_author(post, "contentplanner.approval.rejected", f"Your post was rejected by {actor.label}.", comment)
    return post


def _lock_for_decision(post: Post, actor: Principal, action: str) -> tuple[Post, ApprovalRequest]:
    post = Post.objects.select_for_update(of=("self",)).select_related("author").get(pk=post.pk)
    states.assert_action(post, action)
    if actor.user is None:
        raise NotAnApprover("Approval decisions are made by members, not API keys.")
    if post.author_id == actor.user.pk:
        raise SelfApproval()
    request = ApprovalRequest.objects.filter(
        post=post, approver=actor.user, round=post.approval_round, step=post.approval_step
    ).first()
    if request is None:
        raise NotAnApprover()
    if request.state != ApprovalState.PENDING:
        raise AlreadyDecided()
    return post, request


def notify_author(post: Post, event: str, headline: str, comment: str) -> None:
    if post.author is None or not post.author.email:
        return
    body = f"{headline}\n\n{comment}" if comment else headline
    notify(
        event,
        to=[post.author.email],
        subject=headline,
        body=f"{body}\n\nPost {post.pk}",
        tenant_id=post.tenant_id,
        data={"postId": str(post.pk), "state": post.state, "comment": comment},
    )


REMIND_AFTER = timedelta(hours=24)


def sweep_post(post_id, *, now=None) -> dict:
    """The beat sweep for one waiting post (in its tenant): flag it once when its publish time has passed while it
    waits (it is never published unapproved), and remind, once each, the members of the current step who have not
    decided for REMIND_AFTER. Both are claimed on their rows first, so two sweeps do the work once."""
    now = now or timezone.now()
    done = {"expired": False, "reminded": 0}
    with transaction.atomic():
        expired = Post.objects.filter(
            pk=post_id, state=PostState.NEEDS_APPROVAL, publish_at__lte=now, approval_expired_at__isnull=True
        ).update(approval_expired_at=now, needs_attention=True)
        post = Post.objects.select_related("author").filter(pk=post_id).first()
        if post is None:
            return done
        if expired:
            done["expired"] = True
            feed.add_system_message(
                post,
                "approvalExpired",
                message="The publish time passed before the post was approved: it was not published.",
                data={"publishAt": post.publish_at.isoformat()},
            )
            audit.record("cp.post.approval_expired", post, actor=None)
            notify_author(post, "contentplanner.approval.expired", "Your post missed its publish time.", "")
        if post.state != PostState.NEEDS_APPROVAL:
            return done
        pending = post.approval_requests.filter(
            round=post.approval_round,
            step=post.approval_step,
            state=ApprovalState.PENDING,
            reminded_at__isnull=True,
            created_at__lte=now - REMIND_AFTER,
        ).select_related("approver")
        for request in pending:
            if not ApprovalRequest.objects.filter(pk=request.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            notify(
                "contentplanner.approval.reminder",
                to=[request.approver.email],
                subject="Reminder: a post is waiting for your approval",
                body=f"Post {post.pk} has been waiting for your decision since {request.created_at:%Y-%m-%d %H:%M} "
                f"UTC:\n\n{post.text[:500]}",
                tenant_id=post.tenant_id,
                data={"postId": str(post.pk), "round": post.approval_round, "step": post.approval_step},
                notice_id=f"cp-approval-reminder-{request.pk}",
            )
            done["reminded"] += 1
    return done
