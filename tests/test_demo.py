"""The demo data is realistic, complete, and loads only once."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

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


def test_demo_loads_six_contracts_and_a_second_run_changes_nothing():
    first = demo_load()
    before = stored_rows()
    second = demo_load()
    assert first.created and not second.created
    assert stored_rows() == before
    assert Contract.objects.count() == 6


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


# Sunday 6 December 2026. The valuation periods are counted back from the demo's day.
DEMO_DAY = dt.datetime(2026, 12, 6, 11, tzinfo=dt.UTC)


def test_demo_command_says_how_many_contracts_it_loaded():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Demo data loaded: 6 contracts across six organisations." not in out.getvalue()
    assert "Demo data loaded: 6 contracts across 6 organisations." in out.getvalue()


def test_demo_pays_each_contract_by_stages_or_by_valuations_never_both():
    demo_load()
    staged = set(
        PaymentTerms.objects.filter(releases_retention=False).values_list(
            "milestone__contract__reference", flat=True
        )
    )
    valued = set(PaymentCycle.objects.values_list("contract__reference", flat=True))
    assert valued == {"HCC-2026-022"}
    assert "HCC-2026-014" in staged
    assert not staged & valued


@time_machine.travel(DEMO_DAY, tick=False)
def test_demo_depot_job_runs_three_monthly_valuations_with_a_pay_less_notice_for_damages():
    demo_load()
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


@pytest.mark.parametrize(
    "day",
    [
        DEMO_DAY,
        # Christmas week: the Scheme's periods skip Christmas Day and the bank holidays.
        dt.datetime(2026, 12, 28, 11, tzinfo=dt.UTC),
    ],
)
def test_demo_dashboard_shows_money_due_and_a_notice_due_on_any_day(day):
    with time_machine.travel(day, tick=False):
        demo_load()
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


def test_demo_it_contract_earns_a_service_credit_for_its_missed_month():
    demo_load()
    credit = ServiceCredit.objects.select_related("measurement").get(
        kpi__milestone__contract__reference="MHT-IT-2026-07"
    )
    # 99.31% against 99.5%: 0.19 points short, the first band's 5% of the £20,000 charge.
    assert credit.measurement.value == Decimal("99.31")
    assert credit.amount == Decimal("1000.00")
