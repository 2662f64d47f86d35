"""The notice timetable: the Scheme's dates in calendar days and on the working-day calendar."""

import datetime as dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from milepost.core.workdays import Calendar
from milepost.finance.choices import PaymentRegime
from milepost.finance.timetable import REGIME_DEFAULTS, Timetable, timetable_for

ENGLAND = Calendar("GB", "ENG")


@dataclass
class Terms:
    due_days: int = 7
    final_days: int = 17
    payment_notice_days: int = 5
    pay_less_days: int = 7
    working_days: bool = False
    regime: str = PaymentRegime.SCHEME_EW


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_the_scheme_counts_7_17_5_and_7_days() -> None:
    scheme = REGIME_DEFAULTS[PaymentRegime.SCHEME_EW]
    assert (scheme.due_days, scheme.final_days, scheme.payment_notice_days) == (7, 17, 5)
    assert scheme.pay_less_days == 7 and scheme.notices_required
    assert REGIME_DEFAULTS[PaymentRegime.SCHEME_SCOTLAND] == scheme
    assert not REGIME_DEFAULTS[PaymentRegime.NET_30].notices_required


def test_scheme_in_calendar_days_from_the_end_of_the_period() -> None:
    # Given a period ending Saturday 28 February 2026 (no holiday in March), applied that day
    when = timetable_for(
        terms=Terms(), period_end=d("2026-02-28"), applied_on=d("2026-02-28"), calendar=ENGLAND
    )
    # Then due 7 days later, final 17 after that, notices 5 after due and 7 before final
    assert when == Timetable(d("2026-03-07"), d("2026-03-24"), d("2026-03-12"), d("2026-03-17"))


def test_the_scheme_skips_christmas_and_bank_holidays_but_counts_weekends() -> None:
    # Given a period ending Sunday 20 December 2026 (s.116: Christmas Day and the bank
    # holidays, here the Boxing Day substitute on Monday 28 December and 1 January, are not
    # counted; Saturday 26 December and the weekends are)
    when = timetable_for(
        terms=Terms(), period_end=d("2026-12-20"), applied_on=d("2026-12-20"), calendar=ENGLAND
    )
    # Then due Tuesday 29 December, payment notice by 4 January, final date 16 January
    assert (when.due_date, when.payment_notice_by) == (d("2026-12-29"), d("2027-01-04"))
    assert when.final_date == d("2027-01-16")
    assert when.pay_less_by == d("2027-01-09")


def test_the_scheme_skips_good_friday_and_easter_monday() -> None:
    # Given a period ending Tuesday 31 March 2026: 3 April is Good Friday, 6 April Easter Monday
    when = timetable_for(
        terms=Terms(), period_end=d("2026-03-31"), applied_on=d("2026-03-31"), calendar=ENGLAND
    )
    # Then the 7 days run to Thursday 9 April
    assert when.due_date == d("2026-04-09")


def test_the_contracts_own_periods_count_plain_calendar_days() -> None:
    custom = Terms(regime=PaymentRegime.CUSTOM)
    when = timetable_for(
        terms=custom, period_end=d("2026-12-20"), applied_on=d("2026-12-20"), calendar=ENGLAND
    )
    assert when.due_date == d("2026-12-27")


def test_a_claim_made_after_the_period_ends_is_due_when_made_if_later() -> None:
    when = timetable_for(
        terms=Terms(), period_end=d("2026-03-31"), applied_on=d("2026-04-10"), calendar=ENGLAND
    )
    assert when.due_date == d("2026-04-10")
    assert when.final_date == d("2026-04-27")


def test_calendar_days_keep_a_due_date_that_falls_on_a_saturday() -> None:
    # 30 May 2026 is a Saturday; the Scheme counts days, so 6 June (a Saturday) stands
    when = timetable_for(
        terms=Terms(), period_end=d("2026-05-30"), applied_on=d("2026-05-29"), calendar=ENGLAND
    )
    assert when.due_date == d("2026-06-06")


