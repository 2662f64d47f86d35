"""REST endpoints for delay damages: a milestone's terms and accrual, and a contract's total."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user, party_get_for_contract
from milepost.core.dates import local_today
from milepost.core.errors import NotFound
from milepost.core.schemas import Amount, InputSchema, RowId
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestone_get_for_user

from .selectors import (
    Accrual,
    damages_accrual,
    damages_for_contract,
    damages_terms_for,
    damages_totals,
)
from .services import damages_terms_remove, damages_terms_set

router = Router(tags=["finance"])


class ExtensionOut(Schema):
    change_id: int
    decided_on: dt.date | None
    old_date: dt.date
    new_date: dt.date
    days: int
    reason: str


class DamagesOut(Schema):
    milestone_id: int
    milestone: str
    currency: str
    rate: Decimal
    unit: str
    cap_amount: Decimal | None
    cap_percent: Decimal | None
    cap: Decimal | None
    payer: str
    payee: str
    baseline_date: dt.date
    contractual_date: dt.date
    met_on: dt.date | None
    days_late: int
    still_late: bool
    accrued: Decimal
    capped: bool
    deducted: Decimal
    available: Decimal
    over_deducted: Decimal = Field(
        description="Deducted beyond what is owed now (an extension approved after the notice): "
        "owed back to the payer."
    )
    extensions: list[ExtensionOut]


class ContractDamagesOut(Schema):
    contract_id: int
    currency: str
    accrued: Decimal
    deducted: Decimal
    available: Decimal
    over_deducted: Decimal
    milestones: list[DamagesOut]


class DamagesIn(InputSchema):
    """Delay damages: a rate per day or week, an optional cap, who pays them to whom."""

    rate: Amount
    unit: Literal["day", "week"]
    payer: RowId
    payee: RowId
    cap_amount: Amount | None = None
    cap_percent: Amount | None = None


def _out(accrual: Accrual) -> dict[str, Any]:
    terms, milestone = accrual.terms, accrual.terms.milestone
    return {
        "milestone_id": milestone.pk,
        "milestone": milestone.title,
        "currency": accrual.currency,
        "rate": terms.rate,
        "unit": terms.unit,
        "cap_amount": terms.cap_amount,
        "cap_percent": terms.cap_percent,
        "cap": accrual.cap,
        "payer": terms.payer.organisation.name,
        "payee": terms.payee.organisation.name,
        "baseline_date": milestone.baseline_due_date,
        "contractual_date": accrual.contractual_date,
        "met_on": milestone.met_on,
        "days_late": accrual.days_late,
        "still_late": accrual.still_late,
        "accrued": accrual.accrued,
        "capped": accrual.capped,
        "deducted": accrual.deducted,
        "available": accrual.available,
        "over_deducted": accrual.over_deducted,
        "extensions": [{**vars(x), "days": x.days} for x in accrual.extensions],
    }


def _milestone(request: HttpRequest, milestone_id: int) -> Milestone:
    return milestone_get_for_user(user=actor(request), pk=milestone_id)


def _read(milestone: Milestone) -> dict[str, Any]:
    terms = damages_terms_for(milestone=milestone)
    if terms is None:
        raise NotFound("delay damages")
    today = local_today(terms.milestone.contract.time_zone)
    return _out(damages_accrual(terms=terms, today=today))


@router.get("/milestones/{milestone_id}/delay-damages", response=DamagesOut)
def get_delay_damages(request: HttpRequest, milestone_id: RowId) -> Any:
    """Read a milestone's delay damages: terms, contractual date, accrued and still to deduct."""
    return _read(_milestone(request, milestone_id))


@router.put("/milestones/{milestone_id}/delay-damages", response=DamagesOut)
def set_delay_damages(request: HttpRequest, milestone_id: RowId, payload: DamagesIn) -> Any:
    """Set or change a milestone's delay damages (see docs/delay-damages.md for who may)."""
    milestone = _milestone(request, milestone_id)
    contract = milestone.contract
    damages_terms_set(
        milestone=milestone,
        actor=actor(request),
        rate=payload.rate,
        unit=payload.unit,
        payer=party_get_for_contract(contract=contract, pk=payload.payer, field="payer"),
        payee=party_get_for_contract(contract=contract, pk=payload.payee, field="payee"),
        cap_amount=payload.cap_amount,
        cap_percent=payload.cap_percent,
    )
    return _read(milestone)


@router.delete("/milestones/{milestone_id}/delay-damages", response={204: None})
def remove_delay_damages(request: HttpRequest, milestone_id: RowId) -> Any:
    """Remove a milestone's delay damages, unless a pay less notice has deducted some."""
    damages_terms_remove(milestone=_milestone(request, milestone_id), actor=actor(request))
    return Status(204, None)


@router.get("/contracts/{contract_id}/delay-damages", response=ContractDamagesOut)
def contract_delay_damages(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the delay damages of every milestone of a contract that carries them, and totals."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    accruals = damages_for_contract(contract=contract, today=local_today(contract.time_zone))
    return {
        "contract_id": contract.pk,
        **vars(damages_totals(accruals, contract.currency)),
        "milestones": [_out(a) for a in accruals],
    }
