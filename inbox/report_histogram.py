"""The duration histograms of the report summary: fixed log-scale buckets of business seconds, and percentiles read
back from them.

Bucket 0 holds [0, 60) seconds; bucket i (1..34) holds [E(i), E(i+1)) with E(i) = ceil(60 * 2^((i-1)/2)), so each
bucket above a minute is sqrt(2) (~41%) wide; bucket 35 holds everything from E(35) = 7,864,320 s (91 days of
business time) up. A percentile is interpolated like PostgreSQL's `percentile_cont` between the two neighbouring
values of rank `p * (n - 1)`, each estimated inside its bucket (evenly spread, on a log scale above a minute), so the
answer lies within the buckets of the exact neighbouring values: within one bucket of the exact percentile (above a
minute, at most a factor sqrt(2) off; below, at most 60 s). The open last bucket answers its lower edge.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

BUCKET_COUNT = 36
FIRST_EDGE_SECONDS = 60
# Lower edges of buckets 1..35 (bucket 0 starts at 0): integers, since business seconds are whole.
EDGES = tuple(math.ceil(FIRST_EDGE_SECONDS * 2 ** ((i - 1) / 2)) for i in range(1, BUCKET_COUNT))


def bucket_of(seconds: int) -> int:
    """The bucket holding `seconds` (>= 0)."""
    return bisect.bisect_right(EDGES, seconds)


def bucket_bounds(bucket: int) -> tuple[int, int | None]:
    """[low, high) of `bucket`; high is None for the open last one."""
    low = 0 if bucket == 0 else EDGES[bucket - 1]
    return low, (EDGES[bucket] if bucket < len(EDGES) else None)


def _value_at(counts: Sequence[int], rank: int) -> float:
    """The estimated value of 0-based `rank` among the counted values."""
    below = 0
    for bucket, count in enumerate(counts):
        if rank < below + count:
            low, high = bucket_bounds(bucket)
            if high is None:
                return float(low)
            fraction = (rank - below + 0.5) / count
            if bucket == 0:
                return high * fraction
            return low * (high / low) ** fraction
        below += count
    raise ValueError("rank beyond the histogram")


def percentile(counts: Sequence[int], p: float) -> float | None:
    """The `p` percentile (0..1) of the values counted in `counts` (one count per bucket); None when empty."""
    total = sum(counts)
    if total <= 0:
        return None
    position = p * (total - 1)
    low_rank = math.floor(position)
    low = _value_at(counts, low_rank)
    fraction = position - low_rank
    if fraction == 0:
        return low
    return low + fraction * (_value_at(counts, low_rank + 1) - low)
