"""Campaign writes. Deleting a campaign detaches it from posts and groups (their campaign becomes empty)."""

from __future__ import annotations

from django.db import transaction

from contentplanner.models import Campaign
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

FIELDS = ("name", "description", "color", "starts_on", "ends_on")


def _check_dates(campaign: Campaign) -> None:
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise ValidationFailed(details={"endsOn": ["Must be on or after startsOn."]})


def create_campaign(*, actor: Principal, **data) -> Campaign:
    """Create a campaign (`color` lower-case hex, `ends_on` >= `starts_on`)."""
    campaign = Campaign(**{name: data[name] for name in FIELDS if name in data})
    _check_dates(campaign)
    with transaction.atomic():
        campaign.save()
        audit.record("cp.campaign.create", campaign, actor=actor, changes={"name": campaign.name})
    return campaign


def update_campaign(campaign: Campaign, *, actor: Principal, **changes) -> Campaign:
    """Partial update; the date rule holds on the merged values."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
        before = {name: getattr(campaign, name) for name in FIELDS}
        for name in FIELDS:
            if name in changes:
                setattr(campaign, name, changes[name])
        _check_dates(campaign)
        campaign.save()
        audit.record(
            "cp.campaign.update",
            campaign,
            actor=actor,
            changes=audit.diff(before, {n: getattr(campaign, n) for n in FIELDS}),
        )
    return campaign


def delete_campaign(campaign: Campaign, *, actor: Principal) -> None:
    """Delete the campaign; posts and groups keep existing without it (FK SET_NULL)."""
    with transaction.atomic():
        audit.record("cp.campaign.delete", campaign, actor=actor, changes={"name": campaign.name})
        campaign.delete()
