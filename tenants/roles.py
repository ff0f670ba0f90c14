"""Roles and permission strings: the one answer to "may this principal do X".

A role is a set of permission strings; a membership's `custom_permissions` adds or removes single ones; an API
key's scopes map to sets. Views declare the permission per action; services may check again for object rules.
"""

from __future__ import annotations

from django.db import models


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
}
ANALYTICS = {"cp.analytics.read", "cp.export"}
INBOX_WORK = {"inbox.ticket.read", "inbox.ticket.reply", "inbox.ticket.assign"}
MANAGE = {
    "social.channel.manage",
    "cp.campaign.manage",
    "cp.tag.manage",
    "inbox.config.manage",
    "tenants.team.manage",
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
APPROVE = {"cp.post.approve"}
ADS = {"ads.read", "ads.write"}

ALL_PERMISSIONS = frozenset(READ | EDIT_CONTENT | ANALYTICS | INBOX_WORK | MANAGE | ADMINISTER | OWN | APPROVE | ADS)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: ALL_PERMISSIONS,
    Role.ADMIN: ALL_PERMISSIONS - OWN,
    Role.MANAGER: frozenset(READ | EDIT_CONTENT | ANALYTICS | INBOX_WORK | MANAGE | APPROVE),
    Role.EDITOR: frozenset(READ | EDIT_CONTENT),
    Role.APPROVER: frozenset(READ | EDIT_CONTENT | APPROVE),
    Role.AGENT: frozenset(READ | INBOX_WORK),
    Role.ANALYST: frozenset(READ | ANALYTICS),
    Role.ADVERTISER: frozenset(READ | ADS),
    Role.VIEWER: frozenset(READ),
}


class ApiKeyScope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    USERS_PROVISION = "users:provision"


SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    ApiKeyScope.READ: frozenset(READ | ANALYTICS | {"inbox.ticket.read", "ads.read", "tenants.audit.read"}),
    ApiKeyScope.WRITE: frozenset(READ | EDIT_CONTENT | ANALYTICS | INBOX_WORK | MANAGE | APPROVE | ADS),
    ApiKeyScope.ADMIN: ALL_PERMISSIONS - OWN,
    ApiKeyScope.USERS_PROVISION: frozenset({"tenants.user.provision"}),
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
