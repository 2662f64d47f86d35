"""The demo data is realistic, complete, and loads only once."""

from decimal import Decimal

import pytest

from milepost.accounts.models import User
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.audit.models import Event
from milepost.audit.selectors import chain_verify
from milepost.contracts.models import Contract
from milepost.operations.demo import demo_load
from milepost.payments.models import PaymentTerms
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
    terms = PaymentTerms.objects.filter(milestone__contract=contract).order_by(
        "milestone__due_date"
    )
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
