"""The promised rate limits (issue 8, item 11): per user-in-tenant, per API key, per IP on credential endpoints.

Each test drives the throttle to its configured (documented, README) rate: the per-credential limit by recording
`rate - 1` earlier requests in the throttle's own window counter (1,200 real requests would only slow the suite), the
credential endpoints' 30/min by real requests. The request over the limit is a 429 `RATE_LIMITED` in the error
shape with `Retry-After`; another tenant's credential from the same address is not throttled.
"""

from __future__ import annotations

import time

import time_machine
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from core.api.throttling import AuthRateThrottle, PrincipalRateThrottle
from tenants.roles import Role

TAGS = "/api/v1/cp/tags/"
REFRESH = "/api/v1/auth/refresh"


def documented_rate(scope: str) -> tuple[int, int]:
    return PrincipalRateThrottle().parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])


def use_up_all_but_one(ident: str) -> int:
    """Record `limit - 1` requests of `ident` within the window, as the throttle itself would have."""
    limit, duration = documented_rate("principal")
    key = PrincipalRateThrottle.cache_format % {"scope": "principal", "ident": ident}
    window = int(time.time() // duration)
    for counted in (window, window + 1):  # the next window too: the test may straddle a boundary
        cache.set(f"{key}:{counted}", limit - 1, duration + 1)
    return limit


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.content[:300]
    body = response.json()
    assert body["error"]["code"] == "RATE_LIMITED" and body["statusCode"] == 429 and body["requestId"]
    _limit, duration = documented_rate("principal")
    assert 1 <= int(response["Retry-After"]) <= duration + 1


def test_the_documented_rates_are_the_configured_ones():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"principal": "1200/min", "auth": "30/min"}


def test_a_user_is_limited_per_tenant_at_the_documented_rate(tenant, other_tenant, make_member, api_client_for):
    membership = make_member(tenant, Role.EDITOR)
    client = api_client_for(membership)
    use_up_all_but_one(f"user:{membership.user_id}:{tenant.pk}")
    assert client.get(TAGS).status_code == 200  # request number `limit`
    assert_rate_limited(client.get(TAGS))
    # Another member of the same tenant and a member of another tenant are not throttled by this burst.
    assert api_client_for(make_member(tenant, Role.EDITOR)).get(TAGS).status_code == 200
    assert api_client_for(make_member(other_tenant, Role.EDITOR)).get(TAGS).status_code == 200


def test_an_api_key_is_limited_at_the_documented_rate(tenant, other_tenant, api_key_client_for):
    client = api_key_client_for(tenant, scopes=["read", "write"])
    use_up_all_but_one(f"key:{client.api_key.pk}")
    assert client.get(TAGS).status_code == 200
    assert_rate_limited(client.get(TAGS))
    assert_rate_limited(client.post(TAGS, {"name": "x"}, format="json"))  # every method counts
    assert api_key_client_for(other_tenant, scopes=["read"]).get(TAGS).status_code == 200


def test_credential_endpoints_are_limited_per_ip_at_the_documented_rate(db):
    limit, _ = AuthRateThrottle().parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"])
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(limit):
        response = client.post(REFRESH, {"refreshToken": "hbr_unknown"}, format="json")
        assert response.status_code == 401, response.content
    response = client.post(REFRESH, {"refreshToken": "hbr_unknown"}, format="json")
    assert response.status_code == 429 and response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1
    # Another address is not throttled by this one's burst.
    other = APIClient(REMOTE_ADDR="198.51.100.9").post(REFRESH, {"refreshToken": "hbr_unknown"}, format="json")
    assert other.status_code == 401


def test_a_forged_x_forwarded_for_does_not_escape_the_per_ip_limit(db):
    limit, _ = AuthRateThrottle().parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"])
    client = APIClient(REMOTE_ADDR="203.0.113.8")
    statuses = [
        client.post(
            REFRESH, {"refreshToken": "hbr_unknown"}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.{i // 250}.{i % 250}"
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429


def test_behind_the_tls_proxy_the_forwarded_address_is_the_client(db, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    limit, _ = AuthRateThrottle().parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"])
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    with time_machine.travel(time.time(), tick=False):  # fixed windows: the loop must not straddle two
        for _ in range(limit + 1):
            last = proxy.post(REFRESH, {"refreshToken": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.9")
        assert last.status_code == 429
        other = proxy.post(REFRESH, {"refreshToken": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 401  # another client behind the same proxy has its own budget


def test_after_the_window_the_credential_is_served_again(tenant, api_key_client_for):
    client = api_key_client_for(tenant, scopes=["read"])
    use_up_all_but_one(f"key:{client.api_key.pk}")
    assert client.get(TAGS).status_code == 200
    assert client.get(TAGS).status_code == 429
    _limit, duration = documented_rate("principal")
    with time_machine.travel(time.time() + duration + 1, tick=False):
        assert client.get(TAGS).status_code == 200
