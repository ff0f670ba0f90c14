"""Channel endpoints: list/detail/update/disconnect, counts, direct create, OAuth connect + callback, token upkeep,
and a team's channel set. Thin: parsing here, rules in social.services, reads in social.selectors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

import django_filters
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from djangorestframework_camel_case.util import camelize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.inputs import resolve_ids, validated
from core.api.pagination import PageNumberPagination
from core.api.schema import ErrorSerializer, error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import InvalidState, NotFound
from social import selectors
from social.api.serializers import channels as s
from social.models import Channel, ChannelNetwork, ChannelStatus
from social.models.channels import CONNECTABLE_NETWORKS
from social.networks import catalog
from social.networks.catalog import LOOKUP_KINDS
from social.services import channels as channel_services
from social.services import lookups as lookup_services
from social.services import media_proxy as media_proxy_services
from social.services import oauth as oauth_services
from social.services import token_owners as token_owner_services
from social.services import tokens as token_services
from tenants import selectors as tenant_selectors

if TYPE_CHECKING:
    from tenants.models import Team

READ, MANAGE = "social.channel.read", "social.channel.manage"


def teams_by_id(team_ids: Iterable[uuid.UUID], field: str = "teamIds") -> list[Team]:
    """The current tenant's teams with these ids; unknown ids (or another tenant's) are a 400 naming them."""
    return resolve_ids(tenant_selectors.teams(), dict.fromkeys(team_ids), field=field, label="team")


def team_or_none(team_id: uuid.UUID | None) -> Team | None:
    return teams_by_id([team_id], "teamId")[0] if team_id else None


class ChannelFilter(django_filters.FilterSet):
    network = django_filters.ChoiceFilter(choices=ChannelNetwork.choices)
    status = django_filters.ChoiceFilter(choices=ChannelStatus.choices)
    team = django_filters.UUIDFilter(field_name="team_links__team_id", help_text="Channels assigned to this team.")
    token_owner = django_filters.UUIDFilter(
        field_name="token_owners__user_id", distinct=True, help_text="Channels holding this user's token."
    )

    class Meta:
        model = Channel
        fields = ["network", "status", "team", "token_owner"]


NETWORK_ERROR_RESPONSES = {
    409: OpenApiResponse(ErrorSerializer, description="`CHANNEL_NEEDS_ATTENTION` or `INVALID_STATE`."),
    503: OpenApiResponse(ErrorSerializer, description="`NETWORK_UNAVAILABLE`: try again later."),
}


class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Channels visible to the caller: all of the tenant's for OWNER/ADMIN and API keys, else their teams'."""

    serializer_class = s.ChannelOutput
    filterset_class = ChannelFilter
    search_fields = ["name", "username", "external_id"]
    ordering_fields = ["name", "network", "status", "created_at"]
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "counts": READ,
        "networks": READ,
        "lookup": READ,
        "token_owners": READ,
        "media_proxy": READ,
        "*": MANAGE,
    }
    idempotent_actions = {"create"}

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return selectors.channels()
        return selectors.channels_visible_to(self.principal)

    @extend_schema(request=s.ChannelCreateInput, responses={201: s.ChannelOutput})
    def create(self, request):
        values = dict(validated(s.ChannelCreateInput, request))
        teams = teams_by_id(values.pop("team_ids", []))
        if "config" in values:
            # The parser underscoreized the nested keys; config is stored with its documented camelCase keys.
            values["config"] = json.loads(json.dumps(camelize(values["config"])))
        channel = channel_services.create_direct_channel(**values, teams=teams, actor=self.principal)
        return Response(self._output(channel), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ChannelUpdateInput, responses={200: s.ChannelOutput})
    def partial_update(self, request, pk=None):
        channel = self.get_object()
        values = dict(validated(s.ChannelUpdateInput, request))
        teams = teams_by_id(values.pop("team_ids")) if "team_ids" in values else None
        channel = channel_services.update_channel(channel, **values, teams=teams, actor=self.principal)
        return Response(self._output(channel))

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        """Disconnect: revoke the grant where the network offers it, forget the tokens, keep the history."""
        channel_services.disconnect_channel(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.ChannelCountsOutput})
    @action(detail=False, methods=["get"])
    def counts(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return Response(s.ChannelCountsOutput(selectors.channel_counts(queryset)).data)

    @extend_schema(responses={200: s.NetworkOutput(many=True)})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def networks(self, request):
        """Every network: how it is connected, whether this installation is configured for it (else the
        environment variables to set), what its adapter can do and its content rules."""
        return Response(s.NetworkOutput([asdict(info) for info in catalog.all_networks()], many=True).data)

    @extend_schema(
        request=s.ConnectInput,
        responses={
            200: s.ConnectOutput,
            409: OpenApiResponse(
                ErrorSerializer, description="`NETWORK_NOT_CONFIGURED`: details name the `missingSettings`."
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def connect(self, request):
        """Start an OAuth connect: the network's authorize URL with our signed, single-use, 10-minute `state`.
        The callback sends the browser back to `redirectUri` with `status=connected&channelIds=...`, or, with
        `choose`, `status=choose&grantId=...` for the user to pick the pages that become channels."""
        values = validated(s.ConnectInput, request)
        start = oauth_services.start_connect(
            network=values["network"],
            redirect_uri=values["redirect_uri"],
            team=team_or_none(values.get("team_id")),
            choose=values["choose"],
            actor=self.principal,
        )
        return Response(s.ConnectOutput(start).data)

    def _grant(self, grant_id):
        grant = selectors.open_connect_grant(self.principal, grant_id)
        if grant is None:
            raise NotFound("No open choice with this id (made already, expired, or someone else's).")
        return grant

    @extend_schema(responses={200: s.ConnectGrantOutput, **error_responses(404)})
    @action(
        detail=False,
        methods=["get"],
        url_path=r"grants/(?P<grant_id>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})",
        filter_backends=[],
        pagination_class=None,
    )
    def grant(self, request, grant_id=None):
        """The accounts (pages, organizations) an OAuth grant reaches, for the user who connected to choose from."""
        grant = self._grant(grant_id)
        accounts = oauth_services.grant_accounts(grant)
        connected = selectors.connected_external_ids(grant.network, [a.external_id for a in accounts])
        return Response(
            s.ConnectGrantOutput(
                {
                    "id": grant.pk,
                    "network": grant.network,
                    "expires_at": grant.expires_at,
                    "accounts": [
                        {**asdict(account), "is_connected": account.external_id in connected} for account in accounts
                    ],
                }
            ).data
        )

    @extend_schema(
        request=s.ConnectGrantChoiceInput,
        responses={201: s.ChannelOutput(many=True), **error_responses(400, 404, 409)},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path=r"grants/(?P<grant_id>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/select",
        filter_backends=[],
        pagination_class=None,
    )
    def choose_accounts(self, request, grant_id=None):
        """Connect the chosen accounts of the grant as channels (once; the plan's channel limit applies)."""
        grant = self._grant(grant_id)
        values = validated(s.ConnectGrantChoiceInput, request)
        channels = oauth_services.choose_accounts(grant, actor=self.principal, external_ids=values["external_ids"])
        output = [self._output(channel) for channel in channels]
        return Response(output, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.WordPressConnectInput, responses={201: s.ChannelOutput(many=True), 503: NETWORK_ERROR_RESPONSES[503]}
    )
    @action(detail=False, methods=["post"], url_path="connect/wordpress", filter_backends=[], pagination_class=None)
    def connect_wordpress(self, request):
        """Connect a WordPress site with an application password (verified against the site)."""
        values = dict(validated(s.WordPressConnectInput, request))
        team = team_or_none(values.pop("team_id", None))
        channels = oauth_services.connect_wordpress(**values, team=team, actor=self.principal)
        return Response([self._output(c) for c in channels], status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReconnectInput, responses={200: s.ConnectOutput})
    @action(detail=True, methods=["post"])
    def reconnect(self, request, pk=None):
        """An authorize URL bound to this channel: the grant updates its tokens (never creates another channel)."""
        channel = self.get_object()
        if channel.network not in CONNECTABLE_NETWORKS:
            raise InvalidState(f"{channel.network} channels are not connected with OAuth.")
        values = validated(s.ReconnectInput, request)
        start = oauth_services.start_connect(
            network=channel.network, redirect_uri=values["redirect_uri"], channel=channel, actor=self.principal
        )
        return Response(s.ConnectOutput(start).data)

    @extend_schema(request=None, responses={200: s.ChannelOutput, **NETWORK_ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="refresh-token")
    def refresh_token(self, request, pk=None):
        """Refresh the channel's access token now (single-flight with the background refresher)."""
        channel = self.get_object()
        if channel.status == ChannelStatus.DISCONNECTED or (not channel.refresh_token and not channel.access_token):
            raise InvalidState("This channel has no token to refresh; reconnect it.")
        with lookup_services.network_errors_as_domain_errors():
            channel = token_services.refresh_channel_token(channel, force=True, actor=self.principal)
        return Response(self._output(channel))

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(LOOKUP_KINDS)),
            OpenApiParameter("q", OpenApiTypes.STR, description="What the user typed (name, @handle, vanity name)."),
            OpenApiParameter(
                "parent", OpenApiTypes.STR, description="board-sections: the board id; products: a catalog id."
            ),
        ],
        responses={
            200: s.LookupOutput(many=True),
            400: OpenApiResponse(ErrorSerializer, description="`VALIDATION_ERROR`: `parent` missing or unknown."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`NOT_SUPPORTED` (the network offers no such picker; see `lookups` on "
                "GET /channels/networks), `CHANNEL_NEEDS_ATTENTION` or `INVALID_STATE` (disconnected).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="`RATE_LIMITED` by the network (`Retry-After`)."),
            503: NETWORK_ERROR_RESPONSES[503],
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"lookups/(?P<kind>[a-z-]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def lookup(self, request, pk=None, kind=None):
        """Composer pickers through the network: Pinterest `boards` and `board-sections`, Facebook page
        `locations`, Instagram shop `products`, accounts to `mentions` (Facebook pages, LinkedIn organizations by
        vanity name, X by exact @username). Cached for a few minutes per channel and question."""
        channel = self.get_object()
        results = lookup_services.lookup(
            channel, kind, query=request.query_params.get("q", ""), parent=request.query_params.get("parent", "")
        )
        return Response(s.LookupOutput([asdict(result) for result in results], many=True).data)

    @extend_schema(responses={200: s.TokenOwnerOutput(many=True)})
    @action(detail=True, methods=["get"], url_path="token-owners", filter_backends=[], pagination_class=None)
    def token_owners(self, request, pk=None):
        """Whose tokens the channel holds (never the tokens): the one in use first, then the fallbacks used when
        the network refuses it. Connecting the channel again as another person adds an owner."""
        return Response(s.TokenOwnerOutput(selectors.token_owners(self.get_object()), many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: s.TokenOwnerRemovalOutput,
            404: OpenApiResponse(
                ErrorSerializer, description="`NOT_FOUND`: no such channel, or no token of this user."
            ),
        },
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"token-owners/(?P<user_id>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_token_owner(self, request, pk=None, user_id=None):
        """Forget one person's token. Removing the one in use switches to another owner's valid token; removing
        the last owner disconnects the channel (`disconnected: true`, said in `message`)."""
        removal = token_owner_services.remove_owner(self.get_object(), user_id, actor=self.principal)
        body = {
            "disconnected": removal.disconnected,
            "message": removal.message,
            "channel": self._output(removal.channel),
            "owners": s.TokenOwnerOutput(selectors.token_owners(removal.channel), many=True).data,
        }
        return Response(body)

    @extend_schema(
        parameters=[
            OpenApiParameter("url", OpenApiTypes.URI, description="The network's CDN link (e.g. an scontent URL)."),
            OpenApiParameter(
                "mediaId", OpenApiTypes.STR, description="The network's id of the media: used when the link expired."
            ),
        ],
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The media (images and videos)."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="`MEDIA_HOST_NOT_ALLOWED` (not the network's media host), `UNSUPPORTED_MEDIA_TYPE` "
                "(not an image or video), `VALIDATION_ERROR` (neither `url` nor `mediaId`).",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`CHANNEL_NEEDS_ATTENTION` or `INVALID_STATE` (a fresh link needs the channel's token).",
            ),
            410: OpenApiResponse(
                ErrorSerializer, description="`NETWORK_MEDIA_EXPIRED`: pass `mediaId` to fetch a fresh link."
            ),
            413: OpenApiResponse(ErrorSerializer, description="`PAYLOAD_TOO_LARGE` (over 50 MB)."),
            503: NETWORK_ERROR_RESPONSES[503],
        },
    )
    @action(detail=True, methods=["get"], url_path="media-proxy", filter_backends=[], pagination_class=None)
    def media_proxy(self, request, pk=None):
        """Network media through Hubbub: the networks' CDN links expire, so a ticket's or a preview's picture is
        fetched here (only from the network's media hosts, images and videos up to 50 MB, small ones cached five
        minutes); an expired link with `mediaId` is replaced by a fresh one from the network."""
        channel = self.get_object()
        media = media_proxy_services.proxy_media(
            channel, url=request.query_params.get("url", ""), media_id=request.query_params.get("media_id", "")
        )
        if media.file is not None:
            response = FileResponse(media.file, content_type=media.content_type)
        else:
            response = HttpResponse(media.content, content_type=media.content_type)
        response["Content-Length"] = str(media.size)
        response["Cache-Control"] = f"private, max-age={media_proxy_services.CACHE_SECONDS}"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    def _output(self, channel: Channel) -> dict:
        # Re-read through the selector so the output carries the prefetched team links.
        return s.ChannelOutput(selectors.channels().get(pk=channel.pk)).data


class OAuthCallbackView(APIView):
    """The browser comes back here from the network (no credential): the signed `state` names the tenant."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, required=False),
            OpenApiParameter("state", OpenApiTypes.STR, required=True),
            OpenApiParameter("error", OpenApiTypes.STR, required=False, description="e.g. `access_denied`."),
        ],
        responses={
            302: OpenApiResponse(
                description="To the `redirectUri` given at connect, with `status=connected&channelIds=...` or "
                "`status=error&code=...` (`ACCESS_DENIED`, `OAUTH_STATE_EXPIRED`, `OAUTH_STATE_USED`, "
                "`OAUTH_NETWORK_MISMATCH`, `LIMIT_REACHED`, `AUTH_EXPIRED`, ...)."
            ),
            400: OpenApiResponse(ErrorSerializer, description="`OAUTH_STATE_INVALID`: missing or forged state."),
        },
    )
    def get(self, request, **kwargs):
        params = {key: request.query_params.get(key, "") for key in ("code", "state", "error")}
        outcome = self.complete(params, **kwargs)
        response = HttpResponseRedirect(outcome.redirect_url)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"  # the code must not leak to the redirect target's logs
        return response

    def complete(self, params: dict[str, str], *, network: str) -> oauth_services.CallbackOutcome:
        return oauth_services.handle_callback(network=network, params=params)


class TeamChannelsView(TenantAPIView):
    """GET the channels assigned to a team; PUT replaces the set (`{"channelIds": [...]}`)."""

    required_permissions = {"get": READ, "put": MANAGE}

    def _team(self, team_id) -> Team:
        team = tenant_selectors.teams().filter(pk=team_id).first()
        if team is None:
            raise NotFound()
        return team

    def _page(self, request, team: Team) -> Response:
        queryset = selectors.team_channels(team)
        visible = selectors.channel_ids_visible_to(self.principal)
        if visible is not None:
            queryset = queryset.filter(pk__in=visible)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.ChannelOutput(page, many=True).data)

    @extend_schema(responses={200: s.ChannelPageOutput})
    def get(self, request, team_id):
        return self._page(request, self._team(team_id))

    @extend_schema(request=s.TeamChannelsInput, responses={200: s.ChannelPageOutput})
    def put(self, request, team_id):
        team = self._team(team_id)
        wanted = dict.fromkeys(validated(s.TeamChannelsInput, request)["channel_ids"])
        channels = resolve_ids(selectors.channels(), wanted, field="channelIds", label="channel")
        channel_services.set_team_channels(team, channels, actor=self.principal)
        return self._page(request, team)
