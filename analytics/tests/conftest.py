from __future__ import annotations

from datetime import date

import pytest

from analytics.tests.factories import ChannelFactory, channel_days
from tenants.roles import Role

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 14)


@pytest.fixture
def analyst(tenant, make_member):
    return make_member(tenant, Role.ANALYST)


@pytest.fixture
def viewer(tenant, make_member):
    return make_member(tenant, Role.VIEWER)


@pytest.fixture
def channels(tenant):
    """Two sandbox channels with 28 days of figures (Feb 15 .. Mar 14): 10 impressions and 1 engagement a day each;
    the second misses Mar 10."""
    first = ChannelFactory(tenant=tenant, name="Alpha")
    second = ChannelFactory(tenant=tenant, name="Beta")
    channel_days(first, date(2026, 2, 15), LAST, followers=100)
    channel_days(second, date(2026, 2, 15), LAST, followers=500, skip=(date(2026, 3, 10),))
    return first, second
