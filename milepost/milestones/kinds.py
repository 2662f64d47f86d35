"""The one place that dispatches on a milestone's kind, above the kinds themselves.

Creating a milestone of a kind, changing its status (giving it up), and the part of its page
that belongs to its kind all go through here; views call these and never look at the kind.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.approvals.choices import Decision
from milepost.approvals.selectors import gate_lines
from milepost.approvals.services import (
    gate_create,
    gate_decide_refusal,
    gate_release,
    gate_release_refusal,
)
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess
from milepost.contracts.services import contract_update
from milepost.core.errors import DomainError
from milepost.payments.choices import PaymentBasis
from milepost.payments.forms import InvoiceForm, PaidForm
from milepost.payments.models import PaymentTerms
from milepost.payments.selectors import payment_for_milestone
from milepost.payments.services import (
    contract_revalue,
    payment_invoice_refusal,
    payment_milestone_create,
    payment_paid_refusal,
    payment_release,
    payment_release_refusal,
    payment_terms_change,
)
from milepost.performance.charts import measurement_chart
from milepost.performance.forms import MeasurementForm
from milepost.performance.selectors import kpi_for_milestone, measurements_for_kpi
from milepost.performance.services import measurement_record_refusal, performance_milestone_create
from milepost.performance.views import credit_panel
from milepost.schedule.acceptance import (
    deliverable_decide_refusal,
    deliverable_pending_submission,
    deliverable_submit_refusal,
)
from milepost.schedule.choices import MANUAL_STATUSES, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    EDITABLE_FIELDS,
    milestone_create,
    milestone_set_status,
    milestone_set_status_refusal,
    milestone_update,
)

from .forms import AcceptanceForm, MilestoneEditForm, PaymentEditForm

COMMON_FIELDS = ("title", "owner", "due_date", "criticality")

# A payment milestone whose terms row is missing (a damaged database): its page still shows it,
# says so (as the dashboard does) and offers no payment action.
TERMS_MISSING = "Its payment terms are missing: no amount, payer or payee is recorded."


def _terms_or_none(milestone: Milestone) -> PaymentTerms | None:
    """A payment milestone's terms, or None when its terms row is missing."""
    try:
        return payment_for_milestone(milestone=milestone)
    except DomainError:
        return None


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
        terms = _terms_or_none(milestone)
        if terms is not None and terms.invoiced_on is None:
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
        try:
            return release(milestone=milestone, status=status, reason=reason, actor=actor)
        except PaymentTerms.DoesNotExist:
            raise DomainError("payment_terms_missing", TERMS_MISSING, field="status") from None
    return milestone_set_status(milestone=milestone, status=status, reason=reason, actor=actor)


def milestone_status_refusal(
    *, milestone: Milestone, status: str, user: User, access: ContractAccess | None = None
) -> DomainError | None:
    """Return why ``user`` may not set ``milestone`` to ``status`` by hand, or ``None``: the same
    check ``milestone_change_status`` reaches through the kind's own service."""
    if milestone.kind == MilestoneKind.PAYMENT:
        try:
            return payment_release_refusal(milestone=milestone, status=status, user=user)
        except PaymentTerms.DoesNotExist:
            return DomainError("payment_terms_missing", TERMS_MISSING, field="kind")
    if milestone.kind == MilestoneKind.GATE:
        return gate_release_refusal(milestone=milestone, status=status, user=user)
    return milestone_set_status_refusal(
        milestone=milestone, status=status, user=user, access=access
    )


def _reason(refusal: DomainError | None) -> str:
    return refusal.message if refusal is not None else ""


def status_choices(
    *, milestone: Milestone, user: User, access: ContractAccess
) -> tuple[list[str], str]:
    """The statuses ``user`` may set on ``milestone`` by hand, and, when there are none, why.

    Giving a milestone up is the counterparty's call: the reason names who may.
    """
    allowed: list[str] = []
    reasons: list[str] = []
    for status in MilestoneStatus:
        if status not in MANUAL_STATUSES[milestone.kind]:
            continue
        refusal = milestone_status_refusal(
            milestone=milestone, status=status, user=user, access=access
        )
        if refusal is None:
            allowed.append(status.value)
        else:
            reasons.append(refusal.message)
    # The give-up reason (who may waive or cancel) says most; the start reason the least.
    return allowed, ("" if allowed else (reasons[-1] if reasons else ""))


