"""Inbox endpoints. Thin: inputs validated here, rules in inbox.services, reads in inbox.selectors.

Every ticket route resolves the ticket through `scope_queryset()` (tickets of the caller's visible channels), so
another tenant's ticket, a ticket of another team's channel and a missing id all give the same 404.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.inputs import resolve_ids, validated
from core.api.pagination import PageOrCursorPagination
from core.api.schema import ErrorSerializer, error_responses
from core.api.viewsets import UUID_PATTERN, TenantViewSet
from core.errors import NotFound, PermissionDenied, ValidationFailed
from inbox import exports, push, selectors
from inbox.api import serializers as s
from inbox.errors import UnknownAction
from inbox.models import (
    Category,
    Folder,
    Interactor,
    ReplySuggestion,
    Template,
    Ticket,
    TicketAction,
    TicketStatus,
)
from inbox.services import actions as action_services
from inbox.services import categories as category_services
from inbox.services import folders as folder_services
from inbox.services import ingestion
from inbox.services import rules as rule_services
from inbox.services import suggestions as suggestion_services
from inbox.services import templates as template_services
from inbox.services import tickets as ticket_services
from social.selectors import channels as ticket_channels

READ = "inbox.ticket.read"
WORK = "inbox.ticket.work"
REPLY = "inbox.ticket.reply"
ASSIGN = "inbox.ticket.assign"
DELETE = "inbox.ticket.delete"
BLOCK = "inbox.interactor.block"
ERASE = "inbox.interactor.erase"
APPROVE = "inbox.ticket.approve"
MANAGE_CATEGORIES = "inbox.category.manage"
MANAGE_TEMPLATES = "inbox.template.manage"
MANAGE_FOLDERS = "inbox.folder.manage"
# The permission each ticket action needs (anything not listed: WORK).
ACTION_PERMISSIONS = {"reply": REPLY, "assign": ASSIGN, "delete": DELETE}
ACTION_NAMES = list(action_services.VALID_ACTIONS)
PUSH_NETWORK_NAMES = list(push.PUSH_NETWORKS)


def filter_tickets(queryset: QuerySet[Ticket], filters: dict, principal) -> QuerySet[Ticket]:
    """Apply the list filters (validated by TicketFilterInput) to `queryset`."""
    in_filters = {"status": "status", "channel": "channel_id", "network": "network", "type": "type"}
    for key, field in in_filters.items():
        if filters.get(key):
            queryset = queryset.filter(**{f"{field}__in": filters[key]})
    if filters.get("sentiment"):
        queryset = queryset.filter(sentiment__in=filters["sentiment"])
    assignee = filters.get("assignee")
    if assignee == "me":
        queryset = queryset.filter(assignee_id=principal.user.pk if principal.user else None)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=assignee)
    if filters.get("team"):
        queryset = queryset.filter(team_id=filters["team"])
    for key, field in (("priority", "is_priority"), ("unread", "is_unread"), ("own", "is_own")):
        if filters.get(key) is not None:
            queryset = queryset.filter(**{field: filters[key]})
    if filters.get("interactor"):
        queryset = queryset.filter(interactor_id=filters["interactor"])
    if filters.get("created_from"):
        queryset = queryset.filter(created_at__gte=filters["created_from"])
    if filters.get("created_to"):
        queryset = queryset.filter(created_at__lt=filters["created_to"])
    if filters.get("search"):
        term = filters["search"]
        queryset = queryset.filter(
            Q(text__icontains=term) | Q(interactor__name__icontains=term) | Q(interactor__handle__icontains=term)
        )
    if filters.get("category"):
        queryset = selectors.tickets_in_category(queryset, filters["category"])
    if filters.get("folder"):
        queryset = filter_tickets(queryset, folder_filters(filters["folder"]), principal)
    return queryset


def folder_filters(folder: Folder | object) -> dict:
    """A folder's saved filters, validated again by the list's filter input (an unknown folder id: 400)."""
    if not isinstance(folder, Folder):
        found = selectors.folders().filter(pk=folder).first()
        if found is None:
            raise ValidationFailed(details={"folder": [f"Unknown folder: {folder}."]})
        folder = found
    serializer = s.TicketFilterInput(data=folder.filters)
    if not serializer.is_valid():
        raise ValidationFailed(details={"folder": serializer.errors})
    return {key: value for key, value in serializer.validated_data.items() if key != "folder"}


def folder_counts(visible: QuerySet[Ticket], principal, counters: list | None) -> list[dict]:
    """Tickets (and open unread ones) per folder: folders whose filters the counters hold are counted from them (one
    read of the counters for all), the others in one aggregate query (a folder filtering by category also reads the
    category tree once). `counters`: `selectors.counter_rows` (None: count every folder by the aggregate)."""
    rows = list(selectors.folders())
    if not rows:
        return []
    results, aggregates = {}, {}
    for index, folder in enumerate(rows):
        filters = folder_filters(folder)
        counted = selectors.counts_from_rows(counters, filters)
        if counted is not None:
            results[index] = (counted["total"], counted["unread"])
            continue
        matching = Q(pk__in=filter_tickets(visible, filters, principal).values("pk"))
        aggregates[f"c{index}"] = Count("id", filter=matching)
        aggregates[f"u{index}"] = Count("id", filter=matching & Q(is_unread=True, status=TicketStatus.OPEN))
    if aggregates:
        totals = visible.order_by().aggregate(**aggregates)
        results.update({i: (totals[f"c{i}"], totals[f"u{i}"]) for i in range(len(rows)) if f"c{i}" in totals})
    return [
        {"id": folder.pk, "name": folder.name, "count": results[i][0], "unread": results[i][1]}
        for i, folder in enumerate(rows)
    ]


def parse_if_match(request, body_value):
    """The `updatedAt` the client read: `If-Match: "<updatedAt>"` (weak or strong), else the body's `updatedAt`."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return body_value
    value = header.removeprefix("W/").strip('"')
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationFailed(details={"ifMatch": ["The ticket's updatedAt, as returned."]})
    return parsed


LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=["open", "snoozed", "archived", "deleted"]),
    OpenApiParameter("channel", OpenApiTypes.UUID, many=True),
    OpenApiParameter("network", OpenApiTypes.STR, many=True),
    OpenApiParameter("type", OpenApiTypes.STR, many=True),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="`me`, `none` or a user id."),
    OpenApiParameter("team", OpenApiTypes.UUID),
    OpenApiParameter("sentiment", OpenApiTypes.STR, many=True, enum=["POSITIVE", "NEUTRAL", "NEGATIVE"]),
    OpenApiParameter("priority", OpenApiTypes.BOOL),
    OpenApiParameter("unread", OpenApiTypes.BOOL),
    OpenApiParameter("own", OpenApiTypes.BOOL),
    OpenApiParameter("interactor", OpenApiTypes.UUID),
    OpenApiParameter("createdFrom", OpenApiTypes.DATETIME),
    OpenApiParameter("createdTo", OpenApiTypes.DATETIME),
    OpenApiParameter("search", OpenApiTypes.STR, description="Text, interactor name or handle."),
    OpenApiParameter("category", OpenApiTypes.UUID, description="In this category or any category under it."),
    OpenApiParameter("folder", OpenApiTypes.UUID, description="Apply the folder's saved filters too."),
]


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tickets of the channels the caller sees (OWNER/ADMIN and API keys: every channel)."""

    serializer_class = s.TicketOutput
    pagination_class = PageOrCursorPagination
    filter_backends: list = []  # filters are validated by TicketFilterInput (see list)
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "counts": READ,
        "tree": READ,
        "history": READ,
        "notes": READ,
        "actions": READ,
        "partial_update": WORK,
        "add_note": WORK,
        "perform": READ,  # narrowed per action in the view (ACTION_PERMISSIONS)
        "retry": WORK,
        "bulk": WORK,
        "export": READ,
        "suggest": WORK,
        "suggestions": READ,
        "approve": APPROVE,
        "reject": APPROVE,
    }

    def scope_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return Ticket.objects.all()
        return selectors.ticket_list(self.principal)

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.TicketOutput(many=True)})
    def list(self, request):
        filters = validated(s.TicketFilterInput, request, source="query")
        queryset = filter_tickets(self.get_queryset(), filters, self.principal)
        # Page mode's count comes from the counters when they hold the filters (no COUNT(*) over the tenant).
        page = self.paginator.paginate_queryset(
            selectors.ticket_rows(queryset),
            request,
            view=self,
            known_count=lambda: selectors.counted_total(self.principal, filters),
        )
        return self.get_paginated_response(s.ticket_rows_data(page, selectors.ticket_categories(page)))

    @extend_schema(
        parameters=[*LIST_PARAMETERS, OpenApiParameter("folders", OpenApiTypes.BOOL)],
        responses={200: s.TicketCountsOutput},
    )
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """Counts per status (and open+unread) of the filtered tickets, in one query; cheap enough to poll.
        `folders=1` adds each folder's counts (one aggregate query, whatever the number of folders)."""
        filters = validated(s.TicketFilterInput, request, source="query")
        filters.pop("status", None)
        visible = selectors.tickets_visible_to(self.principal)
        counters = selectors.counter_rows(self.principal)  # kept on write (PostgreSQL); None on SQLite
        counts = selectors.counts_from_rows(counters, filters)  # None: a filter the counters do not hold
        if counts is None:
            counts = selectors.status_counts(filter_tickets(visible, filters, self.principal))
        if validated(s.TicketCountsQuery, request, source="query")["folders"]:
            counts["folders"] = folder_counts(visible, self.principal, counters)
        return Response(s.TicketCountsOutput(counts).data)

    @extend_schema(
        request=s.TicketPatchInput,
        responses={200: s.TicketOutput, 412: OpenApiResponse(ErrorSerializer, description="`PRECONDITION_FAILED`.")},
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    def partial_update(self, request, pk=None):
        ticket = self.get_object()
        data = dict(validated(s.TicketPatchInput, request, partial=True))
        if_match = parse_if_match(request, data.pop("updated_at", None))
        changes = {}
        for key in ("sentiment", "is_priority", "is_unread", "status"):
            if key in data:
                changes[key] = data[key]
        if "assignee_id" in data:
            changes["assignee"] = data["assignee_id"]
        if "team_id" in data:
            changes["team"] = data["team_id"]
        if changes and not self.principal.has(ASSIGN) and {"assignee", "team"} & set(changes):
            raise PermissionDenied()
        ticket = ticket_services.update_ticket(ticket, actor=self.principal, changes=changes, if_match=if_match)
        return Response(s.TicketOutput(selectors.ticket_list(self.principal).get(pk=ticket.pk)).data)

    @extend_schema(responses={200: s.TreeNodeOutput(many=True)})
    @action(detail=True, methods=["get"])
    def tree(self, request, pk=None):
        """The whole thread, depth-first from its top, each with its `depth`."""
        nodes = selectors.thread_of(self.get_object(), self.principal)
        data = []
        for ticket, depth in nodes:
            ticket.depth = depth
            data.append(ticket)
        return Response(s.TreeNodeOutput(data, many=True).data)

    @extend_schema(responses={200: s.TicketEventOutput(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every action, network change and note on the ticket, oldest first."""
        return Response(s.TicketEventOutput(selectors.ticket_events(self.get_object()), many=True).data)

    @extend_schema(responses={200: s.NoteOutput(many=True)})
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        return Response(s.NoteOutput(selectors.ticket_notes(self.get_object()), many=True).data)

    @extend_schema(request=s.NoteInput, responses={201: s.NoteOutput})
    @notes.mapping.post
    def add_note(self, request, pk=None):
        ticket = self.get_object()
        data = validated(s.NoteInput, request)
        note = ticket_services.add_note(ticket, actor=self.principal, text=data["text"])
        return Response(s.NoteOutput(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.TicketActionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def actions(self, request, pk=None):
        """Actions taken on this ticket with their results, newest first."""
        return Response(s.TicketActionOutput(selectors.ticket_actions(self.get_object())[:200], many=True).data)

    @extend_schema(
        request=s.ActionInput,
        responses={
            201: s.TicketActionOutput,
            202: s.TicketActionOutput,
            409: OpenApiResponse(ErrorSerializer, description="`NOT_SUPPORTED`: not possible on this ticket."),
        },
        parameters=[OpenApiParameter("action_name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[A-Za-z]+)")
    def perform(self, request, pk=None, action_name: str = ""):
        """Run an action: local ones are `done` at once (201); network ones are `pending` (202) until the network
        answers (`done`, or `failed` with the network's reason)."""
        if action_name not in action_services.VALID_ACTIONS:
            raise UnknownAction(f"Unknown action {action_name!r}.", details={"valid": ACTION_NAMES})
        if not self.principal.has(ACTION_PERMISSIONS.get(action_name, WORK)):
            raise PermissionDenied()
        ticket = self.get_object()
        serializer = s.ActionInput(data=request.data, context={"request": request})
        if not serializer.is_valid():
            raise ValidationFailed(details=serializer.errors)
        try:
            params = serializer.params_for(action_name)
        except serializers.ValidationError as exc:
            raise ValidationFailed(details=exc.detail) from None
        row = action_services.perform_action(ticket, action_name, actor=self.principal, params=params)
        row.refresh_from_db()
        code = status.HTTP_202_ACCEPTED if row.status == "pending" else status.HTTP_201_CREATED
        return Response(s.TicketActionOutput(row).data, status=code)

    @extend_schema(request=s.RetryInput, responses={202: s.TicketActionOutput})
    @action(detail=True, methods=["post"], url_path=rf"actions/(?P<action_id>{UUID_PATTERN})/retry")
    def retry(self, request, pk=None, action_id: str = ""):
        """Queue a failed network action again. One whose outcome was unknown needs `confirmNotSent: true`."""
        ticket = self.get_object()
        row = TicketAction.objects.select_related("ticket").filter(ticket=ticket, pk=action_id).first()
        if row is None:
            raise NotFound()
        data = validated(s.RetryInput, request)
        row = action_services.retry_action(row, actor=self.principal, confirm_not_sent=data["confirm_not_sent"])
        row.refresh_from_db()
        return Response(s.TicketActionOutput(row).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.BulkInput, responses={202: s.BulkJobOutput})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Apply an action to many tickets (ids, or every ticket matching a filter) in the background."""
        data = validated(s.BulkInput, request)
        if data["action"] == "assign" and not self.principal.has(ASSIGN):
            raise PermissionDenied()
        visible = selectors.tickets_visible_to(self.principal)
        if "ids" in data:
            ids = list(visible.filter(pk__in=data["ids"]).values_list("pk", flat=True))
            missing = sorted({str(i) for i in data["ids"]} - {str(i) for i in ids})
            if missing:
                raise ValidationFailed(details={"ids": [f"Unknown ticket: {', '.join(missing)}."]})
        else:
            ids = list(filter_tickets(visible, data["filter"], self.principal).values_list("pk", flat=True)[:10_000])
        params_serializer = s.ActionInput(data=request.data.get("params") or {}, context={"request": request})
        if not params_serializer.is_valid():
            raise ValidationFailed(details={"params": params_serializer.errors})
        try:
            params = params_serializer.params_for(data["action"])
        except serializers.ValidationError as exc:
            raise ValidationFailed(details={"params": exc.detail}) from None
        job = ticket_services.start_bulk_job(actor=self.principal, action=data["action"], ticket_ids=ids, params=params)
        job.refresh_from_db()
        return Response(s.BulkJobOutput(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=s.TicketFilterInput,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, streamed, newest first.")},
    )
    @action(detail=False, methods=["post"])
    def export(self, request):
        """CSV of every ticket matching the filter (body: the list's filters), streamed row by row."""
        filters = validated(s.TicketFilterInput, request)
        queryset = filter_tickets(selectors.ticket_list(self.principal), filters, self.principal)
        response = StreamingHttpResponse(exports.ticket_csv_rows(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tickets.csv"'
        return response

    @extend_schema(request=s.SuggestInput, responses={201: s.SuggestionOutput})
    @action(detail=True, methods=["post"])
    def suggest(self, request, pk=None):
        """Propose a reply for an approver to send or reject."""
        ticket = self.get_object()
        data = validated(s.SuggestInput, request)
        suggestion = suggestion_services.suggest_reply(
            ticket, actor=self.principal, text=data["text"], private=data["private"]
        )
        return Response(s.SuggestionOutput(suggestion).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.SuggestionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def suggestions(self, request, pk=None):
        ticket = self.get_object()
        rows = ReplySuggestion.objects.filter(ticket=ticket).order_by("-created_at", "-id")[:100]
        return Response(s.SuggestionOutput(rows, many=True).data)

    def _suggestion(self, suggestion_id) -> ReplySuggestion:
        row = ReplySuggestion.objects.filter(ticket=self.get_object(), pk=suggestion_id).first()
        if row is None:
            raise NotFound()
        return row

    @extend_schema(request=s.SuggestionApproveInput, responses={200: s.SuggestionOutput})
    @action(detail=True, methods=["post"], url_path=rf"suggestions/(?P<suggestion_id>{UUID_PATTERN})/approve")
    def approve(self, request, pk=None, suggestion_id: str = ""):
        """Send the suggested reply (edited when `text` is given); 409 when it was decided already."""
        suggestion = self._suggestion(suggestion_id)
        data = validated(s.SuggestionApproveInput, request)
        suggestion = suggestion_services.approve_suggestion(suggestion, actor=self.principal, text=data.get("text", ""))
        return Response(s.SuggestionOutput(suggestion).data)

    @extend_schema(request=s.SuggestionRejectInput, responses={200: s.SuggestionOutput})
    @action(detail=True, methods=["post"], url_path=rf"suggestions/(?P<suggestion_id>{UUID_PATTERN})/reject")
    def reject(self, request, pk=None, suggestion_id: str = ""):
        suggestion = self._suggestion(suggestion_id)
        data = validated(s.SuggestionRejectInput, request)
        suggestion = suggestion_services.reject_suggestion(suggestion, actor=self.principal, reason=data["reason"])
        return Response(s.SuggestionOutput(suggestion).data)


class BulkJobViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """Progress of a bulk action."""

    serializer_class = s.BulkJobOutput
    required_permissions = {"retrieve": READ}

    def scope_queryset(self):
        return selectors.bulk_jobs()


class InteractorViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """People on the networks who wrote to the caller's channels."""

    serializer_class = s.InteractorOutput
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "tickets": READ,
        "block": BLOCK,
        "unblock": BLOCK,
        "destroy": ERASE,
    }

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return Interactor.objects.all()
        return selectors.interactors_visible_to(self.principal)

    @extend_schema(parameters=[s.InteractorSearchInput], responses={200: s.InteractorOutput(many=True)})
    def list(self, request):
        """Search people by name or handle, optionally among those who wrote to one channel (to fill lists)."""
        filters = validated(s.InteractorSearchInput, request, source="query")
        queryset = selectors.search_interactors(
            self.principal, channel_id=filters.get("channel"), search=filters.get("search", "")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.InteractorOutput(page, many=True).data)

    @extend_schema(responses={200: s.TicketOutput(many=True)})
    @action(detail=True, methods=["get"], pagination_class=PageOrCursorPagination)
    def tickets(self, request, pk=None):
        """Their tickets on the channels the caller sees, newest first."""
        interactor = self.get_object()
        page = self.paginate_queryset(
            selectors.ticket_rows(selectors.ticket_list(self.principal).filter(interactor=interactor))
        )
        return self.get_paginated_response(s.ticket_rows_data(page, selectors.ticket_categories(page)))

    def _channel_for(self, interactor, channel_id):
        tickets = selectors.tickets_visible_to(self.principal).filter(interactor=interactor)
        if channel_id:
            tickets = tickets.filter(channel_id=channel_id)
        ticket = tickets.select_related("channel").order_by("-created_at", "-id").first()
        if ticket is None:
            raise ValidationFailed(details={"channelId": ["No ticket of this person on that channel."]})
        return ticket.channel

    @extend_schema(request=s.BlockInput, responses={200: s.InteractorOutput})
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        """Block the person on the network (through the channel of their latest ticket, or `channelId`)."""
        interactor = self.get_object()
        data = validated(s.BlockInput, request)
        channel = self._channel_for(interactor, data.get("channel_id"))
        interactor = ticket_services.set_blocked(interactor, actor=self.principal, blocked=True, channel=channel)
        return Response(s.InteractorOutput(interactor).data)

    @extend_schema(request=s.BlockInput, responses={200: s.InteractorOutput})
    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        interactor = self.get_object()
        data = validated(s.BlockInput, request)
        channel = self._channel_for(interactor, data.get("channel_id"))
        interactor = ticket_services.set_blocked(interactor, actor=self.principal, blocked=False, channel=channel)
        return Response(s.InteractorOutput(interactor).data)

    @extend_schema(responses={200: s.InteractorOutput})
    def destroy(self, request, pk=None):
        """Erase the person's personal data (GDPR): profile blanked, their tickets' text removed; counts stay."""
        interactor = ticket_services.erase_interactor(self.get_object(), actor=self.principal)
        return Response(s.InteractorOutput(interactor).data)


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's category tree, flat (each with its `parentId`), in position order. Deleting one moves its
    sub-categories up one level and its tickets to `?reassignTo=<id>` (without it they lose this category)."""

    serializer_class = s.CategoryOutput
    required_permissions = {"list": READ, "retrieve": READ, "ticket_count": READ, "*": MANAGE_CATEGORIES}

    def scope_queryset(self) -> QuerySet[Category]:
        return selectors.categories()

    def _out(self, category: Category, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.CategoryOutput(category).data, status=code)

    @extend_schema(request=s.CategoryInput, responses={201: s.CategoryOutput, **error_responses(400, 403, 409)})
    def create(self, request):
        data = validated(s.CategoryInput, request)
        category = category_services.create_category(
            actor=self.principal,
            name=data["name"],
            parent=data.get("parent_id"),
            position=data.get("position"),
            is_hidden=data["is_hidden"],
        )
        return self._out(category, status.HTTP_201_CREATED)

    @extend_schema(request=s.CategoryPatchInput, responses={200: s.CategoryOutput, **error_responses(400, 409)})
    def partial_update(self, request, pk=None):
        category = self.get_object()
        changes = dict(validated(s.CategoryPatchInput, request, partial=True))
        return self._out(category_services.update_category(category, actor=self.principal, changes=changes))

    @extend_schema(
        parameters=[OpenApiParameter("reassignTo", OpenApiTypes.UUID, description="Where its tickets go.")],
        responses={200: s.ReassignedOutput, **error_responses(400, 409)},
    )
    def destroy(self, request, pk=None):
        category = self.get_object()
        query = validated(s.CategoryDeleteQuery, request, source="query")
        moved = category_services.delete_category(category, actor=self.principal, reassign_to=query.get("reassign_to"))
        return Response(s.ReassignedOutput({"tickets": moved}).data)

    @extend_schema(request=s.CategoryMoveInput, responses={200: s.CategoryOutput, **error_responses(400, 409)})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Put the category (and everything under it) under `parentId` (null: a root); 400 CATEGORY_CYCLE under
        itself or one of its descendants."""
        category = self.get_object()
        data = validated(s.CategoryMoveInput, request)
        category = category_services.move_category(
            category, actor=self.principal, parent=data["parent_id"], position=data.get("position")
        )
        return self._out(category)

    @extend_schema(request=s.CategoryReassignInput, responses={200: s.ReassignedOutput, **error_responses(400)})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Move this category's tickets to `targetId` (they keep their other categories)."""
        category = self.get_object()
        data = validated(s.CategoryReassignInput, request)
        moved = category_services.reassign_tickets(category, actor=self.principal, target=data["target_id"])
        return Response(s.ReassignedOutput({"tickets": moved}).data)

    @extend_schema(
        request={"multipart/form-data": s.CategoryImportInput},
        responses={200: s.CategoryImportOutput, **error_responses(400)},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_csv(self, request):
        """Create categories from a CSV of paths (`Sales/Leads`), missing parents included; re-importing the same
        file creates nothing. Each row's result is returned; a bad row does not stop the others."""
        data = validated(s.CategoryImportInput, request)
        rows = category_services.import_categories(data["file"].read(), actor=self.principal)
        summary = {
            key: sum(1 for row in rows if row["status"] == value)
            for key, value in (("created", "created"), ("existing", "exists"), ("errors", "error"))
        }
        return Response(s.CategoryImportOutput({**summary, "rows": rows}).data)

    @extend_schema(responses={200: s.CategoryTicketCountOutput})
    @action(detail=True, methods=["get"], url_path="ticket-count")
    def ticket_count(self, request, pk=None):
        """Tickets you see in this category, and in it or any category under it."""
        counts = selectors.category_ticket_count(self.get_object(), selectors.tickets_visible_to(self.principal))
        return Response(s.CategoryTicketCountOutput(counts).data)


class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Saved replies: the tenant's, and those of the caller's teams (OWNER/ADMIN: every team's)."""

    serializer_class = s.TemplateOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE_TEMPLATES}

    def scope_queryset(self) -> QuerySet[Template]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return Template.objects.all()
        return selectors.templates_visible_to(self.principal)

    @extend_schema(request=s.TemplateInput, responses={201: s.TemplateOutput, **error_responses(400, 403)})
    def create(self, request):
        data = validated(s.TemplateInput, request)
        template = template_services.create_template(
            actor=self.principal, name=data["name"], text=data["text"], team=data.get("team_id")
        )
        return Response(s.TemplateOutput(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TemplateInput, responses={200: s.TemplateOutput, **error_responses(400)})
    def partial_update(self, request, pk=None):
        template = self.get_object()
        data = validated(s.TemplateInput, request, partial=True)
        changes = {("team" if key == "team_id" else key): value for key, value in data.items()}
        template = template_services.update_template(template, actor=self.principal, changes=changes)
        return Response(s.TemplateOutput(template).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        template_services.delete_template(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FolderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Saved ticket filters shared in the tenant, in their order. `GET /inbox/tickets/?folder=<id>` lists a
    folder's tickets; `GET /inbox/tickets/counts?folders=1` counts them."""

    serializer_class = s.FolderOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE_FOLDERS}

    def scope_queryset(self) -> QuerySet[Folder]:
        return selectors.folders()

    @extend_schema(request=s.FolderInput, responses={201: s.FolderOutput, **error_responses(400, 403)})
    def create(self, request):
        data = validated(s.FolderInput, request)
        folder = folder_services.create_folder(actor=self.principal, name=data["name"], filters=data["filters"])
        return Response(s.FolderOutput(folder).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.FolderInput, responses={200: s.FolderOutput, **error_responses(400)})
    def partial_update(self, request, pk=None):
        folder = self.get_object()
        changes = dict(validated(s.FolderInput, request, partial=True))
        return Response(
            s.FolderOutput(folder_services.update_folder(folder, actor=self.principal, changes=changes)).data
        )

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        folder_services.delete_folder(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.FolderReorderInput, responses={200: s.FolderOutput(many=True), **error_responses(400)})
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Put every folder in the order of `ids`."""
        folder_services.reorder_folders(validated(s.FolderReorderInput, request)["ids"], actor=self.principal)
        return Response(s.FolderOutput(selectors.folders(), many=True).data)


class InboxWebhookView(APIView):
    """Network push endpoint (public: the network's signature is the credential; unsigned -> 401, nothing stored)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="inbox_webhook_handshake",
        parameters=[
            OpenApiParameter("network", OpenApiTypes.STR, OpenApiParameter.PATH, enum=PUSH_NETWORK_NAMES),
            OpenApiParameter("hub.mode", OpenApiTypes.STR, description="Meta"),
            OpenApiParameter("hub.verify_token", OpenApiTypes.STR, description="Meta"),
            OpenApiParameter("hub.challenge", OpenApiTypes.STR, description="Meta"),
            OpenApiParameter("crc_token", OpenApiTypes.STR, description="X"),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.STR, description="Meta: the challenge; X: `{responseToken}`."),
            **error_responses(401, 404),
        },
    )
    def get(self, request, network: str):
        """Subscription checks: Meta's verify-token handshake, X's CRC."""
        self._known(network)
        if network == "x":
            return Response(push.x_crc_response(request.GET.get("crc_token", "")))
        return HttpResponse(push.meta_handshake(request.GET), content_type="text/plain")

    @extend_schema(
        operation_id="inbox_webhook_receive",
        parameters=[OpenApiParameter("network", OpenApiTypes.STR, OpenApiParameter.PATH, enum=PUSH_NETWORK_NAMES)],
        request=OpenApiTypes.OBJECT,
        responses={
            200: inline_serializer("WebhookReceived", {"received": serializers.IntegerField()}),
            **error_responses(400, 401, 404),
        },
    )
    def post(self, request, network: str):
        self._known(network)
        body = request.body
        push.verify_signature(network, body, request.headers)
        batches = push.parse(network, body)
        ingestion.ingest_push(network, batches)
        return Response({"received": sum(len(batch.items) for batch in batches)})

    @staticmethod
    def _known(network: str) -> None:
        if network not in push.PUSH_NETWORKS:
            raise NotFound(f"No push endpoint for {network!r}.")


RULES = "inbox.rule.manage"


class RuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Smart rules, in the order they run (position). Conditions and actions are replaced as a whole on PATCH."""

    serializer_class = s.RuleOutput
    required_permissions = {"*": RULES}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.rules()

    @extend_schema(request=s.RuleInput, responses={201: s.RuleOutput})
    def create(self, request):
        serializer = s.RuleInput(data=request.data, context={"request": request})
        if not serializer.is_valid():
            raise ValidationFailed(details=serializer.errors)
        rule = rule_services.create_rule(actor=self.principal, **serializer.storage())
        return Response(s.RuleOutput(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RuleInput, responses={200: s.RuleOutput})
    def partial_update(self, request, pk=None):
        rule = self.get_object()  # first: another tenant's id is a 404 whatever the body
        serializer = s.RuleInput(data=request.data, partial=True, context={"request": request})
        if not serializer.is_valid():
            raise ValidationFailed(details=serializer.errors)
        rule = rule_services.update_rule(rule, actor=self.principal, **serializer.storage())
        return Response(s.RuleOutput(rule).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        rule_services.delete_rule(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.RuleReorderInput, responses={200: s.RuleOutput(many=True)})
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """The rules named run first, in this order; the others keep their order after them."""
        ids = validated(s.RuleReorderInput, request)["ids"]
        return Response(s.RuleOutput(rule_services.reorder_rules(ids, actor=self.principal), many=True).data)

    @extend_schema(request=s.RuleTestInput, responses={200: s.RuleTestOutput})
    @action(detail=True, methods=["post"], url_path="test")
    def dry_run(self, request, pk=None):
        """Would this rule match a ticket (`ticketId`) or a sample, and why (each condition). Writes nothing."""
        rule = self.get_object()
        data = validated(s.RuleTestInput, request)
        if data.get("ticket_id"):
            ticket = selectors.ticket_list(self.principal).filter(pk=data["ticket_id"]).first()
            if ticket is None:
                raise ValidationFailed(details={"ticketId": [f"Unknown ticket: {data['ticket_id']}."]})
        else:
            channel = data.get("channel_id")
            ticket = Ticket(
                tenant=self.principal.tenant,
                channel=channel,
                network=data.get("network") or (channel.network if channel else ""),
                type=data["type"],
                text=data.get("text", ""),
                interactor=data.get("interactor_id"),
                sentiment=data.get("sentiment", ""),
            )
        result = rule_services.dry_run_rule(rule, ticket)
        return Response(s.RuleTestOutput(result).data)


class KeywordListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Words and phrases rules look for."""

    serializer_class = s.KeywordListOutput
    required_permissions = {"*": RULES}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.keyword_lists()

    @extend_schema(request=s.KeywordListInput, responses={201: s.KeywordListOutput, **error_responses(409)})
    def create(self, request):
        row = rule_services.create_keyword_list(actor=self.principal, **validated(s.KeywordListInput, request))
        return Response(s.KeywordListOutput(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.KeywordListInput, responses={200: s.KeywordListOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        row = self.get_object()
        data = validated(s.KeywordListInput, request, partial=True)
        return Response(s.KeywordListOutput(rule_services.update_keyword_list(row, actor=self.principal, **data)).data)

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        """Refused (409 `LIST_IN_USE`) while a rule uses the list."""
        rule_services.delete_keyword_list(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InteractorListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """People rules recognise, each on a channel."""

    serializer_class = s.InteractorListOutput
    required_permissions = {"*": RULES}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.interactor_lists()

    def _reloaded(self, row):
        return selectors.interactor_lists().get(pk=row.pk)

    @extend_schema(request=s.InteractorListInput, responses={201: s.InteractorListOutput, **error_responses(409)})
    def create(self, request):
        row = rule_services.create_interactor_list(actor=self.principal, **validated(s.InteractorListInput, request))
        return Response(s.InteractorListOutput(self._reloaded(row)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.InteractorListInput, responses={200: s.InteractorListOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        row = self.get_object()
        data = validated(s.InteractorListInput, request)
        row = rule_services.rename_interactor_list(row, actor=self.principal, name=data["name"])
        return Response(s.InteractorListOutput(self._reloaded(row)).data)

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        """Refused (409 `LIST_IN_USE`) while a rule uses the list."""
        rule_services.delete_interactor_list(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], request=None, responses={200: s.InteractorListEntryOutput(many=True)})
    @extend_schema(
        methods=["POST", "DELETE"], request=s.InteractorListEntriesInput, responses={200: s.InteractorListChangeOutput}
    )
    @action(detail=True, methods=["get", "post", "delete"])
    def interactors(self, request, pk=None):
        """GET: the entries; POST: add `entries` ({channelId, interactorId}); DELETE: remove them."""
        row = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.interactor_list_entries(row))
            return self.get_paginated_response(s.InteractorListEntryOutput(page, many=True).data)
        entries = validated(s.InteractorListEntriesInput, request)["entries"]
        channels = resolve_ids(ticket_channels(), {e["channel_id"] for e in entries}, field="entries", label="channel")
        interactors = resolve_ids(
            Interactor.objects.all(), {e["interactor_id"] for e in entries}, field="entries", label="interactor"
        )
        by_channel = {c.pk: c for c in channels}
        by_interactor = {i.pk: i for i in interactors}
        pairs = [(by_channel[e["channel_id"]], by_interactor[e["interactor_id"]]) for e in entries]
        mismatched = [str(i.pk) for c, i in pairs if i.network != c.network]
        if mismatched:
            raise ValidationFailed(
                details={"entries": [f"Not people of the channel's network: {', '.join(mismatched)}."]}
            )
        change = (
            rule_services.add_to_interactor_list
            if request.method == "POST"
            else rule_services.remove_from_interactor_list
        )
        return Response({"changed": change(row, actor=self.principal, entries=pairs)})
