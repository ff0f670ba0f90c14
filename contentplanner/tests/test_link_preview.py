"""Link previews go through the SSRF guard and read Open Graph tags."""

from __future__ import annotations

import httpx
import pytest
import respx

from core import url_safety
from tenants.roles import Role

URL = "/api/v1/cp/link-preview"
PAGE = b"""<html><head><title>Fallback</title>
<meta property="og:title" content="Spring launch">
<meta property="og:description" content="All the news &amp; more">
<meta property="og:image" content="/img/cover.png"><meta property="og:site_name" content="Acme">
</head><body>...</body></html>"""


@pytest.fixture
def public_host(monkeypatch):
    monkeypatch.setattr(
        url_safety,
        "resolve_host",
        lambda host, port: {"www.example.com": ["93.184.216.34"]}.get(host) or ["127.0.0.1"],
    )


@respx.mock
def test_preview_reads_open_graph(tenant, make_member, api_client_for, public_host):
    respx.get("https://www.example.com/news").mock(
        return_value=httpx.Response(200, content=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    )
    client = api_client_for(make_member(tenant, Role.EDITOR))
    response = client.post(URL, {"url": "https://www.example.com/news"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "url": "https://www.example.com/news",
        "finalUrl": "https://www.example.com/news",
        "title": "Spring launch",
        "description": "All the news & more",
        "imageUrl": "https://www.example.com/img/cover.png",
        "siteName": "Acme",
    }


@respx.mock
def test_private_addresses_are_refused_without_a_request(tenant, make_member, api_client_for, public_host):
    route = respx.get("http://internal.example/admin").mock(return_value=httpx.Response(200, content=PAGE))
    client = api_client_for(make_member(tenant, Role.EDITOR))
    response = client.post(URL, {"url": "http://internal.example/admin"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "LINK_PREVIEW_FAILED"
    assert response.json()["error"]["details"]["reason"] == "URL_NOT_ALLOWED"
    assert not route.called


def test_viewer_is_refused(tenant, make_member, api_client_for):
    client = api_client_for(make_member(tenant, Role.VIEWER))
    assert client.post(URL, {"url": "https://www.example.com/"}, format="json").status_code == 403
