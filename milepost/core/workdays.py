"""Working days: Monday to Friday, less a country's (and region's) holidays and a contract's own.

Pure (no database). ``Calendar`` answers day by day for reminders and relative dates;
``Calendar.index`` turns a span of dates into working-day numbers, so that the schedule's
graph passes and the forecast add and compare plain integers.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
import numpy as np

ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=256)
def _holidays(country: str, region: str, year: int) -> dict[dt.date, str]:
    if not country:
        return {}
    try:
        days = holidays.country_holidays(country, subdiv=region or None, years=year)
    except NotImplementedError:
        return {}
    return dict(days.items())


@lru_cache(maxsize=64)
def easter(year: int) -> dt.date:
    """Easter Sunday of ``year`` in the Gregorian calendar (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * el) // 433
    month = (h + el - 7 * m + 90) // 25
    return dt.date(year, month, (h + el - 7 * m + 33 * month + 19) % 32)


@dataclass(frozen=True)
class Calendar:
    """A contract's working days: weekdays except its region's holidays and ``extra`` days off."""

    country: str = ""
    region: str = ""
    extra: frozenset[dt.date] = field(default_factory=frozenset)

    def holiday_name(self, day: dt.date) -> str | None:
        """Name why a weekday is not worked (a bank holiday or a contract day off), or None."""
        if day in self.extra:
            return "contract non-working day"
        return _holidays(self.country, self.region, day.year).get(day)

    def is_working(self, day: dt.date) -> bool:
        return (
            day.weekday() < 5
            and day not in self.extra
            and day not in _holidays(self.country, self.region, day.year)
        )

    def shift(self, day: dt.date, days: int, *, working: bool) -> dt.date:
        """Return ``day`` moved by ``days`` (negative: earlier), counting working days if asked.

        Zero working days from a non-working day is the working day before it: a reminder
        "on the day" of a Sunday deadline comes on the Friday.
        """
        if not working:
            return day + dt.timedelta(days=days)
        step = 1 if days > 0 else -1
        current = day
        if days == 0:
            while not self.is_working(current):
                current -= ONE_DAY
            return current
        remaining = abs(days)
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_working(current):
                remaining -= 1
        return current

    def is_statutory_excluded(self, day: dt.date) -> bool:
        """Whether a statutory period skips ``day``: Christmas Day, Good Friday or a bank holiday.

        As the Housing Grants, Construction and Regeneration Act 1996 s.116 counts: weekends
        count, the contract's own days off do not matter. A bank holiday falling on a weekend
        is replaced by its substitute weekday, so only weekday holidays are bank holidays here
        (Christmas Day is named by the Act, so it is skipped on any day of the week).
        """
        if day.month == 12 and day.day == 25:
            return True
        if day == easter(day.year) - dt.timedelta(days=2):
            return True
        return day.weekday() < 5 and day in _holidays(self.country, self.region, day.year)

    def statutory_shift(self, day: dt.date, days: int) -> dt.date:
        """Return ``day`` moved by ``days`` (negative: earlier), skipping the days s.116 excludes."""
        step = 1 if days > 0 else -1
        current, remaining = day, abs(days)
        while remaining:
            current += dt.timedelta(days=step)
            if not self.is_statutory_excluded(current):
                remaining -= 1
        return current

    def skipped(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Return the weekday holidays (and days off) strictly after ``start`` up to ``end``."""
        lo, hi = (start, end) if start <= end else (end, start)
        found = []
        day = lo + ONE_DAY
        while day <= hi:
            if day.weekday() < 5 and (name := self.holiday_name(day)):
                found.append((day, name))
            day += ONE_DAY
        return found

    def days_off(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Return every weekday holiday and extra day off from ``first`` to ``last``."""
        found = set(self.extra)
        for year in range(first.year, last.year + 1):
            found.update(_holidays(self.country, self.region, year))
        return sorted(day for day in found if first <= day <= last and day.weekday() < 5)

    def index(self, first: dt.date, last: dt.date) -> "WorkdayIndex":
        """Number the working days from ``first`` to ``last`` for integer arithmetic."""
        return WorkdayIndex(self, first, last)


class WorkdayIndex:
    """Working-day numbers over a span of dates, as lookup tables.

    ``number(d)`` is the count of working days before ``d`` in the span: a non-working day
    takes the number of the next working day, so "due on a Sunday" compares like "due on the
    Monday". ``date(n)`` is the n-th working day. Both are O(1) list look-ups; ``numbers`` and
    ``dates`` do the same for numpy arrays of ordinals.
    """

    def __init__(self, calendar: Calendar, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.last = last
        holidays_ = np.array(calendar.days_off(first, last), dtype="datetime64[D]")
        self.busday = np.busdaycalendar(weekmask="1111100", holidays=holidays_)
        days = np.arange(
            np.datetime64(first, "D"), np.datetime64(last, "D") + 1, dtype="datetime64[D]"
        )
        working = np.is_busday(days, busdaycal=self.busday)
        # The number of working days strictly before each day: a working day's own number,
        # and for a day off the number of the next working day.
        self.by_day = np.concatenate(([0], np.cumsum(working)[:-1])).astype(np.int64)
        self.working_days = days[working]
        self._base = first.toordinal()

    def number(self, day: dt.date) -> int:
        """Return the working-day number of ``day`` (days off count as the next working day)."""
        offset = day.toordinal() - self._base
        if offset < 0:
            raise ValueError(f"{day} is before the index starts ({self.first}).")
        if offset >= len(self.by_day):
            raise ValueError(f"{day} is after the index ends ({self.last}).")
        return int(self.by_day[offset])

    def date(self, number: int) -> dt.date:
        """Return the working day numbered ``number``."""
        if not 0 <= number < len(self.working_days):
            raise ValueError(f"Working day {number} is outside the index.")
        value: dt.date = self.working_days[number].astype(dt.date)
        return value

    def numbers(self, ordinals: np.ndarray) -> np.ndarray:
        """Vectorised ``number`` for an array of date ordinals (``date.toordinal()``)."""
        return np.asarray(self.by_day[ordinals - self._base])

    def ordinals(self, numbers: np.ndarray) -> np.ndarray:
        """Vectorised ``date`` as ordinals for an array of working-day numbers."""
        days = self.working_days[numbers].astype(np.int64)
        # datetime64[D] counts from 1970-01-01, whose ordinal is 719163.
        return np.asarray(days + 719163)

    def __len__(self) -> int:
        return len(self.working_days)
