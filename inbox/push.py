"""Network push (webhooks): signature checks, subscription handshakes, and body -> `IncomingItem`s.

Every body is verified against the network's signature over the raw bytes before it is parsed, and parsed whole
before anything is written, so an unsigned, badly signed or malformed delivery stores nothing.

- Meta (Facebook pages, Instagram): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`; the
  subscription handshake is `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...` -> the challenge.
- X (Account Activity API): `X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`;
  the CRC check is `GET ?crc_token=...` -> `{"response_token": "sha256=<base64 HMAC(consumer secret, token)>"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from inbox.errors import WebhookPayloadInvalid, WebhookSignatureInvalid
from inbox.incoming import IncomingItem

PUSH_NETWORKS = ("facebook", "instagram", "x")


def meta_app_secret() -> str:
    return getattr(settings, "INBOX_META_APP_SECRET", "") or settings.NETWORK_APPS.get("facebook", {}).get(
        "client_secret", ""
    )


def x_consumer_secret() -> str:
    return getattr(settings, "INBOX_X_CONSUMER_SECRET", "")


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def verify_signature(network: str, body: bytes, headers: Any) -> None:
    """Raise WebhookSignatureInvalid unless `body` carries the network's valid signature. No secret configured
    means nothing can be verified, so everything is refused."""
    if network in ("facebook", "instagram"):
        secret, header, expected_prefix = meta_app_secret(), headers.get("X-Hub-Signature-256", ""), "sha256="
        expected = expected_prefix + _hmac(secret, body).hex() if secret else ""
    elif network == "x":
        secret, header = x_consumer_secret(), headers.get("X-Twitter-Webhooks-Signature", "")
        expected = "sha256=" + base64.b64encode(_hmac(secret, body)).decode() if secret else ""
    else:
        raise WebhookSignatureInvalid(f"{network} does not push to us.")
    if not expected or not header or not hmac.compare_digest(header.strip(), expected):
        raise WebhookSignatureInvalid()


def meta_handshake(params: Any) -> str:
    """The challenge to echo when the verify token matches (Meta's subscription check)."""
    token = getattr(settings, "INBOX_META_VERIFY_TOKEN", "")
    if (
        params.get("hub.mode") != "subscribe"
        or not token
        or not hmac.compare_digest(str(params.get("hub.verify_token", "")), token)
    ):
        raise WebhookSignatureInvalid("Verify token mismatch.")
    return str(params.get("hub.challenge", ""))


def x_crc_response(crc_token: str) -> dict:
    secret = x_consumer_secret()
    if not secret or not crc_token:
        raise WebhookSignatureInvalid("CRC check needs a crc_token and a configured consumer secret.")
    return {"response_token": "sha256=" + base64.b64encode(_hmac(secret, crc_token.encode())).decode()}


@dataclass(frozen=True)
class PushBatch:
    """Items for one network account (a page, an IG account, an X user), by its network id."""

    account_id: str
    items: tuple[IncomingItem, ...]


def parse(network: str, body: bytes) -> list[PushBatch]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadInvalid("The body is not JSON.") from exc
    try:
        if network in ("facebook", "instagram"):
            return _parse_meta(network, payload)
        return _parse_x(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebhookPayloadInvalid(details={"body": [f"Unexpected shape: {type(exc).__name__} {exc}"]}) from exc


def _epoch(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    number = float(value)
    if number > 10**11:  # milliseconds
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def _parse_meta(network: str, payload: dict) -> list[PushBatch]:
    expected_object = "page" if network == "facebook" else "instagram"
    if payload["object"] != expected_object or not isinstance(payload["entry"], list):
        raise ValueError(f"object must be {expected_object!r} with an entry list")
    batches = []
    for entry in payload["entry"]:
        account = str(entry["id"])
        items: list[IncomingItem] = []
        for change in entry.get("changes", []):
            value = change["value"]
            if network == "facebook" and change["field"] == "feed" and value.get("item") == "comment":
                items.append(_fb_comment(value))
            elif network == "instagram" and change["field"] == "comments":
                items.append(_ig_comment(value))
        for event in entry.get("messaging", []):
            message = event.get("message")
            if message and message.get("mid"):
                sender = str(event["sender"]["id"])
                items.append(
                    IncomingItem(
                        network_item_id=str(message["mid"]),
                        type="message",
                        text=message.get("text", ""),
                        author_id=sender,
                        created_at=_epoch(event.get("timestamp")),
                        attachments=tuple(
                            {"type": a.get("type", ""), "url": (a.get("payload") or {}).get("url", "")}
                            for a in message.get("attachments", [])
                        ),
                        is_deleted=bool(message.get("is_deleted")),
                    )
                )
        batches.append(PushBatch(account_id=account, items=tuple(items)))
    return batches


def _fb_comment(value: dict) -> IncomingItem:
    verb = value["verb"]
    author = value.get("from") or {}
    parent = str(value.get("parent_id") or value["post_id"])
    return IncomingItem(
        network_item_id=str(value["comment_id"]),
        type="comment" if parent == str(value["post_id"]) else "reply",
        text=value.get("message", ""),
        author_id=str(author.get("id", "")),
        author_name=author.get("name", ""),
        created_at=_epoch(value.get("created_time")),
        parent_id=parent,
        url=(value.get("post") or {}).get("permalink_url", ""),
        attachments=({"type": "photo", "url": value["photo"]},) if value.get("photo") else (),
        is_deleted=verb == "remove",
        edited_at=_epoch(value.get("created_time")) if verb == "edited" else None,
    )


def _ig_comment(value: dict) -> IncomingItem:
    author = value.get("from") or {}
    parent = str(value.get("parent_id") or value["media"]["id"])
    return IncomingItem(
        network_item_id=str(value["id"]),
        type="reply" if value.get("parent_id") else "comment",
        text=value.get("text", ""),
        author_id=str(author.get("id", "")),
        author_name=author.get("username", ""),
        author_handle=author.get("username", ""),
        created_at=datetime.now(UTC),  # Instagram's comment webhook carries no timestamp
        parent_id=parent,
    )


def _x_time(value: str) -> datetime | None:
    return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y") if value else None


def _parse_x(payload: dict) -> list[PushBatch]:
    account = str(payload["for_user_id"])
    items: list[IncomingItem] = []
    for tweet in payload.get("tweet_create_events", []):
        user = tweet["user"]
        parent = tweet.get("in_reply_to_status_id_str") or ""
        to_us = str(tweet.get("in_reply_to_user_id_str") or "") == account
        items.append(
            IncomingItem(
                network_item_id=str(tweet["id_str"]),
                type="comment" if to_us and parent else "mention",
                text=(tweet.get("extended_tweet") or {}).get("full_text") or tweet.get("text", ""),
                author_id=str(user["id_str"]),
                author_name=user.get("name", ""),
                author_handle=user.get("screen_name", ""),
                author_avatar_url=user.get("profile_image_url_https", ""),
                created_at=_x_time(tweet.get("created_at", "")),
                parent_id=parent if to_us else "",
                url=f"https://x.com/{user.get('screen_name', 'i')}/status/{tweet['id_str']}",
            )
        )
    users = payload.get("users", {})
    for event in payload.get("direct_message_events", []):
        if event.get("type") != "message_create":
            continue
        create = event["message_create"]
        sender = str(create["sender_id"])
        other = sender if sender != account else str(create["target"]["recipient_id"])
        # X's one-to-one conversation id is the two user ids joined by a dash, lower id first.
        conversation = "-".join(sorted([account, other], key=int))
        items.append(
            IncomingItem(
                network_item_id=str(event["id"]),
                type="message",
                text=create["message_data"].get("text", ""),
                author_id=sender,
                author_name=(users.get(sender) or {}).get("name", ""),
                author_handle=(users.get(sender) or {}).get("screen_name", ""),
                created_at=_epoch(event.get("created_timestamp")),
                parent_id=conversation,
            )
        )
    for deleted in payload.get("tweet_delete_events", []):
        status = deleted["status"]
        items.append(
            IncomingItem(
                network_item_id=str(status["id"]),
                type="mention",
                text="",
                author_id=str(status["user_id"]),
                is_deleted=True,
            )
        )
    return [PushBatch(account_id=account, items=tuple(items))]
