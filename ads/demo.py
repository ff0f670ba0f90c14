"""Demo data of the ads app (called by `manage.py seed_demo`): the sandbox ad platform connected with two ad
accounts, synced (campaigns, ad sets, ads, 30 days of insights, a lead form with leads)."""

from __future__ import annotations

from ads.models import AdAccount
from ads.platforms.sandbox import SandboxAdsAdapter
from ads.services import sync
from ads.services.connect import save_grant
from core import tenancy
from core.auth import Principal
from tenants.models import Tenant, User
from tenants.roles import Role, permissions_for_role


def seed_demo(*, tenant: Tenant, owner: User) -> list[AdAccount]:
    """Idempotent: the grant's code is derived from the tenant, so re-running finds the same sandbox accounts and
    re-syncs them (upserts)."""
    actor = Principal(
        tenant=tenant, permissions=permissions_for_role(Role.OWNER), kind="user", user=owner, role=Role.OWNER
    )
    grant = SandboxAdsAdapter().exchange_code(code=f"demo-{tenant.pk}", redirect_uri="")
    with tenancy.acting_as(actor):
        accounts = save_grant(grant, platform_name="sandbox", actor=actor, team=None)
        for account in accounts:
            sync.sync_account(account.pk)
    return accounts
