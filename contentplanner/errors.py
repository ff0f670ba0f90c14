"""Domain errors of the content planner, with stable codes (rendered by core's exception handler).

Codes: INVALID_STATE (409), APPROVAL_REQUIRED (409), SELF_APPROVAL (403), NOT_AN_APPROVER (403),
ALREADY_DECIDED (409), POST_PUBLISHED (409), TAG_EXISTS (409), CONTENT_RULES_VIOLATED (400),
PUBLISH_AT_IN_PAST (400), NONEXISTENT_LOCAL_TIME (400), UNKNOWN_TIMEZONE (400), NO_PUBLISH_AT (409),
CHANNEL_UNAVAILABLE (400), APPROVAL_LINK_INVALID (404), APPROVAL_LINK_USED / APPROVAL_LINK_EXPIRED /
APPROVAL_LINK_OUTDATED (410), APPROVAL_CLOSED (409), IMPORT_FILE_INVALID (400), CALENDAR_FEED_INVALID (404),
LINK_PREVIEW_FAILED (400).
"""

from __future__ import annotations

from core.errors import Conflict, DomainError, InvalidState, NotFound, PermissionDenied, ValidationFailed


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


class WorkingDraftExists(Conflict):
    code = "WORKING_DRAFT_EXISTS"
    message = "You already have a working draft: save, schedule or discard it first."


class NotAWorkingDraft(Conflict):
    code = "NOT_A_WORKING_DRAFT"
    message = "This post group is not your working draft."


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


class Gone(DomainError):
    """A secret link that existed but can no longer be used (410)."""

    status = 410
    code = "GONE"


class ApprovalLinkInvalid(NotFound):
    code = "APPROVAL_LINK_INVALID"
    message = "This approval link is not valid."


class ApprovalLinkUsed(Gone):
    code = "APPROVAL_LINK_USED"
    message = "This approval link has already been used."


class ApprovalLinkExpired(Gone):
    code = "APPROVAL_LINK_EXPIRED"
    message = "This approval link has expired. Ask for a new one."


class ApprovalLinkOutdated(Gone):
    code = "APPROVAL_LINK_OUTDATED"
    message = "The post was changed after this link was sent; a new link was sent for the current version."


class ApprovalClosed(Conflict):
    code = "APPROVAL_CLOSED"
    message = "This post is no longer waiting for approval."


class ImportFileInvalid(ValidationFailed):
    code = "IMPORT_FILE_INVALID"
    message = "The file is not a CSV the importer can read."


class CalendarFeedInvalid(NotFound):
    code = "CALENDAR_FEED_INVALID"
    message = "This calendar feed does not exist or was revoked."


class LinkPreviewFailed(ValidationFailed):
    code = "LINK_PREVIEW_FAILED"
    message = "The link could not be previewed."
