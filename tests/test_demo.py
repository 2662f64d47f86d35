"""The demo data is realistic, complete, and loads only once."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from milepost.accounts.models import User
from milepost.alerts.choices import ActionKind
from milepost.alerts.models import ActionRequest
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.audit.models import Event
from milepost.audit.selectors import chain_verify
from milepost.contracts.models import Contract
from milepost.finance.choices import DeductionKind
from milepost.finance.models import PaymentCycle
from milepost.finance.retention.selectors import retention_ledger
from milepost.operations.demo import demo_load
from milepost.payments.models import PaymentTerms
from milepost.performance.models import ServiceCredit
from milepost.reporting.selectors import dashboard
from milepost.schedule.choices import Health, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.selectors import milestones_for_user
from tests.helpers import stored_rows

pytestmark = pytest.mark.django_db


def test_demo_loads_five_contracts_and_a_second_run_changes_nothing():
    first = demo_load()
    before = stored_rows()
    second = demo_load()
    assert first.created and not second.created
    assert stored_rows() == before
    assert Contract.objects.count() == 5


def test_demo_has_a_contract_from_a_template_and_one_from_a_programme():
    demo_load()
    from_template = Contract.objects.get(reference="MHT-IT-2027-01")
    kinds = set(from_template.milestones.values_list("kind", flat=True))
    assert kinds == {"deliverable", "payment", "performance", "gate"}
    assert Event.objects.filter(
        action="contract_template.instantiated", object_id=from_template.pk
    ).exists()
    from_programme = Contract.objects.get(reference="HCC-2027-SEAWALL")
    imported = from_programme.milestones.exclude(reference="")
    assert imported.count() == from_programme.milestones.count() > 0
    assert Dependency.objects.filter(successor__contract=from_programme).exists()
    assert Event.objects.filter(action="import.applied", contract_id=from_programme.pk).exists()


def test_demo_construction_contract_pays_30_40_30_with_5_percent_retention():
    demo_load()
    contract = Contract.objects.get(reference="HCC-2026-014")
    # The two releases of retention are payments too, outside the 30/40/30 schedule.
    terms = PaymentTerms.objects.filter(
        milestone__contract=contract, releases_retention=False
    ).order_by("milestone__due_date")
    assert [t.percentage for t in terms] == [Decimal(30), Decimal(40), Decimal(30)]
    assert sum(t.amount for t in terms) == contract.value
    assert {t.retention_percent for t in terms} == {Decimal(5)}
    assert terms[0].milestone.status == MilestoneStatus.MET


def test_demo_has_met_overdue_at_risk_milestones_and_a_gate_awaiting_approval():
    demo_load()
    cora = User.objects.get(username="cora")
    maya = User.objects.get(username="maya")
    health = {m.title: m.health for m in milestones_for_user(user=cora)}
    health |= {m.title: m.health for m in milestones_for_user(user=maya)}
    assert health["Foundations complete"] == Health.DONE
    assert health["Drainage survey report"] == Health.OVERDUE
    assert health["Structure topped out"] == Health.AT_RISK
    assert health["Draft strategy report"] == Health.AT_RISK
    assert health["Module 1 payment"] == Health.OVERDUE
    assert health["Platform availability ≥ 99.5% monthly"] == Health.AT_RISK  # one month missed
    fitout = Milestone.objects.get(title="Fit-out stage gate")
    required = GateRequirement.objects.filter(milestone=fitout).count()
    decided = GateDecision.objects.filter(milestone=fitout).count()
    assert fitout.status == MilestoneStatus.IN_PROGRESS
    assert 0 < decided < required


def test_demo_performance_targets_are_computed_from_measurements():
    demo_load()
    availability = Milestone.objects.get(
        kind=MilestoneKind.PERFORMANCE, title__startswith="Platform availability"
    )
    assert availability.kpi.measurements.count() == 3
    assert availability.status == MilestoneStatus.IN_PROGRESS
    assert availability.progress == 50


def test_demo_leaves_an_intact_audit_chain():
    demo_load()
    report = chain_verify()
    assert report.intact
    assert report.checked == Event.objects.count()


# Sunday 6 December 2026: the valuation periods ended on 30 September, 31 October and 30 November.
DEMO_DAY = dt.datetime(2026, 12, 6, 11, tzinfo=dt.UTC)


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_construction_contract_runs_three_monthly_cycles_with_a_pay_less_notice():
    demo_load()
    contract = Contract.objects.get(reference="HCC-2026-014")
    september, october, november = PaymentCycle.objects.filter(contract=contract).order_by("number")
    assert [c.period_end for c in (september, october, november)] == [
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 30),
    ]
    # Gross to date £600,000, £1,100,000 and £1,520,000 less 5% retention to date less what
    # was notified before: 600,000 - 30,000; 1,100,000 - 25,000 - 570,000;
    # 1,520,000 - 21,000 - (570,000 + 480,000).
    assert [c.applied_sum for c in (september, october, november)] == [
        Decimal("570000.00"),
        Decimal("505000.00"),
        Decimal("449000.00"),
    ]
    # September: notified in full and paid in full.
    assert september.payable == Decimal("570000.00")
    assert [r.amount for r in september.receipts.all()] == [Decimal("570000.00")]
    # October: notified £480,000, then a pay less notice in time takes £12,500 off for the
    # defective render; paid in two parts.
    assert (october.notified_sum, october.notice_late) == (Decimal("480000.00"), False)
    assert (october.pay_less_sum, october.pay_less_late) == (Decimal("467500.00"), False)
    assert [(d.kind, d.amount) for d in october.deductions.all()] == [
        (DeductionKind.OTHER, Decimal("12500.00"))
    ]
    assert [r.amount for r in october.receipts.all()] == [
        Decimal("300000.00"),
        Decimal("167500.00"),
    ]
    # November: applied for on 1 December; its payment notice is due by Sat 12 Dec 2026.
    assert november.notice_given_on is None
    assert november.payment_notice_by == dt.date(2026, 12, 12)
    assert not november.receipts.exists()
    # Retention held: 30,000 + 25,000 + 21,000, none released yet, in two halves to come.
    ledger = retention_ledger(contract=contract, today=dt.date(2026, 12, 6))
    assert (ledger.held, ledger.released, ledger.balance) == (
        Decimal("76000.00"),
        Decimal("0.00"),
        Decimal("76000.00"),
    )
    assert len(ledger.releases) == 2


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_asks_the_council_for_its_payment_notice_and_shows_it_due_this_week():
    demo_load()
    cora = User.objects.get(username="cora")
    november = PaymentCycle.objects.get(contract__reference="HCC-2026-014", number=3)
    asked = ActionRequest.objects.get(
        kind=ActionKind.PAYMENT_NOTICE, recipient=cora, closed_at__isnull=True
    )
    assert asked.object_id == november.pk
    # The notice is due on Saturday: this week, from Sunday.
    board = dashboard(user=cora, now=DEMO_DAY)
    assert [(n.cycle.number, n.what) for n in board.notices][:1] == [(3, "payment notice")]


def test_demo_it_contract_earns_a_service_credit_for_its_missed_month():
    demo_load()
    credit = ServiceCredit.objects.select_related("measurement").get(
        kpi__milestone__contract__reference="MHT-IT-2026-07"
    )
    # 99.31% against 99.5%: 0.19 points short, the first band's 5% of the £20,000 charge.
    assert credit.measurement.value == Decimal("99.31")
    assert credit.amount == Decimal("1000.00")
