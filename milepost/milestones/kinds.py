"""The one place that dispatches on a milestone's kind, above the kinds themselves.

Creating a milestone of a kind, changing its status (giving it up), and the part of its page
that belongs to its kind all go through here; views call these and never look at the kind.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.approvals.selectors import gate_lines
from milepost.approvals.services import gate_create, gate_release
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess
from milepost.contracts.services import contract_update
from milepost.payments.choices import PaymentBasis
from milepost.payments.forms import InvoiceForm, PaidForm
from milepost.payments.models import PaymentTerms
from milepost.payments.selectors import payment_for_milestone
from milepost.payments.services import (
    contract_revalue,
    payment_milestone_create,
    payment_release,
    payment_terms_change,
)
from milepost.performance.charts import measurement_chart
from milepost.performance.forms import MeasurementForm
from milepost.performance.selectors import kpi_for_milestone, measurements_for_kpi
from milepost.performance.services import performance_milestone_create
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    EDITABLE_FIELDS,
    milestone_create,
    milestone_set_status,
    milestone_update,
)

from .forms import AcceptanceForm, MilestoneEditForm, PaymentEditForm

COMMON_FIELDS = ("title", "owner", "due_date", "criticality")


def milestone_create_of_kind(
    *, kind: str, contract: Contract, data: dict[str, Any], actor: User
) -> Milestone:
    """Create a milestone of ``kind`` from a create form's cleaned data, through its kind."""
    data = dict(data)
    common = {k: data.pop(k) for k in COMMON_FIELDS}
    common.update(acceptance_criteria=data.pop("acceptance_criteria") or "")
    common.update(description=data.pop("description"))
    if kind == MilestoneKind.DELIVERABLE:
        return milestone_create(contract=contract, kind=kind, actor=actor, **common, **data)
    if kind == MilestoneKind.PAYMENT:
        return payment_milestone_create(contract=contract, actor=actor, **common, **data)
    if kind == MilestoneKind.PERFORMANCE:
        return performance_milestone_create(contract=contract, actor=actor, **common, **data)
    data["required_parties"] = list(data["required_parties"])
    return gate_create(contract=contract, actor=actor, **common, **data)


def milestone_edit_form(*, milestone: Milestone) -> tuple[type[MilestoneEditForm], dict[str, Any]]:
    """The form that edits a milestone, and what it starts with: a payment's terms too, until
    it is invoiced."""
    initial: dict[str, Any] = {name: getattr(milestone, name) for name in EDITABLE_FIELDS}
    if milestone.kind == MilestoneKind.PAYMENT:
        terms = payment_for_milestone(milestone=milestone)
        if terms.invoiced_on is None:
            initial["retention_percent"] = terms.retention_percent
            initial["amount" if terms.basis == PaymentBasis.AMOUNT else "percentage"] = (
                terms.amount if terms.basis == PaymentBasis.AMOUNT else terms.percentage
            )
            return PaymentEditForm, initial
    return MilestoneEditForm, initial


TERMS = ("amount", "percentage", "retention_percent")


def milestone_edit_of_kind(*, milestone: Milestone, data: dict[str, Any], actor: User) -> Milestone:
    """Save an edit form's data: the milestone's fields, then a payment's changed terms."""
    changes = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    milestone_update(milestone=milestone, actor=actor, **changes)
    if milestone.kind == MilestoneKind.PAYMENT and "amount" in data:
        terms = payment_for_milestone(milestone=milestone)
        if _terms_changed(terms, data):
            payment_terms_change(
                milestone=milestone,
                amount=data["amount"],
                percentage=data["percentage"],
                retention_percent=data["retention_percent"],
                actor=actor,
            )
    return milestone


def _terms_changed(terms: PaymentTerms, data: dict[str, Any]) -> bool:
    wanted: dict[str, Decimal | None] = {k: data[k] for k in TERMS}
    now = {
        "amount": terms.amount if terms.basis == PaymentBasis.AMOUNT else None,
        "percentage": terms.percentage if terms.basis == PaymentBasis.PERCENTAGE else None,
        "retention_percent": terms.retention_percent,
    }
    return wanted != now


def contract_change(*, contract: Contract, data: dict[str, Any], actor: User) -> Contract:
    """Save a contract's edit form: its terms, then its value, which percentage payments follow."""
    data = dict(data)
    value = data.pop("value")
    contract_update(contract=contract, actor=actor, **data)
    if value != contract.value:
        contract_revalue(contract=contract, value=value, actor=actor)
    return contract


def milestone_change_status(
    *, milestone: Milestone, status: str, reason: str, actor: User
) -> Milestone:
    """Set a status by hand; payments and gates are given up through their own services,
    which know who is owed."""
    release = {MilestoneKind.PAYMENT: payment_release, MilestoneKind.GATE: gate_release}.get(
        MilestoneKind(milestone.kind)
    )
    if release is not None:
        return release(milestone=milestone, status=status, reason=reason, actor=actor)
    return milestone_set_status(milestone=milestone, status=status, reason=reason, actor=actor)


def kind_page_context(
    *, milestone: Milestone, access: ContractAccess, today: dt.date
) -> dict[str, Any]:
    """What the milestone's page shows for its kind; ``kind_panel`` names the template."""
    if milestone.kind == MilestoneKind.PAYMENT:
        terms = payment_for_milestone(milestone=milestone)
        return {
            "kind_panel": "payments/partials/milestone_panel.html",
            "terms": terms,
            "payment_state": terms.state(today),
            "invoice_form": InvoiceForm(),
            "paid_form": PaidForm(),
        }
    if milestone.kind == MilestoneKind.PERFORMANCE:
        kpi = kpi_for_milestone(milestone=milestone)
        measurements = list(measurements_for_kpi(kpi=kpi)) if kpi else []
        return {
            "kind_panel": "performance/partials/milestone_panel.html",
            "kpi": kpi,
            "measurements": measurements,
            "chart": measurement_chart(kpi, measurements) if kpi else None,
            "measurement_form": MeasurementForm(),
        }
    if milestone.kind == MilestoneKind.GATE:
        lines = gate_lines(milestone=milestone)
        return {
            "kind_panel": "approvals/partials/milestone_panel.html",
            "gate_lines": lines,
            "decidable": [
                line.party
                for line in lines
                if line.decision is None and access.acts_for(line.party.pk, Role.MANAGER)
            ],
        }
    if milestone.kind == MilestoneKind.DELIVERABLE:
        return {
            "kind_panel": "milestones/partials/acceptance.html",
            "acceptance_form": AcceptanceForm(),
        }
    return {}
