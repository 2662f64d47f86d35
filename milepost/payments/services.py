"""Writes for payment milestones: terms, the 100% rule, invoices and payments."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.contracts.services import contract_set_value
from milepost.core.dates import local_today, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import format_money, parse_money, quantize
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    milestone_create,
    milestone_record_outcome,
    milestone_release,
    milestone_release_refusal,
)

from .choices import RELEASED, PaymentBasis
from .events import PaymentEvent
from .models import HUNDRED, PaymentTerms

# The precision of PaymentTerms.percentage: the amount is derived from the percentage as stored,
# so that revaluing the contract to the same value leaves the amount where it was.
PERCENT_PLACES = Decimal("0.0001")


def _require_payer_manager(access: ContractAccess, payer: Party) -> None:
    if not access.acts_for(payer.pk, Role.MANAGER):
        raise Forbidden(
            f"Only a manager of {payer.organisation}, the payer, may commit it to a payment.",
            code="not_payer_manager",
        )


def _lock_contract(contract: Contract) -> Contract:
    """Lock the contract row so that two payment writes cannot both pass the 100% rule."""
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _committed_total(contract: Contract, *, excluding: int | None = None) -> Decimal:
    # A release of retention pays back what the stages held, so it is not counted twice.
    terms = PaymentTerms.objects.filter(
        milestone__contract=contract, releases_retention=False
    ).exclude(milestone__status__in=RELEASED)
    if excluding is not None:
        terms = terms.exclude(pk=excluding)
    return terms.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _check_total(contract: Contract, new_total: Decimal, *, field: str = "amount") -> None:
    if new_total > contract.value:
        share = (new_total / contract.value * HUNDRED) if contract.value else Decimal("Infinity")
        raise DomainError(
            "payment_total_exceeds_value",
            f"Payment milestones would total {format_money(new_total, contract.currency)} "
            f"({share:.2f}% of the contract value of {format_money(contract.value, contract.currency)}); "
            "they may not exceed 100%.",
            field=field,
        )


def _percentage(value: Decimal | str) -> Decimal:
    """Return a percentage of the contract value, rounded to the places it is stored with."""
    message = "A percentage is more than 0 and at most 100."
    try:
        pct = parse_money(value, field="percentage")
    except DomainError as exc:
        raise DomainError("invalid_percentage", message, field="percentage") from exc
    if pct > HUNDRED:
        raise DomainError("invalid_percentage", message, field="percentage")
    pct = pct.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
    if pct == 0:
        raise DomainError("invalid_percentage", message, field="percentage")
    return pct


def _amount_and_percentage(
    contract: Contract, amount: Decimal | str | None, percentage: Decimal | str | None
) -> tuple[str, Decimal, Decimal]:
    """Return (basis, amount, percentage) from exactly one of amount and percentage."""
    if (amount is None) == (percentage is None):
        raise DomainError(
            "amount_or_percentage",
            "Give either an amount or a percentage of the contract value.",
            field="amount",
        )
    if percentage is not None:
        pct = _percentage(percentage)
        return (
            PaymentBasis.PERCENTAGE,
            quantize(contract.value * pct / HUNDRED, contract.currency),
            pct,
        )
    value = quantize(parse_money(amount, field="amount"), contract.currency)
    if value == 0:
        raise DomainError("invalid_amount", "A payment is more than zero.", field="amount")
    pct = (
        (value / contract.value * HUNDRED).quantize(Decimal("0.0001"))
        if contract.value
        else HUNDRED
    )
    return PaymentBasis.AMOUNT, value, min(pct, HUNDRED)


def _retention(value: Decimal | str) -> Decimal:
    pct = parse_money(value, field="retention_percent")
    if pct > HUNDRED:
        raise DomainError(
            "invalid_retention",
            "Retention is a percentage from 0 to 100.",
            field="retention_percent",
        )
    return pct


@transaction.atomic
def payment_milestone_create(
    *,
    contract: Contract,
    title: str,
    owner: User,
    due_date: dt.date,
    payer: Party,
    payee: Party,
    trigger: Milestone,
    amount: Decimal | str | None = None,
    percentage: Decimal | str | None = None,
    retention_percent: Decimal | str = Decimal(0),
    criticality: str = Criticality.STANDARD,
    acceptance_criteria: str = "",
    description: str = "",
    reference: str = "",
    releases_retention: bool = False,
    actor: User,
) -> Milestone:
    """Create a payment milestone owed by ``payer`` to ``payee`` once ``trigger`` is met.

    Only a manager of the payer may commit it to paying. A release of retention
    (``releases_retention``) comes from the contract's money terms, which their own service
    (``finance``) has let the actor set: any manager on the contract, outside the 100% rule.
    """
    access = contract_access(user=actor, contract=contract)
    access.require_manager()
    contract = _lock_contract(contract)
    for name, party in (("payer", payer), ("payee", payee)):
        if party.contract_id != contract.pk:
            raise DomainError(
                "party_not_on_contract", f"The {name} is not a party to this contract.", field=name
            )
    if payer.pk == payee.pk:
        raise DomainError(
            "payer_is_payee", "The payer and the payee must be different parties.", field="payee"
        )
    if not releases_retention:
        _require_payer_manager(access, payer)
    if trigger.contract_id != contract.pk:
        raise DomainError(
            "invalid_trigger", "The trigger must be a milestone of this contract.", field="trigger"
        )
    if trigger.status == MilestoneStatus.CANCELLED:
        raise DomainError(
            "invalid_trigger",
            f"'{trigger.title}' is cancelled, so a payment triggered by it would never fall due.",
            field="trigger",
        )
    if trigger.kind == MilestoneKind.PAYMENT:
        raise DomainError(
            "invalid_trigger",
            "A payment is triggered by a deliverable, gate or target, not another payment.",
            field="trigger",
        )
    basis, value, pct = _amount_and_percentage(contract, amount, percentage)
    retention = _retention(retention_percent)
    if not releases_retention:
        _check_total(contract, _committed_total(contract) + value)
    milestone = milestone_create(
        contract=contract,
        kind=MilestoneKind.PAYMENT,
        title=title,
        owner=owner,
        responsible_party=payer,
        due_date=due_date,
        criticality=criticality,
        acceptance_criteria=acceptance_criteria or f"Paid in full once '{trigger.title}' is met.",
        description=description,
        reference=reference,
        actor=actor,
    )
    terms = PaymentTerms.objects.create(
        milestone=milestone,
        basis=basis,
        amount=value,
        percentage=pct,
        payer=payer,
        payee=payee,
        trigger=trigger,
        retention_percent=retention,
        releases_retention=releases_retention,
    )
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_TERMS_SET,
        obj=terms,
        after={
            "basis": basis,
            "amount": value,
            "percentage": pct,
            "currency": contract.currency,
            "payer": str(payer.organisation),
            "payee": str(payee.organisation),
            "trigger": trigger.title,
            "retention_percent": retention,
        },
    )
    dependency_add(predecessor=trigger, successor=milestone, actor=actor)
    return milestone


@transaction.atomic
def payment_terms_change(
    *,
    milestone: Milestone,
    amount: Decimal | str | None = None,
    percentage: Decimal | str | None = None,
    retention_percent: Decimal | str | None = None,
    actor: User,
) -> PaymentTerms:
    """Change a payment's amount (or percentage) and retention before it is invoiced."""
    terms = _terms(milestone)
    contract = _lock_contract(milestone.contract)
    access = contract_access(user=actor, contract=contract)
    access.require_manager()
    _require_payer_manager(access, terms.payer)
    if terms.invoiced_on is not None:
        raise DomainError(
            "already_invoiced", "An invoiced payment's terms no longer change.", field="amount"
        )
    if not milestone.is_open:
        raise DomainError(
            "milestone_closed", "A closed payment's terms no longer change.", field="status"
        )
    before = {
        "basis": terms.basis,
        "amount": terms.amount,
        "percentage": terms.percentage,
        "retention_percent": terms.retention_percent,
    }
    if amount is not None or percentage is not None:
        terms.basis, terms.amount, terms.percentage = _amount_and_percentage(
            contract, amount, percentage
        )
        _check_total(contract, _committed_total(contract, excluding=terms.pk) + terms.amount)
    if retention_percent is not None:
        terms.retention_percent = _retention(retention_percent)
    terms.save(update_fields=["basis", "amount", "percentage", "retention_percent"])
    after = {
        "basis": terms.basis,
        "amount": terms.amount,
        "percentage": terms.percentage,
        "retention_percent": terms.retention_percent,
    }
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_TERMS_CHANGED,
        obj=terms,
        before=before,
        after=after,
    )
    return terms


