"""What the generated route contract (core/tests/test_route_contract.py) needs for the ads routes."""

from __future__ import annotations

from core import tenancy

PATH_VALUES = {
    # A lead form of the world's demo ad account (the account itself is the viewset's own lookup).
    ("AdAccountViewSet", "form_id"): lambda world: _lead_form(world).pk,
    # The member whose per-account permission the route grants or revokes.
    ("AdAccountViewSet", "user_id"): lambda world: world.owner.user_id,
}


def _lead_form(world):
    from ads.models import LeadForm

    account = world.object_of("ads.AdAccount")
    with tenancy.platform_access():
        return LeadForm.all_tenants.filter(ad_account=account).order_by("created_at").first()
