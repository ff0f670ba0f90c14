"""SMS providers: Twilio Messages API and Vonage SMS API."""

from __future__ import annotations

import httpx

from notifications.providers.base import (
    CredentialField,
    MissingAddress,
    OutboundMessage,
    Provider,
    ProviderAuthFailed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    SendResult,
    body_of,
    call,
    error_for_status,
    require_format,
)


class SmsProvider(Provider):
    channel = "sms"

    @staticmethod
    def recipient(message: OutboundMessage) -> str:
        if not message.to_phone:
            raise MissingAddress("The subscriber has no phone number.")
        return message.to_phone


class TwilioProvider(SmsProvider):
    """POST /2010-04-01/Accounts/{sid}/Messages.json (form, Basic sid:token); 201 {"sid", "status"}; errors
    {"code", "message", "status"}; 429 when the account's queue is full."""

    id = "twilio"
    display_name = "Twilio"
    credential_fields = (
        CredentialField("account_sid", "Account SID", is_secret=False),
        CredentialField("auth_token", "Auth token"),
        CredentialField("from", "Sender number or messaging service SID", is_secret=False),
    )
    base_url = "https://api.twilio.com/2010-04-01"

    def account_sid(self) -> str:
        return require_format(self.cred("account_sid"), r"AC[0-9A-Za-z]{1,64}", "Twilio account SID")

    def auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.cred("account_sid"), self.cred("auth_token"))

    def send(self, message: OutboundMessage) -> SendResult:
        sender = self.cred("from")
        form = {"To": self.recipient(message), "Body": message.body}
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        if message.status_callback:
            form["StatusCallback"] = message.status_callback  # delivery receipts come back there, signed
        response = call(
            "POST", f"{self.base_url}/Accounts/{self.account_sid()}/Messages.json", data=form, auth=self.auth()
        )
        body = body_of(response)
        if response.status_code not in (200, 201):
            raise error_for_status(response, f"Twilio {body.get('code', '')}: {body.get('message', 'refused')}")
        return SendResult(provider_message_id=str(body.get("sid", "")), response=body)

    def check(self) -> None:
        response = call("GET", f"{self.base_url}/Accounts/{self.account_sid()}.json", auth=self.auth(), safe=True)
        if response.status_code != 200:
            raise error_for_status(response, "Twilio refused the credentials")


# Vonage answers 200 with a per-message status; https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms
VONAGE_THROTTLED = {"1"}
VONAGE_TEMPORARY = {"5"}  # internal error
VONAGE_AUTH = {"4", "9"}  # invalid credentials, partner quota exceeded (no credit)


class VonageProvider(SmsProvider):
    """POST https://rest.nexmo.com/sms/json (form with api_key/api_secret); 200 {"messages": [{"status": "0"}]}."""

    id = "vonage"
    display_name = "Vonage"
    credential_fields = (
        CredentialField("api_key", "API key", is_secret=False),
        CredentialField("api_secret", "API secret"),
        CredentialField("from", "Sender id", is_secret=False),
    )
    base_url = "https://rest.nexmo.com"

    def send(self, message: OutboundMessage) -> SendResult:
        form = {
            "api_key": self.cred("api_key"),
            "api_secret": self.cred("api_secret"),
            "from": self.cred("from"),
            "to": self.recipient(message).lstrip("+"),
            "text": message.body,
        }
        response = call("POST", f"{self.base_url}/sms/json", data=form)
        body = body_of(response)
        if response.status_code != 200:
            raise error_for_status(response, "Vonage refused the message")
        parts = body.get("messages") or [{}]
        failed = [p for p in parts if str(p.get("status", "")) != "0"]
        if failed:
            status, text = str(failed[0].get("status", "")), str(failed[0].get("error-text", "refused"))
            message_text = f"Vonage status {status}: {text}"
            if status in VONAGE_THROTTLED:
                raise ProviderRateLimited(message_text, status_code=200, response=body, retry_after=1)
            if status in VONAGE_TEMPORARY:
                raise ProviderUnavailable(message_text, status_code=200, response=body)
            if status in VONAGE_AUTH:
                raise ProviderAuthFailed(message_text, status_code=200, response=body)
            raise ProviderRejected(message_text, status_code=200, response=body)
        return SendResult(provider_message_id=str(parts[0].get("message-id", "")), response=body)

    def check(self) -> None:
        response = call(
            "GET",
            f"{self.base_url}/account/get-balance",
            params={"api_key": self.cred("api_key"), "api_secret": self.cred("api_secret")},
            safe=True,
        )
        if response.status_code != 200:
            raise error_for_status(response, "Vonage refused the credentials")
