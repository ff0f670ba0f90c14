from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import PageOrCursorPagination
from core.api.viewsets import TenantViewSet
from tenants import selectors
from tenants.api import serializers as s
from tenants.services import api_keys as api_key_services


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tenant API keys. The secret is returned once, at creation and rotation."""

    serializer_class = s.ApiKeyOutput
    required_permissions = {"*": "tenants.apikey.manage"}
    idempotent_actions = {"create", "rotate"}

    def scope_queryset(self):
        return selectors.api_keys()

    @extend_schema(request=s.ApiKeyCreateInput, responses={201: s.ApiKeyWithSecretOutput})
    def create(self, request):
        data = s.ApiKeyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = api_key_services.create_api_key(**data.validated_data, created_by=self.principal.user)
        return Response(s.ApiKeyWithSecretOutput(key, context={"raw_key": raw}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        api_key_services.revoke_api_key(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.ApiKeyWithSecretOutput})
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        key, raw = api_key_services.rotate_api_key(self.get_object())
        return Response(s.ApiKeyWithSecretOutput(key, context={"raw_key": raw}).data)


class AuditLogViewSet(mixins.ListModelMixin, TenantViewSet):
    """Who did what, when, from which credential (newest first). Read-only."""

    serializer_class = s.AuditLogEntryOutput
    required_permissions = {"*": "tenants.audit.read"}
    pagination_class = PageOrCursorPagination
    filterset_fields = ["action", "object_type", "object_id"]

    def scope_queryset(self):
        return selectors.audit_log_entries()