def _acceptance_reasons(milestone: Milestone, user: User, access: ContractAccess) -> dict[str, str]:
    """Why each outcome of the acceptance form is not offered (empty when it is); with none
    offered, ``acceptance_refusal`` says why in one sentence."""
    reasons = {
        outcome: _reason(
            deliverable_decide_refusal(
                milestone=milestone, user=user, outcome=outcome, access=access
            )
        )
        for outcome in ("accept", "partial", "reject")
    }
    return {
        "accept_refusal": reasons["accept"],
        "partial_refusal": reasons["partial"],
        "reject_refusal": reasons["reject"],
        "acceptance_refusal": reasons["accept"] if all(reasons.values()) else "",
    }


def kind_page_context(
    *, milestone: Milestone, access: ContractAccess, today: dt.date, user: User
) -> dict[str, Any]:
    """What the milestone's page shows for its kind; ``kind_panel`` names the template.

    Each form the kind offers comes with the reason it is not offered (``*_refusal``, empty when
    it is): the same check the kind's service makes, so a page never offers what would be refused.
    """
    if milestone.kind == MilestoneKind.PAYMENT:
        terms = _terms_or_none(milestone)
        if terms is None:
            return {
                "kind_panel": "milestones/partials/payment_terms_missing.html",
                "kind_section": "Money",
                "terms_missing": TERMS_MISSING,
                "invoice_refusal": TERMS_MISSING,
                "paid_refusal": TERMS_MISSING,
            }
        return {
            "kind_panel": "payments/partials/milestone_panel.html",
            "kind_section": "Money",
            "terms": terms,
            "payment_state": terms.state(today),
            "invoice_form": InvoiceForm(),
            "paid_form": PaidForm(),
            "invoice_refusal": _reason(
                payment_invoice_refusal(milestone=milestone, user=user, terms=terms)
            ),
            "paid_refusal": _reason(
                payment_paid_refusal(milestone=milestone, user=user, terms=terms)
            ),
        }
    if milestone.kind == MilestoneKind.PERFORMANCE:
        kpi = kpi_for_milestone(milestone=milestone)
        measurements = list(measurements_for_kpi(kpi=kpi)) if kpi else []
        return {
            "kind_panel": "performance/partials/milestone_panel.html",
            "kind_section": "Target",
            "kpi": kpi,
            "measurements": measurements,
            "chart": measurement_chart(kpi, measurements) if kpi else None,
            "measurement_form": MeasurementForm(),
            "measurement_refusal": _reason(
                measurement_record_refusal(milestone=milestone, user=user)
            ),
            **(credit_panel(milestone=milestone, kpi=kpi, user=user) if kpi else {}),
        }
    if milestone.kind == MilestoneKind.GATE:
        lines = gate_lines(milestone=milestone)
        open_lines = [line for line in lines if line.decision is None]
        decidable = []
        for line in open_lines:
            if not access.acts_for(line.party.pk, Role.MANAGER):
                continue
            approve = gate_decide_refusal(
                milestone=milestone, party=line.party, user=user, access=access
            )
            reject = gate_decide_refusal(
                milestone=milestone,
                party=line.party,
                user=user,
                decision=Decision.REJECT,
                access=access,
            )
            if reject is None:
                decidable.append({"party": line.party, "approve_refusal": _reason(approve)})
        gate_refusal = ""
        if not decidable and open_lines:
            gate_refusal = _reason(
                gate_decide_refusal(
                    milestone=milestone, party=open_lines[0].party, user=user, access=access
                )
            )
        return {
            "kind_panel": "approvals/partials/milestone_panel.html",
            "kind_section": "Approvals",
            "gate_lines": lines,
            "decidable": decidable,
            "gate_refusal": gate_refusal,
        }
    if milestone.kind == MilestoneKind.DELIVERABLE:
        pending = deliverable_pending_submission(milestone=milestone)
        evidence_ids = (
            set(pending.after.get("evidence", [])) if pending and pending.after else set()
        )
        return {
            "kind_panel": "milestones/partials/acceptance.html",
            "kind_section": "",
            "acceptance_form": AcceptanceForm(),
            **_acceptance_reasons(milestone, user, access),
            "submission_refusal": _reason(
                deliverable_submit_refusal(milestone=milestone, user=user, access=access)
            ),
            "pending_submission": pending,
            "pending_evidence": [e for e in milestone.evidence.all() if e.pk in evidence_ids],
        }
    return {}
