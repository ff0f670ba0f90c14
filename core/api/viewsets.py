"""The one protected base for tenant API views.

The tenant comes from the credential (set by authentication). Subclasses provide `scope_queryset()` (usually a
selector call) and per-action `required_permissions`; they never override `get_queryset`/`get_object`, so another
tenant's id and a missing id give the same 404.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from core import tenancy
from core.api.idempotency import IdempotencyMixin
from core.api.permissions import IsTenantMember, principal_of
from core.auth import Principal


class TenantAPIMixin:
    permission_classes = [IsTenantMember]
    required_permissions: dict[str, str | None] = {}

    @property
    def principal(self) -> Principal:
        principal = principal_of(self.request)
        assert principal is not None, "IsTenantMember guarantees a principal"
        return principal


class TenantAPIView(TenantAPIMixin, APIView):
    """A singleton resource or read model of the current tenant (no id in the path); permissions per HTTP method."""


UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class TenantViewSet(IdempotencyMixin, TenantAPIMixin, viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN

    def scope_queryset(self) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must define scope_queryset()")

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no credential: build the queryset for a throwaway tenant, and return none of it.
            from tenants.models import Tenant

            with tenancy.tenant_context(Tenant(pk=uuid.uuid4())):
                return self.scope_queryset().none()
        return self.scope_queryset()


class TenantModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    """Read endpoints; subclasses add create/update/destroy by calling services."""
