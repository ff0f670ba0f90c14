"""Chat providers: Slack, Discord and Microsoft Teams incoming webhooks.

The webhook URL comes from the subscriber's channel credentials (or the integration's default). Each provider
accepts only its own hosts, so a tenant cannot point a "Slack" webhook at an internal service.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from notifications.providers.base import (
    CredentialField,
    MissingAddress,
    OutboundMessage,
    Provider,
    ProviderRejected,
    SendResult,
    body_of,
    call,
    error_for_status,
)


class ChatWebhookProvider(Provider):
    channel = "chat"
    credential_fields = (CredentialField("webhook_url", "Default webhook URL", is_required=False),)
    allowed_hosts: tuple[str, ...] = ()
    path_prefix = "/"
    ok_statuses = (200, 204)

    @classmethod
    def is_allowed_url(cls, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return (
            parts.scheme == "https"
            and parts.port in (None, 443)
            and any(host == h or (h.startswith(".") and host.endswith(h)) for h in cls.allowed_hosts)
            and parts.path.startswith(cls.path_prefix)
        )

    def url_for(self, message: OutboundMessage) -> str:
        url = message.webhook_url or self.cred("webhook_url")
        if not url:
            raise MissingAddress("No chat webhook URL for this subscriber.")
        if not self.is_allowed_url(url):
            raise ProviderRejected(f"Not a {self.display_name} webhook URL.")
        return url

    def payload(self, message: OutboundMessage) -> dict:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        response = call("POST", self.url_for(message), json=self.payload(message))
        if response.status_code not in self.ok_statuses:
            raise error_for_status(response, f"{self.display_name} refused the message: {response.text[:200]}")
        return SendResult(response=body_of(response) if response.content else {"status": response.status_code})

    def check(self) -> None:
        # Incoming webhooks have no read endpoint; a harmless check is validating the URL's shape.
        if self.cred("webhook_url") and not self.is_allowed_url(self.cred("webhook_url")):
            raise ProviderRejected(f"Not a {self.display_name} webhook URL.")


def _text(message: OutboundMessage) -> str:
    return f"*{message.subject}*\n{message.body}" if message.subject else message.body


class SlackProvider(ChatWebhookProvider):
    """POST {"text"} to https://hooks.slack.com/services/...: 200 "ok"; 404 no_service; 429 with Retry-After."""

    id = "slack"
    display_name = "Slack"
    allowed_hosts = ("hooks.slack.com",)
    path_prefix = "/"
    ok_statuses = (200,)

    def payload(self, message: OutboundMessage) -> dict:
        return {"text": _text(message)}


class DiscordProvider(ChatWebhookProvider):
    """POST {"content"} to https://discord.com/api/webhooks/{id}/{token}: 204; 429 {"retry_after"}."""

    id = "discord"
    display_name = "Discord"
    allowed_hosts = ("discord.com", "discordapp.com")
    path_prefix = "/api/webhooks/"

    def payload(self, message: OutboundMessage) -> dict:
        return {"content": (f"**{message.subject}**\n{message.body}" if message.subject else message.body)[:2000]}


class MsTeamsProvider(ChatWebhookProvider):
    """POST a MessageCard to an Office 365 / Power Automate webhook: 200 ("1" on the legacy connector)."""

    id = "msteams"
    display_name = "Microsoft Teams"
    allowed_hosts = (".webhook.office.com", ".logic.azure.com", ".environment.api.powerplatform.com")
    ok_statuses = (200, 202)

    def payload(self, message: OutboundMessage) -> dict:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject or message.body[:80],
            "title": message.subject,
            "text": message.body,
        }
