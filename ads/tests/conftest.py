from __future__ import annotations

import pytest

from ads.platforms.sandbox import SandboxAdsAdapter
from ads.services import sync
from ads.services.connect import save_grant
from core import tenancy
from core.auth import Principal
from tenants.roles import Role, permissions_for_role


def principal_of(membership) -> Principal:
    return Principal(
        tenant=membership.tenant,
        permissions=permissions_for_role(membership.role),
        kind="user",
        user=membership.user,
        membership=membership,
        role=membership.role,
    )


@pytest.fixture
def sandbox_accounts(tenant, owner):
    """The tenant's two sandbox ad accounts, connected and synced (USD first)."""
    grant = SandboxAdsAdapter().exchange_code(code=f"code-{tenant.pk}", redirect_uri="")
    with tenancy.acting_as(principal_of(owner)):
        accounts = save_grant(grant, platform_name="sandbox", actor=principal_of(owner), team=None)
        for account in accounts:
            assert sync.sync_account(account.pk).status == "ok"
            account.refresh_from_db()
    return sorted(accounts, key=lambda a: a.currency != "USD")


@pytest.fixture
def usd_account(sandbox_accounts):
    return sandbox_accounts[0]


@pytest.fixture
def advertiser(tenant, make_member):
    return make_member(tenant, Role.ADVERTISER)
