"""Writes for the notices: the payer's payment and pay less notices, the payee's default notice."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.selectors import contract_access, contract_calendar
from milepost.core.dates import local_today
from milepost.core.errors import DomainError
from milepost.core.money import format_money
from milepost.performance.models import Measurement
from milepost.performance.services import credit_mark_deducted
from milepost.schedule.models import Milestone

from ...choices import DeductionKind
from ...events import FinanceEvent
from ...models import Deduction, MoneyTerms, PaymentCycle
from ...timetable import counts_statutory, shift_for
from ._common import (
    ZERO,
    _amount,
    _check_day,
    _lock,
    _notices_refusal,
    _open_contract_refusal,
    _paid,
    _party_refusal,
    _settled_refusal,
    _terms_of,
    _text,
)

# --- the payer's payment notice ------------------------------------------------------------


def cycle_payment_notice_refusal(*, cycle: PaymentCycle, user: User) -> DomainError | None:
    """Return why ``user`` may not give this cycle's payment notice now, or ``None``."""
    # What the cycle has come to is the reason for everyone, whoever is asking.
    if cycle.notice_given_on is not None:
        return DomainError(
            "notice_given", "The payment notice has been given already.", field="given_on"
        )
    if cycle.pay_less_on is not None:
        return DomainError(
            "pay_less_given",
            "A pay less notice is on record, so the sum due has been set by it.",
            field="given_on",
        )
    refusal = _settled_refusal(cycle)
    if refusal is None:
        access = contract_access(user=user, contract=cycle.contract)
        refusal = _party_refusal(access, [cycle.payer], "give the payment notice")
    if refusal is None:
        refusal = _open_contract_refusal(cycle.contract) or _notices_refusal(cycle)
    return refusal


@transaction.atomic
def cycle_payment_notice(
    *,
    cycle: PaymentCycle,
    actor: User,
    given_on: dt.date,
    notified_sum: Decimal | str,
    basis: str,
) -> PaymentCycle:
    """Record the payer's payment notice: the sum it considers due and how it worked it out.

    Given after its deadline it is kept on record, late, and the application stands.
    """
    cycle = _lock(cycle)
    refusal = cycle_payment_notice_refusal(cycle=cycle, user=actor)
    if refusal is not None:
        raise refusal
    contract = cycle.contract
    _check_day(given_on, contract, "given_on", not_before=cycle.applied_on, what="the application")
    amount = _amount(notified_sum, contract.currency, "notified_sum", positive=False)
    if amount > cycle.applied_sum:
        raise DomainError(
            "notified_above_applied",
            "A payment notice considers at most the "
            f"{format_money(cycle.applied_sum, contract.currency)} applied for.",
            field="notified_sum",
        )
    paid = _paid(cycle)
    if amount < paid:
        raise DomainError(
            "notified_below_paid",
            f"{format_money(paid, contract.currency)} has been received already; the notice "
            "considers at least that due.",
            field="notified_sum",
        )
    basis = _text(basis, "basis", "Say how the sum was worked out: the notice must give its basis.")
    cycle.notified_sum, cycle.notice_given_on, cycle.notice_basis = amount, given_on, basis
    cycle.notice_late, cycle.notice_by = given_on > cycle.payment_notice_by, actor
    cycle.save(
        update_fields=[
            "notified_sum",
            "notice_given_on",
            "notice_basis",
            "notice_late",
            "notice_by",
        ]
    )
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_NOTIFIED,
        obj=cycle,
        milestone_id=cycle.milestone_id,
        after={
            "number": cycle.number,
            "notified_sum": amount,
            "given_on": given_on,
            "basis": basis,
            "late": cycle.notice_late,
            "applied_sum": cycle.applied_sum,
            "deadline": cycle.payment_notice_by,
            "currency": contract.currency,
        },
    )
    return cycle


# --- the payee's default notice ------------------------------------------------------------


def cycle_default_notice_refusal(
    *, cycle: PaymentCycle, user: User, today: dt.date | None = None
) -> DomainError | None:
    """Return why ``user`` may not give a default notice on this cycle now, or ``None``."""
    today = today or local_today(cycle.contract.time_zone)
    if cycle.default_notice_on is not None:
        return DomainError(
            "default_given", "The default notice has been given already.", field="given_on"
        )
    if cycle.notice_in_time:
        return DomainError(
            "notice_in_time", "The payer gave its payment notice in time.", field="given_on"
        )
    refusal = _settled_refusal(cycle)
    if refusal is None:
        access = contract_access(user=user, contract=cycle.contract)
        refusal = _party_refusal(access, [cycle.payee], "give a default notice")
    if refusal is None:
        refusal = _open_contract_refusal(cycle.contract) or _notices_refusal(cycle)
    if refusal is not None:
        return refusal
    if not cycle.default_notice_open(today):
        return DomainError(
            "notice_time_open",
            f"The payer may give its payment notice until {cycle.payment_notice_by:%-d %b %Y}; "
            "a default notice can be given after that.",
            field="given_on",
        )
    return None


