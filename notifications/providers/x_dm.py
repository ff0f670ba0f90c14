"""X direct messages: a chat provider whose address is one of the tenant's connected X channels (the sender) and an
X user id (the recipient), not a webhook.

It reaches X only through social's public services, as the inbox does: `listening.adapter_for("x")` and the
channel's decrypted tokens from `channels.credentials_for`; the adapter sends
POST https://api.x.com/2/dm_conversations/with/{participant_id}/messages with the channel's user token (dm.write).
The integration is credential-free: each connection sends with its own channel's token, so a refused token or a
refused recipient fails that message only (never the integration's circuit breaker); a rate limit (429, reset in
`x-rate-limit-reset`) is retryable, a request sent without an answer is an unknown outcome, never sent again.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from notifications.providers.base import (
    MissingAddress,
    OutboundMessage,
    Provider,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    SendResult,
    UnknownOutcome,
)
from social import selectors as social_selectors
from social.networks import base as network
from social.services.channels import credentials_for
from social.services.listening import adapter_for

NETWORK = "x"
DM_SCOPE = "dm.write"
MAX_TEXT = 10_000  # X's limit on a DM's text
RECIPIENT_ID = r"[0-9]{1,20}"  # X user ids are numeric; anything else could steer the request path elsewhere


def sending_channel(channel_id: object) -> Any | None:
    """The current tenant's X channel with this id when it can send DMs now (active), else None."""
    try:
        channel_id = uuid.UUID(str(channel_id))
    except ValueError:
        return None
    channel = social_selectors.channel(channel_id)
    if channel is None or channel.network != NETWORK or not channel.is_usable:
        return None
    return channel


def lacks_dm_scope(channel: Any) -> bool:
    """The grant's scopes are known and do not include dm.write (a channel connected before DMs were asked for)."""
    return bool(channel.scopes) and DM_SCOPE not in channel.scopes


def _error(exc: network.NetworkError) -> ProviderError:
    kwargs: dict[str, Any] = {"status_code": exc.status_code, "response": exc.response_body}
    message = f"X refused the direct message ({exc.code}): {exc.message}"
    if isinstance(exc, network.UnknownOutcome):
        return UnknownOutcome(f"Sent to X, no answer: {exc.message}", **kwargs)
    if isinstance(exc, network.RateLimited):
        return ProviderRateLimited(message, retry_after=exc.retry_after, **kwargs)
    if exc.retryable:
        return ProviderUnavailable(message, **kwargs)
    # Expired token, missing permission, a recipient who does not take DMs: this connection's, not the provider's.
    return ProviderRejected(message, **kwargs)


class XDirectMessageProvider(Provider):
    id = NETWORK
    channel = "chat"
    display_name = "X"

    def send(self, message: OutboundMessage) -> SendResult:
        if not (message.sender_channel_id and message.recipient_id):
            raise MissingAddress("No X channel and recipient for this subscriber.")
        if not re.fullmatch(RECIPIENT_ID, message.recipient_id):
            raise ProviderRejected(f"{message.recipient_id[:40]!r} is not an X user id.")
        channel = sending_channel(message.sender_channel_id)
        if channel is None:
            raise ProviderRejected("The X channel is not connected (removed, disconnected or needs attention).")
        text = f"{message.subject}\n{message.body}" if message.subject else message.body
        adapter = adapter_for(NETWORK)
        try:
            result = adapter.send_message(  # type: ignore[union-attr]  # X has an adapter
                credentials_for(channel), recipient_id=message.recipient_id, text=text[:MAX_TEXT]
            )
        except network.NetworkError as exc:
            raise _error(exc) from exc
        return SendResult(provider_message_id=result.remote_id, response=result.raw)

    def check(self) -> None:
        # Credential-free: each connection's channel is checked when it is connected and when a message is sent.
        return None
