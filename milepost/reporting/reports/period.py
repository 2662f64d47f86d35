"""A report's period: the dates it covers, with each report type's default."""

import datetime as dt
from dataclasses import dataclass

from milepost.core.dates import date_in_range
from milepost.core.errors import DomainError

from ..choices import ReportType

# A period longer than a year reads as an archive, not a report.
MAX_DAYS = 366
LOOK_AHEAD_WEEKS = (2, 4)


@dataclass(frozen=True)
class Period:
    """The first and last day a report covers, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def report_period(
    *,
    report_type: str,
    today: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    weeks: int = 2,
) -> Period:
    """Return the period asked for, filling in the type's default; refuse one that makes no sense.

    A look-ahead runs ``weeks`` (2 or 4) weeks from ``start`` (today by default); the other
    reports cover the month so far unless told otherwise.
    """
    for name, value in (("from", start), ("to", end)):
        if value is not None and not date_in_range(value):
            raise DomainError("invalid_period", "That date is out of range.", field=name)
    if report_type == ReportType.LOOK_AHEAD:
        if weeks not in LOOK_AHEAD_WEEKS:
            raise DomainError(
                "invalid_weeks", "A look-ahead covers the next 2 or 4 weeks.", field="weeks"
            )
        start = start or today
        end = end or start + dt.timedelta(days=weeks * 7 - 1)
    else:
        end = end or (today if start is None or start <= today else start)
        start = start or end.replace(day=1)
    if start > end:
        raise DomainError(
            "invalid_period", "The period must end on or after the day it starts.", field="to"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(
            "invalid_period", f"A report covers at most {MAX_DAYS} days.", field="from"
        )
    return Period(start=start, end=end)
