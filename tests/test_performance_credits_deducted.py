"""Service credits a pay less notice deducted: settled, never changed (lead decision 4).

Same contract and clock as tests/test_performance_credits.py: availability at least 99.5%,
measured monthly from 1 Apr 2026; the clock stands at 1 Jun 2027.
"""

from decimal import Decimal

import pytest

from milepost.performance.models import ServiceCredit
from milepost.performance.services import credit_mark_deducted
from tests.helpers import refused
from tests.test_performance_credits import (
    MAY_26,
    START,  # noqa: F401  (the clock fixture reads START from the test module)
    availability,
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
