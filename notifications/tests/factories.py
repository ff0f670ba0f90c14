"""Factories of the notifications app; they create rows inside the tenant given as `tenant=`."""

from __future__ import annotations

import factory

from core import tenancy
from notifications.models import Integration, Subscriber, Topic, WebhookEndpoint, Workflow
from notifications.services.webhooks import new_secret


class TenantScopedFactory(factory.django.DjangoModelFactory):
    """`tenant=` is required; the row is saved inside that tenant's context."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, tenant, **kwargs):
        with tenancy.tenant_context(tenant):
            return super()._create(model_class, *args, **kwargs)


class SubscriberFactory(TenantScopedFactory):
    class Meta:
        model = Subscriber

    subscriber_id = factory.Sequence(lambda n: f"sub-{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    phone = factory.Sequence(lambda n: f"+4915100{n:05d}")
    first_name = "Ada"
    last_name = "Lovelace"


class IntegrationFactory(TenantScopedFactory):
    class Meta:
        model = Integration

    channel = "email"
    provider_id = "sendgrid"
    name = factory.Sequence(lambda n: f"Integration {n}")
    identifier = factory.Sequence(lambda n: f"integration-{n}")
    is_active = True
    credentials_encrypted = '{"api_key": "SG.test", "from": "noreply@acme.test"}'


class WorkflowFactory(TenantScopedFactory):
    class Meta:
        model = Workflow

    identifier = factory.Sequence(lambda n: f"workflow-{n}")
    name = factory.Sequence(lambda n: f"Workflow {n}")
    steps = factory.LazyFunction(
        lambda: [
            {"type": "in_app", "body": "Hello {{subscriber.firstName}}: {{payload.title}}"},
            {"type": "email", "subject": "{{payload.title}}", "body": "Hi {{subscriber.firstName}}"},
        ]
    )


class TopicFactory(TenantScopedFactory):
    class Meta:
        model = Topic

    key = factory.Sequence(lambda n: f"topic-{n}")
    name = "A topic"


class WebhookEndpointFactory(TenantScopedFactory):
    class Meta:
        model = WebhookEndpoint

    url = "https://hooks.example.com/hubbub"
    secret_encrypted = factory.LazyFunction(new_secret)
