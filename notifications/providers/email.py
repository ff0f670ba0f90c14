"""Email providers: SMTP through Django's mail framework, SendGrid v3, Mailgun, Amazon SES v2 (SigV4)."""

from __future__ import annotations

import base64
import contextlib
import json
import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from core import url_safety
from notifications.providers import sigv4
from notifications.providers.base import (
    CredentialField,
    MissingAddress,
    OutboundMessage,
    Outcome,
    Provider,
    ProviderAuthFailed,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    SendResult,
    SharedContent,
    body_of,
    call,
    distinct_recipients,
    error_for_status,
    require_format,
)
from notifications.templates import join

MAX_VARIABLES = 8000  # characters of one recipient's substitution values (SendGrid allows 10,000 bytes)

FROM = (
    CredentialField("from", "Sender address", is_secret=False),
    CredentialField("sender_name", "Sender name", False, False),
)


class EmailProvider(Provider):
    channel = "email"

    def sender(self) -> str:
        address = self.cred("from") or settings.DEFAULT_FROM_EMAIL
        name = self.cred("sender_name")
        return f"{name} <{address}>" if name and "<" not in address else address

    @staticmethod
    def recipient(message: OutboundMessage) -> str:
        if not message.to_email:
            raise MissingAddress("The subscriber has no email address.")
        return message.to_email

    batch_limit = 1  # recipients per request of the provider's batch API (1: it has none)

    def send_batch(self, messages: list[OutboundMessage], shared: SharedContent | None = None) -> list[Outcome]:
        """Through the provider's batch API (`send_personalized`: content rendered once, each recipient's values
        as the provider's substitutions), one request per `batch_limit` distinct addresses, every message of a
        request getting its outcome. One call per message where that does not apply: no batch API, a single
        message, attachments, or a recipient whose values are too large for a substitution."""
        batchable = [
            i
            for i, m in enumerate(messages)
            if m.to_email and not m.attachments and sum(len(v) for v in m.variables.values()) <= MAX_VARIABLES
        ]
        if self.batch_limit == 1 or shared is None or len(batchable) < 2:
            return super().send_batch(messages, shared)
        outcomes: dict[int, Outcome] = {}
        with self.pooled():
            singles = [i for i in range(len(messages)) if i not in set(batchable)]
            for i, outcome in zip(singles, super().send_batch([messages[i] for i in singles]), strict=True):
                outcomes[i] = outcome
            for group in distinct_recipients([messages[i] for i in batchable], self.batch_limit):
                indexes = [batchable[i] for i in group]
                try:
                    outcome: Outcome = self.send_personalized([messages[i] for i in indexes], shared)
                except ProviderError as exc:
                    outcome = exc
                outcomes.update(dict.fromkeys(indexes, outcome))
        return [outcomes[i] for i in range(len(messages))]

    def send_personalized(self, messages: list[OutboundMessage], shared: SharedContent) -> SendResult:
        raise NotImplementedError


