"""Serializers of the tenants API, one module per resource; the package re-exports them for `views.py`.

- keys: API keys and the audit log
- me: the current user
- tenant: the current tenant (settings, theme, usage)
- subtenants, users, teams: their resources
- auth: /api/v1/auth/ (used by auth_views.py)
"""

from tenants.api.serializers.accounts import (
    LinkedAccountOutput,
    MauHistoryOutput,
    MauHistoryQueryInput,
    MauOutput,
)
from tenants.api.serializers.common import LOCALES, MAX_BATCH, PERMISSION_CHOICES
from tenants.api.serializers.keys import ApiKeyCreateInput, ApiKeyOutput, ApiKeyWithSecretOutput, AuditLogEntryOutput
from tenants.api.serializers.me import (
    MembershipSummaryOutput,
    MeOutput,
    MeUpdateInput,
    TenantSummaryOutput,
    UserProfileOutput,
)
from tenants.api.serializers.subtenants import SubTenantCreateInput, SubTenantUpdateInput
from tenants.api.serializers.teams import (
    BatchFailureOutput,
    BatchResultOutput,
    BatchSuccessOutput,
    BatchSummaryOutput,
    TeamCreateInput,
    TeamMemberBriefOutput,
    TeamMemberItemInput,
    TeamMemberOutput,
    TeamMembersAddInput,
    TeamMembersRemoveInput,
    TeamOutput,
    TeamUpdateInput,
)
from tenants.api.serializers.tenant import (
    HEX_COLOUR,
    SLUG_PATTERN,
    ExternalIdSerializer,
    ExternalIdsField,
    PlanOutput,
    SlugField,
    TenantOutput,
    TenantSettingsInput,
    TenantUpdateInput,
    ThemeSerializer,
    UsageItemOutput,
    UsageOutput,
    UsageQueryInput,
    external_ids_to_map,
)
from tenants.api.serializers.users import CustomPermissionsInput, MemberInviteInput, MemberOutput, MemberUpdateInput

__all__ = [
    "HEX_COLOUR",
    "LOCALES",
    "MAX_BATCH",
    "PERMISSION_CHOICES",
    "SLUG_PATTERN",
    "ApiKeyCreateInput",
    "ApiKeyOutput",
    "ApiKeyWithSecretOutput",
    "AuditLogEntryOutput",
    "BatchFailureOutput",
    "BatchResultOutput",
    "BatchSuccessOutput",
    "BatchSummaryOutput",
    "CustomPermissionsInput",
    "ExternalIdSerializer",
    "ExternalIdsField",
    "LinkedAccountOutput",
    "MauHistoryOutput",
    "MauHistoryQueryInput",
    "MauOutput",
    "MeOutput",
    "MeUpdateInput",
    "MemberInviteInput",
    "MemberOutput",
    "MemberUpdateInput",
    "MembershipSummaryOutput",
    "PlanOutput",
    "SlugField",
    "SubTenantCreateInput",
    "SubTenantUpdateInput",
    "TeamCreateInput",
    "TeamMemberBriefOutput",
    "TeamMemberItemInput",
    "TeamMemberOutput",
    "TeamMembersAddInput",
    "TeamMembersRemoveInput",
    "TeamOutput",
    "TeamUpdateInput",
    "TenantOutput",
    "TenantSettingsInput",
    "TenantSummaryOutput",
    "TenantUpdateInput",
    "ThemeSerializer",
    "UsageItemOutput",
    "UsageOutput",
    "UsageQueryInput",
    "UserProfileOutput",
    "external_ids_to_map",
]
