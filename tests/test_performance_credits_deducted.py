"""Service credits a pay less notice deducted: settled, never changed (lead decision 4).

Same contract and clock as tests/test_performance_credits.py: availability at least 99.5%,
measured monthly from 1 Apr 2026; the clock stands at 1 Jun 2027.
"""

from decimal import Decimal

import pytest

from milepost.audit.models import Event
from milepost.performance.models import ServiceCredit
from milepost.performance.services import credit_mark_deducted, measurement_correct
from tests.helpers import refused
from tests.test_performance_credits import (
    APR_26,
    JUN_26,
    MAY_26,
    START,  # noqa: F401  (the clock fixture reads START from the test module)
    availability,
    credits,
    record,
    terms,
)

pytestmark = pytest.mark.usefixtures("clock")


def test_marking_a_credit_deducted_keeps_it_and_says_so(w):
    milestone = availability(w)
    terms(w, milestone)
    credit = record(w, milestone, MAY_26, "99.31").service_credit

    credit_mark_deducted(credit=credit)

    stored = ServiceCredit.objects.get(pk=credit.pk)
    assert (stored.deducted, stored.amount) == (True, Decimal("1000.00"))
    assert credit.deducted is True


def test_refuses_to_deduct_a_credit_twice(w):
    milestone = availability(w)
    terms(w, milestone)
    credit = record(w, milestone, MAY_26, "99.31").service_credit
    credit_mark_deducted(credit=credit)

    with refused("credit_deducted", "measurement"):
        credit_mark_deducted(credit=ServiceCredit.objects.get(pk=credit.pk))


def test_refuses_to_deduct_a_credit_worked_out_again_since_it_was_read(w):
    milestone = availability(w)
    terms(w, milestone)
    stale = record(w, milestone, MAY_26, "99.31").service_credit
    terms(w, milestone, amount="600")

    with refused("credit_changed", "measurement"):
        credit_mark_deducted(credit=stale)


def test_correcting_a_deducted_periods_measurement_leaves_its_credit_as_deducted(w):
    milestone = availability(w)
    terms(w, milestone)
    may = record(w, milestone, MAY_26, "99.31")
    credit_mark_deducted(credit=may.service_credit)

    measurement_correct(measurement=may, value="99.7", actor=w.supplier_member)

    may.refresh_from_db()
    stored = ServiceCredit.objects.get(measurement=may)
    assert may.value == Decimal("99.7000")
    assert (stored.amount, stored.shortfall, stored.deducted) == (
        Decimal("1000.00"),
        Decimal("0.1900"),
        True,
    )
    assert not Event.objects.filter(action="service_credit.withdrawn").exists()


def test_new_terms_change_only_the_credits_not_yet_deducted(w):
    milestone = availability(w)
    terms(w, milestone, amount="750")
    deducted = record(w, milestone, APR_26, "99.31").service_credit
    record(w, milestone, MAY_26, "99.31")
    credit_mark_deducted(credit=deducted)

    terms(w, milestone, amount="900")

    assert credits(milestone) == [
        (APR_26, Decimal("750.00"), Decimal("750.00")),
        (MAY_26, Decimal("900.00"), Decimal("900.00")),
    ]


def test_an_earlier_period_recorded_later_shares_only_the_yearly_cap_a_deduction_left(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000", cap_year="1500")
    june = record(w, milestone, JUN_26, "99.31").service_credit
    credit_mark_deducted(credit=june)

    record(w, milestone, MAY_26, "99.31")

    assert credits(milestone) == [
        (MAY_26, Decimal("500.00"), Decimal("1000.00")),
        (JUN_26, Decimal("1000.00"), Decimal("1000.00")),
    ]
