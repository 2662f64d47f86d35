"""The demo as loaded on its own day, Sunday 6 December 2026: valuations, notices, its history.

Every test here only reads, at that moment. The demo is loaded once, in a transaction kept open
for the module; each test runs in a savepoint inside it (pytest-django's ``db``, as Django's
``setUpTestData``) and the whole is rolled back at the end. The same day gives the same result
whatever day the suite runs, so the date-sensitive runs (the Makefile's DAY_TESTS) leave it out.
"""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction

from milepost.approvals.models import GateDecision
from milepost.contracts.models import Contract
from milepost.core.dates import local_today
from milepost.finance.choices import DeductionKind
from milepost.finance.models import PaymentCycle
from milepost.finance.retention.selectors import retention_ledger
from milepost.operations.demo import demo_load
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Dependency, Milestone
from tests.test_demo import DEMO_DAY, money_and_notice_due

pytestmark = pytest.mark.django_db

MET = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Load the demo once for the module on DEMO_DAY; roll it back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(DEMO_DAY, tick=False):
            assert demo_load().created
        yield
        transaction.set_rollback(True)


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_depot_job_runs_three_monthly_valuations_with_a_pay_less_notice_for_damages(
    demo: None,
) -> None:
    contract = Contract.objects.get(reference="HCC-2026-022")
    first, second, third = PaymentCycle.objects.filter(contract=contract).order_by("number")
    assert [c.period_end for c in (first, second, third)] == [
        dt.date(2026, 9, 26),
        dt.date(2026, 10, 26),
        dt.date(2026, 11, 25),
    ]
    # Gross to date £420,000, £780,000 and £1,150,000 less 5% retention to date less what was
    # notified before: 420,000 - 21,000; 780,000 - 39,000 - 399,000;
    # 1,150,000 - 57,500 - (399,000 + 323,000).
    assert [c.applied_sum for c in (first, second, third)] == [
        Decimal("399000.00"),
        Decimal("342000.00"),
        Decimal("370500.00"),
    ]
    assert [c.retention for c in (first, second, third)] == [
        Decimal("21000.00"),
        Decimal("18000.00"),
        Decimal("18500.00"),
    ]
    # The first: notified in full and paid in full before its final date.
    assert first.payable == Decimal("399000.00")
    assert [(r.amount, r.paid_on <= first.final_date) for r in first.receipts.all()] == [
        (Decimal("399000.00"), True)
    ]
    # The second: notified £323,000, then a pay less notice in time takes off 14 days of delay
    # damages at £1,500 on the late first section; £250,000 paid, £52,000 overdue.
    assert (second.notified_sum, second.notice_late) == (Decimal("323000.00"), False)
    assert (second.pay_less_sum, second.pay_less_late) == (Decimal("302000.00"), False)
    assert [(d.kind, d.amount, d.milestone.title) for d in second.deductions.all()] == [
        (DeductionKind.DELAY_DAMAGES, Decimal("21000.00"), "Section 1: vehicle bays handed over")
    ]
    assert [r.amount for r in second.receipts.all()] == [Decimal("250000.00")]
    assert second.final_date < dt.date(2026, 12, 6)
    # The third waits on the council's payment notice, due within the week.
    assert third.notice_given_on is None
    assert dt.date(2026, 12, 6) <= third.payment_notice_by <= dt.date(2026, 12, 12)
    assert not third.receipts.exists()
    # Retention held: 21,000 + 18,000 + 18,500, none released yet, in two halves to come.
    ledger = retention_ledger(contract=contract, today=dt.date(2026, 12, 6))
    assert (ledger.held, ledger.released, ledger.balance) == (
        Decimal("57500.00"),
        Decimal("0.00"),
        Decimal("57500.00"),
    )
    assert len(ledger.releases) == 2


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_dashboard_shows_money_due_and_a_notice_due_on_its_sunday(demo: None) -> None:
    money_and_notice_due(DEMO_DAY)


@time_machine.travel(DEMO_DAY, tick=False)
def test_every_demo_milestone_is_met_after_what_it_follows_and_never_in_the_future(
    demo: None,
) -> None:
    # Given the demo, loaded on Sunday 6 December 2026
    today = local_today("Europe/London")
    met = {m.pk: m for m in Milestone.objects.filter(status__in=MET)}
    assert met, "the demo has met milestones"
    # Then each met milestone was met on or before today, and after every milestone it follows
    for milestone in met.values():
        assert milestone.met_on is not None and milestone.met_on <= today, milestone.title
    for link in Dependency.objects.filter(successor__in=met).select_related(
        "predecessor", "successor"
    ):
        before, after = link.predecessor, link.successor
        assert before.status in MET, f"{after.title} is met but {before.title} is not"
        assert before.met_on <= after.met_on, f"{after.title} met before {before.title}"


@time_machine.travel(DEMO_DAY, tick=False)
def test_the_demo_site_access_gate_was_approved_before_it_was_due_and_the_foundations_met(
    demo: None,
) -> None:
    site = Milestone.objects.get(title="Site access approved")
    foundations = Milestone.objects.get(title="Foundations complete")
    assert site.met_on <= site.due_date < foundations.met_on
    decided = [d.decided_at.date() for d in GateDecision.objects.filter(milestone=site)]
    assert max(decided) == site.met_on
