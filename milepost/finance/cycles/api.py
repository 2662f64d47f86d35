"""REST endpoints for a contract's payment terms and payment cycles with their notices."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from milepost.accounts.api import actor
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_get_for_user, party_get_for_contract
from milepost.core.dates import local_today
from milepost.core.errors import DomainError
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, Note, RowId
from milepost.performance.models import Measurement
from milepost.schedule.api.milestones import milestone_in_contract

from ..models import MoneyTerms, PaymentCycle
from .selectors import cycle_figures, cycle_get_for_user, cycles_for_contract, money_terms_for
from .services import (
    DeductionIn,
    cycle_apply,
    cycle_default_notice,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_receipt_record,
    cycle_suspension_notice,
    money_terms_set,
)

router = Router(tags=["finance"])


class MoneyTermsOut(Schema):
    contract_id: int
    regime: str
    basis: str
    payer_id: int
    payee_id: int
    due_days: int
    final_days: int
    payment_notice_days: int
    pay_less_days: int
    working_days: bool
    notices_required: bool
    period_end_day: int
    suspension_notice_days: int
    retention_percent: Decimal
    retention_bond: bool
    retention_first_release_percent: Decimal
    completion_id: int | None
    defects_months: int
    first_release_id: int | None
    second_release_id: int | None


class MoneyTermsIn(InputSchema):
    """The Scheme's and net 30's periods are fixed; give the four periods only for custom."""

    regime: Literal["scheme_ew", "scheme_scotland", "net_30", "custom"]
    basis: Literal["interim", "stages"]
    payer: RowId
    payee: RowId
    due_days: int | None = Field(default=None, ge=0, le=365)
    final_days: int | None = Field(default=None, ge=0, le=365)
    payment_notice_days: int | None = Field(default=None, ge=0, le=365)
    pay_less_days: int | None = Field(default=None, ge=0, le=365)
    working_days: bool = False
    period_end_day: int = Field(default=0, ge=0, le=28)
    suspension_notice_days: int = Field(default=7, ge=7, le=90)
    retention_percent: Amount = Decimal(0)
    retention_bond: bool = False
    retention_first_release_percent: Amount = Decimal(50)
    completion_id: RowId | None = None
    defects_months: int = Field(default=12, ge=0, le=120)


class DeductionOut(Schema):
    kind: str
    amount: Decimal
    milestone_id: int | None
    measurement_id: int | None
    description: str


class ReceiptOut(Schema):
    paid_on: dt.date
    amount: Decimal
    reference: str


class CycleOut(Schema):
    id: int
    contract_id: int
    number: int
    currency: str
    payer_id: int
    payee_id: int
    milestone_id: int | None
    period_start: dt.date | None
    period_end: dt.date
    applied_on: dt.date
    gross_value: Decimal
    retention: Decimal
    previous: Decimal
    applied_sum: Decimal
    due_date: dt.date
    final_date: dt.date
    payment_notice_by: dt.date
    pay_less_by: dt.date
    notified_sum: Decimal | None
    notice_given_on: dt.date | None
    notice_late: bool
    default_notice_on: dt.date | None
    pay_less_sum: Decimal | None
    pay_less_on: dt.date | None
    pay_less_late: bool
    suspension_notice_on: dt.date | None
    suspension_from: dt.date | None
    payable: Decimal
    withheld: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    state: str


class CycleDetailOut(CycleOut):
    notice_basis: str
    pay_less_grounds: str
    deductions: list[DeductionOut]
    receipts: list[ReceiptOut]


class CycleIn(InputSchema):
    applied_on: IsoDate
    period_end: IsoDate
    gross_value: Amount
    period_start: IsoDate | None = None
    milestone_id: RowId | None = None


class PaymentNoticeIn(InputSchema):
    given_on: IsoDate
    notified_sum: Amount
    basis: LongText


class GivenIn(InputSchema):
    given_on: IsoDate


class DeductionItemIn(InputSchema):
    kind: Literal["delay_damages", "service_credit", "other"]
    amount: Amount
    milestone_id: RowId | None = None
    measurement_id: RowId | None = None
    description: Note = ""


class PayLessIn(InputSchema):
    given_on: IsoDate
    grounds: LongText
    deductions: list[DeductionItemIn] = Field(max_length=50)


class ReceiptIn(InputSchema):
    paid_on: IsoDate
    amount: Amount
    reference: str = Field(default="", max_length=64)


def _row(cycle: PaymentCycle, today: dt.date) -> dict[str, Any]:
    figures = cycle_figures(cycle, today)
    fields = {name: getattr(cycle, name) for name in CycleOut.model_fields if hasattr(cycle, name)}
    fields.update(
        currency=cycle.contract.currency,
        payable=figures.payable,
        withheld=figures.withheld,
        paid=figures.paid,
        outstanding=figures.outstanding,
        overdue=figures.overdue,
        state=figures.state,
    )
    return fields


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    cycle = cycle_get_for_user(user=actor(request), pk=pk)
    row = _row(cycle, local_today(cycle.contract.time_zone))
    row.update(
        notice_basis=cycle.notice_basis,
        pay_less_grounds=cycle.pay_less_grounds,
        deductions=list(cycle.deductions.all()),
        receipts=list(cycle.receipts.all()),
    )
    return row


def _terms(contract: Contract) -> MoneyTerms:
    terms = money_terms_for(contract=contract)
    if terms is None:
        raise DomainError(
            "no_money_terms", "This contract has no payment terms yet.", field="contract"
        )
    return terms


@router.get("/contracts/{contract_id}/money-terms", response=MoneyTermsOut)
def get_money_terms(request: HttpRequest, contract_id: RowId) -> MoneyTerms:
    """Read the contract's payment terms: regime, timetable and retention."""
    return _terms(contract_get_for_user(user=actor(request), pk=contract_id))


