"""Business-hours arithmetic, pure (no database): a weekly schedule in a timezone, with holidays.

Times of day are local wall-clock times of the schedule's IANA timezone. Each local day is turned into UTC instants
with zoneinfo (never by adding fixed 24h offsets), so a DST change is counted as it happened:
- a period crossing a spring-forward gap counts the hour that exists (09:00-17:00 is 8h; 01:00-04:00 on the
  spring-forward night is 2h); a time inside the gap resolves with the offset before the change (`fold=0`);
- a period crossing a fall-back overlap counts the repeated hour twice (01:00-04:00 is 4h); an ambiguous boundary
  resolves to its first occurrence (`fold=0`).
Long spans are computed a week at a time: a week without a holiday and with the same UTC offset at both ends is
worth the schedule's nominal weekly seconds (tzdata has no zone changing offset twice within one week).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far back `closed_since` looks for the last open period before calling the channel "always closed".
CLOSED_LOOKBACK_DAYS = 400
ALWAYS_CLOSED_SINCE = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """`periods[weekday]` (0 = Monday) holds sorted, non-overlapping `(start_minute, end_minute)` pairs of local
    time, `0 <= start < end <= 1440` (1440 is 24:00). `holidays` are local dates with no business hours."""

    timezone: str
    periods: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def weekly_seconds(self) -> int:
        return sum((end - start) * 60 for day in self.periods for start, end in day)

    @classmethod
    def build(cls, timezone: str, periods: Iterable[tuple[int, int, int]], holidays: Iterable[date] = ()) -> Schedule:
        """From `(weekday, start_minute, end_minute)` triples (already validated)."""
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for weekday, start, end in periods:
            days[weekday].append((start, end))
        return cls(timezone, tuple(tuple(sorted(day)) for day in days), frozenset(holidays))


def _instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant of local `day` at `minute` (1440 = the next day's midnight)."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _open_intervals(schedule: Schedule, zone: ZoneInfo, day: date) -> list[tuple[datetime, datetime]]:
    if day in schedule.holidays:
        return []
    return [(_instant(zone, day, start), _instant(zone, day, end)) for start, end in schedule.periods[day.weekday()]]


def _clipped_seconds(intervals: Sequence[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> float:
    total = 0.0
    for start, end in intervals:
        start, end = max(start, lo), min(end, hi)
        if end > start:
            total += (end - start).total_seconds()
    return total


def _regular_week(schedule: Schedule, zone: ZoneInfo, first: date, holidays: list[date]) -> bool:
    """No holiday in `[first, first + 7)` and the same UTC offset at both ends (no DST change inside)."""
    after = first + timedelta(days=7)
    index = bisect.bisect_left(holidays, first)
    if index < len(holidays) and holidays[index] < after:
        return False
    return _instant(zone, first, 0) - _instant(zone, after, 0) == timedelta(days=-7)


def business_seconds_between(hours: Schedule, start: datetime, end: datetime) -> int:
    """Seconds between the aware datetimes `start` and `end` that fall inside `hours` (0 when `end <= start`)."""
    if end <= start:
        return 0
    zone = hours.zone
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    # The periods of the day before `first` may run past local midnight only at 24:00, so `first` is where to begin.
    total = _clipped_seconds(_open_intervals(hours, zone, first), start, end)
    if last == first:
        return int(total)
    holidays = sorted(hours.holidays)
    weekly = hours.weekly_seconds
    day = first + timedelta(days=1)
    while day < last:
        if day + timedelta(days=7) <= last and _regular_week(hours, zone, day, holidays):
            total += weekly
            day += timedelta(days=7)
            continue
        total += _clipped_seconds(_open_intervals(hours, zone, day), start, end)
        day += timedelta(days=1)
    total += _clipped_seconds(_open_intervals(hours, zone, last), start, end)
    return int(total)


def is_open(hours: Schedule, at: datetime) -> bool:
    """Whether `at` falls inside a business period."""
    zone = hours.zone
    today = at.astimezone(zone).date()
    return any(start <= at < end for start, end in _open_intervals(hours, zone, today))


def closed_since(hours: Schedule, at: datetime) -> datetime | None:
    """When the closed period around `at` began (the end of the last open period before it), or None when `at` is
    inside business hours. A schedule open nowhere in the last CLOSED_LOOKBACK_DAYS is closed since 1970."""
    zone = hours.zone
    day = at.astimezone(zone).date()
    for back in range(CLOSED_LOOKBACK_DAYS):
        current = day - timedelta(days=back)
        for start, end in reversed(_open_intervals(hours, zone, current)):
            if start <= at < end:
                return None
            if end <= at:
                return end
    return ALWAYS_CLOSED_SINCE
