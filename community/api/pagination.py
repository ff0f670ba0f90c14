"""Community lists: pages of at most 50 (seed 003) with `Has-More`; post lists also take `?cursor=`, newest first
or by latest activity (the view names the key)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db.models import Q
from rest_framework.exceptions import ValidationError

from core.api.pagination import PageOrCursorPagination


class CommunityPagination(PageOrCursorPagination):
    page_size = 10
    max_page_size = 50

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == "pageSize":
                parameter["description"] = "Results per page (default 10); values above 50 are capped (seed 003)."
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.cursor_field = getattr(view, "cursor_field", "created_at")
        size = self.get_page_size(request)
        queryset = queryset.order_by(f"-{self.cursor_field}", "-id")
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            value, pk = self._decode(raw)
            # The redundant `<=` is a range the (…, -key, -id) index can seek to; the OR alone is only a filter.
            queryset = queryset.filter(**{f"{self.cursor_field}__lte": value}).filter(
                Q(**{f"{self.cursor_field}__lt": value}) | Q(**{self.cursor_field: value, "id__lt": pk})
            )
        rows = list(queryset[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self._encode_row(rows[-1]) if self.has_more and rows else None
        return rows

    def _encode_row(self, row) -> str:
        payload = json.dumps([self.cursor_field, getattr(row, self.cursor_field).isoformat(), str(row.pk)]).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    def _decode(self, raw: str) -> tuple[datetime, str]:
        try:
            padded = raw + "=" * (-len(raw) % 4)
            field, value, pk = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, TypeError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc
        if field != self.cursor_field:
            raise ValidationError({"cursor": ["This cursor belongs to another sort order."]})
        try:
            return datetime.fromisoformat(value), pk
        except (ValueError, TypeError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc
