"""Short-link endpoints (the public redirect `/s/<code>` is in social/public_urls.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from core.api.inputs import validated
from core.api.schema import ErrorSerializer, error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import NotFound
from social import selectors
from social.api.serializers import shortlinks as s
from social.api.serializers.channels import ConnectOutput, ReconnectInput
from social.api.views.channels import OAuthCallbackView
from social.services import shortlinks as shortlink_services


class ShortLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's short links with click counts. Needs the plan feature `linkShortener`."""

    serializer_class = s.ShortLinkOutput
    required_permissions = {
        "list": "social.shortlink.read",
        "retrieve": "social.shortlink.read",
        "*": "social.shortlink.write",
    }
    idempotent_actions = {"create"}
    filterset_fields = ["provider", "post_id"]
    search_fields = ["code", "target_url", "title"]
    ordering_fields = ["created_at", "click_count", "last_clicked_at"]

    def scope_queryset(self):
        return selectors.short_links()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication and permissions: the plan feature is a property of the caller's tenant.
        shortlink_services.require_link_shortener()

    @extend_schema(
        request=s.ShortLinkCreateInput,
        responses={
            201: s.ShortLinkOutput,
            403: OpenApiResponse(
                ErrorSerializer, description="`FORBIDDEN`, or `FEATURE_NOT_AVAILABLE` (plan lacks linkShortener)."
            ),
            409: OpenApiResponse(
                ErrorSerializer, description="`SHORTENER_NOT_CONFIGURED`: mode OWN without a bit.ly account."
            ),
            503: OpenApiResponse(
                ErrorSerializer, description="`SHORTENER_UNAVAILABLE`: bit.ly refused or could not be reached."
            ),
        },
    )
    def create(self, request):
        values = validated(s.ShortLinkCreateInput, request)
        link = shortlink_services.create_short_link(**values, actor=self.principal)
        return Response(s.ShortLinkOutput(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        shortlink_services.delete_short_link(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BitlyAccountView(TenantAPIView):
    """The tenant's own bit.ly token for shortener mode OWN: GET the connection, PUT a token, DELETE it.

    The token is write-only: no response contains it (it is stored encrypted).
    """

    required_permissions = {"get": "social.shortlink.read", "*": "social.channel.manage"}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        shortlink_services.require_link_shortener()

    @extend_schema(responses={200: s.BitlyAccountOutput, **error_responses(404)})
    def get(self, request):
        account = selectors.bitly_account()
        if account is None:
            raise NotFound("No bit.ly account is connected.")
        return Response(s.BitlyAccountOutput(account).data)

    @extend_schema(request=s.BitlyAccountInput, responses={200: s.BitlyAccountOutput})
    def put(self, request):
        values = validated(s.BitlyAccountInput, request)
        account = shortlink_services.set_bitly_account(**values, actor=self.principal)
        return Response(s.BitlyAccountOutput(account).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not shortlink_services.remove_bitly_account(actor=self.principal):
            raise NotFound("No bit.ly account is connected.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class BitlyConnectView(TenantAPIView):
    """Connect the tenant's own bit.ly account with OAuth (instead of pasting a token into PUT bitly-account)."""

    required_permissions = {"post": "social.channel.manage"}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        shortlink_services.require_link_shortener()

    @extend_schema(
        request=ReconnectInput,
        responses={
            200: ConnectOutput,
            409: OpenApiResponse(
                ErrorSerializer, description="`NETWORK_NOT_CONFIGURED`: details name the `missingSettings`."
            ),
            **error_responses(400, 403),
        },
    )
    def post(self, request):
        """bit.ly's authorize URL; its callback stores the token and sends the browser to `redirectUri` with
        `status=connected` or `status=error&code=...`."""
        values = validated(ReconnectInput, request)
        start = shortlink_services.start_bitly_connect(redirect_uri=values["redirect_uri"], actor=self.principal)
        return Response(ConnectOutput(start).data)


class BitlyCallbackView(OAuthCallbackView):
    """bit.ly sends the browser back here (no credential): the signed `state` names the tenant and the member."""

    def complete(self, params, **kwargs):
        return shortlink_services.handle_bitly_callback(params)