class SmtpProvider(EmailProvider):
    """Django's mail framework with the integration's own SMTP server (or the site's when none is given)."""

    id = "smtp"
    display_name = "SMTP"
    credential_fields = (
        *FROM,
        CredentialField("host", "SMTP host", is_secret=False, is_required=False),
        CredentialField("port", "SMTP port", is_secret=False, is_required=False),
        CredentialField("user", "Username", is_secret=False, is_required=False),
        CredentialField("password", "Password", is_required=False),
        CredentialField("secure", "Use TLS (true/false)", is_secret=False, is_required=False),
    )
    smtp: Any = None  # the batch's open connection (`pooled`)

    def connection(self):
        backend = getattr(settings, "NOTIFICATIONS_SMTP_BACKEND", None) if self.cred("host") else None
        if not self.cred("host"):
            return get_connection()  # the site's own mail settings
        port = int(self.cred("port", "587")) if self.cred("port", "587").isdigit() else 0
        try:
            addresses = url_safety.resolve_host(self.cred("host"), port)
        except url_safety.UrlFetchError as exc:
            raise ProviderUnavailable(f"SMTP host does not resolve: {exc}") from exc
        if not port or not all(url_safety.is_public_address(a) for a in addresses):
            # A tenant's SMTP host must not reach our own network (the same SSRF rule as webhooks).
            raise ProviderRejected("The SMTP host must be a public address and port.")
        return get_connection(
            backend or "django.core.mail.backends.smtp.EmailBackend",
            host=self.cred("host"),
            port=port,
            username=self.cred("user"),
            password=self.cred("password"),
            use_tls=self.cred("secure", "true").lower() in {"1", "true", "yes"},
            timeout=15,
        )

    @contextlib.contextmanager
    def pooled(self) -> Iterator[None]:
        """One SMTP connection (one login) for a batch."""
        connection = self.connection()
        try:
            connection.open()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderAuthFailed(f"SMTP authentication failed: {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderUnavailable(f"SMTP server unreachable: {exc}") from exc
        self.smtp = connection
        try:
            yield
        finally:
            self.smtp = None
            connection.close()

    def send(self, message: OutboundMessage) -> SendResult:
        email = EmailMultiAlternatives(
            message.subject,
            message.body,
            self.sender(),
            [self.recipient(message)],
            connection=self.smtp or self.connection(),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
        try:
            sent = email.send()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderAuthFailed(f"SMTP authentication failed: {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ProviderRejected("The SMTP server refused the recipient.") from exc
        except (TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise ProviderUnavailable(f"SMTP server unreachable: {exc}") from exc
        if not sent:
            raise ProviderRejected("The mail backend accepted no message.")
        return SendResult(provider_message_id=email.extra_headers.get("Message-ID", ""), response={"accepted": sent})

    def check(self) -> None:
        connection = self.connection()
        try:
            connection.open()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderAuthFailed("SMTP authentication failed.") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderUnavailable(f"SMTP server unreachable: {exc}") from exc
        finally:
            connection.close()


class SendGridProvider(EmailProvider):
    """SendGrid v3 Mail Send: 202 Accepted with `X-Message-Id`; errors as {"errors": [{"message", "field"}]}."""

    id = "sendgrid"
    display_name = "SendGrid"
    credential_fields = (
        CredentialField("api_key", "API key"),
        *FROM,
        # Signed Event Webhook: delivery receipts are verified with it (POST /notifications/receipts/sendgrid/{id}).
        CredentialField("webhook_public_key", "Event Webhook verification key", is_secret=False, is_required=False),
    )

    def base_url(self) -> str:
        return self.api_base("https://api.sendgrid.com/v3")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.cred('api_key')}"}

    batch_limit = 1000  # personalizations per request

    def send(self, message: OutboundMessage) -> SendResult:
        return self._mail_send(
            [{"to": [{"email": self.recipient(message)}]}],
            message.subject,
            message.body,
            message.html,
            message.attachments,
        )

    def send_personalized(self, messages: list[OutboundMessage], shared: SharedContent) -> SendResult:
        """One request, one personalization per recipient with its slot values as substitutions (they apply to
        the subject and both bodies); the tags carry a random suffix so no literal text is taken for one."""
        suffix = uuid.uuid4().hex[:8]

        def tag(name: str) -> str:
            return f"[{name}:{suffix}]"

        personalizations = []
        for message in messages:
            personalization: dict = {"to": [{"email": message.to_email}]}
            if message.variables:
                personalization["substitutions"] = {tag(k): v for k, v in message.variables.items()}
            personalizations.append(personalization)
        return self._mail_send(
            personalizations, join(shared["subject"], tag), join(shared["body"], tag), join(shared["html"], tag)
        )

    def _mail_send(
        self, personalizations: list[dict], subject: str, body: str, html: str, attachments: tuple = ()
    ) -> SendResult:
        content = [{"type": "text/plain", "value": body or " "}]
        if html:
            content.append({"type": "text/html", "value": html})
        sender: dict[str, str] = {"email": self.cred("from") or settings.DEFAULT_FROM_EMAIL}
        if self.cred("sender_name"):
            sender["name"] = self.cred("sender_name")
        payload = {"personalizations": personalizations, "from": sender, "subject": subject or " ", "content": content}
        if attachments:
            payload["attachments"] = [
                {
                    "content": base64.b64encode(a.content).decode("ascii"),
                    "filename": a.filename,
                    "type": a.mimetype,
                    "disposition": "attachment",
                }
                for a in attachments
            ]
        response = call(
            "POST", f"{self.base_url()}/mail/send", json=payload, headers=self.headers(), client=self.client
        )
        if response.status_code != 202:
            raise error_for_status(response, _first_error(body_of(response), "SendGrid refused the message"))
        # One id per request: each recipient's events carry it (`sg_message_id`) with their address.
        return SendResult(provider_message_id=response.headers.get("X-Message-Id", ""), response={"status": 202})

    def check(self) -> None:
        response = call("GET", f"{self.base_url()}/scopes", headers=self.headers(), safe=True)
        if response.status_code != 200:
            raise error_for_status(response, _first_error(body_of(response), "SendGrid refused the API key"))


def _first_error(body, fallback: str) -> str:
    if isinstance(body, dict) and body.get("errors"):
        first = body["errors"][0]
        return str(first.get("message") if isinstance(first, dict) else first)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return fallback


class MailgunProvider(EmailProvider):
    """Mailgun Messages API: form POST to /v3/{domain}/messages with Basic api:key; 200 {"id", "message"}."""

    id = "mailgun"
    display_name = "Mailgun"
    credential_fields = (
        CredentialField("api_key", "API key"),
        CredentialField("domain", "Sending domain", is_secret=False),
        CredentialField("region", "Region (us or eu)", is_secret=False, is_required=False),
        *FROM,
        # Delivery receipts (POST /notifications/receipts/mailgun/{id}) are verified with it.
        CredentialField("webhook_signing_key", "HTTP webhook signing key", is_required=False),
    )

    def base_url(self) -> str:
        host = "api.eu.mailgun.net" if self.cred("region").lower() == "eu" else "api.mailgun.net"
        require_format(self.cred("domain"), r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}", "Mailgun domain")
        return self.api_base(f"https://{host}/v3")

    batch_limit = 1000  # recipients per request (batch sending)

    def send(self, message: OutboundMessage) -> SendResult:
        form = {"from": self.sender(), "to": self.recipient(message), "subject": message.subject, "text": message.body}
        if message.html:
            form["html"] = message.html
        return self._messages(form, [("attachment", (a.filename, a.content, a.mimetype)) for a in message.attachments])

    def send_personalized(self, messages: list[OutboundMessage], shared: SharedContent) -> SendResult:
        """Batch sending: every recipient in `to` with `recipient-variables`, which makes Mailgun send each one
        their own message (nobody sees the others) with `%recipient.name%` filled in."""
        suffix = uuid.uuid4().hex[:8]

        def tag(name: str) -> str:
            return f"%recipient.{name}_{suffix}%"

        variables = {m.to_email: {f"{k}_{suffix}": v for k, v in m.variables.items()} for m in messages}
        form: dict = {
            "from": self.sender(),
            "to": [m.to_email for m in messages],
            "subject": join(shared["subject"], tag),
            "text": join(shared["body"], tag),
            "recipient-variables": json.dumps(variables),
        }
        if shared["html"]:
            form["html"] = join(shared["html"], tag)
        return self._messages(form, [])

    def _messages(self, form: dict, files: list) -> SendResult:
        response = call(
            "POST",
            f"{self.base_url()}/{self.cred('domain')}/messages",
            data=form,
            files=files or None,
            auth=httpx.BasicAuth("api", self.cred("api_key")),
            client=self.client,
        )
        body = body_of(response)
        if response.status_code != 200:
            raise error_for_status(response, _first_error(body, "Mailgun refused the message"))
        return SendResult(provider_message_id=str(body.get("id", "")), response=body)

    def check(self) -> None:
        response = call(
            "GET",
            f"{self.base_url()}/domains/{self.cred('domain')}",
            auth=httpx.BasicAuth("api", self.cred("api_key")),
            safe=True,
        )
        if response.status_code != 200:
            raise error_for_status(response, _first_error(body_of(response), "Mailgun refused the key or domain"))


class SesProvider(EmailProvider):
    """Amazon SES v2 SendEmail (POST /v2/email/outbound-emails), signed with SigV4; 200 {"MessageId"}."""

    id = "ses"
    display_name = "Amazon SES"
    credential_fields = (
        CredentialField("access_key_id", "Access key id", is_secret=False),
        CredentialField("secret_access_key", "Secret access key"),
        CredentialField("region", "Region", is_secret=False),
        *FROM,
    )

    def _request(self, method: str, path: str, payload: dict | None = None, *, safe: bool = False) -> httpx.Response:
        region = require_format(self.cred("region"), r"[a-z]{2}(-[a-z]+)+-\d{1,2}", "AWS region")
        url = self.api_base(f"https://email.{region}.amazonaws.com") + path
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = sigv4.sign(
            method=method,
            url=url,
            headers={"content-type": "application/json"} if payload is not None else {},
            body=body,
            access_key=self.cred("access_key_id"),
            secret_key=self.cred("secret_access_key"),
            region=self.cred("region"),
            service="ses",
        )
        return call(method, url, content=body, headers=headers, safe=safe, client=self.client)

    def send(self, message: OutboundMessage) -> SendResult:
        body: dict = {"Text": {"Data": message.body, "Charset": "UTF-8"}}
        if message.html:
            body["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        content: dict = {"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"}, "Body": body}}
        if message.attachments:  # files need the raw MIME message (base64 in `Raw.Data`)
            mime = EmailMultiAlternatives(message.subject, message.body, self.sender(), [self.recipient(message)])
            if message.html:
                mime.attach_alternative(message.html, "text/html")
            for a in message.attachments:
                mime.attach(a.filename, a.content, a.mimetype)
            content = {"Raw": {"Data": base64.b64encode(mime.message().as_bytes()).decode("ascii")}}
        payload = {
            "FromEmailAddress": self.sender(),
            "Destination": {"ToAddresses": [self.recipient(message)]},
            "Content": content,
        }
        response = self._request("POST", "/v2/email/outbound-emails", payload)
        data = body_of(response)
        if response.status_code != 200:
            raise error_for_status(response, str(data.get("message") or data.get("Message") or "SES refused"))
        return SendResult(provider_message_id=str(data.get("MessageId", "")), response=data)

    def check(self) -> None:
        response = self._request("GET", "/v2/email/account", safe=True)
        if response.status_code != 200:
            data = body_of(response)
            raise error_for_status(response, str(data.get("message") or "SES refused the credentials"))
