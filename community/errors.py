"""Community error codes (stable; clients switch on `error.code`)."""

from __future__ import annotations

from core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed


class UsernameTaken(Conflict):
    code = "USERNAME_TAKEN"
    message = "This username is already taken in this community."


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"
    message = "A member with this email already exists."


class SsoIdTaken(Conflict):
    code = "SSO_ID_TAKEN"
    message = "A member with this ssoId already exists."


class RoleNameTaken(Conflict):
    code = "ROLE_NAME_TAKEN"
    message = "A role with this name already exists."


class RoleInUse(Conflict):
    code = "ROLE_IN_USE"
    message = "Members or boards still use this role."


class DefaultRoleLocked(Conflict):
    code = "DEFAULT_ROLE_LOCKED"
    message = "The default roles Admin, Moderator and Member cannot be deleted or renamed."


class TagNameTaken(Conflict):
    code = "TAG_NAME_TAKEN"
    message = "A tag with this name already exists."


class BoardNotEmpty(Conflict):
    code = "BOARD_NOT_EMPTY"
    message = "The board still has posts; move or delete them first."


class InvalidContentState(Conflict):
    code = "INVALID_STATE"
    message = "This action is not allowed in the content's current state."


class SlotNotConfigured(ValidationFailed):
    code = "REACTION_SLOT_NOT_CONFIGURED"
    message = "This reaction slot is not configured for the community."


class ActingMemberRequired(DomainError):
    status = 400
    code = "ACTING_MEMBER_REQUIRED"
    message = "Act as a member (X-Member-Id with a tenant API key, or a member token) to do this."


class MemberNotActive(PermissionDenied):
    code = "MEMBER_NOT_ACTIVE"
    message = "The member is not active in this community."


class MemberBanned(PermissionDenied):
    code = "MEMBER_BANNED"
    message = "The member is banned from this community."


class PostingNotAllowed(PermissionDenied):
    code = "BOARD_POSTING_RESTRICTED"
    message = "You may not post in this board."


class CommunityPermissionDenied(PermissionDenied):
    code = "COMMUNITY_FORBIDDEN"
    message = "Your community role does not allow this."


class SignupClosed(PermissionDenied):
    code = "SIGNUP_CLOSED"
    message = "This community does not accept new members this way."


class EmailNotVerified(ValidationFailed):
    code = "EMAIL_NOT_VERIFIED"
    message = "Only a verified email can be used for a member."
