"""One error shape for every 4xx/5xx: DRF errors, domain errors, Django's own 404/405/500, parse errors."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from djangorestframework_camel_case.util import camelize
from rest_framework import exceptions, status
from rest_framework.response import Response

from core import tenancy
from core.errors import DomainError
from core.request_context import get_request_id

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
}


def error_body(
    request: HttpRequest | None, *, status: int, code: str, message: str, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "details": camelize(details) if details else {}},
        "statusCode": status,
        "path": request.path if request is not None else "",
        "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requestId": getattr(request, "request_id", None) or get_request_id() or "",
    }


def error_response(
    request: HttpRequest | None, *, status: int, code: str, message: str, details: Any = None
) -> JsonResponse:
    return JsonResponse(error_body(request, status=status, code=code, message=message, details=details), status=status)


def _drf_details(exc: exceptions.APIException) -> Any:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, list):
            return {"nonFieldErrors": detail}
        return detail
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    if isinstance(exc, DomainError):
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        body = error_body(request, status=exc.status, code=exc.code, message=exc.message, details=exc.details)
        return Response(body, status=exc.status, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        body = error_body(request, status=413, code="PAYLOAD_TOO_LARGE", message="The request body is too large.")
        return Response(body, status=413)
    elif isinstance(exc, tenancy.NoTenantContext):
        # A credential without a tenant reached a tenant-scoped query: refuse rather than fail open.
        logger.error("tenant-scoped query without tenant", exc_info=exc)
        exc = exceptions.PermissionDenied("This credential is not bound to a tenant.")
    if not isinstance(exc, exceptions.APIException):
        return None  # Django turns it into a 500, rendered by `server_error` below.

    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        code, message = "VALIDATION_ERROR", "Invalid request data."
    elif isinstance(exc, exceptions.ParseError):
        code, message = "BAD_REQUEST", str(exc.detail)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status_code = status.HTTP_401_UNAUTHORIZED
        # An authenticator may name a documented code (`TOKEN_EXPIRED`, `SESSION_REVOKED`) so clients know whether to
        # refresh or sign in again; DRF's own codes stay the generic `UNAUTHORIZED`.
        code, message = getattr(exc, "error_code", None) or "UNAUTHORIZED", str(exc.detail)
    else:
        code = _CODES_BY_STATUS.get(status_code, "ERROR")
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else code.replace("_", " ").capitalize()
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    if status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    body = error_body(request, status=status_code, code=code, message=message, details=_drf_details(exc))
    return Response(body, status=status_code, headers=headers)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(request, status=404, code="NOT_FOUND", message="Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(request, status=500, code="INTERNAL_ERROR", message="An unexpected error occurred.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(request, status=400, code="BAD_REQUEST", message="Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(request, status=403, code="FORBIDDEN", message="Forbidden.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return error_response(request, status=403, code="CSRF_FAILED", message="CSRF verification failed.")