def _terms(milestone: Milestone) -> PaymentTerms:
    """Lock the payment milestone, reload it, and return its terms.

    The caller's copy may be stale: judged on it, a payment cancelled meanwhile would be
    invoiced and moved back to in progress. The lock also serialises invoice and payment records.
    """
    if milestone.kind != MilestoneKind.PAYMENT:
        raise DomainError("not_a_payment", "This milestone is not a payment.", field="kind")
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))
    return PaymentTerms.objects.select_related(
        "milestone__contract", "trigger", "payer", "payee"
    ).get(milestone=milestone)


def _require_party_manager(terms: PaymentTerms, actor: User, *parties: Party) -> None:
    access = contract_access(user=actor, contract=terms.milestone.contract)
    if not any(access.acts_for(p.pk, Role.MANAGER) for p in parties):
        names = " or ".join(str(p.organisation) for p in parties)
        raise Forbidden(f"Only a manager of {names} may record this.", code="not_payment_party")


def _require_active(contract: Contract) -> None:
    # Checked up front: a partial payment changes no status, so the status rule would not catch it.
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            "contract_not_active",
            "Payments are recorded while the contract is active.",
            field="contract",
        )


def _check_day(day: dt.date, milestone: Milestone, field: str) -> None:
    if day > local_today(milestone.contract.time_zone):
        raise DomainError("date_in_future", "That date is in the future.", field=field)
    contract = milestone.contract
    validate_milestone_date(day, field=field, start=contract.start_date, end=contract.end_date)