def _days_between(terms: MoneyTerms, calendar: Any, first: dt.date, last: dt.date) -> int:
    """The days after ``first`` up to ``last`` as the terms count them (statutory, working)."""
    days, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        if counts_statutory(terms):
            days += not calendar.is_statutory_excluded(day)
        elif terms.working_days:
            days += calendar.is_working(day)
        else:
            days += 1
    return days


@transaction.atomic
def cycle_default_notice(*, cycle: PaymentCycle, actor: User, given_on: dt.date) -> PaymentCycle:
    """Record the payee's default notice: the application stands as the sum due.

    As the Act says (s.110B(3)), the final date (and the pay less deadline with it) moves later
    by the days from the payment notice's deadline to the default notice.
    """
    cycle = _lock(cycle)
    refusal = cycle_default_notice_refusal(cycle=cycle, user=actor)
    if refusal is not None:
        raise refusal
    contract = cycle.contract
    _check_day(given_on, contract, "given_on")
    if given_on <= cycle.payment_notice_by:
        raise DomainError(
            "notice_time_open",
            f"A default notice comes after {cycle.payment_notice_by:%-d %b %Y}, the payment "
            "notice's deadline.",
            field="given_on",
        )
    terms = _terms_of(contract)
    assert terms is not None
    before = {"final_date": cycle.final_date, "pay_less_by": cycle.pay_less_by}
    calendar = contract_calendar(contract=contract)
    days = _days_between(terms, calendar, cycle.payment_notice_by, given_on)
    cycle.final_date = shift_for(terms, calendar, cycle.final_date, days)
    cycle.pay_less_by = max(
        shift_for(terms, calendar, cycle.final_date, -terms.pay_less_days), cycle.pay_less_by
    )
    cycle.default_notice_on, cycle.default_notice_by = given_on, actor
    cycle.save(
        update_fields=["default_notice_on", "default_notice_by", "final_date", "pay_less_by"]
    )
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_DEFAULTED,
        obj=cycle,
        milestone_id=cycle.milestone_id,
        before=before,
        after={
            "number": cycle.number,
            "given_on": given_on,
            "applied_sum": cycle.applied_sum,
            "final_date": cycle.final_date,
            "pay_less_by": cycle.pay_less_by,
            "currency": contract.currency,
        },
    )
    return cycle


# --- the payer's pay less notice -----------------------------------------------------------


@dataclass(frozen=True)
class DeductionIn:
    """One item a pay less notice takes off."""

    kind: str
    amount: Decimal | str
    milestone: Milestone | None = None
    measurement: Measurement | None = None
    through: dt.date | None = None
    description: str = ""
    # The form's fields an error names: what is deducted, and its amount (the API's "deductions").
    field: str = "deductions"
    amount_field: str = "deductions"


def cycle_pay_less_refusal(*, cycle: PaymentCycle, user: User) -> DomainError | None:
    """Return why ``user`` may not give a pay less notice on this cycle now, or ``None``."""
    if cycle.pay_less_on is not None:
        return DomainError(
            "pay_less_given", "A pay less notice has been given already.", field="given_on"
        )
    refusal = _settled_refusal(cycle)
    if refusal is None:
        access = contract_access(user=user, contract=cycle.contract)
        refusal = _party_refusal(access, [cycle.payer], "give a pay less notice")
    if refusal is None:
        refusal = _open_contract_refusal(cycle.contract) or _notices_refusal(cycle)
    return refusal


