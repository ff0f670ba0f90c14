"""Domain errors: raised by services, rendered by the one DRF exception handler in the documented error shape.

Each app lists its own subclasses in `<app>/errors.py` with stable codes.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "BAD_REQUEST"
    message: str = "The request cannot be processed."

    def __init__(self, message: str | None = None, *, details: Any = None, code: str | None = None) -> None:
        self.message = message or self.message
        self.details = details
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status = 400
    code = "VALIDATION_ERROR"
    message = "Invalid request data."


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found."


class PermissionDenied(DomainError):
    status = 403
    code = "FORBIDDEN"
    message = "You do not have permission to perform this action."


class LimitReached(DomainError):
    status = 403
    code = "LIMIT_REACHED"
    message = "Your plan's limit has been reached."


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."


class InvalidState(Conflict):
    code = "INVALID_STATE"
    message = "This action is not allowed in the object's current state."


class Unauthorized(DomainError):
    status = 401
    code = "UNAUTHORIZED"
    message = "Authentication credentials are missing or invalid."


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