def _by_cycle_refusal(terms: PaymentTerms) -> DomainError:
    return DomainError(
        "paid_through_cycle",
        f"Paid through payment cycle {terms.cycle_number} on the Money page.",
        field="status",
    )


def payment_invoice_refusal(
    *, milestone: Milestone, user: User, terms: PaymentTerms | None = None
) -> DomainError | None:
    """Return why ``user`` may not record this payment's invoice now, or ``None``.

    The check ``payment_record_invoice`` makes before it looks at the date and amount typed.
    """
    if milestone.kind != MilestoneKind.PAYMENT:
        return DomainError("not_a_payment", "This milestone is not a payment.", field="kind")
    terms = terms or PaymentTerms.objects.select_related("trigger", "payer", "payee").get(
        milestone=milestone
    )
    if terms.cycle_number is not None:
        return _by_cycle_refusal(terms)
    try:
        _require_party_manager(terms, user, terms.payee, terms.payer)
        _require_active(milestone.contract)
    except DomainError as refusal:
        return refusal
    if not milestone.is_open:
        return DomainError("milestone_closed", "This payment is closed.", field="status")
    if terms.trigger.status not in (MilestoneStatus.MET, MilestoneStatus.WAIVED):
        return DomainError(
            "trigger_not_met",
            f"Waiting for '{terms.trigger.title}' to be met: this payment is invoiced after it.",
            field="invoiced_on",
        )
    if terms.invoiced_on is not None:
        return DomainError(
            "already_invoiced", "This payment has been invoiced already.", field="invoiced_on"
        )
    return None


def payment_paid_refusal(
    *, milestone: Milestone, user: User, terms: PaymentTerms | None = None
) -> DomainError | None:
    """Return why ``user`` may not record money received on this payment now, or ``None``."""
    if milestone.kind != MilestoneKind.PAYMENT:
        return DomainError("not_a_payment", "This milestone is not a payment.", field="kind")
    terms = terms or PaymentTerms.objects.select_related("trigger", "payer", "payee").get(
        milestone=milestone
    )
    if terms.cycle_number is not None:
        return _by_cycle_refusal(terms)
    try:
        _require_party_manager(terms, user, terms.payer, terms.payee)
        _require_active(milestone.contract)
    except DomainError as refusal:
        return refusal
    if not milestone.is_open:
        return DomainError("milestone_closed", "This payment is closed.", field="status")
    if terms.invoiced_on is None:
        return DomainError(
            "not_invoiced", "Record the invoice before the payment.", field="paid_on"
        )
    return None


def payment_release_refusal(*, milestone: Milestone, status: str, user: User) -> DomainError | None:
    """Return why ``user`` may not give this payment up as ``status`` now, or ``None``."""
    if milestone.kind != MilestoneKind.PAYMENT:
        return DomainError("not_a_payment", "This milestone is not a payment.", field="kind")
    payee_id = PaymentTerms.objects.values_list("payee_id", flat=True).get(milestone=milestone)
    return milestone_release_refusal(
        milestone=milestone, status=status, deciders=[payee_id], user=user
    )


