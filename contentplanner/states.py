"""The post state machine: the ONE table of allowed transitions and the actions that use them.

`ALLOWED_TRANSITIONS` (from -> to) is what every writer checks with `assert_transition`; `ACTION_SOURCES` says
from which states each user action may start (the API and the transition-table test use it).
The publishing pipeline owns the moves into and out of `publishing` but checks this same table.
"""

from __future__ import annotations

from contentplanner.errors import InvalidPostState
from contentplanner.models import PostState as S

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    # preDraft (a working draft's post): save as draft, schedule, publish now, discard
    S.PRE_DRAFT: frozenset({S.DRAFT, S.SCHEDULED, S.PUBLISHING, S.DELETED}),
    # draft: submit, schedule, publish now, delete
    # (-> published: marked as published by hand, services.operations.mark_published; also from approved/scheduled/
    # failed)
    S.DRAFT: frozenset({S.NEEDS_APPROVAL, S.SCHEDULED, S.PUBLISHING, S.DELETED, S.PUBLISHED}),
    # needsApproval: approve (-> approved, or scheduled when publishAt is set and future), reject
    S.NEEDS_APPROVAL: frozenset({S.APPROVED, S.SCHEDULED, S.REJECTED}),
    # approved: schedule, publish now, delete, edit by a non-approver -> back to approval
    S.APPROVED: frozenset({S.SCHEDULED, S.PUBLISHING, S.DELETED, S.NEEDS_APPROVAL, S.PUBLISHED}),
    # rejected: edit -> draft, delete
    S.REJECTED: frozenset({S.DRAFT, S.DELETED}),
    # scheduled: claimed by the dispatcher, unschedule, edit by a non-approver -> back to approval
    S.SCHEDULED: frozenset({S.PUBLISHING, S.DRAFT, S.APPROVED, S.NEEDS_APPROVAL, S.PUBLISHED}),
    # publishing: success, final failure, or back to the queue for a retry with backoff (publishing engineer)
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED, S.SCHEDULED}),
    # failed: retry, delete
    S.FAILED: frozenset({S.SCHEDULED, S.DELETED, S.PUBLISHED}),
    S.PUBLISHED: frozenset(),
    S.DELETED: frozenset(),
}

# action -> states it may start from. `edit` is a content change (PATCH), not a state in itself.
ACTION_SOURCES: dict[str, frozenset[str]] = {
    "submit": frozenset({S.DRAFT}),
    "approve": frozenset({S.NEEDS_APPROVAL}),
    "reject": frozenset({S.NEEDS_APPROVAL}),
    "schedule": frozenset({S.PRE_DRAFT, S.DRAFT, S.APPROVED}),
    "unschedule": frozenset({S.SCHEDULED}),
    "publish": frozenset({S.PRE_DRAFT, S.DRAFT, S.APPROVED}),
    "retry": frozenset({S.FAILED}),
    "delete": frozenset({S.PRE_DRAFT, S.DRAFT, S.APPROVED, S.REJECTED, S.FAILED}),
    "edit": frozenset({S.PRE_DRAFT, S.DRAFT, S.NEEDS_APPROVAL, S.APPROVED, S.REJECTED, S.SCHEDULED, S.FAILED}),
    "save_draft": frozenset({S.PRE_DRAFT}),
}

# States whose posts are waiting for or in the hands of the publisher: their media must not be deleted.
PUBLISH_PENDING_STATES = frozenset({S.SCHEDULED, S.PUBLISHING})


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED_TRANSITIONS.get(from_state, frozenset())


def assert_transition(post, to_state: str) -> None:
    """Raise InvalidPostState (409 INVALID_STATE) unless `post.state -> to_state` is in the table."""
    if not can_transition(post.state, to_state):
        raise InvalidPostState(
            f"A {post.state} post cannot become {to_state}.", details={"state": post.state, "to": str(to_state)}
        )


def assert_action(post, action: str) -> None:
    """Raise InvalidPostState unless `action` may start from the post's current state."""
    if post.state not in ACTION_SOURCES[action]:
        raise InvalidPostState(f"Cannot {action} a {post.state} post.", details={"state": post.state, "action": action})
