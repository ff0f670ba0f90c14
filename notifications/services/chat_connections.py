"""Tenant chat connections (seed 000 connect/disconnect Slack, Discord, X) as notification targets.

Slack and Discord: a connection is an incoming webhook of one chat channel. Its URL is checked twice before it is
stored: the provider's own hosts and path (`ChatWebhookProvider.is_allowed_url`: https://hooks.slack.com/...,
https://discord.com/api/webhooks/...) and `core.url_safety` (every address the host resolves to is public).

X has no incoming webhooks: a connection is one of the tenant's connected X channels (social) that sends DMs to one
X user (`providers.x_dm`). The channel must be this tenant's, on X, active, and granted dm.write.

Either address is kept encrypted as the chat credential of a subscriber created for the connection, so the existing
delivery reaches it: a workflow's chat step sent to that subscriber (trigger `to` its id, or add it to a topic)
posts in the channel or sends the DM. Connecting also makes sure the tenant has an integration of that provider,
which the chat step routes through.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core import audit, url_safety
from core.auth import Principal
from core.errors import ValidationFailed
from notifications.errors import ChatChannelNotUsable, ChatConnectionExists, ChatTestFailed, WebhookUrlNotAllowed
from notifications.models import Channel, ChatConnection, ChatNetwork, Integration, Subscriber, SubscriberCredential
from notifications.providers import PROVIDERS, adapter_for, x_dm
from notifications.providers.base import OutboundMessage, ProviderError
from notifications.services import integrations as integration_services

SUBSCRIBER_PREFIX = "chat"
TEST_MESSAGE = "Hubbub is connected: notifications sent to this connection will appear here."


def url_hint(url: str) -> str:
    """What a connection shows of its URL: scheme, host and first path segment (the rest is the secret)."""
    parts = urlsplit(url)
    first = parts.path.strip("/").split("/")[0]
    return f"{parts.scheme}://{parts.hostname}/{first}/…"


def _check_webhook_url(network: str, url: str) -> None:
    provider = PROVIDERS[network]
    if not provider.is_allowed_url(url):
        raise WebhookUrlNotAllowed(
            details={
                "webhookUrl": [f"Not a {provider.display_name} incoming webhook URL (https, the provider's host)."]
            }
        )
    try:
        url_safety.check_url(url)
    except url_safety.UrlFetchError as exc:
        raise WebhookUrlNotAllowed(details={"webhookUrl": [str(exc)]}) from None


def _ensure_integration(network: str, *, actor: Principal) -> None:
    """The chat step routes through an integration of the provider: create an active, credential-free one unless
    the tenant already has one (active or deliberately switched off)."""
    if Integration.objects.filter(channel=Channel.CHAT, provider_id=network, is_deleted=False).exists():
        return
    identifier = network
    if Integration.objects.filter(identifier=identifier, is_deleted=False).exists():
        identifier = f"{network}-chat-connections"
    integration_services.create_integration(
        actor=actor,
        channel=Channel.CHAT,
        provider_id=network,
        name=f"{PROVIDERS[network].display_name} (chat connections)",
        identifier=identifier,
        is_active=True,
    )


def _x_address(channel_id: object, recipient_id: str) -> dict[str, str]:
    """The sending X channel must be this tenant's, on X, active and granted dm.write; the same answer for a channel
    of another tenant as for none at all."""
    channel = x_dm.sending_channel(channel_id)
    if channel is None:
        raise ChatChannelNotUsable(details={"channelId": ["Not a connected X channel of this workspace."]})
    if x_dm.lacks_dm_scope(channel):
        raise ChatChannelNotUsable(
            details={"channelId": ["This X channel was connected without dm.write: reconnect it to send DMs."]}
        )
    if recipient_id.startswith("@"):
        recipient_id = _x_user_id(channel, recipient_id)
    return {"channel_id": str(channel.pk), "recipient_id": recipient_id}


def _x_user_id(channel, handle: str) -> str:
    """The numeric id of the X account `@handle`, asked of X through the channel (the composer's mention lookup:
    GET /2/users/by/username/{username}); an unknown name is a 400 and nothing is stored."""
    from social.services import lookups

    found = lookups.lookup(channel, "mentions", query=handle)
    if not found:
        raise ValidationFailed(details={"recipientId": [f"X has no account named {handle[:20]}."]})
    return found[0].id


def connect(
    *,
    actor: Principal,
    network: str,
    name: str,
    webhook_url: str = "",
    channel_id: object = None,
    recipient_id: str = "",
) -> ChatConnection:
    """Connect a chat target: Slack or Discord by its incoming webhook URL, X by a connected X channel and a
    recipient's X user id. 409 `CHAT_CONNECTION_EXISTS` for a (network, name) already connected. Nothing is stored
    when the address is refused."""
    if network == ChatNetwork.X:
        address = _x_address(channel_id, recipient_id)
        shown = {"x_channel_id": address["channel_id"], "x_recipient_id": address["recipient_id"]}
    else:
        webhook_url = webhook_url.strip()
        _check_webhook_url(network, webhook_url)
        address, shown = {"webhook_url": webhook_url}, {"webhook_url_hint": url_hint(webhook_url)}
    subscriber_id = f"{SUBSCRIBER_PREFIX}-{network}-{slugify(name)[:80] or 'channel'}"
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                subscriber_id=subscriber_id, first_name=name[:100], data={"chatNetwork": network}
            )
            credential = SubscriberCredential(subscriber=subscriber, provider_id=network)
            credential.credentials = address
            credential.save()
            connection = ChatConnection.objects.create(
                network=network, name=name, subscriber=subscriber, connected_by=actor.user, **shown
            )
            _ensure_integration(network, actor=actor)
            audit.record(
                "notifications.chat.connect",
                connection,
                actor=actor,
                changes={"network": network, "name": name, "subscriberId": subscriber_id},
            )
    except IntegrityError:
        raise ChatConnectionExists(
            details={"name": [f"{network} {name!r} (subscriber {subscriber_id!r}) exists."]}
        ) from None
    return connection


def disconnect(connection: ChatConnection, *, actor: Principal) -> None:
    """Forget the connection, its subscriber and the stored webhook URL (the integration stays for others)."""
    with transaction.atomic():
        audit.record(
            "notifications.chat.disconnect",
            connection,
            actor=actor,
            changes={"network": connection.network, "name": connection.name},
        )
        connection.subscriber.delete()  # cascades to the connection and the credential


def send_test(connection: ChatConnection) -> None:
    """Post a test message to the channel (or DM the X recipient) now, not through a workflow; 400
    `CHAT_TEST_FAILED` with the network's answer when it refuses (or does not answer: the test is not repeated)."""
    address = SubscriberCredential.objects.get(
        subscriber=connection.subscriber, provider_id=connection.network
    ).credentials
    message = OutboundMessage(
        body=TEST_MESSAGE,
        webhook_url=address.get("webhook_url", ""),
        sender_channel_id=address.get("channel_id", ""),
        recipient_id=address.get("recipient_id", ""),
    )
    try:
        adapter_for(connection.network, {}).send(message)
    except ProviderError as exc:
        raise ChatTestFailed(exc.message, details=exc.as_dict()) from None
