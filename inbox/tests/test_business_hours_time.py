"""Business-time arithmetic: DST days counted as they happened, holidays, several periods a day, long spans, and
agreement with a minute-by-minute count over 90 days."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.business_hours import ALWAYS_CLOSED_SINCE, Schedule, business_seconds_between, closed_since, is_open

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
H = 3600


def office(timezone: str, holidays=(), extra=()) -> Schedule:
    """Mon-Fri 09:00-12:30 and 13:30-18:00 (8h a day), plus `extra` (weekday, start_min, end_min)."""
    periods = [(day, s, e) for day in range(5) for s, e in ((9 * 60, 12 * 60 + 30), (13 * 60 + 30, 18 * 60))]
    return Schedule.build(timezone, [*periods, *extra], holidays)


def local(timezone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(timezone))


@pytest.mark.parametrize(
    ("timezone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),  # spring forward: 02:00 -> 03:00
        ("Europe/Berlin", date(2026, 10, 25), 25),  # fall back: 03:00 -> 02:00
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
    ],
)
def test_a_whole_day_open_lasts_as_long_as_the_day_really_did(timezone, day, hours):
    schedule = Schedule.build(timezone, [(day.weekday(), 0, 24 * 60)])
    start = local(timezone, day.year, day.month, day.day) - timedelta(days=2)
    assert business_seconds_between(schedule, start, start + timedelta(days=5)) == hours * H


@pytest.mark.parametrize(
    ("timezone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 2),  # 01:00 CET -> 04:00 CEST
        ("Europe/Berlin", date(2026, 10, 25), 4),  # 01:00 CEST -> 04:00 CET
        ("America/New_York", date(2026, 3, 8), 2),
        ("America/New_York", date(2026, 11, 1), 4),
    ],
)
def test_a_period_across_the_change_counts_the_hours_that_existed(timezone, day, hours):
    schedule = Schedule.build(timezone, [(SUN, 60, 4 * 60)])
    start = local(timezone, day.year, day.month, day.day)
    assert business_seconds_between(schedule, start, start + timedelta(days=1)) == hours * H


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
def test_office_weeks_around_both_changes_are_forty_hours(timezone):
    schedule = office(timezone)
    for monday in (date(2026, 3, 2), date(2026, 3, 23), date(2026, 10, 19), date(2026, 10, 26)):
        start = local(timezone, monday.year, monday.month, monday.day)
        assert business_seconds_between(schedule, start, start + timedelta(days=7)) == 40 * H, monday


def test_a_holiday_in_the_middle_counts_nothing():
    christmas = office("Europe/Berlin", holidays=[date(2026, 12, 25)])  # a Friday
    start, end = local("Europe/Berlin", 2026, 12, 21), local("Europe/Berlin", 2026, 12, 28)
    assert business_seconds_between(christmas, start, end) == 32 * H
    assert business_seconds_between(office("Europe/Berlin"), start, end) == 40 * H


def test_a_span_starting_and_ending_outside_hours_counts_only_the_periods_between():
    schedule = office("Europe/Berlin")
    # Tuesday 06:00 (before opening) to Wednesday 12:45 (during lunch): 8h + 3.5h.
    start, end = local("Europe/Berlin", 2026, 6, 2, 6), local("Europe/Berlin", 2026, 6, 3, 12, 45)
    assert business_seconds_between(schedule, start, end) == 11 * H + 30 * 60
    # Friday 19:00 to Monday 08:00: nothing.
    weekend = local("Europe/Berlin", 2026, 6, 5, 19), local("Europe/Berlin", 2026, 6, 8, 8)
    assert business_seconds_between(schedule, *weekend) == 0
    assert business_seconds_between(schedule, end, start) == 0


def test_several_periods_a_day_and_one_ending_at_midnight():
    schedule = Schedule.build("UTC", [(MON, 8 * 60, 10 * 60), (MON, 11 * 60, 12 * 60), (MON, 22 * 60, 24 * 60)])
    start = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # a Monday, inside the first period
    assert business_seconds_between(schedule, start, datetime(2026, 6, 1, 23, tzinfo=UTC)) == (30 + 60 + 60) * 60
    assert business_seconds_between(schedule, start, datetime(2026, 6, 2, 3, tzinfo=UTC)) == (30 + 60 + 120) * 60


def test_an_instant_is_open_or_closed_since_the_last_period_ended():
    schedule = office("Europe/Berlin", holidays=[date(2026, 6, 8)])  # Whit Monday
    assert is_open(schedule, local("Europe/Berlin", 2026, 6, 5, 10))
    assert closed_since(schedule, local("Europe/Berlin", 2026, 6, 5, 10)) is None
    lunch = closed_since(schedule, local("Europe/Berlin", 2026, 6, 5, 13))
    assert lunch == local("Europe/Berlin", 2026, 6, 5, 12, 30)
    # Saturday, Sunday and the holiday Monday are one closed period, from Friday 18:00.
    friday_evening = local("Europe/Berlin", 2026, 6, 5, 18)
    assert closed_since(schedule, local("Europe/Berlin", 2026, 6, 8, 15)) == friday_evening
    assert not is_open(schedule, local("Europe/Berlin", 2026, 6, 8, 15))
    assert closed_since(Schedule.build("UTC", []), friday_evening) == ALWAYS_CLOSED_SINCE


def minute_by_minute(schedule: Schedule, start: datetime, end: datetime) -> int:
    """The reference: every UTC minute, converted to local time, checked against the periods."""
    # In UTC: adding minutes to a datetime in a ZoneInfo zone moves the wall clock, gaps included.
    zone, total, t, end = schedule.zone, 0, start.astimezone(UTC), end.astimezone(UTC)
    while t < end:
        here = t.astimezone(zone)
        minute = here.hour * 60 + here.minute
        if here.date() not in schedule.holidays and any(s <= minute < e for s, e in schedule.periods[here.weekday()]):
            total += 60
        t += timedelta(minutes=1)
    return total


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("first_day", [date(2026, 2, 10), date(2026, 9, 20)])
def test_a_ninety_day_span_agrees_with_counting_every_minute(timezone, first_day):
    # Sunday night periods straddle both DST changes (boundaries outside the repeated and the missing hour).
    schedule = office(
        timezone,
        holidays=[first_day + timedelta(days=17), first_day + timedelta(days=45)],
        extra=[(SAT, 20 * 60, 24 * 60), (SUN, 0, 3 * 60 + 30), (WED, 19 * 60, 21 * 60)],
    )
    start = local(timezone, first_day.year, first_day.month, first_day.day, 7, 13)
    end = start + timedelta(days=90, hours=5)
    assert business_seconds_between(schedule, start, end) == minute_by_minute(schedule, start, end)


def test_long_spans_add_up_piece_by_piece():
    schedule = office("America/New_York", holidays=[date(2027, 7, 5), date(2030, 12, 25)])
    points = [datetime(2026, 1, 1, 3, tzinfo=UTC) + timedelta(days=97 * i, hours=5 * i) for i in range(40)]
    whole = business_seconds_between(schedule, points[0], points[-1])
    pieces = sum(business_seconds_between(schedule, a, b) for a, b in itertools.pairwise(points))
    assert whole == pieces
    # About ten years of 40h weeks, less two holidays.
    weeks = (points[-1] - points[0]).days / 7
    assert abs(whole - (weeks * 40 * H - 16 * H)) < 2 * 8 * H
