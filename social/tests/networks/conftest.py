"""Shared fixtures of the adapter tests: test OAuth apps, fast polling (no real sleeps), credentials, helpers."""

from __future__ import annotations

import json

import httpx
import pytest

from core import url_safety
from social.networks.base import ChannelCredentials, MediaItem

NETWORKS = ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "wordpress")


@pytest.fixture(autouse=True)
def network_apps(settings):
    settings.NETWORK_APPS = {n: {"client_id": f"{n}-id", "client_secret": f"{n}-secret"} for n in NETWORKS}
    settings.NETWORK_HTTP_TIMEOUT = 5
    settings.DEBUG = False


@pytest.fixture
def public_dns(monkeypatch):
    """Host names resolve to a public address (no DNS offline); `private` hosts to a private one."""

    def resolve(host: str, port: int) -> list[str]:
        if host.startswith("private"):
            return ["10.0.0.5"]
        return [host.strip("[]")] if host[0].isdigit() or ":" in host else ["93.184.216.34"]

    monkeypatch.setattr(url_safety, "resolve_host", resolve)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make(sleeps):
    def factory(cls, **kwargs):
        return cls(sleep=sleeps, poll_interval=kwargs.pop("poll_interval", 0.5), max_polls=kwargs.pop("max_polls", 5))

    return factory


def creds(external_id: str = "1", token: str = "tok", **extra) -> ChannelCredentials:
    return ChannelCredentials(external_id=external_id, access_token=token, refresh_token="rt", extra=extra)


def sent_json(route) -> dict:
    return json.loads(route.calls.last.request.content)


def sent_form(route) -> dict[str, str]:
    return dict(httpx.QueryParams(route.calls.last.request.content.decode()))


def media_file(tmp_path, name: str, data: bytes, mime: str, kind: str, **kwargs) -> MediaItem:
    path = tmp_path / name
    path.write_bytes(data)
    return MediaItem(url=f"https://cdn.hubbub.test/{name}", mime_type=mime, kind=kind, local_path=str(path), **kwargs)


def image(url: str = "https://cdn.hubbub.test/a.jpg", **kwargs) -> MediaItem:
    return MediaItem(url=url, mime_type="image/jpeg", kind="image", **kwargs)


def video(url: str = "https://cdn.hubbub.test/v.mp4", **kwargs) -> MediaItem:
    return MediaItem(url=url, mime_type="video/mp4", kind="video", **kwargs)
