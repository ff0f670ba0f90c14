"""Page-number pagination (`page`, `pageSize` capped at 100) and cursor pagination for high-volume streams.

Both refuse an unordered queryset and make any ordering total by adding the primary key as the last key.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response


def make_total_order(queryset: QuerySet) -> QuerySet:
    if not queryset.ordered:
        raise AssertionError(f"Paginating an unordered {queryset.model.__name__} queryset gives unstable pages.")
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
    if not any(str(key).lstrip("-") in {"pk", "id"} for key in ordering):
        last = str(ordering[-1]) if ordering else ""
        queryset = queryset.order_by(*ordering, "-pk" if last.startswith("-") else "pk")
    return queryset


def _paginated_schema(schema: dict, extra: dict) -> dict:
    return {"type": "object", "required": ["results", "hasMore"], "properties": {"results": schema, **extra}}


class KnownCountPaginator(Paginator):
    """Django's paginator with the total given (e.g. read from counters kept on write) instead of a COUNT(*)."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.count = count  # shadows the cached property that would run the COUNT(*)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"  # `pageSize` on the wire (query keys are underscoreized)
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"pageSize": ["Must be a whole number."]}) from None
        if size < 1:
            raise ValidationError({"pageSize": ["Must be at least 1."]})
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None, *, known_count: Callable[[], int | None] | None = None):
        """`known_count`: gives the total when the caller knows it without counting the rows (None: count them)."""
        if isinstance(queryset, QuerySet):
            queryset = make_total_order(queryset)
        raw_page = request.query_params.get(self.page_query_param, "1")
        if not raw_page.isdigit() or int(raw_page) < 1:
            raise ValidationError({"page": ["Must be a whole number from 1."]})
        count = known_count() if known_count is not None else None
        if count is not None:
            self.django_paginator_class = partial(KnownCountPaginator, count=count)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            # A page past the end is an empty page, not an error: clients loop until hasMore is false.
            self.page = None
            self.request = request
            self._empty_page_number = int(raw_page)
            if count is None:
                count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
            self._empty_count = count
            return []

    def get_paginated_response(self, data) -> Response:
        if self.page is None:
            count, number, has_more = self._empty_count, self._empty_page_number, False
            size = self.get_page_size(self.request)
        else:
            count, number, has_more = self.page.paginator.count, self.page.number, self.page.has_next()
            size = self.page.paginator.per_page
        response = Response({"results": data, "count": count, "page": number, "page_size": size, "has_more": has_more})
        response["Has-More"] = "1" if has_more else "0"
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return _paginated_schema(
            schema,
            {
                "count": {"type": "integer"},
                "page": {"type": "integer"},
                "pageSize": {"type": "integer"},
                "hasMore": {"type": "boolean"},
            },
        )

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "pageSize",
                "in": "query",
                "required": False,
                "description": "Results per page; values above 100 are capped.",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


class PageOrCursorPagination(PageNumberPagination):
    """Page numbers by default; with `?cursor=` (empty for the first page) keyset pages on (createdAt, id)."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None, *, known_count: Callable[[], int | None] | None = None):
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:  # a cursor page has no count: `known_count` is only asked for in page mode
            return super().paginate_queryset(queryset, request, view, known_count=known_count)
        self.request = request
        size = self.get_page_size(request)
        queryset = queryset.order_by("-created_at", "-id")
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            created_at, pk = self._decode(raw)
            queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
        rows = list(queryset[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self._encode(rows[-1]) if self.has_more and rows else None
        return rows

    def get_paginated_response(self, data) -> Response:
        if not getattr(self, "cursor_mode", False):
            return super().get_paginated_response(data)
        response = Response({"results": data, "next_cursor": self.next_cursor, "has_more": self.has_more})
        response["Has-More"] = "1" if self.has_more else "0"
        return response

    @staticmethod
    def _encode(row) -> str:
        # A model instance, or a dict of a `.values()` queryset (a list that builds no instances)
        created_at, pk = (row["created_at"], row["id"]) if isinstance(row, dict) else (row.created_at, row.pk)
        payload = json.dumps([created_at.isoformat(), str(pk)]).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    @staticmethod
    def _decode(raw: str) -> tuple[datetime, uuid.UUID]:
        """The whole cursor is validated (a `[aware ISO timestamp, UUID]` pair): anything else is a 400, never a
        query that fails in the database."""
        try:
            padded = raw + "=" * (-len(raw) % 4)
            created_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            if not isinstance(created_at, str) or not isinstance(pk, str):
                raise TypeError("cursor parts must be strings")
            moment = datetime.fromisoformat(created_at)
            if moment.tzinfo is None:
                raise ValueError("cursor timestamp without offset")
            return moment.astimezone(UTC), uuid.UUID(pk)
        except (ValueError, TypeError, UnicodeError, binascii.Error, RecursionError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return _paginated_schema(
            schema,
            {
                "count": {"type": "integer", "description": "Page mode only."},
                "page": {"type": "integer", "description": "Page mode only."},
                "pageSize": {"type": "integer", "description": "Page mode only."},
                "nextCursor": {"type": "string", "nullable": True, "description": "Cursor mode only."},
                "hasMore": {"type": "boolean"},
            },
        )

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Keyset pagination: pass empty for the first page, then `nextCursor`.",
                "schema": {"type": "string"},
            },
        ]
