"""Inclusive ranges of local dates (a calendar, an analytics period, a report) and the instants that bound them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import ValidationFailed


@dataclass(frozen=True)
class LocalRange:
    """Dates `first`..`last` (inclusive) in `tz`, and the UTC-aware instants bounding them."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Midnight after the last day (exclusive); zoneinfo gives the right offset on either side of a DST change."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def local_range(first: date, last: date, tz_name: str, *, max_days: int) -> LocalRange:
    """Validate a `from`..`to` date range (inclusive, at most `max_days` days) in the time zone `tz_name`: a 400
    naming `to` otherwise."""
    if first > last:
        raise ValidationFailed(details={"to": ["Must be on or after `from`."]})
    if (last - first).days + 1 > max_days:
        raise ValidationFailed(details={"to": [f"The range may span at most {max_days} days."]})
    return LocalRange(first=first, last=last, tz=ZoneInfo(tz_name or "UTC"))
