"""The notice timetable of a payment cycle: due date, final date and the notice deadlines.

Pure (no database). ``REGIME_DEFAULTS`` holds each regime's periods; ``timetable_for`` counts
them from a cycle's period end and application on a contract's calendar (see
docs/payment-cycles.md for what each regime relies on).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from milepost.core.workdays import Calendar

from .choices import PaymentRegime


@dataclass(frozen=True)
class RegimePeriods:
    """The days a regime counts: to the due date, on to the final date, and the two notices."""

    due_days: int
    final_days: int
    payment_notice_days: int
    pay_less_days: int
    notices_required: bool = True


# The Scheme for Construction Contracts (England and Wales) Regulations 1998 as amended in 2011
# (Part II paras 4 to 10): due 7 days after the period ends or the claim is made, if later; the
# final date 17 days after that; a payment notice within 5 days after the due date; a pay less
# notice no later than 7 days before the final date. The Scottish Scheme, amended by the
# Scheme for Construction Contracts (Scotland) Amendment Regulations 2011, prescribes the same
# periods. Net 30: the invoice is due when made and paid within 30 days, with no notices.
REGIME_DEFAULTS: dict[str, RegimePeriods] = {
    PaymentRegime.SCHEME_EW: RegimePeriods(7, 17, 5, 7),
    PaymentRegime.SCHEME_SCOTLAND: RegimePeriods(7, 17, 5, 7),
    PaymentRegime.NET_30: RegimePeriods(0, 30, 0, 0, notices_required=False),
    # The contract's own periods; the Scheme's until the terms say otherwise.
    PaymentRegime.CUSTOM: RegimePeriods(7, 17, 5, 7),
}


class TimetableTerms(Protocol):
    """What the timetable reads from a contract's money terms."""

    due_days: int
    final_days: int
    payment_notice_days: int
    pay_less_days: int
    working_days: bool
    regime: str


STATUTORY = (PaymentRegime.SCHEME_EW, PaymentRegime.SCHEME_SCOTLAND)


def counts_statutory(terms: TimetableTerms) -> bool:
    """Whether the terms count as the Act's s.116 does (the Scheme, in calendar days)."""
    return terms.regime in STATUTORY and not terms.working_days


def shift_for(terms: TimetableTerms, calendar: Calendar, day: dt.date, days: int) -> dt.date:
    """Move ``day`` by ``days`` as the terms count: statutory days, working days or calendar days.

    The Scheme's periods skip Christmas Day, Good Friday and the region's bank holidays but
    count weekends (s.116 of the Housing Grants, Construction and Regeneration Act 1996).
    """
    if counts_statutory(terms):
        return calendar.statutory_shift(day, days)
    return calendar.shift(day, days, working=terms.working_days)


@dataclass(frozen=True)
class Timetable:
    """A cycle's dates: always due ≤ payment notice by ≤ pay less by ≤ final date."""

    due_date: dt.date
    final_date: dt.date
    payment_notice_by: dt.date
    pay_less_by: dt.date


def timetable_for(
    *, terms: TimetableTerms, period_end: dt.date, applied_on: dt.date, calendar: Calendar
) -> Timetable:
    """Return the dates of a cycle whose period ended on ``period_end``, applied on ``applied_on``.

    The due date is the later of ``due_days`` after the period's end and the application. The
    Scheme's periods skip Christmas Day, Good Friday and bank holidays (s.116). In working days (``terms.working_days``) weekends, the region's bank holidays and the
    contract's days off are not counted, and a due date on a day off moves to the next working
    day. The final date is ``final_days`` after the due date; the payment notice is due within
    ``payment_notice_days`` after the due date; the pay less notice no later than
    ``pay_less_days`` before the final date (never before the payment notice's deadline).
    """
    working = terms.working_days
    counted = (
        shift_for(terms, calendar, period_end, terms.due_days) if terms.due_days else period_end
    )
    due = max(counted, applied_on)
    if working:
        while not calendar.is_working(due):
            due += dt.timedelta(days=1)
    final = shift_for(terms, calendar, due, terms.final_days)
    notice_by = min(shift_for(terms, calendar, due, terms.payment_notice_days), final)
    pay_less_by = shift_for(terms, calendar, final, -terms.pay_less_days)
    pay_less_by = max(pay_less_by, notice_by)
    return Timetable(
        due_date=due, final_date=final, payment_notice_by=notice_by, pay_less_by=pay_less_by
    )
