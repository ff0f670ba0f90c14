"""Roles and permission strings: the one answer to "may this principal do X".

A role is a set of permission strings; a membership's `custom_permissions` adds or removes single ones; an API
key's scopes map to sets. Views declare the permission per action; services may check again for object rules.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from core.auth import Principal


class Role(models.TextChoices):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    EDITOR = "EDITOR"
    APPROVER = "APPROVER"
    AGENT = "AGENT"
    ANALYST = "ANALYST"
    ADVERTISER = "ADVERTISER"
    VIEWER = "VIEWER"


READ = {
    "tenants.tenant.read",
    "tenants.user.read",
    "tenants.team.read",
    "social.channel.read",
    "social.media.read",
    "social.shortlink.read",
    "cp.post.read",
    "cp.campaign.read",
    "cp.tag.read",
    "community.read",
    "inbox.ticket.read",
}
# Editors schedule and publish their own posts; the tenant's approval settings decide whether a draft may go out
# unapproved (409 APPROVAL_REQUIRED), so the role does not have to.
EDIT_CONTENT = {
    "cp.post.write",
    "cp.post.comment",
    "cp.post.publish",
    "social.media.write",
    "social.shortlink.write",
    "cp.tag.write",
    "community.participate",
}
ANALYTICS = {"cp.analytics.read", "cp.export", "analytics.read"}
# Building dashboards, sharing them with clients and scheduling email reports (analysts and managers).
ANALYTICS_MANAGE = {"analytics.manage"}
INBOX_WORK = {"inbox.ticket.read", "inbox.ticket.reply", "inbox.ticket.assign"}
MANAGE = {
    "social.channel.manage",
    "cp.campaign.manage",
    "cp.tag.manage",
    "inbox.config.manage",
    "tenants.team.manage",
    "community.moderate",
    "community.manage",
}
ADMINISTER = {
    "tenants.tenant.manage",
    "tenants.user.manage",
    "tenants.apikey.manage",
    "tenants.audit.read",
    "tenants.subtenant.manage",
    "ads.account.manage",
    "notifications.manage",
}
OWN = {"tenants.plan.manage", "tenants.tenant.delete", "tenants.ownership.transfer"}
APPROVE = {"cp.post.approve", "community.moderate"}
# Community members created on first SSO sign-in (POST /api/v1/community/auth/token with a profile).
COMMUNITY_PROVISION = {"community.member.provision"}
ADS = {"ads.read", "ads.write"}
# Reading deliveries and feeds, managing subscribers/topics and triggering workflows is day-to-day work (managers,
# API keys with the write scope); integrations and workflows stay with "notifications.manage" (ADMINISTER); webhook
# endpoints hold secrets and point at outside systems, so they are administration too.
NOTIFICATIONS_WORK = {"notifications.read", "notifications.write"}
WEBHOOKS = {"webhooks.manage"}
# Inbox: triage, deletion and blocking are agents' work; sending or rejecting an agent's suggested reply is a
# manager's; erasing a person's data (GDPR) stays with administrators. Viewers read tickets.
INBOX_TRIAGE = {"inbox.ticket.work", "inbox.ticket.delete", "inbox.interactor.block"}
INBOX_APPROVE = {"inbox.ticket.approve"}
INBOX_ERASE = {"inbox.interactor.erase"}
# Inbox organisation: everyone who reads tickets reads (and uses) categories, templates and folders; shaping them for
# the team (the category tree, saved replies, shared folders) is a manager's.
INBOX_ORGANIZE = {"inbox.category.manage", "inbox.template.manage", "inbox.folder.manage"}
# Inbox alerts mail people about the tenant's tickets: set up by managers (business hours are inbox.config.manage).
INBOX_ALERTS = {"inbox.alert.manage"}
# Inbox reports (volumes, response times per agent): managers, analysts and administrators, not agents.
INBOX_REPORTS = {"inbox.report.read"}
# Smart rules and the keyword/interactor lists they read act on every incoming ticket: administrators only.
INBOX_RULES = {"inbox.rule.manage"}

ALL_PERMISSIONS = frozenset(
    READ
    | EDIT_CONTENT
    | ANALYTICS
    | INBOX_WORK
    | MANAGE
    | ADMINISTER
    | OWN
    | APPROVE
    | ADS
    | COMMUNITY_PROVISION
    | NOTIFICATIONS_WORK
    | WEBHOOKS
    | INBOX_TRIAGE
    | INBOX_APPROVE
    | INBOX_ERASE
    | INBOX_ORGANIZE
    | INBOX_ALERTS
    | INBOX_REPORTS
    | INBOX_RULES
    | ANALYTICS_MANAGE
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: ALL_PERMISSIONS,
    Role.ADMIN: ALL_PERMISSIONS - OWN,
    Role.MANAGER: frozenset(
        READ
        | EDIT_CONTENT
        | ANALYTICS
        | INBOX_WORK
        | INBOX_TRIAGE
        | INBOX_APPROVE
        | MANAGE
        | APPROVE
        | NOTIFICATIONS_WORK
        | INBOX_ORGANIZE
        | INBOX_ALERTS
        | INBOX_REPORTS
        | ANALYTICS_MANAGE
    ),
    Role.EDITOR: frozenset(READ | EDIT_CONTENT),
    Role.APPROVER: frozenset(READ | EDIT_CONTENT | APPROVE),
    Role.AGENT: frozenset(READ | INBOX_WORK | INBOX_TRIAGE),
    Role.ANALYST: frozenset(READ | ANALYTICS | ANALYTICS_MANAGE | INBOX_REPORTS),
    Role.ADVERTISER: frozenset(READ | ADS),
    Role.VIEWER: frozenset(READ),
}


class ApiKeyScope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    USERS_PROVISION = "users:provision"


SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    ApiKeyScope.READ: frozenset(
        READ | ANALYTICS | INBOX_REPORTS | {"inbox.ticket.read", "ads.read", "tenants.audit.read", "notifications.read"}
    ),
    ApiKeyScope.WRITE: frozenset(
        READ
        | EDIT_CONTENT
        | ANALYTICS
        | INBOX_WORK
        | INBOX_TRIAGE
        | INBOX_APPROVE
        | MANAGE
        | APPROVE
        | ADS
        | NOTIFICATIONS_WORK
        | INBOX_ORGANIZE
        | INBOX_ALERTS
        | INBOX_REPORTS
        | ANALYTICS_MANAGE
    ),
    ApiKeyScope.ADMIN: ALL_PERMISSIONS - OWN,
    ApiKeyScope.USERS_PROVISION: frozenset({"tenants.user.provision"} | COMMUNITY_PROVISION),
}


def permissions_for_role(role: str, custom: dict | None = None) -> frozenset[str]:
    """The role's permissions with a membership's custom additions and removals applied."""
    granted = set(ROLE_PERMISSIONS[role])
    if custom:
        granted |= set(custom.get("add", [])) & ALL_PERMISSIONS
        granted -= set(custom.get("remove", []))
    return frozenset(granted)


def role_within(role: str, cap: str) -> bool:
    """Whether `role` grants nothing that `cap` does not (roles are sets, not a ladder: AGENT is not within EDITOR)."""
    return ROLE_PERMISSIONS[role] <= ROLE_PERMISSIONS[cap]


def permissions_for_scopes(scopes: list[str]) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS.get(scope, frozenset())
    return frozenset(granted)


# --- principals: the role policy applied once, when a principal is built -------------------------------------------

ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})


def principal_policy(principal: Principal) -> tuple[bool, bool]:
    """(is_tenant_admin, sees_all_channels): OWNER/ADMIN members administer the tenant; they and machine
    credentials (no user) see every channel, other members their teams' channels. Installed in TenantsConfig.ready().
    """
    is_admin = principal.role in ADMIN_ROLES
    return is_admin, principal.user is None or is_admin


def member_principal(
    membership: Any,
    *,
    tenant: Any = None,
    kind: str = "user",
    session_id: Any = None,
    claims: dict | None = None,
    permissions: frozenset[str] | None = None,
) -> Principal:
    """The principal of an active member (JWT requests, OAuth callbacks, demo data). `permissions` narrows the
    role's (a session minted by token exchange holds no more than the key that minted it)."""
    return Principal(
        tenant=tenant if tenant is not None else membership.tenant,
        permissions=permissions
        if permissions is not None
        else permissions_for_role(membership.role, membership.custom_permissions),
        kind=kind,
        user=membership.user,
        membership=membership,
        role=membership.role,
        session_id=session_id,
        claims=claims or {},
    )


def api_key_principal(key: Any, *, caller_name: str = "") -> Principal:
    """The principal of a tenant API key (its scopes are its permissions; it sees every channel)."""
    return Principal(
        tenant=key.tenant,
        permissions=permissions_for_scopes(key.valid_scopes),
        kind="api_key",
        api_key=key,
        caller_name=caller_name[:120],
    )


def staff_principal(tenant: Any, user: Any) -> Principal:
    """Platform staff acting on a tenant from the admin: audited under their name, sees the whole tenant."""
    return Principal(
        tenant=tenant,
        permissions=frozenset(),
        kind="staff",
        user=user,
        is_tenant_admin=True,
        sees_all_channels=True,
    )
