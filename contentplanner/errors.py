"""Domain errors of the content planner, with stable codes (rendered by core's exception handler).

Codes: INVALID_STATE (409), APPROVAL_REQUIRED (409), SELF_APPROVAL (403), NOT_AN_APPROVER (403),
ALREADY_DECIDED (409), POST_PUBLISHED (409), TAG_EXISTS (409), CONTENT_RULES_VIOLATED (400),
PUBLISH_AT_IN_PAST (400), NONEXISTENT_LOCAL_TIME (400), UNKNOWN_TIMEZONE (400), NO_PUBLISH_AT (409),
CHANNEL_UNAVAILABLE (400).
"""

from __future__ import annotations

from core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed


class InvalidPostState(InvalidState):
    """An illegal state transition; `details` holds {"state": current, "action"/"to": attempted}."""

    message = "This action is not allowed in the post's current state."


class ApprovalRequired(Conflict):
    code = "APPROVAL_REQUIRED"
    message = "Posts by your role must be approved before they are scheduled or published."


class SelfApproval(PermissionDenied):
    code = "SELF_APPROVAL"
    message = "You cannot approve or reject your own post."


class NotAnApprover(PermissionDenied):
    code = "NOT_AN_APPROVER"
    message = "You were not asked to approve this post."


class AlreadyDecided(Conflict):
    code = "ALREADY_DECIDED"
    message = "You have already decided on this post."


class PostPublished(Conflict):
    code = "POST_PUBLISHED"
    message = "A published post cannot be edited."


class TagExists(Conflict):
    code = "TAG_EXISTS"
    message = "A tag with this name already exists."


class ContentRulesViolated(ValidationFailed):
    """`details` maps fields to lists of {"code", "message"} from the channel network's content rules."""

    code = "CONTENT_RULES_VIOLATED"
    message = "The post does not meet the channel network's content rules."


class PublishAtInPast(ValidationFailed):
    code = "PUBLISH_AT_IN_PAST"
    message = "publishAt must be in the future."


class NonexistentLocalTime(ValidationFailed):
    code = "NONEXISTENT_LOCAL_TIME"
    message = "This local time does not exist in the time zone (daylight saving time gap)."


class UnknownTimezone(ValidationFailed):
    code = "UNKNOWN_TIMEZONE"
    message = "Unknown time zone."


class NoPublishAt(Conflict):
    code = "NO_PUBLISH_AT"
    message = "The post has no publish time."


class ChannelUnavailable(ValidationFailed):
    code = "CHANNEL_UNAVAILABLE"
    message = "The channel is not active or publishing is disabled for it."


class NoApprovers(Conflict):
    code = "NO_APPROVERS"
    message = "Nobody else in the tenant may approve this post."
