"""Outgoing webhooks API (mounted at /api/v1/webhooks/): endpoints, secret rotation, deliveries, redelivery."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.inputs import validated
from core.api.viewsets import TenantAPIView, TenantViewSet
from notifications import selectors
from notifications.api import serializers as s
from notifications.services import webhooks as webhook_services

MANAGE = "webhooks.manage"


class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Endpoints receive signed events (Standard Webhooks); the secret is shown at creation and rotation only."""

    serializer_class = s.WebhookEndpointOutput
    required_permissions = {"*": MANAGE}
    idempotent_actions = {"create", "rotate_secret"}

    def scope_queryset(self):
        return selectors.webhook_endpoints()

    @extend_schema(request=s.WebhookEndpointInput, responses={201: s.WebhookEndpointWithSecretOutput})
    def create(self, request):
        endpoint = webhook_services.create_endpoint(actor=self.principal, **validated(s.WebhookEndpointInput, request))
        return Response(s.WebhookEndpointWithSecretOutput(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.WebhookEndpointUpdateInput, responses={200: s.WebhookEndpointOutput})
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()  # first: another tenant's id is a 404 whatever the body
        changes = validated(s.WebhookEndpointUpdateInput, request, partial=True)
        endpoint = webhook_services.update_endpoint(endpoint, actor=self.principal, **changes)
        return Response(s.WebhookEndpointOutput(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        webhook_services.delete_endpoint(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.WebhookEndpointWithSecretOutput})
    def rotate_secret(self, request, pk=None):
        """New secret (shown once); the old one still signs, as a second signature, for 24 hours."""
        endpoint = webhook_services.rotate_secret(self.get_object(), actor=self.principal)
        return Response(s.WebhookEndpointWithSecretOutput(endpoint).data)

    @extend_schema(responses={200: s.WebhookDeliveryOutput(many=True)})
    def deliveries(self, request, pk=None):
        """The endpoint's deliveries, newest first (paginated)."""
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.webhook_deliveries().filter(endpoint=endpoint))
        return self.get_paginated_response(s.WebhookDeliveryOutput(page, many=True).data)


class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.WebhookDeliveryDetailOutput
    required_permissions = {"*": MANAGE}
    idempotent_actions = {"redeliver"}

    def scope_queryset(self):
        return selectors.webhook_deliveries().prefetch_related("attempts")

    @extend_schema(request=None, responses={202: s.WebhookDeliveryOutput})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        """Send again now, with the same `webhook-id` (receivers dedupe on it)."""
        delivery = webhook_services.redeliver(self.get_object(), actor=self.principal)
        return Response(s.WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


class EventTypesView(TenantAPIView):
    required_permissions = {"get": MANAGE}

    @extend_schema(responses={200: s.EventTypeOutput(many=True)})
    def get(self, request):
        return Response(s.event_type_rows())
