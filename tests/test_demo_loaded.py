"""The demo data is realistic and complete: read from one demo, loaded today for the module.

Every test here only reads. The demo is loaded once, in a transaction kept open for the module;
each test runs in a savepoint inside it (pytest-django's ``db``, as Django's ``setUpTestData``)
and the whole is rolled back at the end. A test that writes, or needs an empty database, belongs
in tests/test_demo.py.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from milepost.accounts.models import User
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.audit.models import Event
from milepost.audit.selectors import chain_verify
from milepost.contracts.models import Contract
from milepost.finance.models import PaymentCycle
from milepost.operations.demo import demo_load
from milepost.payments.models import PaymentTerms
from milepost.performance.models import ServiceCredit
from milepost.schedule.choices import Health, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.selectors import milestones_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Load the demo once for the module (today); roll it back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert demo_load().created
        yield
        transaction.set_rollback(True)


def test_demo_has_a_contract_from_a_template_and_one_from_a_programme(demo: None) -> None:
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


def test_demo_construction_contract_pays_30_40_30_with_5_percent_retention(demo: None) -> None:
    contract = Contract.objects.get(reference="HCC-2026-014")
    # The two releases of retention are payments too, outside the 30/40/30 schedule.
    terms = PaymentTerms.objects.filter(
        milestone__contract=contract, releases_retention=False
    ).order_by("milestone__due_date")
    assert [t.percentage for t in terms] == [Decimal(30), Decimal(40), Decimal(30)]
    assert sum(t.amount for t in terms) == contract.value
    assert {t.retention_percent for t in terms} == {Decimal(5)}
    assert terms[0].milestone.status == MilestoneStatus.MET


def test_demo_has_met_overdue_at_risk_milestones_and_a_gate_awaiting_approval(demo: None) -> None:
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


def test_demo_performance_targets_are_computed_from_measurements(demo: None) -> None:
    availability = Milestone.objects.get(
        kind=MilestoneKind.PERFORMANCE, title__startswith="Platform availability"
    )
    assert availability.kpi.measurements.count() == 3
    assert availability.status == MilestoneStatus.IN_PROGRESS
    assert availability.progress == 50


def test_demo_leaves_an_intact_audit_chain(demo: None) -> None:
    report = chain_verify()
    assert report.intact
    assert report.checked == Event.objects.count()


def test_demo_pays_each_contract_by_stages_or_by_valuations_never_both(demo: None) -> None:
    staged = set(
        PaymentTerms.objects.filter(releases_retention=False).values_list(
            "milestone__contract__reference", flat=True
        )
    )
    valued = set(PaymentCycle.objects.values_list("contract__reference", flat=True))
    assert valued == {"HCC-2026-022"}
    assert "HCC-2026-014" in staged
    assert not staged & valued


def test_demo_it_contract_earns_a_service_credit_for_its_missed_month(demo: None) -> None:
    credit = ServiceCredit.objects.select_related("measurement").get(
        kpi__milestone__contract__reference="MHT-IT-2026-07"
    )
    # 99.31% against 99.5%: 0.19 points short, the first band's 5% of the £20,000 charge.
    assert credit.measurement.value == Decimal("99.31")
    assert credit.amount == Decimal("1000.00")


def test_demo_construction_contract_runs_the_nec4_clock(demo: None) -> None:
    from milepost.communications.models import Communication

    contract = Contract.objects.get(reference="HCC-2026-014")
    assert contract.form == "nec4_ecc"
    assert contract.parties.get(named_role="project_manager").organisation.name == (
        "Arden Project Management"
    )
    events = {
        c.subject: c
        for c in Communication.objects.filter(
            contract=contract, kind__in=["ce_contractor", "ce_manager"]
        )
    }
    assert events["Unforeseen Victorian culvert under the east wing"].state == "sent"
    assert events["Unforeseen Victorian culvert under the east wing"].awaiting
    late_access = events["Access to the archive store given late"]
    # Treated as accepted after the notified failure, and now owed a quotation.
    assert late_access.state == "deemed" and late_access.awaiting
    assert events["Additional piling under the stair core"].state == "time_barred"
    glazing = events["Reading room glazing changed to triple glazing"]
    assert glazing.state == "implemented"
    # Its accepted quotation opened the change of the fit-out's date, 5 days later.
    from milepost.schedule.models import ChangeRequest

    change = ChangeRequest.objects.get(contract=contract, reason__contains=glazing.reference)
    assert change.milestone.title == "Fit-out stage gate" and change.status == "pending"
    assert (change.new_due_date - change.old_due_date).days == 5
    programme = Communication.objects.get(contract=contract, kind="programme")
    assert programme.awaiting and programme.state == "sent"
