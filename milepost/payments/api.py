"""REST endpoints for payment milestones: terms, invoices, payments received, release."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today
from milepost.core.schemas import Amount, InputSchema, IsoDate, Note, RowId
from milepost.schedule.api.milestones import MilestoneIn, milestone_fields, milestone_in_contract
from milepost.schedule.selectors import milestone_get_for_user

from .models import PaymentTerms
from .selectors import payment_for_milestone, payment_totals, payments_for_contract
from .services import (
    contract_revalue,
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
    payment_release,
    payment_terms_change,
)

router = Router(tags=["payments"])


class PaymentOut(Schema):
    milestone_id: int
    basis: str
    amount: Decimal
    percentage: Decimal
    currency: str
    payer: str
    payee: str
    trigger_id: int
    retention_percent: Decimal
    retention_amount: Decimal
    invoiced_on: dt.date | None
    invoiced_amount: Decimal | None
    paid_on: dt.date | None
    paid_amount: Decimal
    outstanding: Decimal
    state: str

    @staticmethod
    def resolve_currency(obj: PaymentTerms) -> str:
        return obj.milestone.contract.currency

    @staticmethod
    def resolve_payer(obj: PaymentTerms) -> str:
        return obj.payer.organisation.name

    @staticmethod
    def resolve_payee(obj: PaymentTerms) -> str:
        return obj.payee.organisation.name

    @staticmethod
    def resolve_state(obj: PaymentTerms) -> str:
        return obj.state(local_today(obj.milestone.contract.time_zone))


class InvoiceIn(InputSchema):
    invoiced_on: IsoDate
    amount: Amount


class PaidIn(InputSchema):
    paid_on: IsoDate
    amount: Amount


class PaymentReleaseIn(InputSchema):
    status: Literal["waived", "cancelled", "not_met"]
    reason: Note


def _terms(request: HttpRequest, milestone_id: RowId) -> PaymentTerms:
    return payment_for_milestone(
        milestone=milestone_get_for_user(user=actor(request), pk=milestone_id)
    )


@router.get("/milestones/{milestone_id}/payment", response=PaymentOut)
def get_payment(request: HttpRequest, milestone_id: RowId) -> PaymentTerms:
    """Read a payment milestone's terms and where it stands."""
    return _terms(request, milestone_id)


@router.post("/milestones/{milestone_id}/payment/invoice", response=PaymentOut)
def record_invoice(request: HttpRequest, milestone_id: RowId, payload: InvoiceIn) -> Any:
    """Record the payee's invoice, once the trigger is met (payer or payee manager)."""
    terms = _terms(request, milestone_id)
    payment_record_invoice(
        milestone=terms.milestone,
        invoiced_on=payload.invoiced_on,
        amount=payload.amount,
        actor=actor(request),
    )
    return _terms(request, milestone_id)


@router.post("/milestones/{milestone_id}/payment/paid", response=PaymentOut)
def record_paid(request: HttpRequest, milestone_id: RowId, payload: PaidIn) -> Any:
    """Record money received against the invoice; paying what is owed meets the payment."""
    terms = _terms(request, milestone_id)
    payment_record_paid(
        milestone=terms.milestone,
        paid_on=payload.paid_on,
        amount=payload.amount,
        actor=actor(request),
    )
    return _terms(request, milestone_id)


@router.post("/milestones/{milestone_id}/payment/release", response=PaymentOut)
def release_payment(request: HttpRequest, milestone_id: RowId, payload: PaymentReleaseIn) -> Any:
    """Waive, cancel or mark the payment not met; only the payee, who is owed it, may."""
    terms = _terms(request, milestone_id)
    payment_release(
        milestone=terms.milestone,
        status=payload.status,
        reason=payload.reason,
        actor=actor(request),
    )
    return _terms(request, milestone_id)


class PaymentIn(MilestoneIn):
    """A payment: give ``amount`` or ``percentage`` of the contract value, not both."""

    payer: RowId
    payee: RowId
    trigger_id: RowId
    amount: Amount | None = None
    percentage: Amount | None = None
    retention_percent: Amount = Decimal(0)


class PaymentPatch(InputSchema):
    amount: Amount | None = None
    percentage: Amount | None = None
    retention_percent: Amount | None = None


class PaymentScheduleOut(Schema):
    contract_id: int
    currency: str
    value: Decimal
    committed: Decimal
    invoiced: Decimal
    paid: Decimal
    payments: list[PaymentOut]


class ValueIn(InputSchema):
    value: Amount


def _schedule(contract: Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.pk,
        "currency": contract.currency,
        "value": contract.value,
        **payment_totals(contract=contract),
        "payments": list(payments_for_contract(contract=contract)),
    }


@router.get("/contracts/{contract_id}/payments", response=PaymentScheduleOut)
def payment_schedule(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the contract's payment schedule in due-date order, with its totals."""
    return _schedule(contract_get_for_user(user=actor(request), pk=contract_id))


@router.post("/contracts/{contract_id}/payments", response={201: PaymentOut})
def create_payment(request: HttpRequest, contract_id: RowId, payload: PaymentIn) -> Any:
    """Add a payment milestone (a manager of the payer); the schedule may not pass 100%."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = payment_milestone_create(
        contract=contract,
        **milestone_fields(contract, payload, "payer", "payee"),
        trigger=milestone_in_contract(contract, payload.trigger_id, "trigger_id"),
        amount=payload.amount,
        percentage=payload.percentage,
        retention_percent=payload.retention_percent,
        actor=user,
    )
    return Status(201, _terms(request, milestone.pk))


@router.patch("/milestones/{milestone_id}/payment", response=PaymentOut)
def change_payment_terms(request: HttpRequest, milestone_id: RowId, payload: PaymentPatch) -> Any:
    """Change the amount, percentage or retention before the payment is invoiced."""
    terms = _terms(request, milestone_id)
    payment_terms_change(
        milestone=terms.milestone, actor=actor(request), **payload.dict(exclude_unset=True)
    )
    return _terms(request, milestone_id)


@router.post("/contracts/{contract_id}/value", response=PaymentScheduleOut)
def revalue_contract(request: HttpRequest, contract_id: RowId, payload: ValueIn) -> Any:
    """Change the contract value; percentage payments not yet invoiced follow it."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    contract_revalue(contract=contract, value=payload.value, actor=user)
    return _schedule(contract_get_for_user(user=user, pk=contract_id))
