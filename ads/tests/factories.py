"""Factories of the ads app (tenant-aware: pass `tenant=`)."""

from __future__ import annotations

import factory

from ads.models import AdAccount, AdAccountPermission, AdConnection, Campaign
from core import tenancy


class TenantScopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, tenant=None, **kwargs):
        if tenant is None:
            return super()._create(model_class, *args, **kwargs)
        with tenancy.tenant_context(tenant):
            return super()._create(model_class, *args, **kwargs)


class AdConnectionFactory(TenantScopedFactory):
    class Meta:
        model = AdConnection

    platform = "meta"
    external_user_id = factory.Sequence(lambda n: f"10{n:06d}")
    access_token = factory.Sequence(lambda n: f"EAAB-test-token-{n}")


class AdAccountFactory(TenantScopedFactory):
    class Meta:
        model = AdAccount

    platform = "meta"
    external_id = factory.Sequence(lambda n: f"act_55{n:08d}")
    name = factory.Sequence(lambda n: f"Ad account {n}")
    currency = "USD"
    tenant = None
    connection = factory.LazyAttribute(lambda o: AdConnectionFactory(tenant=o.tenant, platform=o.platform))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.pop("tenant", None)
        with tenancy.tenant_context(tenant):
            return model_class.objects.create(*args, **kwargs)


class AdAccountPermissionFactory(TenantScopedFactory):
    class Meta:
        model = AdAccountPermission

    permission = "VIEWER"


class CampaignFactory(TenantScopedFactory):
    class Meta:
        model = Campaign

    remote_id = factory.Sequence(lambda n: f"2385{n:08d}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    status = "ACTIVE"
    objective = "OUTCOME_TRAFFIC"
