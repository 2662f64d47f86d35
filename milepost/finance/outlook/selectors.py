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
    Case,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.money import quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import OPEN_STATUSES, MilestoneKind, MilestoneStatus

from ..models import PaymentCycle, Receipt

ZERO = Decimal(0)
MONEY: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=18, decimal_places=2)
# A trigger met (or partly met, or waived) has earned its whole value, whatever its progress says.
EARNED_STATUSES = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET, MilestoneStatus.WAIVED)

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


def _as_date(value: Any) -> dt.date:
    # A date on every backend; SQLite's MAX() of dates may come back as text.
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def _net() -> ExpressionWrapper:
    """A payment's amount less the retention it holds back (the release pays that later)."""
    return ExpressionWrapper(
        F("amount") - F("amount") * F("retention_percent") / Value(Decimal(100)),
        output_field=MONEY,
    )


def _visible_terms(contracts: QuerySet[Any]) -> QuerySet[PaymentTerms]:
    # Terms are only ever on payments; saying so lets the kind's due-date index serve.
    return PaymentTerms.objects.filter(
        milestone__contract__in=contracts, milestone__kind=MilestoneKind.PAYMENT
    )


def _without_cycle() -> Q:
    """Payments paid directly, not through a payment cycle (whose receipts count instead)."""
    return ~Q(Exists(PaymentCycle.objects.filter(milestone_id=OuterRef("milestone_id"))))


def _forecast_day(field: str, today: dt.date) -> Greatest:
    """When an unpaid payment is expected: its own forecast date, else its due date; never
    before its open trigger's forecast date, nor before today."""
    own = Coalesce(F(f"milestone__{field}"), F("milestone__due_date"))
    trigger = Coalesce(F(f"trigger__{field}"), own)
    return Greatest(own, trigger, Value(today, output_field=DateField()), output_field=DateField())


def _series(
    contracts: QuerySet[Any], today: dt.date
) -> dict[str, dict[int, dict[dt.date, Decimal]]]:
    """Sum each series by currency and day, in one query: {currency: {series: {day: total}}}."""
    terms = _visible_terms(contracts)
    columns = ("currency", "day", "series")

    def shaped(qs: QuerySet[Any], day: Any, series: int, total: Any) -> QuerySet[Any]:
        return (
            qs.annotate(
                currency=F(
                    "milestone__contract__currency"
                    if qs.model is PaymentTerms
                    else "cycle__contract__currency"
                ),
                day=day,
                series=Value(series, output_field=IntegerField()),
            )
            .values_list(*columns)
            .annotate(total=Sum(total, output_field=MONEY))
            .order_by()
        )

    planned = shaped(
        terms.exclude(milestone__status__in=RELEASED), F("milestone__due_date"), PLANNED, _net()
    )
    received = shaped(
        Receipt.objects.filter(cycle__contract__in=contracts), F("paid_on"), ACTUAL, "amount"
    )
    paid = shaped(
        terms.filter(_without_cycle(), paid_amount__gt=0, paid_on__isnull=False),
        F("paid_on"),
        ACTUAL,
        "paid_amount",
    )
    # What is still to come of each open payment, never below nothing.
    unpaid = terms.filter(milestone__status__in=OPEN_STATUSES)
    remaining = Greatest(
        ExpressionWrapper(_net() - F("paid_amount"), output_field=MONEY),
        Value(ZERO, output_field=MONEY),
        output_field=MONEY,
    )
    p50 = shaped(unpaid, _forecast_day("forecast_p50", today), P50, remaining)
    p80 = shaped(unpaid, _forecast_day("forecast_p80", today), P80, remaining)
    sums: dict[str, dict[int, dict[dt.date, Decimal]]] = {}
    for currency, day, series, total in planned.union(received, paid, p50, p80, all=True):
        cell = sums.setdefault(currency, {}).setdefault(series, {})
        key = _as_date(day)
        cell[key] = cell.get(key, ZERO) + Decimal(str(total or 0))
    return sums


