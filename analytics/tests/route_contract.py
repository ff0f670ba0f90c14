"""What the generated route contract (core/tests/test_route_contract.py) needs for the analytics routes. The
dashboard, shared link and email report come from `analytics/demo.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PATH_VALUES: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("MetricView", "metric"): lambda world: "impressions",
}

# The metric in the path is a catalogue key every tenant shares, not a tenant's object; another tenant's channels
# in the body are refused like missing ones (analytics/tests/test_metrics.py).
EXEMPT: dict[tuple[str, str, str], str] = {
    ("api/v1/analytics/^metrics/(?P<metric>[A-Za-z]+)/?$", "post", "other_tenant"): "a catalogue key, not an object",
}
