"""Outermost request wrappers: request id, tenant context reset, admin platform access, body size limit."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
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
