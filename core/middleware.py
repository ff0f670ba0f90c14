"""Outermost request wrappers: request id, tenant context reset, admin platform access, body size limit, and the
edge checks of paths, query strings, headers and chunked bodies."""

from __future__ import annotations

import re
import tempfile
import uuid

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from core import tenancy
from core.api.exceptions import error_response
from core.request_context import RequestInfo, reset_request_info, set_request_info

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def client_ip(request: HttpRequest) -> str | None:
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    """Accepts a well-formed `X-Request-Id` or makes one; echoes it and makes it available to errors and logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_request_info(RequestInfo(request_id=request_id, ip_address=client_ip(request), path=request.path))
        try:
            too_large = self._body_too_large(request)
            response = too_large or self.get_response(request)
        finally:
            reset_request_info(token)
        response["X-Request-Id"] = request_id
        return response

    @staticmethod
    def _body_too_large(request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        is_multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_BYTES if is_multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return error_response(
                request,
                status=413,
                code="PAYLOAD_TOO_LARGE",
                message=f"The request body is larger than the {limit} bytes allowed.",
                details={"maxBytes": limit},
            )
        return None


class TenantContextMiddleware:
    """The outermost tenancy scope of a request: it starts empty, authentication enters `acting_as` inside it, and
    every context entered is reset (by token) when the request ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tenancy.request_scope(request):
            return self.get_response(request)


class PlatformAdminMiddleware:
    """The operator console works across tenants: staff requests under /admin/ run with platform access."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/admin/") and user is not None and user.is_active and user.is_staff:
            with tenancy.platform_access():
                return self.get_response(request)
        return self.get_response(request)


class RequestEdgeMiddleware:
    """One validation at the edge for what every view would otherwise trip over (issue 8):

    - a NUL in the path is a 404 and in a query string or header a 400 (PostgreSQL refuses NUL in text: a lookup
      like `/s/%00` was a 500); query values pass the same string checks as JSON bodies (`core.api.parsers`);
    - a `Transfer-Encoding: chunked` body is read under the size cap when the server de-chunks it (gunicorn sets
      `wsgi.input_terminated`), else 411: a body that was not read is never answered with success.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse_path(request) or self._refuse_query(request) or self._read_chunked_body(request)
        return refused or self.get_response(request)

    @staticmethod
    def _refuse_path(request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path:
            return error_response(request, status=404, code="NOT_FOUND", message="Not found.")
        return None

    @staticmethod
    def _refuse_query(request: HttpRequest) -> HttpResponse | None:
        from core.api.parsers import string_problem

        problems: dict[str, list[str]] = {}
        for key, values in request.GET.lists():
            key_problem = string_problem(key, is_name=True)
            if key_problem:
                problems.setdefault("query", []).append(f"Invalid parameter name: {key_problem}")
                continue
            for value in values:
                problem = string_problem(value)
                if problem:
                    problems.setdefault(key, []).append(problem)
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                problems.setdefault("headers", []).append(f"{name[5:].replace('_', '-').title()}: NUL not allowed.")
        if problems:
            return error_response(
                request, status=400, code="VALIDATION_ERROR", message="Invalid request data.", details=problems
            )
        return None

    @staticmethod
    def _read_chunked_body(request: HttpRequest) -> HttpResponse | None:
        if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return None
        if not request.META.get("wsgi.input_terminated"):
            return error_response(
                request,
                status=411,
                code="LENGTH_REQUIRED",
                message="Send the body with a Content-Length header; this server cannot read chunked bodies.",
            )
        is_multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_BYTES if is_multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        size = 0
        source = request.META["wsgi.input"]
        while chunk := source.read(min(64 * 1024, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                body.close()
                return error_response(
                    request,
                    status=413,
                    code="PAYLOAD_TOO_LARGE",
                    message=f"The request body is larger than the {limit} bytes allowed.",
                    details={"maxBytes": limit},
                )
            body.write(chunk)
        body.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(body, size)  # what Django reads `request.body` and uploads from
        return None
