"""The protected bases for tenant API views (PostHog's fail-closed base, Sentry's endpoint bases).

The tenant comes from the credential (set by authentication). Subclasses provide `scope_queryset()` (usually a
selector call) and `required_permissions` per action, HTTP method or `"action:method"`; they may not override
`get_queryset`, `get_object` or `get_permissions` (refused at class creation), so another tenant's id and a missing
id give the same 404 and no view rewrites its permissions per request.
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

PROTECTED_IN_EVERY_TENANT_VIEW = ("get_permissions",)
PROTECTED_IN_TENANT_VIEWSETS = ("get_queryset", "get_object", "get_permissions")


def _refuse_overrides(cls: type, base: type, names: tuple[str, ...]) -> None:
    # Walk the MRO down to the protected base: a mixin listed before it would override just as well.
    for klass in cls.__mro__:
        if klass is base:
            return
        for name in names:
            if name in vars(klass):
                raise TypeError(
                    f"{cls.__qualname__} may not override {name}() ({klass.__qualname__} does): define "
                    f"scope_queryset() for the rows and required_permissions (per action, method or "
                    f'"action:method") for the rules; {base.__name__} owns {", ".join(names)}.'
                )


def schema_principal() -> Principal:
    """The principal schema generation runs as: a throwaway tenant, no user, no rows (never saved)."""
    return Principal(
        tenant=tenancy.get_tenant_model()(pk=uuid.uuid4()),
        permissions=frozenset(),
        kind="schema",
        sees_all_channels=True,
    )


class TenantAPIMixin:
    permission_classes = [IsTenantMember]
    required_permissions: dict[str, str | None] = {}

    @property
    def principal(self) -> Principal:
        principal = principal_of(self.request)
        if principal is None and getattr(self, "swagger_fake_view", False):
            return schema_principal()
        assert principal is not None, "IsTenantMember guarantees a principal"
        return principal


class TenantAPIView(TenantAPIMixin, APIView):
    """A singleton resource or read model of the current tenant (no id in the path); permissions per HTTP method."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _refuse_overrides(cls, TenantAPIView, PROTECTED_IN_EVERY_TENANT_VIEW)


UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class TenantViewSet(IdempotencyMixin, TenantAPIMixin, viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _refuse_overrides(cls, TenantViewSet, PROTECTED_IN_TENANT_VIEWSETS)

    def scope_queryset(self) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must define scope_queryset()")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # A detail route (an id in the path) is found by its id alone: building the filter, search and ordering
        # backends for it would only cost time (and a stray `?state=` would 404 an object that exists).
        if (self.lookup_url_kwarg or self.lookup_field) in self.kwargs:
            return queryset
        return super().filter_queryset(queryset)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no credential: build the queryset for a throwaway tenant, and return none of it.
            with tenancy.acting_as(self.principal):
                return self.scope_queryset().none()
        return self.scope_queryset()


class TenantModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    """Read endpoints; subclasses add create/update/destroy by calling services."""
