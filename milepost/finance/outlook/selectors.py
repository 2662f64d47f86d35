"""Cash flow and earned value: where a contract's (or a portfolio's) money stands and is heading.

Every figure is a database aggregate grouped by currency and day; Python only adds the days up
into months (SQLite truncates dates with a Python function per row, which is slower than the
grouping) and rounds each total to the currency's minor unit (SQLite sums decimals as floats).
Different currencies never add up: each gets its own curve and its own earned value.
See docs/cash-flow.md for the rules in words.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Substr

from milepost.accounts.models import User
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.money import quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import OPEN_STATUSES, MilestoneStatus

from ..choices import CycleBasis
from ..cycles.selectors import cycles_with_paid, payable_sql
from ..models import PaymentCycle, Receipt

ZERO = Decimal(0)
MONEY: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=18, decimal_places=2)
# A trigger met, or waived (the payment is owed without the work), has earned its whole value,
# whatever its progress says; a partly met trigger has earned its progress.
EARNED_STATUSES = (MilestoneStatus.MET, MilestoneStatus.WAIVED)

PLANNED, ACTUAL, P50, P80 = 0, 1, 2, 3


@dataclass(frozen=True)
class CurvePoint:
    """One month of a currency's S-curves: what has been (or will be) received by its end.

    ``actual`` is None after the current month (nothing is paid in the future); the forecasts
    equal the actual up to the current month and then add what is still to come.
    """

    month: dt.date
    planned: Decimal
    actual: Decimal | None
    p50: Decimal
    p80: Decimal
    planned_in_month: Decimal
    actual_in_month: Decimal | None


@dataclass(frozen=True)
class Curve:
    """The cumulative S-curves of one currency, month by month, from the first to the last."""

    currency: str
    today: dt.date
    points: list[CurvePoint]

    @property
    def planned_total(self) -> Decimal:
        return self.points[-1].planned if self.points else ZERO

    @property
    def actual_total(self) -> Decimal:
        paid = [p.actual for p in self.points if p.actual is not None]
        return paid[-1] if paid else ZERO

    @property
    def forecast_total(self) -> Decimal:
        return self.points[-1].p50 if self.points else ZERO

    @property
    def forecast_p80_total(self) -> Decimal:
        return self.points[-1].p80 if self.points else ZERO

    @property
    def current_index(self) -> int | None:
        """The position of the current month among the points, if it is one of them."""
        this = _month(self.today)
        for index, point in enumerate(self.points):
            if point.month == this:
                return index
        return None


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _net() -> ExpressionWrapper:
    """A payment's amount less the retention it holds back (the release pays that later)."""
    return ExpressionWrapper(
        F("amount") - F("amount") * F("retention_percent") / Value(Decimal(100)),
        output_field=MONEY,
    )


def _visible_terms(contracts: QuerySet[Any]) -> QuerySet[PaymentTerms]:
    # Through the payer (a party of the contract), so that the database reads the visible
    # contracts' parties and then only their payment terms, never every milestone.
    return PaymentTerms.objects.filter(payer__contract__in=contracts)


def _without_cycle() -> Q:
    """Payments paid directly, not through a payment cycle (whose receipts count instead).

    A stage applied for through a cycle carries the cycle's number (``payment_invoice_by_cycle``
    sets it), so this is a column test rather than a subquery per row and per use.
    """
    return Q(cycle_number__isnull=True)


def _month_key(day: Any) -> Substr:
    """The month of a date as text, "2026-12", on every backend (SQLite would truncate a date
    with a Python function per row)."""
    return Substr(Cast(day, output_field=CharField()), 1, 7)


def _from_key(key: str) -> dt.date:
    return dt.date(int(key[:4]), int(key[5:7]), 1)


def _forecast_day(field: str, today: dt.date, not_before: Any = None) -> Greatest:
    """When an unpaid payment is expected: its own forecast date, else its due date; never
    before its open trigger's forecast date, nor before today (nor before ``not_before``: the
    P80 day is never before the P50 day)."""
    own = Coalesce(F(f"milestone__{field}"), F("milestone__due_date"))
    trigger = Coalesce(F(f"trigger__{field}"), own)
    days = [own, trigger, Value(today, output_field=DateField())]
    if not_before is not None:
        days.append(not_before)
    return Greatest(*days, output_field=DateField())


