"""Writes for money received on a payment cycle, and the payee's notice of intention to suspend."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.selectors import contract_access
from milepost.core.dates import local_today
from milepost.core.errors import DomainError
from milepost.core.money import format_money
from milepost.payments.services import (
    payment_paid_by_cycle,
    payment_settle_by_cycle,
)

from ...events import FinanceEvent
from ...models import PaymentCycle, Receipt
from ._common import (
    MIN_SUSPENSION_DAYS,
    _amount,
    _check_day,
    _lock,
    _open_contract_refusal,
    _paid,
    _paid_so_far,
    _party_refusal,
    _settled_refusal,
    _terms_of,
)

# --- money received ------------------------------------------------------------------------


def cycle_receipt_refusal(*, cycle: PaymentCycle, user: User) -> DomainError | None:
    """Return why ``user`` may not record money received on this cycle now, or ``None``."""
    settled = _settled_refusal(cycle, "amount")
    if settled is not None:
        return settled
    access = contract_access(user=user, contract=cycle.contract)
    refusal = _party_refusal(access, [cycle.payer, cycle.payee], "record money received")
    if refusal is None and cycle.contract.status not in (
        ContractStatus.ACTIVE,
        ContractStatus.SUSPENDED,
        ContractStatus.COMPLETED,
    ):
        refusal = DomainError(
            "contract_not_active",
            "Money is recorded on a contract that has started.",
            field="contract",
        )
    if refusal is None and cycle.is_stage:
        # A stage's payment milestone is met when its cycle is paid, and the schedule closes
        # milestones only on an active contract.
        refusal = _open_contract_refusal(cycle.contract)
    if refusal is None and _paid_so_far(cycle) >= cycle.payable:
        refusal = DomainError("settled", "Nothing is payable on this cycle.", field="amount")
    return refusal


@transaction.atomic
def cycle_receipt_record(
    *,
    cycle: PaymentCycle,
    actor: User,
    paid_on: dt.date,
    amount: Decimal | str,
    reference: str = "",
) -> Receipt:
    """Record money received against the cycle: one of possibly several part payments."""
    cycle = _lock(cycle)
    refusal = cycle_receipt_refusal(cycle=cycle, user=actor)
    if refusal is not None:
        raise refusal
    contract = cycle.contract
    _check_day(paid_on, contract, "paid_on", not_before=cycle.applied_on, what="the application")
    value = _amount(amount, contract.currency, "amount")
    paid = _paid(cycle)
    outstanding = cycle.payable - paid
    if value > outstanding:
        raise DomainError(
            "overpayment",
            f"Only {format_money(outstanding, contract.currency)} is outstanding on this cycle.",
            field="amount",
        )
    receipt = Receipt.objects.create(
        cycle=cycle,
        paid_on=paid_on,
        amount=value,
        reference=(reference or "").strip()[:64],
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_PAID,
        obj=cycle,
        milestone_id=cycle.milestone_id,
        after={
            "number": cycle.number,
            "received": value,
            "paid_on": paid_on,
            "paid": paid + value,
            "payable": cycle.payable,
            "reference": receipt.reference,
            "currency": contract.currency,
        },
    )
    if cycle.milestone is not None:
        payment_paid_by_cycle(milestone=cycle.milestone, paid_on=paid_on, amount=value, actor=actor)
        if paid + value == cycle.payable:
            payment_settle_by_cycle(milestone=cycle.milestone, settled_on=paid_on, actor=actor)
    return receipt


# --- suspension for non-payment ------------------------------------------------------------


def cycle_suspension_refusal(
    *, cycle: PaymentCycle, user: User, today: dt.date | None = None
) -> DomainError | None:
    """Return why ``user`` may not give notice of intention to suspend now, or ``None``."""
    today = today or local_today(cycle.contract.time_zone)
    if cycle.suspension_notice_on is not None:
        return DomainError(
            "suspension_given", "Notice of suspension has been given already.", field="given_on"
        )
    refusal = _settled_refusal(cycle)
    if refusal is None:
        access = contract_access(user=user, contract=cycle.contract)
        refusal = _party_refusal(access, [cycle.payee], "give notice of suspension")
    if refusal is None:
        refusal = _open_contract_refusal(cycle.contract)
    if refusal is not None:
        return refusal
    if today <= cycle.final_date:
        return DomainError(
            "not_yet_final",
            f"The payer has until {cycle.final_date:%-d %b %Y}, the final date, to pay.",
            field="given_on",
        )
    if _paid_so_far(cycle) >= cycle.payable:
        return DomainError("settled", "Nothing is payable on this cycle.", field="given_on")
    return None


@transaction.atomic
def cycle_suspension_notice(*, cycle: PaymentCycle, actor: User, given_on: dt.date) -> PaymentCycle:
    """Record the payee's notice of intention to suspend work for non-payment."""
    cycle = _lock(cycle)
    refusal = cycle_suspension_refusal(cycle=cycle, user=actor)
    if refusal is not None:
        raise refusal
    contract = cycle.contract
    _check_day(given_on, contract, "given_on")
    if given_on <= cycle.final_date:
        raise DomainError(
            "not_yet_final",
            f"Notice of suspension comes after the final date, {cycle.final_date:%-d %b %Y}.",
            field="given_on",
        )
    terms = _terms_of(contract)
    days = terms.suspension_notice_days if terms else MIN_SUSPENSION_DAYS
    cycle.suspension_notice_on, cycle.suspension_by = given_on, actor
    cycle.suspension_from = given_on + dt.timedelta(days=days)
    cycle.save(update_fields=["suspension_notice_on", "suspension_by", "suspension_from"])
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_SUSPENSION_NOTICED,
        obj=cycle,
        milestone_id=cycle.milestone_id,
        after={
            "number": cycle.number,
            "given_on": given_on,
            "suspension_from": cycle.suspension_from,
            "outstanding": cycle.payable - _paid(cycle),
            "currency": contract.currency,
        },
    )
    return cycle