@transaction.atomic
def payment_record_invoice(
    *, milestone: Milestone, invoiced_on: dt.date, amount: Decimal | str, actor: User
) -> PaymentTerms:
    """Record the payee's invoice; the trigger must be met first."""
    terms = _terms(milestone)
    refusal = payment_invoice_refusal(milestone=milestone, user=actor, terms=terms)
    if refusal is not None:
        raise refusal
    _check_day(invoiced_on, milestone, "invoiced_on")
    if terms.trigger.met_on is not None and invoiced_on < terms.trigger.met_on:
        raise DomainError(
            "invoice_before_trigger",
            f"The invoice cannot predate '{terms.trigger.title}', met on {terms.trigger.met_on:%d %b %Y}.",
            field="invoiced_on",
        )
    value = quantize(parse_money(amount, field="amount"), milestone.contract.currency)
    if value == 0 or value > terms.amount:
        raise DomainError(
            "invoice_exceeds_amount",
            f"The invoice must be more than zero and at most {format_money(terms.amount, milestone.contract.currency)}.",
            field="amount",
        )
    terms.invoiced_on, terms.invoiced_amount = invoiced_on, value
    terms.save(update_fields=["invoiced_on", "invoiced_amount"])
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_INVOICED,
        obj=terms,
        after={
            "invoiced_on": invoiced_on,
            "invoiced_amount": value,
            "retention": terms.retention_amount,
        },
    )
    if milestone.status == MilestoneStatus.SCHEDULED:
        milestone_record_outcome(
            milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=actor
        )
    return terms


@transaction.atomic
def payment_record_paid(
    *, milestone: Milestone, paid_on: dt.date, amount: Decimal | str, actor: User
) -> PaymentTerms:
    """Record money received against the invoice; paying what is owed meets the milestone."""
    terms = _terms(milestone)
    refusal = payment_paid_refusal(milestone=milestone, user=actor, terms=terms)
    if refusal is not None:
        raise refusal
    assert terms.invoiced_on is not None  # the refusal above says "not_invoiced" otherwise
    _check_day(paid_on, milestone, "paid_on")
    if paid_on < terms.invoiced_on:
        raise DomainError(
            "paid_before_invoice", "A payment cannot predate its invoice.", field="paid_on"
        )
    currency = milestone.contract.currency
    value = quantize(parse_money(amount, field="amount"), currency)
    if value == 0:
        raise DomainError("invalid_amount", "A payment is more than zero.", field="amount")
    if terms.paid_amount + value > terms.payable_amount:
        raise DomainError(
            "overpayment",
            f"Only {format_money(terms.outstanding, currency)} is outstanding on this invoice after retention.",
            field="amount",
        )
    before = {"paid_on": terms.paid_on, "paid_amount": terms.paid_amount}
    # A payment recorded late may predate an earlier record: paid_on is the latest money received.
    terms.paid_on = max(paid_on, terms.paid_on) if terms.paid_on else paid_on
    terms.paid_amount += value
    terms.save(update_fields=["paid_on", "paid_amount"])
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_PAID,
        obj=terms,
        before=before,
        after={"paid_on": paid_on, "paid_amount": terms.paid_amount, "received": value},
    )
    if terms.outstanding == 0:
        # Paying an invoice for less than the agreed amount settles only part of the payment.
        status = (
            MilestoneStatus.MET
            if terms.invoiced_amount == terms.amount
            else MilestoneStatus.PARTIALLY_MET
        )
        milestone_record_outcome(
            milestone=milestone, status=status, met_on=terms.paid_on, actor=actor
        )
    return terms


@transaction.atomic
def payment_release(*, milestone: Milestone, status: str, reason: str, actor: User) -> Milestone:
    """Waive, cancel or mark a payment not met; only the payee, who is owed it, may."""
    terms = _terms(milestone)
    return milestone_release(
        milestone=milestone, status=status, reason=reason, deciders=[terms.payee_id], actor=actor
    )


@transaction.atomic
def contract_revalue(*, contract: Contract, value: Decimal | str, actor: User) -> Contract:
    """Change a contract's value; percentage payments not yet invoiced follow it."""
    contract_access(user=actor, contract=contract).require_administrator()
    contract = _lock_contract(contract)
    new_value = quantize(parse_money(value, field="value"), contract.currency)
    contract_set_value(contract=contract, value=new_value, actor=actor)
    rescaled = PaymentTerms.objects.filter(
        milestone__contract=contract, basis=PaymentBasis.PERCENTAGE, invoiced_on__isnull=True
    ).exclude(milestone__status__in=RELEASED)
    for terms in rescaled.select_related("milestone"):
        old = terms.amount
        terms.amount = quantize(new_value * terms.percentage / HUNDRED, contract.currency)
        if terms.amount != old:
            terms.save(update_fields=["amount"])
            event_record(
                actor=actor,
                action=PaymentEvent.PAYMENT_RESCALED,
                obj=terms,
                before={"amount": old},
                after={"amount": terms.amount},
            )
    fixed = PaymentTerms.objects.filter(milestone__contract=contract, basis=PaymentBasis.AMOUNT)
    for terms in fixed.exclude(milestone__status__in=RELEASED).select_related("milestone"):
        pct = (
            (terms.amount / new_value * HUNDRED).quantize(Decimal("0.0001"))
            if new_value
            else HUNDRED
        )
        if pct != terms.percentage:
            terms.percentage = min(pct, HUNDRED)
            terms.save(update_fields=["percentage"])
    _check_total(contract, _committed_total(contract), field="value")
    return contract