def test_working_days_skip_weekends_good_friday_easter_monday_and_the_may_bank_holiday() -> None:
    # Given working days: from Tue 31 Mar 2026, 7 working days skip Good Friday (3 Apr), the
    # weekend and Easter Monday (6 Apr): 1, 2, 7, 8, 9, 10 and 13 April
    when = timetable_for(
        terms=Terms(working_days=True),
        period_end=d("2026-03-31"),
        applied_on=d("2026-03-31"),
        calendar=ENGLAND,
    )
    assert when.due_date == d("2026-04-13")
    # 5 working days after Mon 13 Apr: 14, 15, 16, 17 and Mon 20 Apr
    assert when.payment_notice_by == d("2026-04-20")
    # 17 working days after 13 Apr skip the early May bank holiday (Mon 4 May): Thu 7 May
    assert when.final_date == d("2026-05-07")
    # 7 working days before 7 May: 6, 5, 1 May, 30, 29, 28 and Mon 27 April
    assert when.pay_less_by == d("2026-04-27")


def test_working_days_skip_christmas_and_the_boxing_day_substitute() -> None:
    # From Fri 18 Dec 2026: 21, 22, 23, 24, (25 Christmas, 28 Boxing Day substitute) 29, 30, 31
    when = timetable_for(
        terms=Terms(working_days=True),
        period_end=d("2026-12-18"),
        applied_on=d("2026-12-18"),
        calendar=ENGLAND,
    )
    assert when.due_date == d("2026-12-31")


def test_working_days_move_a_due_date_on_a_sunday_to_the_monday() -> None:
    # An application made on Sunday 19 April 2026, after the 7 working days from the period end
    when = timetable_for(
        terms=Terms(working_days=True),
        period_end=d("2026-03-31"),
        applied_on=d("2026-04-19"),
        calendar=ENGLAND,
    )
    assert when.due_date == d("2026-04-20")


def test_net_30_is_due_on_the_invoice_and_final_30_days_later() -> None:
    net = REGIME_DEFAULTS[PaymentRegime.NET_30]
    terms = Terms(
        net.due_days,
        net.final_days,
        net.payment_notice_days,
        net.pay_less_days,
        regime=PaymentRegime.NET_30,
    )
    when = timetable_for(
        terms=terms, period_end=d("2026-04-10"), applied_on=d("2026-04-10"), calendar=ENGLAND
    )
    assert (when.due_date, when.final_date) == (d("2026-04-10"), d("2026-05-10"))


@settings(max_examples=200, deadline=None)
@given(
    due_days=st.integers(0, 60),
    final_days=st.integers(1, 90),
    notice=st.integers(0, 45),
    pay_less=st.integers(0, 45),
    working=st.booleans(),
    regime=st.sampled_from([PaymentRegime.SCHEME_EW, PaymentRegime.CUSTOM]),
    period_end=st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)),
    lag=st.integers(-20, 40),
)
def test_deadlines_are_always_in_order(
    due_days: int,
    final_days: int,
    notice: int,
    pay_less: int,
    working: bool,
    regime: str,
    period_end: dt.date,
    lag: int,
) -> None:
    # Given any periods that fit (as the terms service requires)
    notice = min(notice, final_days)
    pay_less = min(pay_less, final_days - notice)
    terms = Terms(due_days, final_days, notice, pay_less, working, regime)
    applied_on = period_end + dt.timedelta(days=lag)
    when = timetable_for(
        terms=terms, period_end=period_end, applied_on=applied_on, calendar=ENGLAND
    )
    # Then the dates come in order, never before the period's end or the claim
    assert when.due_date >= max(period_end, applied_on)
    assert when.due_date <= when.payment_notice_by <= when.pay_less_by <= when.final_date
    if working:
        assert ENGLAND.is_working(when.due_date) and ENGLAND.is_working(when.final_date)