def _by_month(days: dict[dt.date, Decimal]) -> dict[dt.date, Decimal]:
    months: dict[dt.date, Decimal] = {}
    for day, total in days.items():
        months[_month(day)] = months.get(_month(day), ZERO) + total
    return months


def _curve(currency: str, series: dict[int, dict[dt.date, Decimal]], today: dt.date) -> Curve:
    monthly = {key: _by_month(series.get(key, {})) for key in (PLANNED, ACTUAL, P50, P80)}
    # The actual so far: money received up to the end of the current month.
    this = _month(today)
    known = [m for months in monthly.values() for m in months]
    first, last = min(known), max([*known, this])
    first = min(first, this)
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


def cash_flow_curves(
    *, user: User, today: dt.date, contract: Contract | None = None
) -> list[Curve]:
    """Return the cumulative S-curves by month, one per currency: planned, actual, P50, P80.

    Planned is each payment's amount less its retention on its due date (releases of
    retention included; waived and cancelled payments left out). Actual is money received:
    a payment cycle's receipts on the day paid, and a payment paid directly (no cycle) on its
    paid date. Each forecast is the actual plus what every open payment still owes, on its
    forecast date (see ``_forecast_day``). ``contract`` keeps to one contract the user sees.
    Five aggregates in one query, whatever the number of milestones.
    """
    contracts = contracts_for_user(user=user)
    if contract is not None:
        contracts = contracts.filter(pk=contract.pk)
    sums = _series(contracts.order_by().values("pk"), today)
    return [_curve(currency, sums[currency], today) for currency in sorted(sums)]


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


def _earned(contracts: QuerySet[Any], today: dt.date) -> dict[str, EarnedValue]:
    """Earned value per currency of ``contracts`` (a query of contract ids): three queries."""
    # Releases of retention pay back what the stages' amounts already hold, so they add no
    # value; a cancelled trigger (or payment) leaves the plan.
    valued = (
        _visible_terms(contracts)
        .filter(releases_retention=False)
        .exclude(milestone__status__in=RELEASED)
        .exclude(trigger__status=MilestoneStatus.CANCELLED)
    )
    progress = Case(
        When(trigger__status__in=EARNED_STATUSES, then=Value(100)),
        default=F("trigger__progress"),
        output_field=IntegerField(),
    )
    values = (
        valued.values_list("milestone__contract__currency")
        .annotate(
            budget=Sum("amount"),
            planned=Sum("amount", filter=Q(trigger__baseline_due_date__lte=today)),
            earned=Sum(
                ExpressionWrapper(F("amount") * progress / Value(Decimal(100)), output_field=MONEY)
            ),
        )
        .order_by()
    )
    received = (
        Receipt.objects.filter(cycle__contract__in=contracts, paid_on__lte=today)
        .values_list("cycle__contract__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid = (
        _visible_terms(contracts)
        .filter(_without_cycle(), paid_amount__gt=0, paid_on__lte=today)
        .values_list("milestone__contract__currency")
        .annotate(total=Sum("paid_amount"))
        .order_by()
    )
    cost: dict[str, Decimal] = {}
    for currency, total in [*received, *paid]:
        cost[currency] = cost.get(currency, ZERO) + Decimal(str(total or 0))
    rows = {currency: (budget, planned, earned) for currency, budget, planned, earned in values}
    result = {}
    for currency in sorted(set(rows) | set(cost)):
        budget, planned, earned = rows.get(currency, (0, 0, 0))
        result[currency] = EarnedValue(
            currency=currency,
            today=today,
            budget=quantize(Decimal(str(budget or 0)), currency),
            planned_value=quantize(Decimal(str(planned or 0)), currency),
            earned_value=quantize(Decimal(str(earned or 0)), currency),
            actual_cost=quantize(cost.get(currency, ZERO), currency),
        )
    return result


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
    contracts = contracts_for_user(user=user).order_by().values("pk")
    return list(_earned(contracts, today).values())