Series = dict[str, dict[int, dict[dt.date, Decimal]]]


@dataclass
class _Sums:
    """Earned-value sums of one currency, as the database gives them."""

    budget: Decimal = ZERO
    planned: Decimal = ZERO
    earned: Decimal = ZERO
    cost: Decimal = ZERO


def _grouped(
    contracts: QuerySet[Any], today: dt.date, *, owed: bool = True
) -> tuple[Series, dict[str, _Sums]]:
    """Sum every figure of the curves and of earned value, in three grouped queries.

    One pass over the payment terms, grouped by currency and by the months its sums fall in
    (due, P50, P80, paid) and whether its trigger's baseline has come; one over the receipts,
    grouped by currency and month; and (unless ``owed`` is false: earned value alone does not
    need it) one over the payment cycles, what each still owes grouped by currency and the
    month it is expected. Python only adds the groups up: {currency: {series: {month:
    total}}} for the curves, and the earned-value sums per currency.
    """
    is_open = Q(milestone__status__in=OPEN_STATUSES)
    # What is still to come on a payment milestone: only while it is open and has no payment
    # cycle (a cycle's outstanding sum counts instead, on its final date), on a contract not
    # terminated, and not paid by interim valuations (the valuations bring that money; only
    # its releases of retention are forecast on their own).
    to_come = (
        is_open
        & _without_cycle()
        & ~Q(milestone__contract__status=ContractStatus.TERMINATED)
        & (
            Q(releases_retention=True)
            | ~Q(milestone__contract__money_terms__basis=CycleBasis.INTERIM)
        )
    )
    valued = (
        Q(releases_retention=False)
        & ~Q(milestone__status__in=RELEASED)
        & ~Q(trigger__status=MilestoneStatus.CANCELLED)
    )
    paid = Q(paid_amount__gt=0, paid_on__isnull=False)
    remaining = Greatest(
        ExpressionWrapper(_net() - F("paid_amount"), output_field=MONEY),
        Value(ZERO, output_field=MONEY),
        output_field=MONEY,
    )
    progress = Case(
        When(trigger__status__in=EARNED_STATUSES, then=Value(100)),
        default=F("trigger__progress"),
        output_field=IntegerField(),
    )

    def when_open(field: str, not_before: Any = None) -> Case:
        day = _forecast_day(field, today, not_before)
        return Case(When(to_come, then=_month_key(day)), default=None)

    terms = (
        _visible_terms(contracts)
        .annotate(
            currency=F("milestone__contract__currency"),
            due_m=_month_key(F("milestone__due_date")),
            p50_m=when_open("forecast_p50"),
            p80_m=when_open("forecast_p80", _forecast_day("forecast_p50", today)),
            # Only money paid directly, not through a cycle (whose receipts count instead).
            paid_m=Case(When(paid & _without_cycle(), then=_month_key(F("paid_on")))),
            baseline_come=Case(
                When(trigger__baseline_due_date__lte=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values_list("currency", "due_m", "p50_m", "p80_m", "paid_m", "baseline_come")
        .annotate(
            planned=Sum(_net(), filter=~Q(milestone__status__in=RELEASED)),
            remaining=Sum(remaining, filter=to_come),
            paid=Sum("paid_amount", filter=paid),
            paid_by_today=Sum("paid_amount", filter=paid & Q(paid_on__lte=today)),
            budget=Sum("amount", filter=valued),
            earned=Sum(
                ExpressionWrapper(F("amount") * progress / Value(Decimal(100)), output_field=MONEY),
                filter=valued,
            ),
        )
        .order_by()
    )
    receipts = (
        Receipt.objects.filter(cycle__contract__in=contracts)
        .annotate(currency=F("cycle__contract__currency"), paid_m=_month_key(F("paid_on")))
        .values_list("currency", "paid_m")
        .annotate(total=Sum("amount"), by_today=Sum("amount", filter=Q(paid_on__lte=today)))
        .order_by()
    )
    # Money agreed in a payment cycle and not yet received: expected on its final date (or
    # today, once that has passed), in both forecasts.
    owed_sums = (
        cycles_with_paid(PaymentCycle.objects.filter(contract__in=contracts))
        .annotate(
            currency=F("contract__currency"),
            owed_m=_month_key(Greatest(F("final_date"), Value(today, output_field=DateField()))),
            left=Greatest(
                ExpressionWrapper(payable_sql() - F("paid"), output_field=MONEY),
                Value(ZERO, output_field=MONEY),
                output_field=MONEY,
            ),
        )
        .values_list("currency", "owed_m")
        .annotate(total=Sum("left"))
        .order_by()
    )
    series: Series = {}
    sums: dict[str, _Sums] = {}

    def add(currency: str, kind: int, key: str | None, total: Any) -> None:
        if key is None or not total:
            return
        cell = series.setdefault(currency, {}).setdefault(kind, {})
        month = _from_key(key)
        cell[month] = cell.get(month, ZERO) + Decimal(str(total))

    def num(value: Any) -> Decimal:
        return Decimal(str(value)) if value else ZERO

    for row in terms:
        currency, due_m, p50_m, p80_m, paid_m, come, planned, left, paid_sum, by_today = row[:10]
        budget, earned = row[10:]
        series.setdefault(currency, {})
        add(currency, PLANNED, due_m, planned)
        add(currency, P50, p50_m, left)
        add(currency, P80, p80_m, left)
        add(currency, ACTUAL, paid_m, paid_sum)
        cell = sums.setdefault(currency, _Sums())
        cell.budget += num(budget)
        cell.earned += num(earned)
        if come:
            cell.planned += num(budget)
        if paid_m is not None:
            cell.cost += num(by_today)
    for currency, paid_m, total, by_today in receipts:
        add(currency, ACTUAL, paid_m, total)
        sums.setdefault(currency, _Sums()).cost += num(by_today)
    for currency, owed_m, total in owed_sums if owed else ():
        add(currency, P50, owed_m, total)
        add(currency, P80, owed_m, total)
    return series, sums


def _curve(currency: str, series: dict[int, dict[dt.date, Decimal]], today: dt.date) -> Curve:
    monthly = {key: series.get(key, {}) for key in (PLANNED, ACTUAL, P50, P80)}
    # The actual so far: money received up to the end of the current month.
    this = _month(today)
    known = [this, *(m for months in monthly.values() for m in months)]
    first, last = min(known), max(known)
    points: list[CurvePoint] = []
    totals = dict.fromkeys((PLANNED, ACTUAL, P50, P80), ZERO)
    month = first
    while month <= last:
        for key in totals:
            totals[key] += monthly[key].get(month, ZERO)
        actual = quantize(totals[ACTUAL], currency)
        past = month <= this
        points.append(
            CurvePoint(
                month=month,
                planned=quantize(totals[PLANNED], currency),
                actual=actual if past else None,
                p50=quantize(totals[ACTUAL] + totals[P50], currency),
                p80=quantize(totals[ACTUAL] + totals[P80], currency),
                planned_in_month=quantize(monthly[PLANNED].get(month, ZERO), currency),
                actual_in_month=(
                    quantize(monthly[ACTUAL].get(month, ZERO), currency) if past else None
                ),
            )
        )
        month = _next_month(month)
    return Curve(currency=currency, today=today, points=points)


def _contracts(user: User, contract: Contract | None) -> QuerySet[Contract]:
    """The contracts read: ``contract`` if the user sees it, else every contract the user sees
    that is not a draft (a draft's payments are not agreed yet)."""
    contracts = contracts_for_user(user=user)
    if contract is not None:
        return contracts.filter(pk=contract.pk)
    return contracts.exclude(status=ContractStatus.DRAFT)


def cash_flow_curves(
    *, user: User, today: dt.date, contract: Contract | None = None
) -> list[Curve]:
    """Return the cumulative S-curves by month, one per currency: planned, actual, P50, P80.

    Planned is each payment's amount less its retention on its due date (releases of
    retention included; waived and cancelled payments left out). Actual is money received:
    a payment cycle's receipts on the day paid, and a payment paid directly (no cycle) on its
    paid date. Each forecast is the actual plus what every open payment still owes, on its
    forecast date (see ``_forecast_day``). ``contract`` keeps to one contract the user sees.
    Three grouped queries, whatever the number of milestones.
    """
    contracts = _contracts(user, contract)
    series, _ = _grouped(contracts.order_by().values("pk"), today)
    return [_curve(currency, series[currency], today) for currency in sorted(series)]


@dataclass(frozen=True)
class EarnedValue:
    """Earned value in one currency, as of ``today``: what the schedule was worth, and earned.

    ``budget`` (budget at completion) is the value of every milestone that triggers a payment;
    ``planned_value`` that of those whose baseline date is past; ``earned_value`` each value
    times its progress; ``actual_cost`` what has been paid. The indices are None when their
    denominator is nothing.
    """

    currency: str
    today: dt.date
    budget: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal

    @property
    def schedule_variance(self) -> Decimal:
        return self.earned_value - self.planned_value

    @property
    def cost_variance(self) -> Decimal:
        return self.earned_value - self.actual_cost

    @property
    def spi(self) -> Decimal | None:
        return _ratio(self.earned_value, self.planned_value)

    @property
    def cpi(self) -> Decimal | None:
        return _ratio(self.earned_value, self.actual_cost)

    @property
    def percent_complete(self) -> Decimal | None:
        ratio = _ratio(self.earned_value * 100, self.budget)
        return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if ratio is not None else None


def _ratio(top: Decimal, bottom: Decimal) -> Decimal | None:
    if not bottom:
        return None
    return (top / bottom).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _values(sums: dict[str, _Sums], today: dt.date) -> dict[str, EarnedValue]:
    return {
        currency: EarnedValue(
            currency=currency,
            today=today,
            budget=quantize(cell.budget, currency),
            planned_value=quantize(cell.planned, currency),
            earned_value=quantize(cell.earned, currency),
            actual_cost=quantize(cell.cost, currency),
        )
        for currency, cell in sorted(sums.items())
    }


def _earned(contracts: QuerySet[Any], today: dt.date) -> dict[str, EarnedValue]:
    """Earned value per currency of ``contracts`` (a query of contract ids)."""
    return _values(_grouped(contracts, today, owed=False)[1], today)


def earned_value(*, contract: Contract, today: dt.date) -> EarnedValue:
    """Return the contract's earned value as of ``today`` (its local date), in its currency."""
    found = _earned(Contract.objects.filter(pk=contract.pk).values("pk"), today)
    return found.get(contract.currency) or EarnedValue(
        currency=contract.currency,
        today=today,
        budget=ZERO,
        planned_value=ZERO,
        earned_value=ZERO,
        actual_cost=ZERO,
    )


def portfolio_earned_value(*, user: User, today: dt.date) -> list[EarnedValue]:
    """Return the earned value of every contract the user sees, one figure per currency."""
    contracts = _contracts(user, None).order_by().values("pk")
    return list(_earned(contracts, today).values())


@dataclass(frozen=True)
class Outlook:
    """The cash-flow curves and earned value, per currency, read together."""

    curves: list[Curve]
    values: list[EarnedValue]


def money_outlook(*, user: User, today: dt.date, contract: Contract | None = None) -> Outlook:
    """Return the curves and earned value of the contracts the user sees (or of ``contract``).

    The same figures as ``cash_flow_curves`` and ``earned_value`` (or
    ``portfolio_earned_value``), from one set of three grouped queries instead of two sets.
    """
    contracts = _contracts(user, contract)
    series, sums = _grouped(contracts.order_by().values("pk"), today)
    values = _values(sums, today)
    if contract is not None and contract.currency not in values:
        values[contract.currency] = _values({contract.currency: _Sums()}, today)[contract.currency]
    return Outlook(
        curves=[_curve(currency, series[currency], today) for currency in sorted(series)],
        values=[values[currency] for currency in sorted(values)],
    )
