"""Demo data of the notifications app (called by `manage.py seed_demo`): integrations that work offline (in-app,
SMTP through the site's mail settings), Hubbub's default workflows, a welcome item in the owner's in-app feed, a
digest workflow, a topic with the team, and a webhook endpoint pointed at a documentation host (deliveries fail
visibly)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from core import tenancy
from notifications.models import Subscriber, Topic, TopicSubscription, WebhookEndpoint, Workflow
from notifications.services import delivery
from notifications.services import subscribers as subscriber_services
from notifications.services.defaults import install_defaults
from notifications.services.triggers import trigger
from notifications.services.webhooks import new_secret
from notifications.services.workflows import validate_steps
from tenants import selectors as tenant_selectors


def _workflow(identifier: str, name: str, steps: list[dict[str, Any]]) -> Workflow:
    workflow, _ = Workflow.objects.get_or_create(
        identifier=identifier, defaults={"name": name, "steps": validate_steps(steps)}
    )
    return workflow


def seed_demo(*, tenant: Any, owner: AbstractBaseUser) -> list[Workflow]:
    """Idempotent: rows are found by identifier/key/transaction id and created once."""
    with tenancy.tenant_context(tenant), transaction.atomic():
        workflows = install_defaults(actor=None)
        welcome = _workflow(
            "hubbub.welcome",
            "Welcome",
            [
                {
                    "type": "in_app",
                    "subject": "Welcome to Hubbub",
                    "body": "Connect a channel and plan your first post.",
                    "actions": [{"key": "open", "label": "Open the planner", "url": "/planner"}],
                }
            ],
        )
        digest = _workflow(
            "comment.digest",
            "Comment digest",
            [
                {"type": "digest", "amount": 5, "unit": "minutes"},
                {
                    "type": "in_app",
                    "body": "{{step.digestCount}} new comments on your posts",
                    "actions": [{"key": "open", "label": "Open inbox", "url": "/inbox"}],
                },
            ],
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
                event_types=["notification.*", "webhook.*"],
                secret_encrypted=new_secret(),
                description="Demo endpoint",
            )
        owner_subscriber = Subscriber.objects.filter(user=owner).first()
        if owner_subscriber is not None:
            welcomed = trigger(
                welcome, triggered_by="demo", subscribers=[owner_subscriber], transaction_id="demo-welcome"
            )
            if welcomed.created:
                # In-app only, so it runs here and the feed has its item at once (the queued run then finds the
                # job claimed and does nothing).
                for job in welcomed.event.jobs.all():
                    delivery.run_job(str(job.pk))
            trigger(
                digest,
                triggered_by="demo",
                subscribers=[owner_subscriber],
                payload={"postId": "demo"},
                transaction_id="demo-welcome-digest",
            )
    return [*workflows, welcome, digest]
