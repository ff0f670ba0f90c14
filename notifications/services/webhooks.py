"""Outgoing webhooks (Standard Webhooks): endpoints, signing, delivery with retries, disabling, redelivery.

`emit(event_type, payload, tenant_id=)` is the public face for every app: it writes the event and one delivery
per subscribed endpoint in the caller's transaction (an outbox: a rolled-back change emits nothing) and enqueues
the deliveries after commit. A delivery is claimed with a guarded UPDATE, sent with a 15 s timeout to the address
checked at send time (SSRF guard, DNS pinned), redirects count as failures, and failed attempts are retried on the
schedule below (8 attempts over ~27 h) by the beat sweep. An endpoint failing for `DISABLE_AFTER` is disabled and
the tenant's admins are told. Receivers dedupe on `webhook-id`, which is the same for every attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import audit, notify, tenancy, url_safety
from core.auth import Principal
from core.errors import InvalidState, ValidationFailed
from notifications import webhook_events
from notifications.errors import WebhookUrlNotAllowed
from notifications.models import (
    DeliveryStatus,
    Message,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from notifications.services import sweeps

TIMEOUT_SECONDS = 15.0
# Delay before attempt n+1 after attempt n failed (the Standard Webhooks / Svix schedule): 8 attempts in ~27.6 h.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DISABLE_AFTER = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
LEASE = timedelta(minutes=2)
EXCERPT = 1000


# --- signing -------------------------------------------------------------------------------------------------------
def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's base64 part (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(endpoint: WebhookEndpoint, msg_id: str, body: bytes, *, now: int | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    secrets_in_use = [endpoint.secret_encrypted]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and (endpoint.previous_secret_expires_at > timezone.now())
    ):
        secrets_in_use.append(endpoint.previous_secret_encrypted)  # both sign during the rotation overlap
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_in_use),
        "content-type": "application/json",
        "user-agent": "Hubbub-Webhooks/1.0",
    }


# --- URL safety ----------------------------------------------------------------------------------------------------
def allowed_private_targets() -> set[str]:
    """`WEBHOOK_ALLOWED_HOSTS` (comma-separated host:port): named private targets for self-hosted installs."""
    raw = getattr(settings, "WEBHOOK_ALLOWED_HOSTS", "") or ""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return {item.strip().lower() for item in items if item.strip()}


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or url_safety.DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    return f"{(parts.hostname or '').lower()}:{port}"


def check_target(url: str) -> url_safety.CheckedUrl | None:
    """The checked (public, pinned) target, or None for an operator-allowed private host; raises UrlFetchError."""
    if urlsplit(url).scheme.lower() in url_safety.ALLOWED_SCHEMES and _host_port(url) in allowed_private_targets():
        return None
    return url_safety.check_url(url)


def _validate_url(url: str) -> None:
    try:
        check_target(url)
    except url_safety.UrlFetchError as exc:
        raise WebhookUrlNotAllowed(details={"url": [str(exc)]}) from None


def _validate_event_types(event_types: list[str]) -> list[str]:
    unknown = [t for t in event_types if not webhook_events.is_valid_filter(t)]
    if unknown:
        raise ValidationFailed(details={"eventTypes": [f"Unknown event type: {', '.join(unknown)}."]})
    return sorted(set(event_types))


# --- endpoints -----------------------------------------------------------------------------------------------------
def create_endpoint(
    *, actor: Principal, url: str, event_types: list[str] | None = None, description: str = ""
) -> WebhookEndpoint:
    """Create an endpoint with a fresh secret (the caller shows it once)."""
    _validate_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            description=description,
            event_types=_validate_event_types(event_types or []),
            secret_encrypted=new_secret(),
        )
        audit.record("webhooks.endpoint.create", endpoint, actor=actor, changes={"url": url})
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, actor: Principal, **changes: Any) -> WebhookEndpoint:
    if "url" in changes:
        _validate_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _validate_event_types(changes["event_types"])
    if changes.get("is_active") and not endpoint.is_active:
        changes.update(failing_since=None, disabled_at=None, disabled_reason="")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.save()
        audit.record("webhooks.endpoint.update", endpoint, actor=actor, changes={"fields": sorted(changes)})
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("webhooks.endpoint.delete", endpoint, actor=actor, changes={"url": endpoint.url})
        endpoint.delete()


def rotate_secret(endpoint: WebhookEndpoint, *, actor: Principal) -> WebhookEndpoint:
    """New secret now; the old one keeps signing (a second signature) for `ROTATION_OVERLAP`."""
    with transaction.atomic():
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
        endpoint.secret_encrypted = new_secret()
        endpoint.save()
        audit.record("webhooks.endpoint.rotate_secret", endpoint, actor=actor)
    return endpoint


def disable_endpoint(endpoint: WebhookEndpoint, *, reason: str, actor: Principal | None = None) -> None:
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:200]
    )
    if not updated:
        return
    audit.record("webhooks.endpoint.disable", endpoint, actor=actor, changes={"reason": reason})
    emit(
        "webhook.endpoint_disabled",
        {"endpointId": str(endpoint.pk), "url": endpoint.url, "reason": reason},
        tenant_id=endpoint.tenant_id,
    )
    from tenants import selectors as tenant_selectors

    admins = [m.user.email for m in tenant_selectors.members().filter(role__in=["OWNER", "ADMIN"], is_active=True)]
    notify.notify(
        "webhook.endpoint_disabled",
        to=admins,
        subject="A webhook endpoint was disabled",
        body=f"Hubbub disabled the webhook endpoint {endpoint.url}: {reason}. Fix it, then enable it again.",
        tenant_id=endpoint.tenant_id,
        data={"endpointId": str(endpoint.pk), "url": endpoint.url, "reason": reason},
    )


# --- emitting ------------------------------------------------------------------------------------------------------
def emit(event_type: str, payload: dict, *, tenant_id) -> WebhookEvent | None:
    """Send `event_type` with `payload` to the tenant's subscribed endpoints once the current transaction commits.

    Returns the event, or None when no endpoint wants it. `payload` must be JSON-serialisable.
    """
    if not webhook_events.is_known(event_type):
        raise ValueError(f"Unknown webhook event type {event_type!r}: register it in its app's AppConfig.ready.")
    current = tenancy.get_current_tenant()
    if current is not None and str(current.pk) == str(tenant_id):
        return _emit(event_type, payload)
    from tenants import selectors as tenant_selectors

    tenant = tenant_selectors.tenant_by_id(tenant_id)
    if tenant is None:
        return None  # the tenant is gone: nobody to send to
    with tenancy.tenant_context(tenant):
        return _emit(event_type, payload)


def _emit(event_type: str, payload: dict) -> WebhookEvent | None:
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if webhook_events.matches(e.event_types, event_type)
    ]
    if not endpoints:
        return None
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(event_type=event_type, payload=payload)
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(event=event, endpoint=e, next_attempt_at=now, tenant_id=event.tenant_id)
                for e in endpoints
            ]
        )
        ids, tenant_id = [str(d.pk) for d in deliveries], str(event.tenant_id)
        transaction.on_commit(lambda: enqueue_deliveries(ids, tenant_id=tenant_id))
    return event


def emit_notification_failed(message: Message, error: dict[str, Any]) -> None:
    """The `notification.failed` webhook of a message that just failed (at send time or by a provider's receipt)."""
    emit(  # camelCase like the API: receivers see one naming convention
        "notification.failed",
        {
            "messageId": str(message.pk),
            "transactionId": message.event.transaction_id,
            "workflow": message.event.workflow.identifier,
            "subscriberId": message.subscriber.subscriber_id,
            "channel": message.channel,
            "error": {"code": error.get("code"), "message": error.get("message")},
        },
        tenant_id=message.tenant_id,
    )


def enqueue_deliveries(delivery_ids: list[str], *, tenant_id: str) -> None:
    from notifications.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id=delivery_id, tenant_id=tenant_id)


