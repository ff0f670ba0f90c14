"""The deliverer installed into `core.notify`: every app's notices run through the tenant's workflows.

A notice for event `post.failed` triggers the tenant's active workflow with identifier `post.failed` for the
subscribers matching the recipients (members become subscribers automatically), idempotent on the notice id. When
the tenant has no such workflow, the email goes out through the tenant's email integrations (primary first, with
fallback) or, when it has none, through Django's mail settings, so every notice still arrives as an email.
"""

from __future__ import annotations

import logging

from core import notify, tenancy
from notifications.models import Integration, Workflow
from notifications.providers import adapter_for
from notifications.providers.base import OutboundMessage, ProviderError, UnknownOutcome
from notifications.services import integrations as integration_services
from notifications.services.subscribers import subscriber_for_email
from notifications.services.triggers import trigger
from tenants import selectors as tenant_selectors

logger = logging.getLogger(__name__)


class NoticeNotDelivered(Exception):
    """Every email integration failed; the notice task fails loudly instead of pretending."""


def deliver_notice(notice: notify.Notice) -> None:
    if not notice.tenant_id:
        notify.send_as_email(notice)
        return
    tenant = tenant_selectors.tenant_by_id(notice.tenant_id)
    if tenant is None:
        notify.send_as_email(notice)
        return
    with tenancy.tenant_context(tenant):
        workflow = Workflow.objects.filter(identifier=notice.event, is_active=True).first()
        if workflow is not None:
            subscribers = [subscriber_for_email(address) for address in notice.to]
            trigger(
                workflow,
                triggered_by=f"notice:{notice.event}",
                subscribers=subscribers,
                payload={"subject": notice.subject, "body": notice.body, **dict(notice.data)},
                transaction_id=f"notice-{notice.notice_id}",
            )
            return
        _send_email(notice)


def _send_email(notice: notify.Notice) -> None:
    context = {"payload": dict(notice.data), "subscriber": {}}
    integrations = [c.integration for c in integration_services.route("email", context) if c.eligible]
    if not integrations:
        if Integration.objects.filter(channel="email", is_deleted=False, is_active=True).exists():
            raise NoticeNotDelivered(f"No email integration applies to notice {notice.event}.")
        notify.send_as_email(notice)  # Django's mail settings, with the notice's attachments
        return
    for address in notice.to:
        message = OutboundMessage(
            subject=notice.subject, body=notice.body, to_email=address, attachments=tuple(notice.attachments)
        )
        for integration in integrations:
            try:
                adapter_for(integration.provider_id, integration.credentials).send(message)
            except UnknownOutcome:
                logger.warning("notice outcome unknown", extra={"event": notice.event, "integration": integration.pk})
                break
            except ProviderError as exc:
                logger.warning(
                    "notice email failed",
                    extra={"event": notice.event, "integration": integration.pk, "error": exc.code},
                )
                if exc.retryable:
                    integration_services.record_failure(integration)
                continue
            integration_services.record_success(integration)
            break
        else:
            raise NoticeNotDelivered(f"Every email integration failed for notice {notice.event}.")
