"""Issue 8: the custom channel's endpoint is SSRF-checked; download errors never echo raw socket errors."""

import httpx
import pytest
import respx

from core import tenancy, url_safety
from social.models import Channel, Media

CHANNELS = "/api/v1/channels/"
MEDIA = "/api/v1/media/"
PUBLIC = {"hooks.example.com": ["93.184.216.34"], "img.example.com": ["93.184.216.34"]}


@pytest.fixture(autouse=True)
def dns(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: PUBLIC.get(host) or ["10.0.0.7"])


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1:6379/",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://intranet.corp/hook",  # resolves to 10.0.0.7
        "https://user:pw@hooks.example.com/p",
    ],
)
def test_custom_channel_endpoint_must_be_public(owner_client, tenant, endpoint):
    payload = {"network": "custom", "name": "Hook", "config": {"endpointUrl": endpoint}}
    response = owner_client.post(CHANNELS, payload, format="json")
    assert response.status_code == 400, response.json()
    assert "endpointUrl" in response.json()["error"]["details"]["config"]
    with tenancy.tenant_context(tenant):
        assert not Channel.objects.exists()


def test_custom_channel_with_a_public_endpoint_is_created(owner_client):
    payload = {"network": "custom", "name": "Hook", "config": {"endpointUrl": "https://hooks.example.com/p"}}
    assert owner_client.post(CHANNELS, payload, format="json").status_code == 201


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno 111] Connection refused to 93.184.216.34:443"),
        httpx.RemoteProtocolError("illegal header line: bytearray(b'SSH-2.0-OpenSSH_9.2')"),
        httpx.ReadError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)"),
    ],
)
def test_download_errors_do_not_echo_raw_socket_errors(owner_client, tenant, error):
    with respx.mock:
        respx.get("https://img.example.com/a.png").mock(side_effect=error)
        response = owner_client.post(MEDIA, {"url": "https://img.example.com/a.png"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "URL_IMPORT_FAILED"
    text = response.content.decode()
    for leak in ("Errno", "93.184.216.34", "SSH-2.0", "SSL", "_ssl.c", "bytearray"):
        assert leak not in text, text
    with tenancy.tenant_context(tenant):
        assert not Media.objects.exists()
