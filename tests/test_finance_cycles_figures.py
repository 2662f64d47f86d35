"""Property: a cycle's figures always reconcile, applied = paid + outstanding + withheld."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from milepost.contracts.models import Contract
from milepost.finance.cycles.selectors import cycle_figures
from milepost.finance.models import PaymentCycle

DAY = dt.date(2026, 5, 1)
cents = st.integers(0, 10_000_000).map(lambda c: Decimal(c) / 100)


@settings(max_examples=300, deadline=None)
@given(
    applied=cents,
    notified_share=st.floats(0, 1),
    notice_late=st.booleans(),
    notice_given=st.booleans(),
    pay_less_share=st.floats(0, 1),
    pay_less_given=st.booleans(),
    pay_less_late=st.booleans(),
    paid_share=st.floats(0, 1),
    days=st.integers(-30, 60),
)
def test_applied_is_paid_plus_outstanding_plus_withheld(
    applied: Decimal,
    notified_share: float,
    notice_late: bool,
    notice_given: bool,
    pay_less_share: float,
    pay_less_given: bool,
    pay_less_late: bool,
    paid_share: float,
    days: int,
) -> None:
    # Given any notices the services allow (a notice at most the application, a pay less at
    # most the notified sum, receipts at most what is payable)
    def part(whole: Decimal, share: float) -> Decimal:
        return (whole * Decimal(str(share))).quantize(Decimal("0.01"))

    cycle = PaymentCycle(
        contract=Contract(currency="GBP"),
        applied_sum=applied,
        due_date=DAY,
        final_date=DAY + dt.timedelta(days=17),
        payment_notice_by=DAY + dt.timedelta(days=5),
        pay_less_by=DAY + dt.timedelta(days=10),
    )
    if notice_given:
        cycle.notified_sum, cycle.notice_given_on = part(applied, notified_share), DAY
        cycle.notice_late = notice_late
    if pay_less_given:
        cycle.pay_less_sum = part(cycle.payable_before_pay_less, pay_less_share)
        cycle.pay_less_on, cycle.pay_less_late = DAY, pay_less_late
    cycle.paid = part(cycle.payable, paid_share)  # type: ignore[attr-defined]
    # When the figures are read on any day
    figures = cycle_figures(cycle, DAY + dt.timedelta(days=days))
    # Then they reconcile, and nothing is negative
    assert figures.applied == figures.paid + figures.outstanding + figures.withheld
    assert min(figures.paid, figures.outstanding, figures.withheld, figures.overdue) >= 0
    assert figures.overdue in (0, figures.outstanding)