def body_for(event: WebhookEvent) -> bytes:
    envelope = {"type": event.event_type, "timestamp": event.created_at.isoformat(), "data": event.payload}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


# --- delivering ----------------------------------------------------------------------------------------------------
def attempt_delivery(delivery_id: str) -> WebhookDelivery | None:
    """One attempt of a due delivery (no-op when not due or claimed by someone else)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempt_count=F("attempt_count") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, "The endpoint is disabled."
        delivery.save(update_fields=["status", "last_error", "updated_at"])
        return delivery
    body = body_for(delivery.event)
    headers = signed_headers(endpoint, delivery.event.webhook_id, body)
    status_code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        checked = check_target(endpoint.url)
        transport = url_safety.PinnedTransport(checked) if checked is not None else None
        with httpx.Client(
            transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
        status_code, excerpt = response.status_code, response.text[:EXCERPT]
        if 300 <= status_code < 400:
            error = f"Redirect to {response.headers.get('location', '?')} (redirects are not followed)."
        elif status_code >= 400:
            error = f"HTTP {status_code}"
    except url_safety.UrlFetchError as exc:
        error = f"URL refused at send time: {exc}"
    except httpx.TimeoutException:
        error = f"No answer within {TIMEOUT_SECONDS:.0f} s."
    except httpx.HTTPError as exc:
        error = f"Connection failed: {exc}"[:500]
    success = not error and status_code is not None and 200 <= status_code < 300
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        status_code=status_code,
        response_excerpt=excerpt,
        error=error[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
        is_success=success,
    )
    _record_outcome(delivery, success=success, status_code=status_code, error=error)
    return delivery


def _record_outcome(delivery: WebhookDelivery, *, success: bool, status_code: int | None, error: str) -> None:
    now = timezone.now()
    endpoint = delivery.endpoint
    delivery.last_status_code, delivery.last_error, delivery.claimed_at = status_code, error[:500], None
    if success:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, None
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        if delivery.attempt_count >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempt_count - 1]
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        endpoint.refresh_from_db(fields=["failing_since", "is_active"])
        if endpoint.failing_since is not None and now - endpoint.failing_since >= DISABLE_AFTER:
            disable_endpoint(
                endpoint, reason=f"every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC"
            )
    delivery.save(
        update_fields=[
            "status",
            "last_status_code",
            "last_error",
            "claimed_at",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )


def redeliver(delivery: WebhookDelivery, *, actor: Principal) -> WebhookDelivery:
    """Send a delivery again now (the same `webhook-id`): after a failure, or to replay a success."""
    if not delivery.endpoint.is_active:
        raise InvalidState("The endpoint is disabled; enable it first.")
    updated = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=DeliveryStatus.SENDING)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    )
    if not updated:
        raise InvalidState("The delivery is being sent right now.")
    audit.record("webhooks.delivery.redeliver", delivery, actor=actor)
    tenant_id, ids = str(delivery.tenant_id), [str(delivery.pk)]
    transaction.on_commit(lambda: enqueue_deliveries(ids, tenant_id=tenant_id))
    delivery.refresh_from_db()
    return delivery


def due_deliveries(*, limit: int = 2000) -> dict[str, list[str]]:
    """Release stale claims, then due deliveries grouped by tenant id (the beat sweep enqueues them)."""
    return sweeps.due_by_tenant(
        WebhookDelivery,
        running=DeliveryStatus.SENDING,
        pending=DeliveryStatus.PENDING,
        due_field="next_attempt_at",
        lease=LEASE,
        limit=limit,
    )
