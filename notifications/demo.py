"""Demo data of the notifications app (called by `manage.py seed_demo`): integrations that work offline (in-app,
SMTP through the site's mail settings), Hubbub's default workflows, a digest workflow, a topic with the team, a
feed item for the owner, and a webhook endpoint pointed at a documentation host (deliveries fail visibly)."""

from __future__ import annotations

from django.db import transaction

from core import tenancy
from notifications.models import Integration, Subscriber, Topic, TopicSubscription, WebhookEndpoint, Workflow
from notifications.services import subscribers as subscriber_services
from notifications.services.triggers import trigger
from notifications.services.webhooks import new_secret
from notifications.services.workflows import ensure_default_workflows, validate_steps
from tenants import selectors as tenant_selectors
from tenants.models import Tenant, User


def seed_demo(*, tenant: Tenant, owner: User) -> list[Workflow]:
    """Idempotent: rows are found by identifier/key/transaction id and created once."""
    with tenancy.tenant_context(tenant), transaction.atomic():
        for identifier, channel, provider_id, primary in (
            ("hubbub-inapp", "in_app", "hubbub_inapp", True),
            ("site-smtp", "email", "smtp", True),
        ):
            if not Integration.objects.filter(identifier=identifier, is_deleted=False).exists():
                integration = Integration(
                    channel=channel,
                    provider_id=provider_id,
                    name=identifier,
                    identifier=identifier,
                    is_active=True,
                    is_primary=primary,
                )
                integration.credentials = {}
                integration.save()
        workflows = ensure_default_workflows(actor=None)
        digest, _ = Workflow.objects.get_or_create(
            identifier="comment.digest",
            defaults={
                "name": "Comment digest",
                "steps": validate_steps(
                    [
                        {"type": "digest", "amount": 5, "unit": "minutes"},
                        {
                            "type": "in_app",
                            "body": "{{step.digestCount}} new comments on your posts",
                            "actions": [{"key": "open", "label": "Open inbox", "url": "/inbox"}],
                        },
                    ]
                ),
            },
        )
        topic, _ = Topic.objects.get_or_create(key="team", defaults={"name": "Everyone in the workspace"})
        members = [subscriber_services.subscriber_for_user(m.user) for m in tenant_selectors.members()]
        present = set(TopicSubscription.objects.filter(topic=topic).values_list("subscriber_id", flat=True))
        for subscriber in members:
            if subscriber.pk not in present:
                TopicSubscription.objects.create(topic=topic, subscriber=subscriber)
        if not WebhookEndpoint.objects.exists():
            WebhookEndpoint.objects.create(
                url="https://example.com/hubbub-webhooks",
                event_types=["post.*"],
                secret_encrypted=new_secret(),
                description="Demo endpoint",
            )
        owner_subscriber = Subscriber.objects.get(user=owner) if members else None
        if owner_subscriber is not None:
            trigger(
                digest,
                triggered_by="demo",
                subscribers=[owner_subscriber],
                payload={"postId": "demo"},
                transaction_id="demo-welcome-digest",
            )
    return [*workflows, digest]
