"""Rate limits counted in one cache round trip (core.api.throttling)."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from core.api import throttling

REDIS_TEST_URL = "redis://127.0.0.1:6379/12"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_hit_counts_per_key_on_the_default_cache():
    caches["default"].clear()
    assert [throttling.hit("t:a", 60) for _ in range(3)] == [1, 2, 3]
    assert throttling.hit("t:b", 60) == 1


@pytest.mark.skipif(not _redis_available(), reason="needs a Redis server on 127.0.0.1:6379")
def test_hit_on_redis_is_one_pipelined_round_trip_and_the_key_expires():
    cache_settings = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_TEST_URL}}
    with override_settings(CACHES=cache_settings):
        cache = caches["default"]
        cache.delete("t:redis")
        executed = []
        client_class = type(cache._cache.get_client("t:redis", write=True))
        original = client_class.pipeline

        def pipeline(self, *args, **kwargs):
            pipe = original(self, *args, **kwargs)
            real_execute = pipe.execute

            def execute(*a, **k):
                executed.append(len(pipe.command_stack))
                return real_execute(*a, **k)

            pipe.execute = execute
            return pipe

        client_class.pipeline = pipeline
        try:
            assert [throttling.hit("t:redis", 30) for _ in range(3)] == [1, 2, 3]
        finally:
            client_class.pipeline = original
        assert executed == [2, 2, 2]  # INCR + EXPIRE, sent together: one round trip per request
        ttl = cache._cache.get_client("t:redis").ttl(cache.make_and_validate_key("t:redis"))
        assert 0 < ttl <= 30
        cache.delete("t:redis")


def test_the_limit_applies_within_a_window_and_resets_with_the_next(monkeypatch, rf):
    caches["default"].clear()
    now = [1000.0]
    throttle_class = type("T", (throttling.AuthRateThrottle,), {"rate": "2/min"})
    monkeypatch.setattr(throttle_class, "timer", lambda self: now[0])
    request = rf.get("/", REMOTE_ADDR="10.0.0.1")
    decisions = [throttle_class().allow_request(request, None) for _ in range(3)]
    assert decisions == [True, True, False]
    throttle = throttle_class()
    assert throttle.allow_request(request, None) is False and 0 < throttle.wait() <= 60
    now[0] += 60
    assert throttle_class().allow_request(request, None) is True
