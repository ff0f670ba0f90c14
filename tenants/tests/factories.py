from __future__ import annotations

import factory

from core import tenancy
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.services import workspaces


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.Factory):
    """Creates tenants through the service, so each has its default team like a real one."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Tenant {n}")
    plan = "business"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return workspaces.create_tenant(actor=None, **kwargs)

    _build = _create


class MembershipFactory:
    """MembershipFactory(tenant=..., role=..., **user_fields): a new user with a membership in the tenant."""

    def __new__(cls, *, tenant, role: str = Role.EDITOR, user: User | None = None, **user_fields) -> Membership:
        user = user or UserFactory(**user_fields)
        with tenancy.tenant_context(tenant):
            return Membership.objects.create(user=user, role=role)
