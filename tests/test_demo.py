"""The demo loads only once, from the command too, on any day.

The tests that only read a loaded demo share one load per module: tests/test_demo_loaded.py
(loaded today) and tests/test_demo_sunday.py (loaded on Sunday 6 December 2026).
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from milepost.accounts.models import User
from milepost.alerts.choices import ActionKind
from milepost.alerts.models import ActionRequest
from milepost.contracts.models import Contract
from milepost.finance.models import PaymentCycle
from milepost.operations.demo import demo_load
from milepost.reporting.selectors import dashboard
from tests.helpers import stored_rows

pytestmark = pytest.mark.django_db


def test_demo_loads_six_contracts_and_a_second_run_changes_nothing():
    first = demo_load()
    before = stored_rows()
    second = demo_load()
    assert first.created and not second.created
    assert stored_rows() == before
    assert Contract.objects.count() == 6


# Sunday 6 December 2026. The valuation periods are counted back from the demo's day.
DEMO_DAY = dt.datetime(2026, 12, 6, 11, tzinfo=dt.UTC)


def test_demo_command_says_how_many_contracts_it_loaded():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Demo data loaded: 6 contracts across six organisations." not in out.getvalue()
    assert "Demo data loaded: 6 contracts across 6 organisations." in out.getvalue()


def money_and_notice_due(day: dt.datetime) -> None:
    """Check the demo loaded on ``day``: the council owes a payment notice and some money.

    The caller holds the clock at ``day``.
    """
    cora = User.objects.get(username="cora")
    third = PaymentCycle.objects.get(contract__reference="HCC-2026-022", number=3)
    asked = ActionRequest.objects.get(
        kind=ActionKind.PAYMENT_NOTICE, recipient=cora, closed_at__isnull=True
    )
    assert asked.object_id == third.pk
    board = dashboard(user=cora, now=day)
    assert [(n.cycle.number, n.what) for n in board.notices][:1] == [(3, "payment notice")]
    # The second valuation's balance is overdue: £302,000 payable, £250,000 paid.
    assert [(m.cycle.number, m.outstanding) for m in board.money] == [(2, Decimal("52000.00"))]


# Christmas week: the Scheme's periods skip Christmas Day and the bank holidays. (On the demo's
# own Sunday: tests/test_demo_sunday.py.)
CHRISTMAS_WEEK = dt.datetime(2026, 12, 28, 11, tzinfo=dt.UTC)


@time_machine.travel(CHRISTMAS_WEEK, tick=False)
def test_demo_dashboard_shows_money_due_and_a_notice_due_in_christmas_week():
    demo_load()
    money_and_notice_due(CHRISTMAS_WEEK)
