"""The contract's clock: the last day of a period counted from a day, on a contract's calendar.

Pure (no database), like ``core.workdays``: ``deadline`` is the one rule every reply period,
time bar and deemed outcome is counted by, so that each can be worked out again from the trail
(the day it counted from, the period and its unit are in the event).
"""

import datetime as dt

from milepost.core.workdays import Calendar

from .choices import PeriodUnit

ONE_DAY = dt.timedelta(days=1)


def next_working_day(calendar: Calendar, day: dt.date) -> dt.date:
    """Return ``day`` if the contract works on it, else the first working day after it."""
    while not calendar.is_working(day):
        day += ONE_DAY
    return day


def deadline(calendar: Calendar, start: dt.date, length: int, unit: str) -> dt.date:
    """Return the last day of a period of ``length`` ``unit`` that begins after ``start``.

    "Within 2 weeks of the notification" sent on a Monday ends on the Monday two weeks later;
    when that day is not a working day the period runs to the next working day, so a deadline
    never falls on a weekend, a bank holiday or a contract's day off. The result is never
    before ``start``: a period of 0 ends on ``start`` (or the next working day).
    """
    if length < 0:
        raise ValueError("A period cannot be negative.")
    if unit == PeriodUnit.WORKING_DAYS:
        return (
            calendar.shift(start, length, working=True)
            if length
            else next_working_day(calendar, start)
        )
    if unit == PeriodUnit.DAYS_LESS_HOLIDAYS:
        # JCT 2016 cl. 1.5: public holidays are left out of the count; weekends count.
        end = calendar.statutory_shift(start, length) if length else start
        return next_working_day(calendar, end)
    days = length * 7 if unit == PeriodUnit.WEEKS else length
    if unit not in (PeriodUnit.WEEKS, PeriodUnit.DAYS):
        raise ValueError(f"Unknown period unit {unit!r}.")
    return next_working_day(calendar, start + dt.timedelta(days=days))


def share_left(*, start: dt.date, due: dt.date, today: dt.date) -> str:
    """Band a running period by the share of it left today: "more" than half, "less", "overdue".

    A reply due today still has its day: it is in the "less" band, not overdue.
    """
    if today > due:
        return "overdue"
    total = (due - start).days
    left = (due - today).days
    return "more" if total > 0 and left * 2 > total else "less"


_UNIT_WORDS = {
    PeriodUnit.WEEKS: ("week", "weeks", ""),
    PeriodUnit.DAYS: ("day", "days", ""),
    PeriodUnit.WORKING_DAYS: ("working day", "working days", ""),
    PeriodUnit.DAYS_LESS_HOLIDAYS: ("day", "days", " less public holidays"),
}


def period_words(length: int, unit: str) -> str:
    """Say a period as a person would: "1 week", "10 working days", "14 days less public holidays"."""
    one, many, tail = _UNIT_WORDS.get(unit, ("day", "days", ""))  # type: ignore[call-overload]
    return f"{length} {one if length == 1 else many}{tail}"


def delay_words(days: int | None) -> str:
    """Say a quotation's delay to the dates: "3 days later", "1 day earlier"."""
    if days is None:
        return ""
    if days == 0:
        return "No change to the dates"
    count = abs(days)
    return f"{count} day{'s' if count != 1 else ''} {'later' if days > 0 else 'earlier'}"
