"""Follow-ups of a ticket: `/api/v1/inbox/tickets/{ticketId}/followups[/{id}]` (a reminder for a user)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.inputs import TenantScopedPrimaryKeyRelatedField, validated
from core.api.schema import error_responses
from core.api.viewsets import UUID_PATTERN, TenantViewSet
from core.errors import NotFound, ValidationFailed
from inbox import selectors
from inbox.models import Followup, Ticket
from inbox.services import followups as followup_services

READ = "inbox.ticket.read"
WORK = "inbox.ticket.work"


def _members_users():
    from tenants.models import User
    from tenants.selectors import members

    return User.objects.filter(pk__in=members().filter(is_active=True).values("user_id"))


class FollowupInput(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="When to come back to the ticket (in the future).")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    user_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _members_users(),
        label_name="user",
        required=False,
        help_text="Who is reminded (a member); default: the caller. Required for API keys.",
    )


class FollowupOutput(serializers.ModelSerializer):
    ticket_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Followup
        fields = ["id", "ticket_id", "user_id", "due_at", "note", "fired_at", "created_by_label", "created_at"]
        read_only_fields = fields


class FollowupViewSet(TenantViewSet):
    """A ticket's follow-ups (on tickets the caller sees). When one is due the ticket is open and unread again and
    the user gets a notice, once."""

    serializer_class = FollowupOutput
    required_permissions = {"list": READ, "create": WORK, "update": WORK, "destroy": WORK}

    def scope_queryset(self) -> QuerySet[Followup]:
        ticket_id = getattr(self, "kwargs", {}).get("ticket_id")  # none when the schema is generated
        visible = selectors.tickets_visible_to(self.principal).filter(pk=ticket_id)
        return Followup.objects.filter(ticket__in=visible).order_by("due_at", "id")

    def _ticket(self) -> Ticket:
        ticket = selectors.tickets_visible_to(self.principal).filter(pk=self.kwargs["ticket_id"]).first()
        if ticket is None:
            raise NotFound()
        return ticket

    @extend_schema(responses={200: FollowupOutput(many=True), **error_responses(404)})
    def list(self, request, ticket_id=None):
        self._ticket()
        return Response(FollowupOutput(self.get_queryset()[:200], many=True).data)

    @extend_schema(request=FollowupInput, responses={201: FollowupOutput, **error_responses(400, 404)})
    def create(self, request, ticket_id=None):
        ticket = self._ticket()
        data = validated(FollowupInput, request)
        user = data.get("user_id") or self.principal.user
        if user is None:
            raise ValidationFailed(details={"userId": ["An API key names the member to remind."]})
        followup = followup_services.create_followup(
            ticket, actor=self.principal, user=user, due_at=data["due_at"], note=data.get("note", "")
        )
        return Response(FollowupOutput(followup).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FollowupInput,
        responses={200: FollowupOutput, **error_responses(400, 404)},
        description="Move or edit the follow-up (`note` and `userId` unchanged when left out); a new `dueAt` "
        "arms a follow-up that fired already.",
    )
    def update(self, request, ticket_id=None, pk=None):
        followup = self.get_object()
        data = validated(FollowupInput, request)
        changes = {"due_at": data["due_at"]}
        if "note" in data:
            changes["note"] = data["note"]
        if "user_id" in data:
            changes["user"] = data["user_id"]
        followup = followup_services.update_followup(followup, actor=self.principal, changes=changes)
        return Response(FollowupOutput(followup).data)

    @extend_schema(responses={204: None, **error_responses(404)})
    def destroy(self, request, ticket_id=None, pk=None):
        followup_services.delete_followup(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


FOLLOWUPS_PREFIX = rf"tickets/(?P<ticket_id>{UUID_PATTERN})/followups"
