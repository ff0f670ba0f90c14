"""Which adapter serves which platform. Tests swap an entry with `use_adapter()`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ads.platforms.base import AdPlatformAdapter

_FACTORIES: dict[str, Callable[[], AdPlatformAdapter]] = {}


def _defaults() -> dict[str, Callable[[], AdPlatformAdapter]]:
    from ads.platforms.meta import MetaAdsAdapter
    from ads.platforms.sandbox import SandboxAdsAdapter

    return {"meta": MetaAdsAdapter, "sandbox": SandboxAdsAdapter}


def get_adapter(platform: str) -> AdPlatformAdapter:
    factories = {**_defaults(), **_FACTORIES}
    if platform not in factories:
        raise KeyError(platform)
    return factories[platform]()


@contextlib.contextmanager
def use_adapter(platform: str, factory: Callable[[], AdPlatformAdapter]) -> Iterator[None]:
    previous = _FACTORIES.get(platform)
    _FACTORIES[platform] = factory
    try:
        yield
    finally:
        if previous is None:
            _FACTORIES.pop(platform, None)
        else:
            _FACTORIES[platform] = previous
