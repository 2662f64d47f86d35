"""Writes for a contract's payment terms and its payment cycles: applications, notices, receipts.

Each write has a ``*_refusal`` beside it that says why a person may not do it now (the page
uses it to offer only what may be done, and gives the reason otherwise); the write checks it
again, with the values typed. Who may do what is in docs/payment-cycles.md.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access, contract_calendar
from milepost.core.dates import local_today, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import format_money, parse_money, quantize
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.payments.services import (
    payment_invoice_by_cycle,
    payment_paid_by_cycle,
    payment_settle_by_cycle,
)
from milepost.performance.models import Measurement
from milepost.performance.services import credit_mark_deducted
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone

from ..choices import CycleBasis, DeductionKind, PaymentRegime
from ..events import FinanceEvent
from ..models import Deduction, MoneyTerms, PaymentCycle, Receipt
from ..timetable import REGIME_DEFAULTS, counts_statutory, shift_for, timetable_for

ZERO = Decimal(0)
PERIOD_FIELDS = ("due_days", "final_days", "payment_notice_days", "pay_less_days")
MAX_PERIOD_DAYS = 365
# The Housing Grants Act (s.112) gives at least 7 days' notice of an intention to suspend.
MIN_SUSPENSION_DAYS = 7
# The longest basis of a payment notice or grounds of a pay less notice, in characters.
MAX_TEXT = 2000


# --- who may --------------------------------------------------------------------------------


def _manager_of(access: ContractAccess, party_id: int) -> bool:
    return access.acts_for(party_id, Role.MANAGER)


def _party_refusal(access: ContractAccess, parties: list[Party], doing: str) -> DomainError | None:
    if any(_manager_of(access, p.pk) for p in parties):
        return None
    names = " or ".join(str(p.organisation) for p in parties)
    return Forbidden(f"Only a manager of {names} may {doing}.", code="not_payment_party")


def _open_contract_refusal(contract: Contract) -> DomainError | None:
    if contract.status != ContractStatus.ACTIVE:
        return DomainError(
            "contract_not_active",
            "Payment cycles run while the contract is active (keep it active until the "
            "defects period ends and its retention is released).",
            field="contract",
        )
    return None


def _text(value: str, field: str, required: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{field}_required", required, field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(
            "text_too_long", f"Keep this to {MAX_TEXT:,} characters or fewer.", field=field
        )
    return text


def _stages_paid(contract: Contract) -> bool:
    """Whether the contract has payment milestones of its own (retention releases aside)."""
    return PaymentTerms.objects.filter(
        milestone__contract=contract, releases_retention=False
    ).exists()


def _check_day(
    day: dt.date,
    contract: Contract,
    field: str,
    *,
    not_before: dt.date | None = None,
    what: str = "",
) -> None:
    if day > local_today(contract.time_zone):
        raise DomainError("date_in_future", "That date is in the future.", field=field)
    validate_milestone_date(day, field=field, start=contract.start_date, end=contract.end_date)
    if not_before is not None and day < not_before:
        raise DomainError(
            "date_too_early", f"That date is before {what}, {not_before:%-d %b %Y}.", field=field
        )


def _amount(value: Decimal | str, currency: str, field: str, *, positive: bool = True) -> Decimal:
    amount = quantize(parse_money(value, field=field), currency)
    if positive and amount == 0:
        raise DomainError("invalid_amount", "The amount must be more than zero.", field=field)
    return amount


def _lock(cycle: PaymentCycle) -> PaymentCycle:
    """Lock and reload the cycle: a stale copy could give a notice twice or overpay it."""
    return (
        PaymentCycle.objects.select_for_update(of=("self",))
        .select_related("contract", "payer__organisation", "payee__organisation", "milestone")
        .get(pk=cycle.pk)
    )


def _terms_of(contract: Contract) -> MoneyTerms | None:
    return (
        MoneyTerms.objects.select_related("payer__organisation", "payee__organisation")
        .filter(contract=contract)
        .first()
    )


# --- the money terms ------------------------------------------------------------------------


def money_terms_refusal(*, contract: Contract, user: User) -> DomainError | None:
    """Return why ``user`` may not set this contract's payment terms now, or ``None``.

    While the contract is a draft, a manager of any party but an observer may set them (the
    parties are still agreeing them); once it is active, only the organisation that owns the
    contract may change them, as it changes the contract's other terms. A closed contract's
    terms no longer change.
    """
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        return DomainError(
            "contract_closed",
            "The payment terms of a closed contract no longer change.",
            field="contract",
        )
    access = contract_access(user=user, contract=contract)
    if contract.status == ContractStatus.DRAFT and access.can_manage:
        return None
    if access.can_administer:
        return None
    if contract.status == ContractStatus.DRAFT:
        return Forbidden(
            "Only a manager of a party to this contract may set its payment terms.",
            code="not_terms_manager",
        )
    return Forbidden(
        "Once the contract is active, only a manager of the organisation that owns it may "
        "change its payment terms.",
        code="not_terms_manager",
    )


def _contract_party(contract: Contract, party: Party, field: str) -> Party:
    if party.contract_id != contract.pk:
        raise DomainError(
            "party_not_on_contract", f"The {field} is not a party to this contract.", field=field
        )
    if party.role == PartyRole.OBSERVER:
        raise DomainError("observer_party", f"An observer cannot be the {field}.", field=field)
    return party


def _percent(value: Decimal | str, field: str) -> Decimal:
    pct = parse_money(value, field=field).quantize(Decimal("0.01"))
    if pct > HUNDRED:
        raise DomainError("invalid_percent", "A percentage is from 0 to 100.", field=field)
    return pct


def _whole(value: Any, field: str, low: int, high: int, words: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "invalid_number", f"Give {words} as a whole number.", field=field
        ) from exc
    if str(value).strip() not in (str(number), f"{number}.0") and not isinstance(value, int):
        raise DomainError("invalid_number", f"Give {words} as a whole number.", field=field)
    if not low <= number <= high:
        raise DomainError(
            "invalid_number",
            f"{words[:1].upper()}{words[1:]} is from {low} to {high}.",
            field=field,
        )
    return number


def _periods(regime: str, given: dict[str, Any]) -> dict[str, int]:
    """The four periods: the regime's, or for custom terms the contract's own, checked."""
    defaults = REGIME_DEFAULTS[regime]
    fixed = {name: getattr(defaults, name) for name in PERIOD_FIELDS}
    if regime != PaymentRegime.CUSTOM:
        for name in PERIOD_FIELDS:
            if given.get(name) is not None and int(given[name]) != fixed[name]:
                raise DomainError(
                    "periods_fixed_by_regime",
                    f"{PaymentRegime(regime).label} sets this period to {fixed[name]} days; "
                    "choose the contract's own payment terms to set other periods.",
                    field=name,
                )
        return fixed
    words = {
        "due_days": "the days to the due date",
        "final_days": "the days from the due date to the final date",
        "payment_notice_days": "the days to give a payment notice",
        "pay_less_days": "the days before the final date for a pay less notice",
    }
    periods = {
        name: _whole(
            given[name] if given.get(name) is not None else fixed[name],
            name,
            0,
            MAX_PERIOD_DAYS,
            words[name],
        )
        for name in PERIOD_FIELDS
    }
    if periods["final_days"] == 0:
        raise DomainError(
            "invalid_number",
            "The final date comes at least a day after the due date.",
            field="final_days",
        )
    if periods["payment_notice_days"] + periods["pay_less_days"] > periods["final_days"]:
        raise DomainError(
            "notices_overlap",
            "The payment notice's days and the pay less notice's days together must fit "
            f"within the {periods['final_days']} days from the due date to the final date.",
            field="pay_less_days",
        )
    return periods


@transaction.atomic
def money_terms_set(
    *,
    contract: Contract,
    actor: User,
    regime: str,
    basis: str,
    payer: Party,
    payee: Party,
    due_days: int | None = None,
    final_days: int | None = None,
    payment_notice_days: int | None = None,
    pay_less_days: int | None = None,
    working_days: bool = False,
    period_end_day: int = 0,
    suspension_notice_days: int = 7,
    retention_percent: Decimal | str = ZERO,
    retention_bond: bool = False,
    retention_first_release_percent: Decimal | str = Decimal(50),
    completion: Milestone | None = None,
    defects_months: int = 12,
) -> MoneyTerms:
    """Set (or change) how the contract pays; the regime gives the periods unless custom."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    refusal = money_terms_refusal(contract=contract, user=actor)
    if refusal is not None:
        raise refusal
    if regime not in PaymentRegime.values:
        raise DomainError("invalid_regime", "Choose one of the payment regimes.", field="regime")
    if basis not in CycleBasis.values:
        raise DomainError("invalid_basis", "Choose interim valuations or stages.", field="basis")
    if basis == CycleBasis.INTERIM and _stages_paid(contract):
        raise DomainError(
            "stages_and_interim",
            "This contract has payment milestones, so it is paid by stages: a contract is "
            "paid by interim valuations or by stages, never both.",
            field="basis",
        )
    _contract_party(contract, payer, "payer")
    _contract_party(contract, payee, "payee")
    if payer.pk == payee.pk:
        raise DomainError(
            "payer_is_payee", "The payer and the payee must be different parties.", field="payee"
        )
    periods = _periods(
        regime,
        {
            "due_days": due_days,
            "final_days": final_days,
            "payment_notice_days": payment_notice_days,
            "pay_less_days": pay_less_days,
        },
    )
    values: dict[str, Any] = {
        "regime": regime,
        "basis": basis,
        "payer": payer,
        "payee": payee,
        **periods,
        "working_days": bool(working_days),
        "notices_required": REGIME_DEFAULTS[regime].notices_required,
        "period_end_day": _whole(
            period_end_day, "period_end_day", 0, 28, "the day the period ends"
        ),
        "suspension_notice_days": _whole(
            suspension_notice_days,
            "suspension_notice_days",
            MIN_SUSPENSION_DAYS,
            90,
            "the days' notice of suspension",
        ),
        "retention_percent": _percent(retention_percent, "retention_percent"),
        "retention_bond": bool(retention_bond),
        "retention_first_release_percent": _percent(
            retention_first_release_percent, "retention_first_release_percent"
        ),
        "completion": completion,
        "defects_months": _whole(
            defects_months, "defects_months", 0, 120, "the defects period in months"
        ),
    }
    if completion is not None:
        if completion.contract_id != contract.pk:
            raise DomainError(
                "invalid_completion",
                "Completion must be a milestone of this contract.",
                field="completion",
            )
        if completion.kind == MilestoneKind.PAYMENT:
            raise DomainError(
                "invalid_completion",
                "Completion is the work's milestone, not a payment.",
                field="completion",
            )
    terms = _terms_of(contract)
    if terms is not None and PaymentCycle.objects.filter(contract=contract).exists():
        for name in ("payer", "payee"):
            if getattr(terms, f"{name}_id") != values[name].pk:
                raise DomainError(
                    "terms_in_use",
                    f"Payment cycles have been applied for, so the {name} no longer changes.",
                    field=name,
                )
    snapshot = _terms_snapshot
    if terms is None:
        terms = MoneyTerms(contract=contract, updated_by=actor, **values)
        terms.full_clean(exclude=["contract", "updated_by", "first_release", "second_release"])
        terms.save()
        event_record(
            actor=actor,
            action=FinanceEvent.MONEY_TERMS_SET,
            obj=terms,
            after=snapshot(terms, contract),
        )
    else:
        before = snapshot(terms, contract)
        for name, value in values.items():
            setattr(terms, name, value)
        terms.updated_by = actor
        terms.save(update_fields=[*values, "updated_by", "updated_at"])
        after = snapshot(terms, contract)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            event_record(
                actor=actor,
                action=FinanceEvent.MONEY_TERMS_CHANGED,
                obj=terms,
                before={k: before.get(k) for k in changed},
                after=changed,
            )
    from ..retention.services import retention_releases_sync

    retention_releases_sync(terms=terms, actor=actor)
    return terms


