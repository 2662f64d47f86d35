"""Reads for delay damages: the contractual date, what has accrued, and what is left to deduct.

The contractual date of a milestone is its baseline due date moved only by approved change
requests (extensions of time); a reschedule that moves ``due_date`` moves nothing here.
Damages accrue for each day (or each week or part of a week) from the day after the
contractual date until the milestone is met, or until today while it is not, capped by the
terms' amount or percentage of the contract value (the lower, when both are set). What pay
less notices in time have already deducted is taken off, so the same damages are never taken
twice; when an extension approved later lowers the accrual below what was deducted, the excess
is shown as over-deducted (owed back to the payer).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django.db.models import Q, QuerySet, Sum

from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.core.money import format_money, quantize
from milepost.schedule.choices import ChangeStatus, MilestoneKind, MilestoneStatus
from milepost.schedule.models import ChangeRequest, Milestone

from ..choices import DamagesUnit, DeductionKind
from ..models import DamagesTerms, Deduction

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# A waived or cancelled milestone owes no damages: the contract let it go.
_LET_GO = (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED)


@dataclass(frozen=True)
class Extension:
    """One approved change request that moved the contractual date (an extension of time)."""

    change_id: int
    decided_on: dt.date | None
    old_date: dt.date
    new_date: dt.date
    reason: str

    @property
    def days(self) -> int:
        return (self.new_date - self.old_date).days


@dataclass(frozen=True)
class Accrual:
    """What one milestone's delay damages come to on ``today``."""

    terms: DamagesTerms
    today: dt.date
    contractual_date: dt.date
    # The last day counted: the day met, or today while the milestone is not met.
    counted_to: dt.date
    days_late: int
    # The periods charged: days, or weeks and part weeks, at the terms' rate.
    periods: int
    uncapped: Decimal
    cap: Decimal | None
    accrued: Decimal
    capped: bool
    deducted: Decimal
    available: Decimal
    still_late: bool
    extensions: list[Extension] = field(default_factory=list)
    # Taken by pay less notices beyond what is owed now: an extension of time approved after
    # a notice lowered the accrual, so the payee holds this much too many damages.
    over_deducted: Decimal = ZERO

    @property
    def currency(self) -> str:
        return self.terms.milestone.contract.currency

    @property
    def rate_words(self) -> str:
        """The rate as the contract says it: "£2,500.00 a week or part of a week"."""
        per = "a week or part of a week" if self.terms.unit == DamagesUnit.WEEK else "a day"
        return f"{format_money(self.terms.rate, self.currency)} {per}"

    @property
    def cap_words(self) -> str:
        """The cap in words: "£50,000.00", "10% of the contract value (£100,000.00)"."""
        terms, money = self.terms, self.currency
        parts = []
        if terms.cap_amount is not None:
            parts.append(format_money(terms.cap_amount, money))
        if terms.cap_percent is not None and self.cap is not None:
            share = format_decimal(terms.cap_percent, format="#,##0.##", locale="en_GB")
            contract = terms.milestone.contract
            value = quantize(contract.value * terms.cap_percent / HUNDRED, money)
            parts.append(f"{share}% of the contract value ({format_money(value, money)})")
        if not parts:
            return "No cap"
        return " or ".join(parts) + (", whichever is lower" if len(parts) > 1 else "")

    @property
    def words(self) -> str:
        """How the accrued figure is worked out, as a sentence."""
        money = self.currency
        if self.terms.milestone.status in _LET_GO:
            return f"None: the milestone was {self.terms.milestone.get_status_display().lower()}."
        if self.days_late == 0:
            if self.terms.milestone.met_on is not None:
                return f"None: met on {_day(self.counted_to)}, in time."
            return f"None so far: due by {_day(self.contractual_date)}."
        late = _count(self.days_late, "day")
        span = (
            f"met on {_day(self.counted_to)}"
            if self.terms.milestone.met_on is not None
            else f"still not met on {_day(self.today)}"
        )
        unit = "week" if self.terms.unit == DamagesUnit.WEEK else "day"
        sum_ = (
            f"{_count(self.periods, unit)} at {format_money(self.terms.rate, money)} "
            f"= {format_money(self.uncapped, money)}"
        )
        capped = f", capped at {format_money(self.accrued, money)}" if self.capped else ""
        return f"{late} late: due by {_day(self.contractual_date)}, {span}. {sum_}{capped}."


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _approved_extensions(milestone: Milestone) -> list[Extension]:
    changes = ChangeRequest.objects.filter(
        milestone=milestone, status=ChangeStatus.APPROVED, new_due_date__isnull=False
    ).order_by("decided_at", "id")
    return [_extension(change) for change in changes]


