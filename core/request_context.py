"""Per-request values other layers need (request id for errors and the audit log, client IP, caller name)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    ip_address: str | None
    path: str


_request_info: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("hubbub_request", default=None)


def set_request_info(info: RequestInfo | None) -> contextvars.Token:
    return _request_info.set(info)


def reset_request_info(token: contextvars.Token) -> None:
    _request_info.reset(token)


def get_request_info() -> RequestInfo | None:
    return _request_info.get()


def get_request_id() -> str | None:
    info = _request_info.get()
    return info.request_id if info else None
