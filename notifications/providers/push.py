"""Push providers: Firebase Cloud Messaging (HTTP v1), Apple Push Notification service (HTTP/2, token auth) and
Web Push (RFC 8030 delivery, RFC 8291 aes128gcm payload encryption, RFC 8292 VAPID), written over httpx and
`cryptography` so no vendor SDK is needed.

Device tokens and Web Push subscriptions come from the subscriber's channel credentials. A message goes to every
token; it counts as sent when at least one device accepted it, and the per-device answers are kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.cache import cache

from core import url_safety
from notifications.providers.base import (
    TIMEOUT,
    CredentialField,
    MissingAddress,
    OutboundMessage,
    Provider,
    ProviderAuthFailed,
    ProviderError,
    ProviderRejected,
    SendResult,
    body_of,
    call,
    error_for_status,
    require_format,
)


class PushProvider(Provider):
    channel = "push"

    def send_each(self, targets: list[Any], send_one) -> SendResult:
        results, errors = [], []
        for target in targets:
            try:
                results.append(send_one(target))
            except ProviderError as exc:
                errors.append(exc)
        if not results:
            raise errors[0]
        return SendResult(
            provider_message_id=str(results[0].get("id", "")),
            response={"accepted": results, "rejected": [e.as_dict() for e in errors]},
        )


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


# --- FCM -----------------------------------------------------------------------------------------------------------
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_UNREGISTERED = {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"}


class FcmProvider(PushProvider):
    """POST https://fcm.googleapis.com/v1/projects/{project}/messages:send with an OAuth token from the service
    account (RS256 JWT bearer grant). Errors: {"error": {"status", "details": [{"errorCode"}]}}."""

    id = "fcm"
    display_name = "Firebase Cloud Messaging"
    credential_fields = (CredentialField("service_account", "Service account JSON"),)

    def account(self) -> dict[str, Any]:
        raw = self.credentials.get("service_account")
        account = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        if not account.get("client_email") or not account.get("private_key") or not account.get("project_id"):
            raise ProviderAuthFailed("The service account needs project_id, client_email and private_key.")
        return account

    def access_token(self) -> str:
        account = self.account()
        cache_key = "fcm-token:" + hashlib.sha256(account["private_key"].encode()).hexdigest()[:32]
        token = cache.get(cache_key)
        if token:
            return token
        now = int(time.time())
        token_uri = account.get("token_uri") or "https://oauth2.googleapis.com/token"
        assertion = jwt.encode(
            {"iss": account["client_email"], "scope": FCM_SCOPE, "aud": token_uri, "iat": now, "exp": now + 3600},
            account["private_key"],
            algorithm="RS256",
            headers={"kid": account.get("private_key_id", "")},
        )
        response = call(
            "POST",
            token_uri,
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
            safe=True,
        )
        body = body_of(response)
        if response.status_code != 200:
            error = error_for_status(response, f"Google token endpoint: {body.get('error', 'refused')}")
            if response.status_code == 400:  # invalid_grant: the key is revoked or wrong
                raise ProviderAuthFailed(error.message, status_code=400, response=body)
            raise error
        cache.set(cache_key, body["access_token"], max(60, int(body.get("expires_in", 3600)) - 300))
        return body["access_token"]

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.device_tokens:
            raise MissingAddress("The subscriber has no FCM device token.")
        project = require_format(self.account()["project_id"], r"[a-z][a-z0-9-]{3,62}", "Firebase project id")
        url = f"https://fcm.googleapis.com/v1/projects/{project}/messages:send"
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        data = {str(k): str(v) for k, v in message.data.items()}

        def send_one(token: str) -> dict:
            payload = {"message": {"token": token, "notification": {"title": message.subject, "body": message.body}}}
            if data:
                payload["message"]["data"] = data
            response = call("POST", url, json=payload, headers=headers)
            body = body_of(response)
            if response.status_code != 200:
                error = body.get("error", {}) if isinstance(body, dict) else {}
                codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)}
                text = f"FCM {error.get('status', response.status_code)}: {error.get('message', '')}"
                if codes & FCM_UNREGISTERED or response.status_code == 404:
                    raise ProviderRejected(text, status_code=response.status_code, response=body)
                raise error_for_status(response, text)
            return {"id": body.get("name", ""), "token": token[-8:]}

        return self.send_each(list(message.device_tokens), send_one)

    def check(self) -> None:
        self.access_token()


# --- APNs ----------------------------------------------------------------------------------------------------------
APNS_HOSTS = {True: "https://api.push.apple.com", False: "https://api.sandbox.push.apple.com"}


class ApnsProvider(PushProvider):
    """POST /3/device/{token} over HTTP/2 with a provider token (ES256 JWT {iss: team, iat}, kid: key id),
    `apns-topic` = bundle id. 200 with `apns-id`; errors {"reason"}: 400 BadDeviceToken, 410 Unregistered,
    403 ExpiredProviderToken, 429 TooManyRequests."""

    id = "apns"
    display_name = "Apple Push Notification service"
    credential_fields = (
        CredentialField("team_id", "Team id", is_secret=False),
        CredentialField("key_id", "Key id", is_secret=False),
        CredentialField("private_key", "Auth key (.p8 contents)"),
        CredentialField("bundle_id", "Bundle id (apns-topic)", is_secret=False),
        CredentialField("production", "Production (true/false)", is_secret=False, is_required=False),
    )

    def provider_token(self) -> str:
        # Apple rejects a new token more often than every 20 minutes (TooManyProviderTokenUpdates): reuse for 50.
        cache_key = f"apns-token:{self.cred('team_id')}:{self.cred('key_id')}"
        token = cache.get(cache_key)
        if token:
            return token
        token = jwt.encode(
            {"iss": self.cred("team_id"), "iat": int(time.time())},
            self.cred("private_key"),
            algorithm="ES256",
            headers={"kid": self.cred("key_id")},
        )
        cache.set(cache_key, token, 50 * 60)
        return token

    def base_url(self) -> str:
        return APNS_HOSTS[self.cred("production", "true").lower() in {"1", "true", "yes"}]

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.device_tokens:
            raise MissingAddress("The subscriber has no APNs device token.")
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.cred("bundle_id"),
            "apns-push-type": "alert",
            "apns-priority": "10",
        }
        payload = {"aps": {"alert": {"title": message.subject, "body": message.body}}, **message.data}
        with httpx.Client(http2=True, timeout=TIMEOUT, trust_env=False) as client:

            def send_one(token: str) -> dict:
                if not re.fullmatch(r"[0-9A-Fa-f]{8,200}", token):
                    raise ProviderRejected("Not an APNs device token (hex).")
                response = call(
                    "POST", f"{self.base_url()}/3/device/{token}", json=payload, headers=headers, client=client
                )
                if response.status_code != 200:
                    reason = body_of(response).get("reason", "")
                    if response.status_code in (400, 410) and reason in {
                        "BadDeviceToken",
                        "Unregistered",
                        "DeviceTokenNotForTopic",
                    }:
                        raise ProviderRejected(
                            f"APNs {reason}", status_code=response.status_code, response={"reason": reason}
                        )
                    raise error_for_status(response, f"APNs {response.status_code} {reason}")
                return {"id": response.headers.get("apns-id", ""), "token": token[-8:]}

            return self.send_each(list(message.device_tokens), send_one)

    def check(self) -> None:
        try:
            serialization.load_pem_private_key(self.cred("private_key").encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ProviderAuthFailed("The APNs auth key is not a valid .p8 private key.") from exc
        self.provider_token()


# --- Web Push ------------------------------------------------------------------------------------------------------
RECORD_SIZE = 4096


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def encrypt_aes128gcm(plaintext: bytes, *, p256dh: str, auth: str, salt: bytes | None = None) -> bytes:
    """RFC 8291 message encryption for one record: header (salt, rs, keyid = our ephemeral public key) + ciphertext."""
    ua_public = _b64url_decode(p256dh)
    auth_secret = _b64url_decode(auth)
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    as_private = ec.generate_private_key(ec.SECP256R1())
    as_public = as_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = as_private.exchange(ec.ECDH(), ua_key)
    ikm = _hkdf(auth_secret, shared, b"WebPush: info\x00" + ua_public + as_public, 32)
    salt = salt or os.urandom(16)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + RECORD_SIZE.to_bytes(4, "big") + bytes([len(as_public)]) + as_public
    return header + ciphertext


def vapid_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """A VAPID private key as PEM or as the raw 32-byte scalar in base64url (what web-push tools print)."""
    if "BEGIN" in value:
        key = serialization.load_pem_private_key(value.encode(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key
    return ec.derive_private_key(int.from_bytes(_b64url_decode(value), "big"), ec.SECP256R1())


class WebPushProvider(PushProvider):
    """POST the encrypted payload to the browser's push service endpoint with `Authorization: vapid t=..., k=...`.
    201 Created; 404/410 the subscription is gone; 413 payload too large; 429 with Retry-After."""

    id = "webpush"
    display_name = "Web Push"
    credential_fields = (
        CredentialField("vapid_public_key", "VAPID public key (base64url)", is_secret=False),
        CredentialField("vapid_private_key", "VAPID private key"),
        CredentialField("subject", "Contact (mailto: or https:)", is_secret=False),
    )

    def vapid_header(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        token = jwt.encode(
            {
                "aud": f"{parts.scheme}://{parts.netloc}",
                "exp": int(time.time()) + 12 * 3600,
                "sub": self.cred("subject"),
            },
            vapid_private_key(self.cred("vapid_private_key")),
            algorithm="ES256",
        )
        return f"vapid t={token}, k={self.cred('vapid_public_key')}"

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.push_subscriptions:
            raise MissingAddress("The subscriber has no Web Push subscription.")
        body = json.dumps({"title": message.subject, "body": message.body, "data": message.data}).encode()

        def send_one(subscription: dict) -> dict:
            endpoint = str(subscription.get("endpoint", ""))
            keys = subscription.get("keys") or {}
            try:
                checked = url_safety.check_url(endpoint)
            except url_safety.UrlFetchError as exc:
                raise ProviderRejected(f"Push endpoint refused: {exc}") from exc
            if urlsplit(endpoint).scheme != "https":
                raise ProviderRejected("Push endpoints must use https.")
            encrypted = encrypt_aes128gcm(body, p256dh=keys.get("p256dh", ""), auth=keys.get("auth", ""))
            headers = {
                "Authorization": self.vapid_header(endpoint),
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": "86400",
                "Urgency": "normal",
            }
            with httpx.Client(
                transport=url_safety.PinnedTransport(checked), timeout=TIMEOUT, trust_env=False
            ) as client:
                response = call("POST", endpoint, content=encrypted, headers=headers, client=client)
            if response.status_code not in (200, 201, 202):
                if response.status_code in (404, 410):
                    raise ProviderRejected("The push subscription has expired.", status_code=response.status_code)
                raise error_for_status(response, f"Push service answered {response.status_code}")
            return {"id": response.headers.get("Location", ""), "endpoint": checked.host}

        return self.send_each(list(message.push_subscriptions), send_one)

    def check(self) -> None:
        try:
            key = vapid_private_key(self.cred("vapid_private_key"))
        except (ValueError, TypeError) as exc:
            raise ProviderAuthFailed("The VAPID private key is not valid.") from exc
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        if _b64url(public) != self.cred("vapid_public_key").rstrip("="):
            raise ProviderAuthFailed("The VAPID public key does not belong to the private key.")
