"""Hubbub in-app: the message row itself is the feed item, so sending is storing (nothing leaves the database)."""

from __future__ import annotations

from notifications.providers.base import OutboundMessage, Provider, SendResult


class HubbubInAppProvider(Provider):
    id = "hubbub_inapp"
    channel = "in_app"
    display_name = "Hubbub in-app feed"
    credential_fields = ()

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(response={"stored": True})

    def check(self) -> None:
        return None
