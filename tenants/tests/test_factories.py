"""The tenant-aware base factory creates rows the way the application does: inside their tenant."""

import factory

from core import tenancy
from tenants.models import Team
from tenants.tests.factories import MembershipFactory, TenantScopedFactory


class TeamFactory(TenantScopedFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


def test_a_scoped_row_belongs_to_the_tenant_given_and_is_seen_only_there(tenant, other_tenant):
    team = TeamFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        assert Team.objects.filter(pk=team.pk).exists()
    with tenancy.tenant_context(other_tenant):
        assert not Team.objects.filter(pk=team.pk).exists()
    assert tenancy.get_current_tenant() is None  # the factory left no context behind


def test_without_a_tenant_the_factory_makes_one_and_related_fields_pass_through(db):
    membership = MembershipFactory(user__email="ada@example.com")
    assert membership.user.email == "ada@example.com"
    with tenancy.tenant_context(membership.tenant):
        assert Team.objects.filter(is_default=True).exists()  # a real tenant, made by the service
