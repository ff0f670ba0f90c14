"""The one seam for telling people what happened: `notify()` from a service, delivered after commit on `notify`.

A service never sends mail itself: it calls `notify()` inside its transaction. The notice is enqueued only when the
transaction commits (a rolled-back change tells nobody), and a worker on the `notify` queue delivers it, so no
request waits on a mail server and a request's timing never depends on whether mail was sent.

Delivery is pluggable: by default a notice is an email to its recipients. The notifications app replaces the
deliverer in its `AppConfig.ready()` with one that runs the tenant's workflows for `event`.

Attachments (a report's PDF) travel base64-encoded in the payload, so keep them small (a few hundred kB). The
default email and the notifications app's fallback email carry them; a workflow or an email integration provider
delivers the text only (their `OutboundMessage` has no attachments yet).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str

    def as_payload(self) -> dict[str, str]:
        encoded = base64.b64encode(self.content).decode("ascii")
        return {"filename": self.filename, "content": encoded, "mimetype": self.mimetype}

    @classmethod
    def from_payload(cls, payload: Mapping[str, str]) -> Attachment:
        return cls(payload["filename"], base64.b64decode(payload["content"]), payload["mimetype"])


@dataclass(frozen=True)
class Notice:
    """What happened (`event`, a stable dotted key), for whom, and the plain-text message."""

    event: str
    to: tuple[str, ...]
    subject: str
    body: str
    tenant_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    notice_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attachments: tuple[Attachment, ...] = ()

    def as_payload(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "to": list(self.to),
            "subject": self.subject,
            "body": self.body,
            "tenant_id": self.tenant_id,
            "data": dict(self.data),
            "notice_id": self.notice_id,
            "attachments": [attachment.as_payload() for attachment in self.attachments],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Notice:
        attachments = tuple(Attachment.from_payload(a) for a in payload.get("attachments") or ())
        fields = {**payload, "to": tuple(payload["to"]), "data": payload.get("data") or {}, "attachments": attachments}
        return cls(**fields)


def send_as_email(notice: Notice) -> None:
    message = EmailMessage(notice.subject, notice.body, settings.DEFAULT_FROM_EMAIL, list(notice.to))
    for attachment in notice.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()


_deliverer: Callable[[Notice], None] = send_as_email


def set_deliverer(deliverer: Callable[[Notice], None]) -> None:
    """Install how notices are delivered (the notifications app does, in `ready()`)."""
    global _deliverer
    _deliverer = deliverer


def deliver(notice: Notice) -> None:
    _deliverer(notice)


def notify(
    event: str,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    tenant_id: uuid.UUID | str | None = None,
    data: Mapping[str, Any] | None = None,
    notice_id: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Notice | None:
    """Tell `to` (email addresses) that `event` happened, once the current transaction commits.

    `data` must be JSON-serialisable: it travels through the broker and feeds workflow templates. A caller that may
    itself run twice (a redelivered task) passes a stable `notice_id`, so the notice is still delivered once.
    Returns the notice, or None when there is nobody to tell.
    """
    recipients = tuple(dict.fromkeys(address for address in to if address))
    if not recipients:
        return None
    notice = Notice(
        event=event,
        to=recipients,
        subject=subject,
        body=body,
        tenant_id=str(tenant_id) if tenant_id is not None else None,
        data=dict(data or {}),
        attachments=tuple(attachments),
        **({"notice_id": notice_id} if notice_id else {}),
    )
    from core.tasks import deliver_notice  # the seam's one service -> task edge

    payload = notice.as_payload()
    transaction.on_commit(lambda: deliver_notice.delay(notice=payload))
    return notice
