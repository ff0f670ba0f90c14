"""The one protected base for tenant API views.

The tenant comes from the credential (set by authentication). Subclasses provide `scope_queryset()` (usually a
selector call) and per-action `required_permissions`; they never override `get_queryset`/`get_object`, so another
tenant's id and a missing id give the same 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

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


class TenantViewSet(IdempotencyMixin, TenantAPIMixin, viewsets.GenericViewSet):
    lookup_value_converter = "uuid"

    def scope_queryset(self) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must define scope_queryset()")

    def get_queryset(self) -> QuerySet:
        queryset = self.scope_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return queryset


class TenantModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    """Read endpoints; subclasses add create/update/destroy by calling services."""
