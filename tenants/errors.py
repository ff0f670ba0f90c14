"""Domain errors of the tenants app, with stable codes (rendered by core's exception handler)."""

from __future__ import annotations

from core.errors import Conflict, InvalidState, LimitReached, PermissionDenied


class FeatureNotAvailable(PermissionDenied):
    code = "FEATURE_NOT_AVAILABLE"
    message = "Your plan does not include this feature."


class UserLimitReached(LimitReached):
    message = "Your plan's user limit has been reached."


class OwnerRequired(PermissionDenied):
    code = "OWNER_REQUIRED"
    message = "Only an owner may grant, change or remove the owner role."


class PermissionEscalation(PermissionDenied):
    code = "PERMISSION_ESCALATION"
    message = "You cannot grant permissions you do not hold yourself."


class LastOwner(Conflict):
    code = "LAST_OWNER"
    message = "The last owner of a tenant cannot be demoted or removed."


class SlugTaken(Conflict):
    code = "SLUG_TAKEN"
    message = "This alias is already used by another tenant."


class ExternalIdTaken(Conflict):
    code = "EXTERNAL_ID_TAKEN"
    message = "This external id is already assigned to another tenant."


class AlreadyMember(Conflict):
    code = "ALREADY_MEMBER"
    message = "This user is already a member of the tenant."


class ExternalUserIdTaken(Conflict):
    code = "EXTERNAL_USER_ID_TAKEN"
    message = "This external user id is already used by another member."


class TeamNameTaken(Conflict):
    code = "TEAM_NAME_TAKEN"
    message = "A team with this name already exists."


class DefaultTeamUndeletable(Conflict):
    code = "DEFAULT_TEAM_UNDELETABLE"
    message = "The default team cannot be deleted."


class TenantNotEnableable(InvalidState):
    message = "Only pending or suspended tenants can be enabled."


# Per-item failure codes of the team member batch endpoints (seed 002 `failed[]`).
NOT_A_MEMBER = "NOT_A_MEMBER"
ALREADY_IN_TEAM = "ALREADY_IN_TEAM"
NOT_IN_TEAM = "NOT_IN_TEAM"
DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"