@transaction.atomic
def payment_amount_agree(*, milestone: Milestone, amount: Decimal, actor: User) -> PaymentTerms:
    """Set a payment's amount as both its parties agreed in an approved change request.

    The change request's service has checked that the payer and the payee each agreed (one
    asked, the other approved); this keeps the payment rules: not invoiced, still open, and
    the contract's payments within its value.
    """
    terms = _terms(milestone)
    contract = _lock_contract(milestone.contract)
    if terms.invoiced_on is not None:
        raise DomainError(
            "already_invoiced", "An invoiced payment's amount no longer changes.", field="amount"
        )
    before = {"basis": terms.basis, "amount": terms.amount, "percentage": terms.percentage}
    terms.basis, terms.amount, terms.percentage = _amount_and_percentage(contract, amount, None)
    _check_total(contract, _committed_total(contract, excluding=terms.pk) + terms.amount)
    terms.save(update_fields=["basis", "amount", "percentage"])
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_TERMS_CHANGED,
        obj=terms,
        before=before,
        after={"basis": terms.basis, "amount": terms.amount, "percentage": terms.percentage},
    )
    return terms


@transaction.atomic
def payment_settle_by_cycle(*, milestone: Milestone, settled_on: dt.date, actor: User) -> None:
    """Meet a stage payment whose payment cycle is paid in full.

    The finance app's cycle decides what is payable (a pay less notice may lower it below the
    invoice less retention) and has checked who recorded the money; this closes the payment.
    """
    terms = _terms(milestone)
    if not milestone.is_open:
        return
    status = (
        MilestoneStatus.MET
        if terms.outstanding == 0 and terms.invoiced_amount == terms.amount
        else MilestoneStatus.PARTIALLY_MET
    )
    milestone_record_outcome(milestone=milestone, status=status, met_on=settled_on, actor=actor)


@transaction.atomic
def payment_invoice_by_cycle(
    *, milestone: Milestone, cycle_number: int, invoiced_on: dt.date, amount: Decimal, actor: User
) -> PaymentTerms:
    """Record a stage's invoice made as payment cycle ``cycle_number`` of the finance app.

    From now on the stage is paid only through that cycle: this app's own invoice and payment
    records refuse it. The cycle has checked who applied, the trigger, the date and the amount.
    """
    terms = _terms(milestone)
    terms.invoiced_on, terms.invoiced_amount = invoiced_on, amount
    terms.cycle_number = cycle_number
    terms.save(update_fields=["invoiced_on", "invoiced_amount", "cycle_number"])
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_INVOICED,
        obj=terms,
        after={
            "invoiced_on": invoiced_on,
            "invoiced_amount": amount,
            "retention": terms.retention_amount,
            "cycle": cycle_number,
        },
    )
    if milestone.status == MilestoneStatus.SCHEDULED:
        milestone_record_outcome(
            milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=actor
        )
    return terms


@transaction.atomic
def payment_paid_by_cycle(
    *, milestone: Milestone, paid_on: dt.date, amount: Decimal, actor: User
) -> PaymentTerms:
    """Keep a stage's paid figures in step with money received on its payment cycle.

    The cycle decides what is payable (its notices may lower it) and has checked the amount;
    ``payment_settle_by_cycle`` meets the stage once the cycle is paid in full.
    """
    terms = _terms(milestone)
    before = {"paid_on": terms.paid_on, "paid_amount": terms.paid_amount}
    terms.paid_on = max(paid_on, terms.paid_on) if terms.paid_on else paid_on
    terms.paid_amount += amount
    terms.save(update_fields=["paid_on", "paid_amount"])
    event_record(
        actor=actor,
        action=PaymentEvent.PAYMENT_PAID,
        obj=terms,
        before=before,
        after={"paid_on": paid_on, "paid_amount": terms.paid_amount, "received": amount},
    )
    return terms