@router.put("/contracts/{contract_id}/money-terms", response=MoneyTermsOut)
def set_money_terms(request: HttpRequest, contract_id: RowId, payload: MoneyTermsIn) -> Any:
    """Set or change the payment terms (a party's manager while draft, the owner once active)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    data = payload.dict()
    data["payer"] = party_get_for_contract(contract=contract, pk=data["payer"], field="payer")
    data["payee"] = party_get_for_contract(contract=contract, pk=data["payee"], field="payee")
    completion_id = data.pop("completion_id")
    data["completion"] = (
        milestone_in_contract(contract, completion_id, "completion_id") if completion_id else None
    )
    return money_terms_set(contract=contract, actor=user, **data)


@router.get("/contracts/{contract_id}/payment-cycles", response=list[CycleOut])
def list_payment_cycles(request: HttpRequest, contract_id: RowId) -> Any:
    """List the contract's payment cycles with their figures today."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    today = local_today(contract.time_zone)
    return [_row(c, today) for c in cycles_for_contract(contract=contract)]


@router.post("/contracts/{contract_id}/payment-cycles", response={201: CycleDetailOut})
def apply_for_payment(request: HttpRequest, contract_id: RowId, payload: CycleIn) -> Any:
    """Apply for payment (a manager of the payee): an interim valuation or a milestone stage."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = (
        milestone_in_contract(contract, payload.milestone_id, "milestone_id")
        if payload.milestone_id
        else None
    )
    cycle = cycle_apply(
        contract=contract,
        actor=user,
        applied_on=payload.applied_on,
        period_end=payload.period_end,
        gross_value=payload.gross_value,
        period_start=payload.period_start,
        milestone=milestone,
    )
    return Status(201, _detail(request, cycle.pk))


@router.get("/payment-cycles/{cycle_id}", response=CycleDetailOut)
def get_payment_cycle(request: HttpRequest, cycle_id: RowId) -> Any:
    """Read one payment cycle: its timetable, notices, deductions and receipts."""
    return _detail(request, cycle_id)


@router.post("/payment-cycles/{cycle_id}/payment-notice", response=CycleDetailOut)
def give_payment_notice(request: HttpRequest, cycle_id: RowId, payload: PaymentNoticeIn) -> Any:
    """Give the payment notice (a manager of the payer): the sum considered due and its basis."""
    cycle = cycle_get_for_user(user=actor(request), pk=cycle_id)
    cycle_payment_notice(cycle=cycle, actor=actor(request), **payload.dict())
    return _detail(request, cycle_id)


@router.post("/payment-cycles/{cycle_id}/default-notice", response=CycleDetailOut)
def give_default_notice(request: HttpRequest, cycle_id: RowId, payload: GivenIn) -> Any:
    """Give a default notice (a manager of the payee) once no payment notice came in time."""
    cycle = cycle_get_for_user(user=actor(request), pk=cycle_id)
    cycle_default_notice(cycle=cycle, actor=actor(request), given_on=payload.given_on)
    return _detail(request, cycle_id)


def _deduction(cycle: PaymentCycle, item: DeductionItemIn) -> DeductionIn:
    milestone = (
        milestone_in_contract(cycle.contract, item.milestone_id, "deductions")
        if item.milestone_id
        else None
    )
    measurement = None
    if item.measurement_id:
        measurement = (
            Measurement.objects.select_related("kpi__milestone")
            .filter(pk=item.measurement_id, kpi__milestone__contract=cycle.contract)
            .first()
        )
        if measurement is None:
            raise DomainError(
                "no_credit", "That measurement is not on this contract.", field="deductions"
            )
    return DeductionIn(
        kind=item.kind,
        amount=item.amount,
        milestone=milestone,
        measurement=measurement,
        description=item.description,
    )


@router.post("/payment-cycles/{cycle_id}/pay-less", response=CycleDetailOut)
def give_pay_less_notice(request: HttpRequest, cycle_id: RowId, payload: PayLessIn) -> Any:
    """Give a pay less notice (a manager of the payer), its deductions item by item."""
    cycle = cycle_get_for_user(user=actor(request), pk=cycle_id)
    cycle_pay_less(
        cycle=cycle,
        actor=actor(request),
        given_on=payload.given_on,
        grounds=payload.grounds,
        deductions=[_deduction(cycle, item) for item in payload.deductions],
    )
    return _detail(request, cycle_id)


@router.post("/payment-cycles/{cycle_id}/receipts", response={201: CycleDetailOut})
def record_receipt(request: HttpRequest, cycle_id: RowId, payload: ReceiptIn) -> Any:
    """Record money received (a manager of the payer or payee); part payments add up."""
    cycle = cycle_get_for_user(user=actor(request), pk=cycle_id)
    cycle_receipt_record(cycle=cycle, actor=actor(request), **payload.dict())
    return Status(201, _detail(request, cycle_id))


@router.post("/payment-cycles/{cycle_id}/suspension-notice", response=CycleDetailOut)
def give_suspension_notice(request: HttpRequest, cycle_id: RowId, payload: GivenIn) -> Any:
    """Give notice of intention to suspend (a manager of the payee) after the final date."""
    cycle = cycle_get_for_user(user=actor(request), pk=cycle_id)
    cycle_suspension_notice(cycle=cycle, actor=actor(request), given_on=payload.given_on)
    return _detail(request, cycle_id)
