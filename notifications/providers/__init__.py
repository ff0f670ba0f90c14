"""The provider registry: provider id -> adapter class (channel, credential fields, send, check)."""

from __future__ import annotations

from notifications.providers.base import Provider
from notifications.providers.chat import DiscordProvider, MsTeamsProvider, SlackProvider
from notifications.providers.email import MailgunProvider, SendGridProvider, SesProvider, SmtpProvider
from notifications.providers.inapp import HubbubInAppProvider
from notifications.providers.push import ApnsProvider, FcmProvider, WebPushProvider
from notifications.providers.sms import TwilioProvider, VonageProvider
from notifications.providers.x_dm import XDirectMessageProvider

PROVIDERS: dict[str, type[Provider]] = {
    cls.id: cls
    for cls in (
        HubbubInAppProvider,
        SmtpProvider,
        SendGridProvider,
        MailgunProvider,
        SesProvider,
        TwilioProvider,
        VonageProvider,
        SlackProvider,
        DiscordProvider,
        MsTeamsProvider,
        XDirectMessageProvider,
        FcmProvider,
        ApnsProvider,
        WebPushProvider,
    )
}


def adapter_for(provider_id: str, credentials: dict) -> Provider:
    return PROVIDERS[provider_id](credentials)
