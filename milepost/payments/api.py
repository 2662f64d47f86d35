"""REST endpoints for payment milestones: terms, invoices, payments received, release."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from milepost.accounts.api import actor
from milepost.core.dates import local_today
from milepost.schedule.selectors import milestone_get_for_user

from .models import PaymentTerms
from .selectors import payment_for_milestone
from .services import payment_record_invoice, payment_record_paid, payment_release

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


class InvoiceIn(Schema):
    invoiced_on: dt.date
    amount: Decimal


class PaidIn(Schema):
    paid_on: dt.date
    amount: Decimal


class ReleaseIn(Schema):
    status: Literal["waived", "cancelled", "not_met"]
    reason: str


def _terms(request: HttpRequest, milestone_id: int) -> PaymentTerms:
    return payment_for_milestone(
        milestone=milestone_get_for_user(user=actor(request), pk=milestone_id)
    )


@router.get("/milestones/{milestone_id}/payment", response=PaymentOut)
def get_payment(request: HttpRequest, milestone_id: int) -> PaymentTerms:
    """Read a payment milestone's terms and where it stands."""
    return _terms(request, milestone_id)


@router.post("/milestones/{milestone_id}/payment/invoice", response=PaymentOut)
def record_invoice(request: HttpRequest, milestone_id: int, payload: InvoiceIn) -> Any:
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
def record_paid(request: HttpRequest, milestone_id: int, payload: PaidIn) -> Any:
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
def release_payment(request: HttpRequest, milestone_id: int, payload: ReleaseIn) -> Any:
    """Waive, cancel or mark the payment not met; only the payee, who is owed it, may."""
    terms = _terms(request, milestone_id)
    payment_release(
        milestone=terms.milestone,
        status=payload.status,
        reason=payload.reason,
        actor=actor(request),
    )
    return _terms(request, milestone_id)
