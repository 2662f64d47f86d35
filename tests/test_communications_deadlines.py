"""The contract's clock, counted at fixed days: weeks, days, working days and JCT's days less
public holidays, across weekends, bank holidays, the Christmas break, Easter and 29 February."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from milepost.communications.choices import PeriodUnit
from milepost.communications.deadlines import deadline, period_words, share_left
from milepost.core.workdays import Calendar

ENGLAND = Calendar("GB", "ENG")
# A site that shuts from Christmas Eve to New Year's Day (the contract's own days off).
SHUTDOWN = Calendar(
    "GB", "ENG", frozenset(dt.date(2026, 12, 24) + dt.timedelta(days=n) for n in range(9))
)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


W, D, WD, DLH = (
    PeriodUnit.WEEKS,
    PeriodUnit.DAYS,
    PeriodUnit.WORKING_DAYS,
    PeriodUnit.DAYS_LESS_HOLIDAYS,
)


@pytest.mark.parametrize(
    ("calendar", "start", "length", "unit", "due"),
    [
        # One week from a Monday is the next Monday (NEC4 cl. 61.4).
        (ENGLAND, "2026-12-07", 1, W, "2026-12-14"),
        # Two weeks from a Friday end on Christmas Day: the next working day is the 29th
        # (Boxing Day falls on a Saturday, so Monday the 28th is its bank holiday).
        (ENGLAND, "2026-12-11", 2, W, "2026-12-29"),
        # The same with the contract's Christmas shutdown: the first day back, 4 January.
        (SHUTDOWN, "2026-12-11", 2, W, "2027-01-04"),
        # A week from a Saturday ends on a Saturday: the Monday after.
        (ENGLAND, "2026-12-05", 1, W, "2026-12-14"),
        # Eight weeks from becoming aware on a Monday (the time bar of cl. 61.3).
        (ENGLAND, "2026-10-05", 8, W, "2026-11-30"),
        # Easter: a week from Maundy Thursday is a working Thursday.
        (ENGLAND, "2027-03-25", 1, W, "2027-04-01"),
        # A week from the Friday before Easter Monday's week ends on Good Friday: next Tuesday.
        (ENGLAND, "2027-03-19", 1, W, "2027-03-30"),
        # 29 February: a week later is 7 March.
        (ENGLAND, "2028-02-29", 1, W, "2028-03-07"),
        # Days: 10 days from 20 December lands on 30 December, a working day.
        (ENGLAND, "2026-12-20", 10, D, "2026-12-30"),
        # Working days skip the weekends and the bank holidays of the break (25th and 28th)...
        (ENGLAND, "2026-12-18", 5, WD, "2026-12-29"),
        # ... and the contract's shutdown from Christmas Eve to New Year's Day.
        (SHUTDOWN, "2026-12-18", 5, WD, "2027-01-05"),
        # JCT cl. 1.5: 14 days from 20 December leave out Christmas Day, the Boxing Day
        # holiday (Monday the 28th) and New Year's Day, and count the weekends: 6 January.
        (ENGLAND, "2026-12-20", 14, DLH, "2027-01-06"),
        # The same period in July has no holiday: 14 days, ending on a Monday.
        (ENGLAND, "2026-07-06", 14, DLH, "2026-07-20"),
        # Twelve weeks for the Employer's extension of time decision (JCT cl. 2.25.2).
        (ENGLAND, "2026-10-05", 12, W, "2026-12-29"),
        # A period of nothing ends on the day, or the next working day.
        (ENGLAND, "2026-12-25", 0, W, "2026-12-29"),
        (ENGLAND, "2026-12-25", 0, WD, "2026-12-29"),
    ],
)
def test_deadline_at_fixed_days(
    calendar: Calendar, start: str, length: int, unit: str, due: str
) -> None:
    assert deadline(calendar, day(start), length, unit) == day(due)


def test_a_negative_period_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        deadline(ENGLAND, day("2026-12-07"), -1, W)


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        deadline(ENGLAND, day("2026-12-07"), 1, "fortnights")


@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)),
    length=st.integers(min_value=0, max_value=60),
    unit=st.sampled_from(list(PeriodUnit)),
    shutdown=st.booleans(),
)
def test_a_deadline_is_never_before_its_start_and_always_a_working_day(
    start: dt.date, length: int, unit: str, shutdown: bool
) -> None:
    calendar = SHUTDOWN if shutdown else ENGLAND
    due = deadline(calendar, start, length, unit)
    assert due >= start
    assert calendar.is_working(due)
    # A longer period never ends earlier.
    assert deadline(calendar, start, length + 1, unit) >= due


@pytest.mark.parametrize(
    ("today", "band"),
    [
        ("2026-12-07", "more"),  # all 14 days left
        ("2026-12-13", "more"),  # 8 of 14 left
        ("2026-12-14", "less"),  # 7 of 14 left: half is not more than half
        ("2026-12-21", "less"),  # due today: still in time
        ("2026-12-22", "overdue"),
    ],
)
def test_share_left_bands_a_running_period(today: str, band: str) -> None:
    assert share_left(start=day("2026-12-07"), due=day("2026-12-21"), today=day(today)) == band


@pytest.mark.parametrize(
    ("length", "unit", "words"),
    [
        (1, W, "1 week"),
        (8, W, "8 weeks"),
        (10, WD, "10 working days"),
        (1, D, "1 day"),
        (14, DLH, "14 days less public holidays"),
    ],
)
def test_periods_read_as_words(length: int, unit: str, words: str) -> None:
    assert period_words(length, unit) == words
