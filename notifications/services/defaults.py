"""What every tenant starts with: offline integrations (the in-app feed, email through the site's mail settings)
and the workflows of Hubbub's own notices, so `core.notify` notices reach members in-app and by email from day one.
Installed for each new tenant (the `core.extensions` tenant-created hook) and by the demo; idempotent."""

from __future__ import annotations

from django.db import transaction

from core.auth import Principal
from notifications.models import Integration, Workflow
from notifications.services.workflows import ensure_default_workflows

# identifier, channel, provider, primary: both work without credentials (in-app is stored; SMTP without a host
# uses the site's own mail settings).
DEFAULT_INTEGRATIONS = (
    ("hubbub-inapp", "in_app", "hubbub_inapp", True),
    ("site-smtp", "email", "smtp", True),
)


def install_defaults(*, actor: Principal | None) -> list[Workflow]:
    """Create the missing default integrations and notice workflows in the current tenant; the workflows created."""
    with transaction.atomic():
        for identifier, channel, provider_id, primary in DEFAULT_INTEGRATIONS:
            if Integration.objects.filter(identifier=identifier, is_deleted=False).exists():
                continue
            # A tenant that already has an integration on the channel keeps it as its primary.
            has_primary = Integration.objects.filter(channel=channel, is_primary=True, is_deleted=False).exists()
            integration = Integration(
                channel=channel,
                provider_id=provider_id,
                name=identifier,
                identifier=identifier,
                is_active=True,
                is_primary=primary and not has_primary,
            )
            integration.credentials = {}
            integration.save()
        return ensure_default_workflows(actor=actor)


def install_for_new_tenant(tenant) -> None:
    """The tenant-created hook (registered in `NotificationsConfig.ready`); runs inside the new tenant's context."""
    install_defaults(actor=None)
