"""Writes for an application for payment: an interim valuation or a stage."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_calendar
from milepost.core.dates import validate_milestone_date
from milepost.core.errors import DomainError
from milepost.core.money import format_money, quantize
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.payments.services import (
    payment_invoice_by_cycle,
)
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone

from ...choices import CycleBasis
from ...events import FinanceEvent
from ...models import PaymentCycle
from ...timetable import timetable_for
from ._common import (
    ZERO,
    _amount,
    _check_day,
    _open_contract_refusal,
    _party_refusal,
    _stages_paid,
    _terms_of,
)

# --- applying for payment -------------------------------------------------------------------


def cycle_apply_refusal(*, contract: Contract, user: User) -> DomainError | None:
    """Return why ``user`` may not apply for payment on this contract now, or ``None``."""
    terms = _terms_of(contract)
    if terms is None:
        return DomainError(
            "no_money_terms",
            "Set the contract's payment terms before applying for payment.",
            field="contract",
        )
    access = contract_access(user=user, contract=contract)
    return _party_refusal(access, [terms.payee], "apply for payment") or _open_contract_refusal(
        contract
    )


def _stage(contract: Contract, milestone: Milestone) -> PaymentTerms:
    if milestone.contract_id != contract.pk or milestone.kind != MilestoneKind.PAYMENT:
        raise DomainError(
            "not_a_payment", "Choose a payment milestone of this contract.", field="milestone"
        )
    stage = PaymentTerms.objects.select_related("trigger", "payer", "payee").get(
        milestone=milestone
    )
    if not milestone.is_open:
        raise DomainError("milestone_closed", "That payment is closed.", field="milestone")
    if stage.trigger.status not in (MilestoneStatus.MET, MilestoneStatus.WAIVED):
        raise DomainError(
            "trigger_not_met",
            f"'{stage.trigger.title}' is not met yet, so its payment cannot be applied for.",
            field="milestone",
        )
    if PaymentCycle.objects.filter(milestone=milestone).exists():
        raise DomainError(
            "stage_already_applied", "This stage has been applied for already.", field="milestone"
        )
    if stage.invoiced_on is not None:
        raise DomainError(
            "already_invoiced",
            "This payment was invoiced on its own page; record the money received there.",
            field="milestone",
        )
    return stage


@transaction.atomic
def cycle_apply(
    *,
    contract: Contract,
    actor: User,
    applied_on: dt.date,
    period_end: dt.date,
    gross_value: Decimal | str,
    period_start: dt.date | None = None,
    milestone: Milestone | None = None,
) -> PaymentCycle:
    """Record the payee's application for payment and fix the cycle's timetable.

    Interim: ``gross_value`` is the gross valuation to date; the cycle holds retention to date
    less what earlier cycles held, and applies for the rest less what earlier cycles notified.
    Stage: ``milestone`` is a payment milestone whose trigger is met; the cycle applies for
    ``gross_value`` (at most the stage's amount) less the stage's own retention.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    refusal = cycle_apply_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    terms = _terms_of(contract)
    assert terms is not None
    currency = contract.currency
    _check_day(applied_on, contract, "applied_on")
    validate_milestone_date(
        period_end, field="period_end", start=contract.start_date, end=contract.end_date
    )
    if period_start is not None and period_start > period_end:
        raise DomainError(
            "period_reversed",
            "The period starts on or before the day it ends.",
            field="period_start",
        )
    gross = _amount(gross_value, currency, "gross_value")
    payer, payee = terms.payer, terms.payee
    earlier = PaymentCycle.objects.filter(contract=contract)
    stage: PaymentTerms | None = None
    if milestone is not None:
        stage = _stage(contract, milestone)
        payer, payee = stage.payer, stage.payee
        access = contract_access(user=actor, contract=contract)
        refusal = _party_refusal(access, [payee], "apply for this payment")
        if refusal is not None:
            raise refusal
        if stage.releases_retention:
            from ...retention.selectors import retention_release_amount

            release = retention_release_amount(milestone=milestone)
            if gross > release:
                raise DomainError(
                    "exceeds_release",
                    f"This release pays back {format_money(release, currency)} of retention held.",
                    field="gross_value",
                )
        elif gross > stage.amount:
            raise DomainError(
                "exceeds_stage",
                f"This stage pays at most {format_money(stage.amount, currency)}.",
                field="gross_value",
            )
        if not stage.releases_retention and terms.basis != CycleBasis.STAGES:
            raise DomainError(
                "interim_basis",
                "This contract is paid by interim valuations: apply for the work to date, "
                "not for a payment milestone.",
                field="milestone",
            )
        met_on = stage.trigger.met_on
        if met_on is not None and applied_on < met_on:
            raise DomainError(
                "applied_before_met",
                f"'{stage.trigger.title}' was met on {met_on:%-d %b %Y}; the application "
                "comes after it.",
                field="applied_on",
            )
        if met_on is not None:
            # The stage's due date counts from when its work was done, if that is later.
            period_end = max(period_end, met_on)
        bonded = terms.retention_bond or stage.releases_retention
        retention = ZERO if bonded else stage.retention_of(gross)
        retention_to_date = retention
        previous = ZERO
    else:
        if terms.basis != CycleBasis.INTERIM:
            raise DomainError(
                "stages_basis",
                "This contract is paid by stages: choose the payment milestone applied for.",
                field="milestone",
            )
        interim = list(earlier.filter(milestone__isnull=True).order_by("number"))
        last = interim[-1] if interim else None
        if last is not None and period_end <= last.period_end:
            raise DomainError(
                "period_not_after_previous",
                f"The last application's period ended on {last.period_end:%-d %b %Y}; "
                "this one ends later.",
                field="period_end",
            )
        if last is not None and gross < last.gross_value:
            raise DomainError(
                "gross_below_previous",
                "An interim valuation is the gross value to date: at least the last one's "
                f"{format_money(last.gross_value, currency)}.",
                field="gross_value",
            )
        if _stages_paid(contract):
            raise DomainError(
                "stages_and_interim",
                "This contract has payment milestones, so it is paid by stages, not by "
                "interim valuations.",
                field="milestone",
            )
        percent = ZERO if terms.retention_bond else terms.retention_percent
        held = sum((c.retention for c in interim), ZERO)
        # Retention to date on the gross to date; this cycle holds its own share of it.
        retention_to_date = max(quantize(gross * percent / HUNDRED, currency), held)
        retention = retention_to_date - held
        previous = sum((c.payable_before_pay_less for c in interim), ZERO)
    applied_sum = gross - retention_to_date - previous
    if applied_sum < 0:
        raise DomainError(
            "applied_below_zero",
            f"Less retention and {format_money(previous, currency)} notified before, this "
            "application would be for less than nothing.",
            field="gross_value",
        )
    times = timetable_for(
        terms=terms,
        period_end=period_end,
        applied_on=applied_on,
        calendar=contract_calendar(contract=contract),
    )
    number = (earlier.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    cycle = PaymentCycle(
        contract=contract,
        number=number,
        payer=payer,
        payee=payee,
        milestone=milestone,
        period_start=period_start,
        period_end=period_end,
        applied_on=applied_on,
        applied_by=actor,
        gross_value=gross,
        retention=retention,
        previous=previous,
        applied_sum=applied_sum,
        due_date=times.due_date,
        final_date=times.final_date,
        payment_notice_by=times.payment_notice_by,
        pay_less_by=times.pay_less_by,
    )
    if not terms.notices_required:
        # A plain invoice has no notices: the invoice is the sum due.
        cycle.notified_sum, cycle.notice_given_on = applied_sum, applied_on
        cycle.notice_basis = "The invoice."
    cycle.save(force_insert=True)
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_APPLIED,
        obj=cycle,
        milestone_id=milestone.pk if milestone else None,
        after={
            "number": number,
            "gross_value": gross,
            "retention": retention,
            "previous": previous,
            "applied_sum": applied_sum,
            "applied_on": applied_on,
            "period_end": period_end,
            "due_date": times.due_date,
            "final_date": times.final_date,
            "payment_notice_by": times.payment_notice_by,
            "pay_less_by": times.pay_less_by,
            "currency": currency,
            "stage": milestone.title if milestone else None,
            "notices": terms.notices_required,
        },
    )
    if stage is not None and milestone is not None:
        if stage.releases_retention and gross != stage.amount:
            from ...retention.services import retention_release_fix

            retention_release_fix(milestone=milestone, actor=actor)
        payment_invoice_by_cycle(
            milestone=milestone,
            cycle_number=number,
            invoiced_on=applied_on,
            amount=gross,
            actor=actor,
        )
    return cycle
