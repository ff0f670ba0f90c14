"""Delivery receipts: a provider's status callback marks a sent `Message` delivered or failed.

The callback URL names the integration (`/notifications/receipts/{provider}/{integrationId}`): it says which tenant
and which key verifies the signature. Nothing is read from an unverified request:
- SendGrid Event Webhook: ECDSA P-256/SHA-256 over `timestamp + raw body` (headers
  `X-Twilio-Email-Event-Webhook-Signature` / `-Timestamp`), verified with the integration's public key;
- Twilio SMS status callback: `X-Twilio-Signature`, base64 HMAC-SHA1 of the URL plus the sorted form parameters,
  keyed with the auth token;
- Mailgun webhooks: hex HMAC-SHA256 of `timestamp + token`, keyed with the HTTP webhook signing key.
Receipts only move a message forward (sent -> delivered with `delivered_at`, sent or delivered -> failed) with a
guarded UPDATE, so a retried or replayed callback changes nothing the second time. A batch send gives all its
messages the provider's one id: the event's recipient address picks the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import timezone

from core.errors import ValidationFailed
from notifications.errors import ReceiptSignatureInvalid, ReceiptUnsigned
from notifications.models import ExecutionDetail, Integration, Message, MessageStatus
from notifications.services.webhooks import emit_notification_failed

RECEIPT_PROVIDERS = ("sendgrid", "twilio", "mailgun")
PER_MESSAGE = ("twilio",)  # the others post receipts to the URL set once in the provider's dashboard
SENDGRID_DELIVERED, SENDGRID_FAILED = {"delivered"}, {"bounce", "dropped"}
TWILIO_DELIVERED, TWILIO_FAILED = {"delivered"}, {"undelivered", "failed"}


@dataclass(frozen=True)
class Receipt:
    """What one provider event says about one message (`message_ids`: the forms the id may be stored in;
    `recipient`: whose copy, since a batch request gives all its messages one id)."""

    message_ids: tuple[str, ...]
    is_delivered: bool
    detail: str
    raw: dict[str, Any]
    recipient: str = ""


def receipt_url(integration: Integration) -> str:
    """The status callback URL to give the provider for this integration."""
    return f"{settings.PUBLIC_BASE_URL}/api/v1/notifications/receipts/{integration.provider_id}/{integration.pk}"


# --- verification and parsing, one function per provider -----------------------------------------------------------
def _sendgrid(integration: Integration, body: bytes, headers: Mapping[str, str]) -> list[Receipt]:
    signature = headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
    timestamp = headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
    if not signature or not timestamp:
        raise ReceiptUnsigned()
    try:
        key = serialization.load_der_public_key(base64.b64decode(integration.credentials.get("webhook_public_key", "")))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("not an EC key")
        key.verify(base64.b64decode(signature), timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        raise ReceiptSignatureInvalid() from None
    events = _json(body)
    if not isinstance(events, list):
        raise ValidationFailed("SendGrid posts a JSON array of events.")
    receipts = []
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        if kind not in SENDGRID_DELIVERED | SENDGRID_FAILED:
            continue  # processed, deferred, open, click...: not an outcome
        # `sg_message_id` is the X-Message-Id of the send followed by `.filter...` (the recipient's copy).
        message_id = str(event.get("sg_message_id", "")).split(".filter", 1)[0]
        reason = event.get("reason") or event.get("response") or ""
        detail = f"sendgrid: {kind} {reason}".strip()
        receipts.append(Receipt((message_id,), kind in SENDGRID_DELIVERED, detail, event, str(event.get("email", ""))))
    return receipts


def _twilio(integration: Integration, body: bytes, headers: Mapping[str, str], url: str) -> list[Receipt]:
    signature = headers.get("X-Twilio-Signature", "")
    if not signature:
        raise ReceiptUnsigned()
    params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    signed = url + "".join(key + value for key, value in sorted(params))
    key = str(integration.credentials.get("auth_token", "")).encode()
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha1).digest()).decode()
    if not key or not hmac.compare_digest(expected, signature):
        raise ReceiptSignatureInvalid()
    form = dict(params)
    status = form.get("MessageStatus", "")
    if status not in TWILIO_DELIVERED | TWILIO_FAILED:
        return []  # queued, sending, sent: not an outcome yet
    detail = f"twilio: {status}" + (f" ({form['ErrorCode']})" if form.get("ErrorCode") else "")
    return [Receipt((form.get("MessageSid", ""),), status in TWILIO_DELIVERED, detail, form)]


def _mailgun(integration: Integration, body: bytes, headers: Mapping[str, str]) -> list[Receipt]:
    payload = _json(body)
    signed = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(signed, dict) or not all(signed.get(k) for k in ("timestamp", "token", "signature")):
        raise ReceiptUnsigned()
    key = str(integration.credentials.get("webhook_signing_key", "")).encode()
    expected = hmac.new(key, f"{signed['timestamp']}{signed['token']}".encode(), hashlib.sha256).hexdigest()
    if not key or not hmac.compare_digest(expected, str(signed["signature"])):
        raise ReceiptSignatureInvalid()
    event = payload.get("event-data") or {}
    kind = event.get("event")
    if kind == "failed" and event.get("severity") == "temporary":
        return []  # Mailgun retries these itself
    if kind not in ("delivered", "failed"):
        return []
    message_id = str(((event.get("message") or {}).get("headers") or {}).get("message-id", ""))
    status = event.get("delivery-status") or {}
    reason = status.get("description") or status.get("message") or event.get("reason") or ""
    # The send stored the id as Mailgun answered it, in angle brackets; the event names it without.
    detail = f"mailgun: {kind} {reason}".strip()
    return [
        Receipt((message_id, f"<{message_id}>"), kind == "delivered", detail, event, str(event.get("recipient", "")))
    ]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ValidationFailed("The body is not JSON.") from None


def verify_and_parse(integration: Integration, *, body: bytes, headers: Mapping[str, str], url: str) -> list[Receipt]:
    """The receipts of a verified callback; raises ReceiptUnsigned (401) or ReceiptSignatureInvalid (403)."""
    if integration.provider_id == "sendgrid":
        return _sendgrid(integration, body, headers)
    if integration.provider_id == "twilio":
        return _twilio(integration, body, headers, url)
    return _mailgun(integration, body, headers)


# --- applying ------------------------------------------------------------------------------------------------------
def apply_receipts(integration: Integration, receipts: list[Receipt]) -> int:
    """Move each named message of this integration forward; returns how many changed (0 for a replay)."""
    changed = 0
    for receipt in receipts:
        ids = [i for i in receipt.message_ids if i]
        if not ids:
            continue
        candidates = Message.objects.select_related("event__workflow", "subscriber").filter(
            integration=integration, provider_message_id__in=ids
        )
        if receipt.recipient:
            candidates = candidates.filter(subscriber__email__iexact=receipt.recipient)
        message = candidates.first()
        if message is None:
            continue  # not one of ours (another app on the same provider account)
        if receipt.is_delivered:
            updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
                status=MessageStatus.DELIVERED, delivered_at=timezone.now()
            )
        else:
            error = {"code": "PROVIDER_REPORTED_FAILURE", "message": receipt.detail[:500]}
            updated = Message.objects.filter(
                pk=message.pk, status__in=[MessageStatus.SENT, MessageStatus.DELIVERED]
            ).update(status=MessageStatus.FAILED, error=error)
            if updated:
                emit_notification_failed(message, error)
        if updated:
            changed += 1
            ExecutionDetail.objects.create(
                job_id=message.job_id,
                message=message,
                step_index=message.step_index,
                status="success" if receipt.is_delivered else "failed",
                detail=f"Receipt: {receipt.detail}"[:500],
                integration=integration,
                provider_id=integration.provider_id,
                raw=receipt.raw,
            )
    return changed
