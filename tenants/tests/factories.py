"""Test data for the tenants app, and the tenant-aware base every app's `tests/factories.py` builds on.

`TenantScopedFactory` is the base for any `TenantScopedModel`: it takes `tenant=` (a new tenant by default) and
creates the row inside that tenant's context, as the application would, so the scoped manager, the tenant stamp and
PostgreSQL's row-level security all apply. Related rows of the same tenant follow with `tenant=factory.SelfAttribute(
"..tenant")` in a SubFactory.

    class ChannelFactory(TenantScopedFactory):
        class Meta:
            model = Channel
        name = factory.Sequence(lambda n: f"Channel {n}")
"""

from __future__ import annotations

import factory
from django.utils import timezone

from core import tenancy
from tenants.models import Membership, Tenant, User
from tenants.roles import Role
from tenants.services import workspaces


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email_verified_at = factory.LazyFunction(timezone.now)  # unverified users are made by register/invite
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    """A tenant made by the service, so it has its default team like a real one."""

    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    plan = "business"

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Tenant:
        return workspaces.create_tenant(actor=None, **kwargs)


class TenantScopedFactory(factory.django.DjangoModelFactory):
    """Base factory of every tenant-owned model: built in its tenant's context (see the module docstring)."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.pop("tenant")
        with tenancy.tenant_context(tenant):
            return model_class.objects.create(*args, **kwargs)


class MembershipFactory(TenantScopedFactory):
    """A membership of a new user (or `user=`) in `tenant`; `user__email=` etc. shape the new user."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR
