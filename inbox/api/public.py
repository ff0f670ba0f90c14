"""The public ticket API of custom channels (mounted at /api/v1/public/inbox/): the channel token is the credential.

`Authorization: Bearer hbc_...` names the tenant and the channel; every ticket in a path is looked up on that
channel only, so a ticket of another channel or tenant is the same 404 as a missing one, and nothing changes.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.api.inputs import validated
from core.api.schema import ErrorSerializer, error_responses
from core.errors import NotFound
from inbox.api import public_serializers as p
from inbox.errors import ChannelTokenInvalid
from inbox.models import Ticket
from inbox.services import public_api

TOKEN_HELP = "Authenticate with the custom channel's token: `Authorization: Bearer hbc_...`."
UNAUTHORIZED = {401: OpenApiResponse(ErrorSerializer, description="`CHANNEL_TOKEN_INVALID`.")}


class PublicChannelView(APIView):
    """Base of the public ticket routes: no user credential, the channel token instead."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def caller(self) -> public_api.PublicCaller:
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ChannelTokenInvalid()
        caller = public_api.channel_for_token(token.strip())
        with tenancy.tenant_context(caller.tenant):
            public_api.touch(caller)
        return caller

    @staticmethod
    def ticket_of(caller: public_api.PublicCaller, ticket_id) -> Ticket:
        ticket = Ticket.objects.select_related("channel", "interactor").filter(channel=caller.channel, pk=ticket_id)
        found = ticket.first()
        if found is None:
            raise NotFound()
        return found


class PublicTicketsView(PublicChannelView):
    @extend_schema(
        operation_id="public_inbox_ticket_create",
        request=p.PublicTicketInput,
        responses={
            201: p.PublicTicketOutput,
            409: OpenApiResponse(ErrorSerializer, description="`TICKET_EXISTS` (`details.ticketId`)."),
            **error_responses(400),
            **UNAUTHORIZED,
        },
        description="Push one interaction of your system as a ticket. `networkItemId` is the dedupe key: pushing "
        f"it again answers 409 and changes nothing. {TOKEN_HELP}",
    )
    def post(self, request):
        caller = self.caller()
        data = validated(p.PublicTicketInput, request)
        with tenancy.tenant_context(caller.tenant):
            ticket = public_api.push_ticket(caller.channel, data["interaction"])
            return Response(p.PublicTicketOutput(ticket).data, status=status.HTTP_201_CREATED)


class PublicTicketView(PublicChannelView):
    @extend_schema(
        operation_id="public_inbox_ticket_update",
        request=p.PublicTicketUpdateInput,
        parameters=[
            OpenApiParameter("reset", OpenApiTypes.BOOL, description="Also move an archived ticket back to the inbox.")
        ],
        responses={200: p.PublicTicketOutput, **error_responses(400, 404), **UNAUTHORIZED},
        description=f"Report an edit of a pushed item (the previous text is kept in its edit history). {TOKEN_HELP}",
    )
    def patch(self, request, ticket_id):
        caller = self.caller()
        data = validated(p.PublicTicketUpdateInput, request)
        reset = request.query_params.get("reset", "").lower() in ("1", "true")
        with tenancy.tenant_context(caller.tenant):
            ticket = self.ticket_of(caller, ticket_id)
            ticket = public_api.update_pushed_ticket(ticket, data["interaction"], reset=reset)
            return Response(p.PublicTicketOutput(ticket).data)


class PublicReplySuccessView(PublicChannelView):
    @extend_schema(
        operation_id="public_inbox_reply_success",
        request=p.ReplySuccessInput,
        responses={
            201: p.PublicTicketOutput,
            200: p.PublicTicketOutput,
            409: OpenApiResponse(
                ErrorSerializer, description="`REPLY_NOT_DELIVERED`: not delivered yet, or confirmed with another id."
            ),
            **error_responses(400, 404),
            **UNAUTHORIZED,
        },
        description="Confirm that a reply we sent to your endpoint (`replyId` of the webhook) reached the person, "
        "under the id it got on your side: the reply is marked done and joins the thread (201). Repeating the same "
        f"confirmation answers the same ticket (200). {TOKEN_HELP}",
    )
    def post(self, request, ticket_id, reply_id):
        caller = self.caller()
        data = validated(p.ReplySuccessInput, request)
        with tenancy.tenant_context(caller.tenant), transaction.atomic():
            ticket = self.ticket_of(caller, ticket_id)
            reply, confirmed = public_api.confirm_reply(caller.channel, ticket, reply_id, data["interaction"])
        code = status.HTTP_201_CREATED if confirmed else status.HTTP_200_OK
        return Response(p.PublicTicketOutput(reply).data, status=code)