def _extension(change: ChangeRequest) -> Extension:
    assert change.new_due_date is not None
    return Extension(
        change_id=change.pk,
        decided_on=change.decided_at.date() if change.decided_at else None,
        old_date=change.old_due_date,
        new_date=change.new_due_date,
        reason=change.reason,
    )


def _contractual(milestone: Milestone, extensions: list[Extension]) -> dt.date:
    # The latest approved date stands: each extension moved the date the one before it set.
    return extensions[-1].new_date if extensions else milestone.baseline_due_date


def contractual_date(milestone: Milestone) -> dt.date:
    """Return the date the contract holds the milestone to: baseline plus extensions of time."""
    return _contractual(milestone, _approved_extensions(milestone))


def _cap(terms: DamagesTerms, contract: Contract) -> Decimal | None:
    caps = []
    if terms.cap_amount is not None:
        caps.append(terms.cap_amount)
    if terms.cap_percent is not None:
        caps.append(quantize(contract.value * terms.cap_percent / HUNDRED, contract.currency))
    return min(caps) if caps else None


def _periods(days: int, unit: str) -> int:
    if days <= 0:
        return 0
    if unit == DamagesUnit.WEEK:
        # Each week or part of a week, as contracts commonly say ("£5,000 per week or part").
        return -(-days // 7)
    return days


def _accrual(
    terms: DamagesTerms, today: dt.date, extensions: list[Extension], deducted: Decimal
) -> Accrual:
    milestone = terms.milestone
    contract = milestone.contract
    due = _contractual(milestone, extensions)
    let_go = milestone.status in _LET_GO
    counted_to = milestone.met_on if milestone.met_on is not None else today
    days = 0 if let_go else max((counted_to - due).days, 0)
    periods = _periods(days, terms.unit)
    uncapped = quantize(terms.rate * periods, contract.currency)
    cap = _cap(terms, contract)
    accrued = min(uncapped, cap) if cap is not None else uncapped
    deducted = quantize(deducted, contract.currency)
    return Accrual(
        terms=terms,
        today=today,
        contractual_date=due,
        counted_to=counted_to,
        days_late=days,
        periods=periods,
        uncapped=uncapped,
        cap=cap,
        accrued=accrued,
        capped=cap is not None and uncapped > cap,
        deducted=deducted,
        available=max(accrued - deducted, ZERO),
        still_late=milestone.met_on is None and not let_go and days > 0,
        extensions=extensions,
        over_deducted=max(deducted - accrued, ZERO),
    )


def _effective_deductions(milestone_ids: list[int]) -> QuerySet[Deduction]:
    # A pay less notice given late takes nothing off, so its deductions are not taken.
    return Deduction.objects.filter(
        kind=DeductionKind.DELAY_DAMAGES, milestone_id__in=milestone_ids
    ).filter(Q(cycle__pay_less_late=False))


def damages_deducted(*, milestone: Milestone) -> Decimal:
    """Return what pay less notices in time have taken for this milestone's damages."""
    total = _effective_deductions([milestone.pk]).aggregate(total=Sum("amount"))["total"]
    return Decimal(str(total)) if total is not None else ZERO


def damages_terms_for(*, milestone: Milestone) -> DamagesTerms | None:
    """Return the milestone's delay damages terms with their parties, or ``None``."""
    return (
        DamagesTerms.objects.select_related(
            "milestone__contract", "payer__organisation", "payee__organisation"
        )
        .filter(milestone=milestone)
        .first()
    )


def damages_accrual(*, terms: DamagesTerms, today: dt.date) -> Accrual:
    """Return what the terms' milestone owes in delay damages on ``today``."""
    return _accrual(
        terms,
        today,
        _approved_extensions(terms.milestone),
        damages_deducted(milestone=terms.milestone),
    )


def damages_available(*, milestone: Milestone, today: dt.date) -> Decimal:
    """Return the delay damages a pay less notice may still deduct for this milestone (0 if none)."""
    terms = damages_terms_for(milestone=milestone)
    if terms is None:
        return ZERO
    return damages_accrual(terms=terms, today=today).available


def damages_for_contract(*, contract: Contract, today: dt.date) -> list[Accrual]:
    """Return the accrual of every milestone of the contract that carries delay damages.

    Three queries whatever the number of milestones: the terms, their extensions, their
    deductions.
    """
    terms_list = list(
        DamagesTerms.objects.filter(milestone__contract=contract)
        .select_related("milestone__contract", "payer__organisation", "payee__organisation")
        .order_by("milestone__baseline_due_date", "milestone_id")
    )
    ids = [t.milestone_id for t in terms_list]
    extensions: dict[int, list[Extension]] = {pk: [] for pk in ids}
    for change in ChangeRequest.objects.filter(
        milestone_id__in=ids, status=ChangeStatus.APPROVED, new_due_date__isnull=False
    ).order_by("decided_at", "id"):
        extensions[change.milestone_id].append(_extension(change))
    deducted = {
        row["milestone_id"]: Decimal(str(row["total"]))
        for row in _effective_deductions(ids)
        .values("milestone_id")
        .order_by()
        .annotate(total=Sum("amount"))
    }
    return [
        _accrual(t, today, extensions[t.milestone_id], deducted.get(t.milestone_id, ZERO))
        for t in terms_list
    ]


@dataclass(frozen=True)
class ContractDamages:
    """The delay damages of a contract in total, by the figures each milestone adds up to."""

    currency: str
    accrued: Decimal
    deducted: Decimal
    available: Decimal
    over_deducted: Decimal = ZERO


def damages_totals(accruals: list[Accrual], currency: str) -> ContractDamages:
    """Add up a contract's accruals."""
    return ContractDamages(
        currency=currency,
        accrued=sum((a.accrued for a in accruals), ZERO),
        deducted=sum((a.deducted for a in accruals), ZERO),
        available=sum((a.available for a in accruals), ZERO),
        over_deducted=sum((a.over_deducted for a in accruals), ZERO),
    )


def damages_panel(*, milestone: Milestone, access: Any, today: dt.date) -> dict[str, Any]:
    """Return what the milestone page shows of its delay damages (1 query, 3 when it has some,
    none on a payment milestone, where the panel is not shown).

    ``damages_may_set`` is a hint from the access already read (the damages page itself
    gives the exact reason when it refuses): a manager of a party, on a milestone that can
    carry damages, while the contract is open and either a draft or the manager administers it.
    """
    if milestone.kind == MilestoneKind.PAYMENT:
        # A payment never carries damages (the terms service refuses them): no panel, no query.
        return {"damages": None, "damages_may_set": False, "damages_shown": False}
    terms = damages_terms_for(milestone=milestone)
    contract = milestone.contract
    may_set = (
        access.can_manage
        and milestone.kind != MilestoneKind.PAYMENT
        and not contract.is_closed
        and (contract.status == ContractStatus.DRAFT or access.can_administer)
    )
    return {
        "damages": damages_accrual(terms=terms, today=today) if terms else None,
        "damages_may_set": may_set,
        "damages_shown": True,
    }