def _deduction(cycle: PaymentCycle, item: DeductionIn, today: dt.date, seen: set[int]) -> Deduction:
    currency = cycle.contract.currency
    field, amount_field = item.field, item.amount_field
    if item.kind not in DeductionKind.values:
        raise DomainError("invalid_kind", "Choose what the deduction is for.", field=field)
    amount = _amount(item.amount, currency, amount_field)
    description = (item.description or "").strip()[:300]
    if item.kind == DeductionKind.DELAY_DAMAGES:
        from ...damages.selectors import damages_available
        from ...models import DamagesTerms

        milestone = item.milestone
        damages = DamagesTerms.objects.filter(milestone=milestone).first() if milestone else None
        if milestone is None or milestone.contract_id != cycle.contract_id or damages is None:
            raise DomainError(
                "no_damages",
                "Choose a milestone of this contract that carries delay damages.",
                field=field,
            )
        if damages.payer_id != cycle.payee_id or damages.payee_id != cycle.payer_id:
            raise DomainError(
                "damages_not_owed",
                f"The delay damages on '{milestone.title}' are not owed by "
                f"{cycle.payee.organisation} to {cycle.payer.organisation}.",
                field=field,
            )
        if milestone.pk in seen:
            raise DomainError(
                "deducted_twice", f"'{milestone.title}' is listed twice.", field=field
            )
        seen.add(milestone.pk)
        available = damages_available(milestone=milestone, today=today)
        if amount > available:
            raise DomainError(
                "exceeds_damages",
                f"Only {format_money(available, currency)} of delay damages on "
                f"'{milestone.title}' has accrued and not been deducted.",
                field=amount_field,
            )
        return Deduction(
            cycle=cycle,
            kind=item.kind,
            amount=amount,
            milestone=milestone,
            through=item.through or today,
            description=description,
        )
    if item.kind == DeductionKind.SERVICE_CREDIT:
        measurement = item.measurement
        credit = getattr(measurement, "service_credit", None) if measurement else None
        if (
            measurement is None
            or credit is None
            or measurement.kpi.milestone.contract_id != cycle.contract_id
        ):
            raise DomainError(
                "no_credit",
                "Choose a missed measurement of this contract that earned a credit.",
                field=field,
            )
        if credit.payer_id != cycle.payee_id or credit.payee_id != cycle.payer_id:
            raise DomainError(
                "credit_not_owed",
                f"This service credit is not owed by {cycle.payee.organisation} to "
                f"{cycle.payer.organisation}.",
                field=field,
            )
        if Deduction.objects.filter(measurement=measurement).exists() or -measurement.pk in seen:
            raise DomainError(
                "credit_deducted",
                "This service credit has been deducted already.",
                field=field,
            )
        seen.add(-measurement.pk)
        if amount != credit.amount:
            raise DomainError(
                "credit_amount",
                f"The credit is {format_money(credit.amount, currency)}; deduct it whole.",
                field=amount_field,
            )
        return Deduction(
            cycle=cycle,
            kind=item.kind,
            amount=amount,
            measurement=measurement,
            description=description,
        )
    if not description:
        raise DomainError(
            "description_required", "Say what the other deduction is for.", field=field
        )
    return Deduction(cycle=cycle, kind=item.kind, amount=amount, description=description)


@transaction.atomic
def cycle_pay_less(
    *,
    cycle: PaymentCycle,
    actor: User,
    given_on: dt.date,
    grounds: str,
    deductions: list[DeductionIn],
) -> PaymentCycle:
    """Record the payer's pay less notice: the sum it will pay, and the grounds, item by item.

    In time, what is payable becomes the notified sum less the deductions. Given after its
    deadline it is kept on record but pays the notified sum, and its items stay available
    to a later notice (no deduction is recorded for them).
    """
    cycle = _lock(cycle)
    refusal = cycle_pay_less_refusal(cycle=cycle, user=actor)
    if refusal is not None:
        raise refusal
    contract = cycle.contract
    _check_day(given_on, contract, "given_on", not_before=cycle.applied_on, what="the application")
    grounds = _text(grounds, "grounds", "Give the grounds for paying less.")
    if not deductions:
        raise DomainError(
            "no_deductions", "List what the notice takes off, item by item.", field="deductions"
        )
    seen: set[int] = set()
    rows = [_deduction(cycle, item, given_on, seen) for item in deductions]
    total = sum((row.amount for row in rows), ZERO)
    base = cycle.payable_before_pay_less
    if total > base:
        raise DomainError(
            "pay_less_below_zero",
            f"The deductions of {format_money(total, contract.currency)} are more than the "
            f"{format_money(base, contract.currency)} notified.",
            field=deductions[-1].amount_field,
        )
    paid = _paid(cycle)
    if base - total < paid:
        raise DomainError(
            "pay_less_below_paid",
            f"{format_money(paid, contract.currency)} has been received already; the notice "
            f"may take off at most {format_money(base - paid, contract.currency)}.",
            field=deductions[-1].amount_field,
        )
    late = given_on > cycle.pay_less_by
    cycle.pay_less_sum, cycle.pay_less_on, cycle.pay_less_grounds = base - total, given_on, grounds
    cycle.pay_less_late, cycle.pay_less_by_user = late, actor
    cycle.save(
        update_fields=[
            "pay_less_sum",
            "pay_less_on",
            "pay_less_grounds",
            "pay_less_late",
            "pay_less_by_user",
        ]
    )
    if not late:
        Deduction.objects.bulk_create(rows)
        # A credit deducted by a notice in time never changes again (performance app).
        for row in rows:
            if row.kind == DeductionKind.SERVICE_CREDIT and row.measurement is not None:
                credit_mark_deducted(credit=row.measurement.service_credit)
    event_record(
        actor=actor,
        action=FinanceEvent.PAYMENT_CYCLE_PAY_LESS,
        obj=cycle,
        milestone_id=cycle.milestone_id,
        after={
            "number": cycle.number,
            "pay_less_sum": cycle.pay_less_sum,
            "given_on": given_on,
            "grounds": grounds,
            "late": late,
            "deducted": total,
            "deadline": cycle.pay_less_by,
            "items": [f"{DeductionKind(r.kind).label}: {r.amount}" for r in rows],
            "currency": contract.currency,
        },
    )
    return cycle
