"""Provider adapters against respx fakes of each provider's documented request and answer shapes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core import mail

from core.notify import Attachment
from notifications.providers import PROVIDERS, adapter_for, sigv4
from notifications.providers.base import (
    MissingAddress,
    OutboundMessage,
    ProviderAuthFailed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    UnknownOutcome,
)

DEVICE = "a1b2c3d4" * 8
MESSAGE = OutboundMessage(subject="Hello", body="Body text", to_email="ada@example.com", to_phone="+4915112345678")


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_every_provider_is_registered_with_its_channel():
    assert {p: cls.channel for p, cls in PROVIDERS.items()} == {
        "hubbub_inapp": "in_app",
        "smtp": "email",
        "sendgrid": "email",
        "mailgun": "email",
        "ses": "email",
        "twilio": "sms",
        "vonage": "sms",
        "slack": "chat",
        "discord": "chat",
        "msteams": "chat",
        "x": "chat",
        "fcm": "push",
        "apns": "push",
        "webpush": "push",
    }


# --- email ---------------------------------------------------------------------------------------------------------
def test_smtp_sends_through_django_mail_with_the_integration_sender(settings):
    result = adapter_for("smtp", {"from": "news@acme.test", "sender_name": "Acme"}).send(MESSAGE)
    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.to, sent.from_email) == (
        "Hello",
        "Body text",
        ["ada@example.com"],
        "Acme <news@acme.test>",
    )
    assert result.response == {"accepted": 1}


def test_smtp_with_own_server_uses_the_configured_backend(settings):
    settings.NOTIFICATIONS_SMTP_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    adapter_for(
        "smtp", {"from": "a@acme.test", "host": "smtp.acme.test", "port": "2525", "user": "u", "password": "p"}
    ).send(MESSAGE)
    assert len(mail.outbox) == 1


def test_email_without_address_is_a_missing_address():
    with pytest.raises(MissingAddress):
        adapter_for("sendgrid", {"api_key": "k"}).send(OutboundMessage(subject="s", body="b"))


@respx.mock
def test_sendgrid_request_shape_and_error_mapping():
    route = respx.post("https://api.sendgrid.com/v3/mail/send")
    route.mock(return_value=httpx.Response(202, headers={"X-Message-Id": "abc"}))
    provider = adapter_for("sendgrid", {"api_key": "SG.x", "from": "n@acme.test", "sender_name": "Acme"})
    assert provider.send(MESSAGE).provider_message_id == "abc"
    body = json.loads(route.calls.last.request.content)
    assert body["from"] == {"email": "n@acme.test", "name": "Acme"} and body["subject"] == "Hello"
    route.mock(return_value=httpx.Response(401, json={"errors": [{"message": "bad key"}]}))
    with pytest.raises(ProviderAuthFailed, match="bad key"):
        provider.send(MESSAGE)
    route.mock(return_value=httpx.Response(429, headers={"Retry-After": "30"}, json={"errors": []}))
    with pytest.raises(ProviderRateLimited) as rate:
        provider.send(MESSAGE)
    assert rate.value.retry_after == 30 and rate.value.retryable
    route.mock(return_value=httpx.Response(400, json={"errors": [{"message": "invalid email", "field": "to"}]}))
    with pytest.raises(ProviderRejected):
        provider.send(MESSAGE)


@respx.mock
def test_sendgrid_check_reads_scopes():
    route = respx.get("https://api.sendgrid.com/v3/scopes").mock(return_value=httpx.Response(200, json={}))
    adapter_for("sendgrid", {"api_key": "SG.x"}).check()
    assert route.calls.last.request.method == "GET"


@respx.mock
def test_mailgun_eu_region_form_and_basic_auth():
    route = respx.post("https://api.eu.mailgun.net/v3/mg.acme.test/messages").mock(
        return_value=httpx.Response(200, json={"id": "<1@mg>", "message": "Queued. Thank you."})
    )
    result = adapter_for(
        "mailgun", {"api_key": "key-1", "domain": "mg.acme.test", "region": "eu", "from": "n@acme.test"}
    ).send(MESSAGE)
    request = route.calls.last.request
    assert result.provider_message_id == "<1@mg>"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"api:key-1").decode()
    assert form(request) == {"from": "n@acme.test", "to": "ada@example.com", "subject": "Hello", "text": "Body text"}


def test_sigv4_matches_the_aws_published_examples():
    now = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    keys = {"access_key": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
    vanilla = sigv4.sign(
        method="GET",
        url="https://example.amazonaws.com/",
        headers={},
        body=b"",
        region="us-east-1",
        service="service",
        now=now,
        **keys,
    )
    assert vanilla["authorization"].endswith(
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
    iam = sigv4.sign(
        method="GET",
        url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"",
        region="us-east-1",
        service="iam",
        now=now,
        **keys,
    )
    assert iam["authorization"].endswith("Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")


@respx.mock
def test_ses_v2_send_email_is_signed_and_maps_throttling():
    route = respx.post("https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails")
    route.mock(return_value=httpx.Response(200, json={"MessageId": "0102-ses"}))
    provider = adapter_for(
        "ses", {"access_key_id": "AKID", "secret_access_key": "s", "region": "eu-west-1", "from": "n@acme.test"}
    )
    assert provider.send(MESSAGE).provider_message_id == "0102-ses"
    request = route.calls.last.request
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert "/eu-west-1/ses/aws4_request" in request.headers["authorization"]
    body = json.loads(request.content)
    assert body["Destination"] == {"ToAddresses": ["ada@example.com"]}
    assert body["Content"]["Simple"]["Subject"]["Data"] == "Hello"
    route.mock(return_value=httpx.Response(429, json={"message": "Maximum sending rate exceeded."}))
    with pytest.raises(ProviderRateLimited, match="Maximum sending rate"):
        provider.send(MESSAGE)


# --- sms -----------------------------------------------------------------------------------------------------------
@respx.mock
def test_twilio_messages_api():
    route = respx.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json")
    route.mock(return_value=httpx.Response(201, json={"sid": "SM1", "status": "queued"}))
    provider = adapter_for("twilio", {"account_sid": "AC1", "auth_token": "t", "from": "+15005550006"})
    assert provider.send(MESSAGE).provider_message_id == "SM1"
    assert form(route.calls.last.request) == {"To": "+4915112345678", "Body": "Body text", "From": "+15005550006"}
    route.mock(return_value=httpx.Response(400, json={"code": 21211, "message": "Invalid 'To' Phone Number"}))
    with pytest.raises(ProviderRejected, match="21211"):
        provider.send(MESSAGE)
    route.mock(
        return_value=httpx.Response(
            429, json={"code": 20429, "message": "Too Many Requests"}, headers={"Retry-After": "5"}
        )
    )
    with pytest.raises(ProviderRateLimited):
        provider.send(MESSAGE)


@respx.mock
def test_twilio_messaging_service_sender():
    route = respx.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json").mock(
        return_value=httpx.Response(201, json={"sid": "SM2"})
    )
    adapter_for("twilio", {"account_sid": "AC1", "auth_token": "t", "from": "MG123"}).send(MESSAGE)
    assert form(route.calls.last.request)["MessagingServiceSid"] == "MG123"


@respx.mock
@pytest.mark.parametrize(
    ("status", "error"),
    [("1", ProviderRateLimited), ("5", ProviderUnavailable), ("4", ProviderAuthFailed), ("3", ProviderRejected)],
)
def test_vonage_maps_per_message_status(status, error):
    respx.post("https://rest.nexmo.com/sms/json").mock(
        return_value=httpx.Response(
            200, json={"message-count": "1", "messages": [{"status": status, "error-text": "x"}]}
        )
    )
    with pytest.raises(error):
        adapter_for("vonage", {"api_key": "k", "api_secret": "s", "from": "Acme"}).send(MESSAGE)


@respx.mock
def test_vonage_success():
    route = respx.post("https://rest.nexmo.com/sms/json").mock(
        return_value=httpx.Response(200, json={"messages": [{"status": "0", "message-id": "0A1"}]})
    )
    assert (
        adapter_for("vonage", {"api_key": "k", "api_secret": "s", "from": "Acme"}).send(MESSAGE).provider_message_id
        == "0A1"
    )
    assert form(route.calls.last.request)["to"] == "4915112345678"


# --- chat ----------------------------------------------------------------------------------------------------------
@respx.mock
def test_slack_discord_teams_payloads():
    slack = respx.post("https://hooks.slack.com/services/T/B/X").mock(return_value=httpx.Response(200, text="ok"))
    discord = respx.post("https://discord.com/api/webhooks/1/abc").mock(return_value=httpx.Response(204))
    teams = respx.post("https://acme.webhook.office.com/webhookb2/x").mock(return_value=httpx.Response(200, text="1"))
    adapter_for("slack", {}).send(
        OutboundMessage(subject="S", body="B", webhook_url="https://hooks.slack.com/services/T/B/X")
    )
    adapter_for("discord", {}).send(
        OutboundMessage(subject="S", body="B", webhook_url="https://discord.com/api/webhooks/1/abc")
    )
    adapter_for("msteams", {"webhook_url": "https://acme.webhook.office.com/webhookb2/x"}).send(
        OutboundMessage(subject="S", body="B")
    )
    assert json.loads(slack.calls.last.request.content) == {"text": "*S*\nB"}
    assert json.loads(discord.calls.last.request.content) == {"content": "**S**\nB"}
    assert json.loads(teams.calls.last.request.content)["@type"] == "MessageCard"


@respx.mock
def test_slack_rate_limit_and_foreign_hosts():
    respx.post("https://hooks.slack.com/services/T/B/X").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "7"}, text="rate_limited")
    )
    with pytest.raises(ProviderRateLimited) as exc:
        adapter_for("slack", {}).send(OutboundMessage(body="B", webhook_url="https://hooks.slack.com/services/T/B/X"))
    assert exc.value.retry_after == 7
    for url in ("http://hooks.slack.com/services/x", "https://hooks.slack.com.evil.test/x", "https://10.0.0.1/x"):
        with pytest.raises(ProviderRejected):
            adapter_for("slack", {}).send(OutboundMessage(body="B", webhook_url=url))


@respx.mock
def test_a_request_sent_without_answer_is_an_unknown_outcome_and_a_connect_error_is_retryable():
    route = respx.post("https://hooks.slack.com/services/T/B/X")
    message = OutboundMessage(body="B", webhook_url="https://hooks.slack.com/services/T/B/X")
    route.mock(side_effect=httpx.ReadTimeout("no answer"))
    with pytest.raises(UnknownOutcome):
        adapter_for("slack", {}).send(message)
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable):
        adapter_for("slack", {}).send(message)


# --- push ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def service_account():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "project_id": "acme-app",
        "client_email": "push@acme-app.iam.gserviceaccount.com",
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    }, key.public_key()


@respx.mock
def test_fcm_v1_exchanges_a_signed_jwt_and_sends_per_token(service_account):
    account, public_key = service_account
    token_route = respx.post("https://oauth2.googleapis.com/token").mock(
        return_value=httpx.Response(200, json={"access_token": "ya29.x", "expires_in": 3599})
    )
    send = respx.post("https://fcm.googleapis.com/v1/projects/acme-app/messages:send").mock(
        side_effect=[
            httpx.Response(200, json={"name": "projects/acme-app/messages/1"}),
            httpx.Response(
                404,
                json={
                    "error": {
                        "code": 404,
                        "status": "NOT_FOUND",
                        "message": "gone",
                        "details": [{"errorCode": "UNREGISTERED"}],
                    }
                },
            ),
        ]
    )
    provider = adapter_for("fcm", {"service_account": json.dumps(account)})
    result = provider.send(OutboundMessage(subject="T", body="B", device_tokens=("tok-a", "tok-b")))
    grant = form(token_route.calls.last.request)
    claims = jwt.decode(grant["assertion"], public_key, algorithms=["RS256"], audience=account["token_uri"])
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
    assert send.calls[0].request.headers["Authorization"] == "Bearer ya29.x"
    assert json.loads(send.calls[0].request.content)["message"] == {
        "token": "tok-a",
        "notification": {"title": "T", "body": "B"},
    }
    assert result.provider_message_id == "projects/acme-app/messages/1"
    assert result.response["rejected"][0]["code"] == "PROVIDER_REJECTED"


@respx.mock
def test_fcm_quota_exceeded_is_rate_limited(service_account):
    account, _ = service_account
    respx.post("https://oauth2.googleapis.com/token").mock(return_value=httpx.Response(200, json={"access_token": "t"}))
    respx.post("https://fcm.googleapis.com/v1/projects/acme-app/messages:send").mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "60"},
            json={"error": {"status": "RESOURCE_EXHAUSTED", "details": [{"errorCode": "QUOTA_EXCEEDED"}]}},
        )
    )
    with pytest.raises(ProviderRateLimited) as exc:
        adapter_for("fcm", {"service_account": account}).send(OutboundMessage(body="B", device_tokens=("t",)))
    assert exc.value.retry_after == 60


@pytest.fixture
def p8_key():
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


@respx.mock
def test_apns_http2_token_auth_request_shape(p8_key):
    pem, public_key = p8_key
    route = respx.post(f"https://api.sandbox.push.apple.com/3/device/{DEVICE}").mock(
        return_value=httpx.Response(200, headers={"apns-id": "EC1BF194"})
    )
    provider = adapter_for(
        "apns",
        {"team_id": "TEAM1", "key_id": "KEY1", "private_key": pem, "bundle_id": "com.acme.app", "production": "false"},
    )
    provider.check()
    result = provider.send(OutboundMessage(subject="T", body="B", device_tokens=(DEVICE,)))
    request = route.calls.last.request
    token = request.headers["authorization"].removeprefix("bearer ")
    assert jwt.get_unverified_header(token)["kid"] == "KEY1"
    assert jwt.decode(token, public_key, algorithms=["ES256"])["iss"] == "TEAM1"
    assert (request.headers["apns-topic"], request.headers["apns-push-type"]) == ("com.acme.app", "alert")
    assert json.loads(request.content) == {"aps": {"alert": {"title": "T", "body": "B"}}}
    assert result.provider_message_id == "EC1BF194"


@respx.mock
def test_apns_errors(p8_key):
    pem, _ = p8_key
    route = respx.post(f"https://api.push.apple.com/3/device/{DEVICE}")
    provider = adapter_for("apns", {"team_id": "T", "key_id": "K", "private_key": pem, "bundle_id": "b"})
    message = OutboundMessage(body="B", device_tokens=(DEVICE,))
    route.mock(return_value=httpx.Response(410, json={"reason": "Unregistered", "timestamp": 1}))
    with pytest.raises(ProviderRejected, match="Unregistered"):
        provider.send(message)
    route.mock(return_value=httpx.Response(429, json={"reason": "TooManyRequests"}))
    with pytest.raises(ProviderRateLimited):
        provider.send(message)
    route.mock(return_value=httpx.Response(403, json={"reason": "ExpiredProviderToken"}))
    with pytest.raises(ProviderAuthFailed):
        provider.send(message)


def test_apns_client_speaks_http2():
    import h2  # noqa: F401  (httpx[http2] needs it; without it `http2=True` raises at client creation)

    with httpx.Client(http2=True) as client:
        assert client is not None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decrypt_aes128gcm(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """The browser side of RFC 8291, to prove what we send decrypts."""
    salt, idlen = body[:16], body[20]
    as_public = body[21 : 21 + idlen]
    ciphertext = body[21 + idlen :]
    ua_public = ua_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ua_private.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public))

    def hkdf(salt_, ikm, info, length):
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt_, info=info).derive(ikm)

    ikm = hkdf(auth, shared, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    plain = AESGCM(cek).decrypt(nonce, ciphertext, None)
    assert plain.endswith(b"\x02")
    return plain[:-1]


@respx.mock
def test_web_push_encrypts_per_rfc8291_and_signs_with_vapid():
    vapid = ec.generate_private_key(ec.SECP256R1())
    vapid_private = _b64url(vapid.private_numbers().private_value.to_bytes(32, "big"))
    vapid_public = _b64url(
        vapid.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    browser = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"
    subscription = {
        "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "keys": {
            "p256dh": _b64url(
                browser.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
            ),
            "auth": _b64url(auth),
        },
    }
    route = respx.post(subscription["endpoint"]).mock(return_value=httpx.Response(201, headers={"Location": "m1"}))
    provider = adapter_for(
        "webpush",
        {"vapid_public_key": vapid_public, "vapid_private_key": vapid_private, "subject": "mailto:ops@acme.test"},
    )
    provider.check()
    provider.send(OutboundMessage(subject="T", body="B", push_subscriptions=(subscription,)))
    request = route.calls.last.request
    assert request.headers["Content-Encoding"] == "aes128gcm" and request.headers["TTL"] == "86400"
    token = request.headers["Authorization"].split("t=")[1].split(",")[0]
    claims = jwt.decode(
        token, vapid.public_key(), algorithms=["ES256"], audience="https://updates.push.services.mozilla.com"
    )
    assert claims["sub"] == "mailto:ops@acme.test"
    assert json.loads(_decrypt_aes128gcm(request.content, browser, auth)) == {"title": "T", "body": "B", "data": {}}


@respx.mock
def test_web_push_refuses_private_endpoints_and_maps_gone():
    provider = adapter_for("webpush", {"vapid_public_key": "x", "vapid_private_key": "x", "subject": "mailto:a@b.c"})
    private = {"endpoint": "https://10.0.0.1/push", "keys": {"p256dh": "x", "auth": "x"}}
    with pytest.raises(ProviderRejected, match="refused"):
        provider.send(OutboundMessage(body="B", push_subscriptions=(private,)))


def test_smtp_host_on_a_private_network_is_refused(settings):
    settings.NOTIFICATIONS_SMTP_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for host in ("internal.example", "127.0.0.1", "localhost"):
        with pytest.raises(ProviderRejected, match="public"):
            adapter_for("smtp", {"from": "a@acme.test", "host": host, "port": "25"}).send(MESSAGE)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("provider_id", "credentials"),
    [
        ("ses", {"access_key_id": "A", "secret_access_key": "s", "region": "evil.test#", "from": "a@b.c"}),
        ("mailgun", {"api_key": "k", "domain": "mg.acme.test/../../x", "from": "a@b.c"}),
        ("twilio", {"account_sid": "AC1@evil.test", "auth_token": "t", "from": "+1"}),
    ],
)
def test_credentials_that_would_redirect_the_request_are_refused(provider_id, credentials):
    with respx.mock(assert_all_called=False) as mock:
        with pytest.raises(ProviderAuthFailed, match="expected format"):
            adapter_for(provider_id, credentials).send(MESSAGE)
        assert not mock.calls


def test_apns_refuses_a_token_that_is_not_hex(p8_key):
    pem, _ = p8_key
    provider = adapter_for("apns", {"team_id": "T", "key_id": "K", "private_key": pem, "bundle_id": "b"})
    with respx.mock(assert_all_called=False) as mock, pytest.raises(ProviderRejected, match="hex"):
        provider.send(OutboundMessage(body="B", device_tokens=("../../3/device/x",)))
    assert not mock.calls


REPORT = OutboundMessage(
    subject="Weekly report",
    body="Attached.",
    to_email="ada@example.com",
    attachments=(Attachment("report.pdf", b"%PDF-1.4 fake", "application/pdf"),),
)


def test_smtp_attaches_the_files():
    adapter_for("smtp", {"from": "news@acme.test"}).send(REPORT)
    (sent,) = mail.outbox
    assert sent.attachments == [("report.pdf", b"%PDF-1.4 fake", "application/pdf")]


@respx.mock
def test_sendgrid_mailgun_and_ses_carry_the_files_in_their_own_shapes():
    sendgrid = respx.post("https://api.sendgrid.com/v3/mail/send").mock(return_value=httpx.Response(202))
    adapter_for("sendgrid", {"api_key": "SG.x", "from": "n@acme.test"}).send(REPORT)
    [attachment] = json.loads(sendgrid.calls.last.request.content)["attachments"]
    assert attachment == {
        "content": base64.b64encode(b"%PDF-1.4 fake").decode(),
        "filename": "report.pdf",
        "type": "application/pdf",
        "disposition": "attachment",
    }
    mailgun = respx.post("https://api.mailgun.net/v3/mg.acme.test/messages").mock(
        return_value=httpx.Response(200, json={"id": "<1@mg>"})
    )
    adapter_for("mailgun", {"api_key": "k", "domain": "mg.acme.test", "from": "n@acme.test"}).send(REPORT)
    request = mailgun.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="attachment"; filename="report.pdf"' in request.content and b"%PDF-1.4 fake" in request.content
    ses = respx.post("https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails").mock(
        return_value=httpx.Response(200, json={"MessageId": "m"})
    )
    credentials = {"access_key_id": "AKID", "secret_access_key": "s", "region": "eu-west-1", "from": "n@acme.test"}
    adapter_for("ses", credentials).send(REPORT)
    raw = base64.b64decode(json.loads(ses.calls.last.request.content)["Content"]["Raw"]["Data"])
    assert b"Subject: Weekly report" in raw and b'filename="report.pdf"' in raw
