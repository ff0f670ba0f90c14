"""OpenAPI: every operation documents the error shape for the statuses it can return.

The authentication schemes are documented next to their classes (tenants/authentication.py): core names no app.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="ErrorResponse",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(help_text="Field name -> list of messages, or other context."),
            },
        ),
        "status_code": serializers.IntegerField(),
        "path": serializers.CharField(),
        "timestamp": serializers.DateTimeField(),
        "request_id": serializers.CharField(),
    },
)

_DESCRIPTIONS = {
    400: "Invalid input (`VALIDATION_ERROR` with field details, or `BAD_REQUEST`).",
    401: "Missing or invalid credential (`UNAUTHORIZED`; bearer tokens: `TOKEN_EXPIRED`, `SESSION_REVOKED`, "
    "`TENANT_INACTIVE`).",
    403: "Not allowed for this credential (`FORBIDDEN`, `LIMIT_REACHED`).",
    404: "Not found, or owned by another tenant (`NOT_FOUND`).",
    405: "Method not allowed (`METHOD_NOT_ALLOWED`).",
    409: "Conflicts with the current state (`CONFLICT`, `INVALID_STATE`, idempotency key reuse).",
    413: "Request body too large (`PAYLOAD_TOO_LARGE`).",
    429: "Rate limited (`RATE_LIMITED`); see `Retry-After`.",
    500: "Unexpected error (`INTERNAL_ERROR`).",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in statuses}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        statuses = [429, 500]
        if any(type(p).__name__ != "AllowAny" for p in self.view.get_permissions()):
            statuses += [401, 403]
        if method in {"POST", "PUT", "PATCH"}:
            statuses += [400, 413]
        if method == "GET" and self._is_list_view():
            statuses += [400]
        if "{" in self.path:
            statuses += [404]
        if method == "POST" and "{" in self.path:
            statuses += [409]
        for status in sorted(set(statuses)):
            key = str(status)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]), key, direction=direction
                )
        return responses
