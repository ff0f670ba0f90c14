"""What a tenant needs for Hubbub's own notices to run through workflows: the workflows, and integrations that
work without credentials (the in-app feed; email through the site's mail settings) on the channels where the tenant
has none, so invitations and password resets still arrive once the workflows exist. Used by `POST
/workflows/defaults`, the demo and every new tenant; idempotent."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.auth import Principal
from notifications.models import Integration, Workflow
from notifications.services.workflows import ensure_default_workflows

# identifier, channel, provider: in-app is stored; SMTP without a host uses the site's own mail settings.
DEFAULT_INTEGRATIONS = (
    ("hubbub-inapp", "in_app", "hubbub_inapp"),
    ("site-smtp", "email", "smtp"),
)


def install_defaults(*, actor: Principal | None) -> list[Workflow]:
    """Create the missing notice workflows, and a default integration on each channel without any; the workflows
    created."""
    with transaction.atomic():
        for identifier, channel, provider_id in DEFAULT_INTEGRATIONS:
            if Integration.objects.filter(channel=channel, is_deleted=False).exists():
                continue  # the tenant's own integration on the channel is the one to use
            integration = Integration(
                channel=channel,
                provider_id=provider_id,
                name=identifier,
                identifier=identifier,
                is_active=True,
                is_primary=True,
            )
            integration.credentials = {}
            integration.save()
        return ensure_default_workflows(actor=actor)


def install_for_new_tenant(tenant: Any) -> None:
    """The `core.extensions` tenant-created hook: a new tenant starts with the defaults (in its context already)."""
    install_defaults(actor=None)
