"""`Idempotency-Key` on POST: a retry with the same key and body returns the first response; another body -> 409.

Opt in per viewset with `idempotent_actions = {"create", "schedule", ...}`. The first request inserts a pending
record under a unique constraint, so two concurrent requests with one key cannot both run the action.
"""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from core.api.exceptions import error_body
from core.api.permissions import principal_of

HEADER = "HTTP_IDEMPOTENCY_KEY"


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class IdempotencyMixin:
    idempotent_actions: frozenset[str] | set[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        self._idempotency_record = None
        super().initial(request, *args, **kwargs)
        key = (request.META.get(HEADER) or "")[:255]
        if request.method != "POST" or not key or getattr(self, "action", None) not in self.idempotent_actions:
            return
        from core.models import IdempotencyRecord

        owner = principal_of(request).throttle_key
        body = json.dumps(request.data, sort_keys=True, default=str).encode()
        fingerprint = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    self._idempotency_record = IdempotencyRecord.objects.create(
                        owner=owner, key=key, fingerprint=fingerprint
                    )
                return
            except IntegrityError:
                existing = IdempotencyRecord.objects.get(owner=owner, key=key)
        raise _Replay(self._replay(request, existing, fingerprint))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            if response.status_code < 500 and isinstance(response, Response):
                record.complete(response.status_code, response.data)
            else:
                record.delete()  # a server error is not an outcome worth replaying
        return super().finalize_response(request, response, *args, **kwargs)

    @staticmethod
    def _replay(request, existing, fingerprint: str) -> Response:
        if existing.fingerprint != fingerprint:
            body = error_body(
                request,
                status=409,
                code="IDEMPOTENCY_KEY_REUSED",
                message="This Idempotency-Key was used with a different request.",
            )
            return Response(body, status=409)
        if existing.status_code is None:
            body = error_body(
                request, status=409, code="IDEMPOTENCY_IN_PROGRESS", message="The first request is still running."
            )
            return Response(body, status=409)
        response = Response(existing.response_body, status=existing.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