def _terms_snapshot(terms: MoneyTerms, contract: Contract) -> dict[str, Any]:
    return {
        "regime": terms.regime,
        "basis": terms.basis,
        "payer": str(terms.payer.organisation),
        "payee": str(terms.payee.organisation),
        "due_days": terms.due_days,
        "final_days": terms.final_days,
        "payment_notice_days": terms.payment_notice_days,
        "pay_less_days": terms.pay_less_days,
        "working_days": terms.working_days,
        "period_end_day": terms.period_end_day,
        "suspension_notice_days": terms.suspension_notice_days,
        "retention_percent": terms.retention_percent,
        "retention_bond": terms.retention_bond,
        "retention_first_release_percent": terms.retention_first_release_percent,
        "completion": terms.completion.title if terms.completion else None,
        "defects_months": terms.defects_months,
        "currency": contract.currency,
    }


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
            from ..retention.selectors import retention_release_amount

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
            from ..retention.services import retention_release_fix

            retention_release_fix(milestone=milestone, actor=actor)
        payment_invoice_by_cycle(
            milestone=milestone,
            cycle_number=number,
            invoiced_on=applied_on,
            amount=gross,
            actor=actor,
        )
    return cycle


# --- the payer's payment notice ------------------------------------------------------------


def _notices_refusal(cycle: PaymentCycle) -> DomainError | None:
    terms = _terms_of(cycle.contract)
    if terms is not None and not terms.notices_required:
        return DomainError(
            "no_notices",
            "These payment terms have no notices: the invoice is the sum due.",
            field="given_on",
        )
    return None


def _paid_so_far(cycle: PaymentCycle) -> Decimal:
    """The money received on the cycle: the selector's sum when it made one, else a query."""
    paid = getattr(cycle, "paid", None)
    if paid is None:
        return _paid(cycle)
    return quantize(Decimal(str(paid)), cycle.contract.currency)


def _settled_refusal(cycle: PaymentCycle, field: str = "given_on") -> DomainError | None:
    if cycle.payable > 0 and _paid_so_far(cycle) >= cycle.payable:
        return DomainError("settled", "This cycle has been paid in full.", field=field)
    return None


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
        from ..damages.selectors import damages_available
        from ..models import DamagesTerms

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


# --- money received ------------------------------------------------------------------------


def _paid(cycle: PaymentCycle) -> Decimal:
    total = Receipt.objects.filter(cycle=cycle).aggregate(total=Sum("amount"))["total"]
    return quantize(Decimal(total or 0), cycle.contract.currency)


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
