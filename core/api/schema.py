"""OpenAPI: every operation documents the error shape for the statuses it can return.

The authentication schemes are documented next to their classes (tenants/authentication.py): core names no app.
"""

from __future__ import annotations

import re

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
    503: "An outside service (a network, a provider) could not answer (`NETWORK_UNAVAILABLE`); try again later.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in statuses}


class AutoSchema(SpectacularAutoSchema):
    # Only a GET lists: a POST answering several objects (`duplicate`) returns a plain array, takes no filter or
    # pagination parameters, and must not be documented as a page.
    def get_filter_backends(self) -> list:
        return super().get_filter_backends() if self.method.upper() == "GET" else []

    def _get_paginator(self):
        return super()._get_paginator() if self.method.upper() == "GET" else None

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents bodies for POST/PUT/PATCH only; a DELETE that declares a body in its
        # `extend_schema(request=...)` (`DELETE /teams/{id}/members`) must show it, or generated clients cannot
        # send it.
        declared = type(self).get_request_serializer is not AutoSchema.get_request_serializer
        if self.method.upper() == "DELETE" and declared and self.get_request_serializer() is not None:
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        # Any request can be a 400: the edge refuses NUL or control characters in a query string or header.
        statuses = [400, 429, 500]
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


def align_path_parameters(result: dict, generator, request, public) -> dict:
    """Postprocessing hook, after camelizing: path templates use the parameter names the operations declare.

    The camel-case hook renames declared path parameters (`team_id` -> `teamId`) but not the `{team_id}` in the
    path itself; generated clients then cannot fill the template. Rename the template variables to match.
    """
    from djangorestframework_camel_case.util import underscore_to_camel

    aligned = {}
    for path, operations in result.get("paths", {}).items():
        declared = {
            parameter["name"]
            for operation in operations.values()
            if isinstance(operation, dict)
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "path"
        }

        def rename(match: re.Match, declared: set[str] = declared) -> str:
            name = match.group(1)
            camel = re.sub(r"_([a-z0-9])", underscore_to_camel, name)
            return "{" + (camel if name not in declared and camel in declared else name) + "}"

        aligned[re.sub(r"\{([^}]+)\}", rename, path)] = operations
    result["paths"] = aligned
    return result


def path_parameter_mismatches(schema: dict) -> list[str]:
    """Operations whose path template names differ from their declared path parameters (CI and tests check)."""
    problems = []
    for path, operations in schema.get("paths", {}).items():
        in_template = set(re.findall(r"\{([^}]+)\}", path))
        for method, operation in operations.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if declared != in_template:
                problems.append(f"{method.upper()} {path}: template {sorted(in_template)}, declared {sorted(declared)}")
    return problems
