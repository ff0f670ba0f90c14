"""Credentials of a custom channel's public ticket API (issued by a tenant admin, shown once)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.schema import error_responses
from core.api.viewsets import TenantViewSet
from inbox.api import public_serializers as p
from inbox.services import public_api
from social.selectors import channels_visible_to

MANAGE = "inbox.config.manage"


class CustomChannelViewSet(TenantViewSet):
    """Custom channels (network `custom`) the caller sees."""

    required_permissions = {"credentials": MANAGE}

    def scope_queryset(self) -> QuerySet:
        return channels_visible_to(self.principal).filter(network=public_api.CUSTOM_NETWORK)

    @extend_schema(request=None, responses={201: p.CustomChannelCredentialOutput, **error_responses(404)})
    @action(detail=True, methods=["post"])
    def credentials(self, request, pk=None):
        """Issue the channel token and the webhook signing secret (replacing the previous pair: the old token stops
        working at once). Both are shown in this answer only."""
        channel = self.get_object()
        credential, token = public_api.issue_credentials(channel, actor=self.principal)
        data = {
            "channel_id": channel.pk,
            "token": token,
            "token_prefix": credential.token_prefix,
            "webhook_secret": credential.signing_secret,
            "webhook_url": (channel.config or {}).get("endpointUrl", ""),
        }
        return Response(p.CustomChannelCredentialOutput(data).data, status=status.HTTP_201_CREATED)
