"""Reads behind the dashboard, always scoped to the user."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Min,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)

from milepost.accounts.models import User
from milepost.approvals.selectors import gates_awaiting_page
from milepost.communications.selectors import ClockBoard, clock_board
from milepost.contracts.models import Contract, ContractTally
from milepost.contracts.selectors import contracts_for_user
from milepost.core.dates import local_today
from milepost.core.money import quantize
from milepost.finance.cycles.selectors import (
    CycleFigures,
    NoticeDue,
    cycle_figures,
    cycles_with_paid,
    notices_due,
    payable_sql,
)
from milepost.finance.models import PaymentCycle
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import (
    OPEN_STATUSES,
    Criticality,
    Health,
    MilestoneKind,
    MilestoneStatus,
)
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_user

from ..models import ContractCashMonth
from .milestones import (
    Dates,
    _add_months,
    _due_before,
    _due_within,
    _gates_awaiting,
    _local_dates,
    _window_q,
)

# The dashboard
#
# DESIGN.md gives the dashboard 100 ms at 100,000 milestones. It reads no pass over every
# milestone: the counts that do not depend on the date come from each contract's tallies, the
# ones that do from the milestones due near today (an index range), and it looks at every
# milestone of only the contracts and payments it shows; each list is bounded and says how many
# there are in all.


@dataclass(frozen=True)
class DashboardCounts:
    """How many of the user's milestones fall in each tile of the dashboard."""

    overdue: int = 0
    due_7: int = 0
    due_30: int = 0
    at_risk: int = 0
    awaiting: int = 0
    mine: int = 0


def _conditions(dates: Dates) -> tuple[Q, Q, Q]:
    """Return (late, flagged, behind): ``with_health``'s rule as plain conditions that, on an
    open milestone, make it overdue (late) or at risk (not late, and flagged or behind).

    Plain conditions on columns, rather than the health CASE, so that a count over many rows
    evaluates little per row.
    """
    late = _due_before(lambda day: day, dates)
    flagged = Q(forecast_date__gt=F("due_date")) | ~Q(risk_note="") | ~Q(signals="")
    window = settings.MILEPOST_AT_RISK_WINDOW_DAYS
    behind = _due_within(lambda day: day, lambda day: day + dt.timedelta(days=window), dates) & Q(
        progress__lt=settings.MILEPOST_AT_RISK_PROGRESS
    )
    return late, flagged, behind


def _tile_counts(*, user: User, dates: Dates) -> dict[str, int]:
    """Count the user's overdue, due-soon, at-risk and own open milestones, in three queries.

    Health is ``schedule.selectors.with_health``'s rule written as conditions (a test holds
    the two together), counted without reading every open milestone:

    - what does not depend on the date comes from each contract's tallies (``ContractTally``,
      kept by the database): the milestones not met, and the open ones flagged at risk by a
      forecast after their due date, a risk note or a signal;
    - what does comes from the open milestones due before the end of the furthest window, a
      range of the due-date index: the overdue ones, the ones due in 7 and 30 days, the ones
      behind in the at-risk window, and the flagged ones already overdue (overdue, not at risk);
    - the user's own open milestones from the owner index.
    """
    visible = contracts_for_user(user=user)
    late, flagged, behind = _conditions(dates)

    def due_by(days: int) -> Q:
        return _due_within(lambda day: day, lambda day: day + dt.timedelta(days=days), dates)

    window = settings.MILEPOST_AT_RISK_WINDOW_DAYS
    horizon = max(day for day, _ in dates) + dt.timedelta(days=max(30, window) + 1)
    near = Milestone.objects.filter(
        contract__in=visible, status__in=OPEN_STATUSES, due_date__lt=horizon
    ).aggregate(
        late=Count("id", filter=late),
        due_7=Count("id", filter=due_by(7)),
        due_30=Count("id", filter=due_by(30)),
        behind=Count("id", filter=behind & ~flagged),
        flagged_late=Count("id", filter=late & flagged),
    )
    tallies = ContractTally.objects.filter(contract__in=visible).aggregate(
        not_met=Sum("not_met_count", default=0), flagged=Sum("flagged_count", default=0)
    )
    mine = Milestone.objects.filter(
        contract__in=visible, owner=user, status__in=OPEN_STATUSES
    ).count()
    return {
        "overdue": near["late"] + tallies["not_met"],
        "due_7": near["due_7"],
        "due_30": near["due_30"],
        "at_risk": tallies["flagged"] - near["flagged_late"] + near["behind"],
        "mine": mine,
    }


def dashboard_counts(*, user: User, now: dt.datetime | None = None) -> DashboardCounts:
    """Count the user's overdue, due-soon, at-risk, own and awaiting-decision milestones."""
    return DashboardCounts(
        **_tile_counts(user=user, dates=_local_dates(now)),
        awaiting=_gates_awaiting(milestones_for_user(user=user, now=now), user).count(),
    )


def _matching() -> Window:
    """How many rows the query matched before its LIMIT, on each row: one query, not two."""
    return Window(Count("id"))


def _open_health(dates: Dates) -> Case:
    """An open milestone's health from ``_conditions``: what ``with_health`` says of it."""
    late, flagged, behind = _conditions(dates)
    return Case(
        When(late, then=Value(Health.OVERDUE)),
        When(flagged | behind, then=Value(Health.AT_RISK)),
        default=Value(Health.ON_TRACK),
        output_field=CharField(),
    )


def own_open_milestones(
    *, user: User, now: dt.datetime | None = None, limit: int = 10, dates: Dates | None = None
) -> list[Milestone]:
    """Return the open milestones the user owns, soonest first, with their health."""
    return list(
        Milestone.objects.filter(
            contract__in=contracts_for_user(user=user), owner=user, status__in=OPEN_STATUSES
        )
        .select_related("contract")
        .annotate(health=_open_health(_local_dates(now) if dates is None else dates))
        .order_by("due_date", "id")[:limit]
    )


@dataclass(frozen=True)
class PaymentLine:
    """One payment due this month, with where it stands.

    ``terms`` is None for a payment milestone whose terms row is missing (a damaged or
    half-restored database): the line says so instead of taking the dashboard down.
    """

    milestone: Milestone
    terms: PaymentTerms | None
    state: str


def _payment_line(milestone: Milestone, now: dt.datetime | None) -> PaymentLine:
    # A missing terms row raises RelatedObjectDoesNotExist, an AttributeError.
    terms: PaymentTerms | None = getattr(milestone, "payment", None)
    if terms is None:
        return PaymentLine(milestone=milestone, terms=None, state="")
    today = local_today(milestone.contract.time_zone, now)
    return PaymentLine(milestone=milestone, terms=terms, state=terms.state(today))


def _payments_due_page(
    *, user: User, now: dt.datetime | None, dates: Dates, limit: int | None
) -> tuple[list[PaymentLine], int]:
    due = Q(kind=MilestoneKind.PAYMENT) & _window_q("this_month", dates)
    # Counted apart from the rows shown, so that only those are joined to their parties.
    matching = (
        Milestone.objects.filter(due, contract__in=contracts_for_user(user=user))
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values("n")
    )
    # Where a payment stands needs its contract's today, not its health: worked out per line.
    qs = (
        Milestone.objects.filter(due, contract__in=contracts_for_user(user=user))
        .select_related(
            "contract",
            "payment__payer__organisation",
            "payment__payee__organisation",
            "payment__trigger",
        )
        .annotate(matching=Subquery(matching))
        .order_by("due_date", "id")
    )
    rows = qs[:limit] if limit is not None else qs
    lines = [_payment_line(milestone, now) for milestone in rows]
    return lines, lines[0].milestone.matching if lines else 0  # type: ignore[attr-defined]


def payments_due_this_month(*, user: User, now: dt.datetime | None = None) -> list[PaymentLine]:
    """Return every payment due in its contract's current local month, in one query."""
    return _payments_due_page(user=user, now=now, dates=_local_dates(now), limit=None)[0]


CHART_HEIGHT, CHART_SLOT, CHART_BAR = 160.0, 40.0, 14.0


@dataclass(frozen=True)
class CashMonth:
    """One month of a currency's cash flow, with bar heights for the chart."""

    month: dt.date
    planned: Decimal
    paid: Decimal
    planned_height: float = 0.0
    paid_height: float = 0.0
    index: int = 0

    # Where the month's bars sit in the SVG chart: two bars side by side in a slot per month.
    @property
    def x_planned(self) -> float:
        return self.index * CHART_SLOT + 6

    @property
    def x_paid(self) -> float:
        return self.index * CHART_SLOT + 6 + CHART_BAR

    @property
    def x_label(self) -> float:
        return self.index * CHART_SLOT + CHART_SLOT / 2

    @property
    def y_planned(self) -> float:
        return CHART_HEIGHT - self.planned_height

    @property
    def y_paid(self) -> float:
        return CHART_HEIGHT - self.paid_height


@dataclass
class CashFlow:
    """Planned against paid payments by month, for one currency."""

    currency: str
    months: list[CashMonth] = field(default_factory=list)

    @property
    def width(self) -> float:
        return len(self.months) * CHART_SLOT

    @property
    def planned_total(self) -> Decimal:
        return sum((m.planned for m in self.months), Decimal(0))

    @property
    def paid_total(self) -> Decimal:
        return sum((m.paid for m in self.months), Decimal(0))


def cash_flow(
    *,
    user: User,
    months_back: int = 6,
    months_ahead: int = 6,
    now: dt.datetime | None = None,
    contract: Contract | None = None,
) -> list[CashFlow]:
    """Sum payments planned (by due month) and paid (by paid month) around the user's month.

    Paid counts a payment milestone's paid amount and the money received on interim
    valuations (``finance.Receipt``), the same money the cash-flow page counts.

    One query over each contract's months (``ContractCashMonth``, which the database keeps as
    payments and receipts change); one series per currency, since different currencies never
    add up.
    ``contract`` keeps to one contract's payments (the payment report's chart).
    """
    today = local_today(user.time_zone, now)
    first = _add_months(today, -months_back)
    after = _add_months(today, months_ahead + 1)
    # One row per contract and month, kept by the database (``reporting.cash_months``), from
    # an index of the months alone.
    rows = ContractCashMonth.objects.filter(
        contract__in=contracts_for_user(user=user), month__gte=first, month__lt=after
    )
    if contract is not None:
        rows = rows.filter(contract=contract)
    sums: dict[str, dict[dt.date, list[Decimal]]] = {}
    for currency, month, planned, paid in (
        rows.values_list("contract__currency", "month")
        .annotate(planned=Sum("planned"), paid=Sum("paid"))
        .order_by()
    ):
        sums.setdefault(currency, {})[month] = [Decimal(planned or 0), Decimal(paid or 0)]
    months = [_add_months(first, i) for i in range(months_back + months_ahead + 1)]
    flows = []
    for currency in sorted(sums):
        cells = {
            month: [quantize(amount, currency) for amount in cell]
            for month, cell in sums[currency].items()
        }
        top = max((max(cell) for cell in cells.values()), default=Decimal(0)) or Decimal(1)
        empty = [Decimal(0), Decimal(0)]
        flows.append(
            CashFlow(
                currency=currency,
                months=[
                    CashMonth(
                        month=month,
                        planned=cells.get(month, empty)[0],
                        paid=cells.get(month, empty)[1],
                        planned_height=float(cells.get(month, empty)[0] / top) * CHART_HEIGHT,
                        paid_height=float(cells.get(month, empty)[1] / top) * CHART_HEIGHT,
                        index=index,
                    )
                    for index, month in enumerate(months)
                ],
            )
        )
    return flows


@dataclass(frozen=True)
class PortfolioRow:
    """One contract on the dashboard: its next critical date, money at risk and health."""

    contract: Contract
    next_critical: dt.date | None
    money_at_risk: Decimal
    health: str
    total: int
    open: int
    overdue: int
    at_risk: int


def _portfolio_page(
    *, user: User, dates: Dates, limit: int | None
) -> tuple[list[PortfolioRow], int]:
    """Return the first ``limit`` visible contracts by next critical open date, and how many
    there are, in two queries.

    The order comes from each contract's first open critical date as its tallies keep it;
    only the contracts shown have all their milestones read, counted by health (the
    conditions of ``_conditions``, which a test holds to ``with_health``).
    """
    ordered = (
        contracts_for_user(user=user)
        # Every visible contract is sorted: only what a row shows, so that the sort is narrow.
        .select_related(None)
        .only("id", "reference", "title", "currency")
        # Each contract's first open critical date, kept in its tallies.
        .annotate(first_critical=F("tally__next_critical_date"), matching=_matching())
        .order_by(F("first_critical").asc(nulls_last=True), "reference")
    )
    contracts = list(ordered[:limit] if limit is not None else ordered)
    if not contracts:
        return [], 0
    open_ = Q(status__in=OPEN_STATUSES)
    late, flagged, behind = _conditions(dates)
    shown = (
        Q(contract_id__in=[contract.pk for contract in contracts])
        if limit is not None
        else Q(contract__in=contracts_for_user(user=user))
    )
    rows = (
        Milestone.objects.filter(shown)
        .values("contract_id")
        .annotate(
            next_critical=Min("due_date", filter=open_ & Q(criticality=Criticality.CRITICAL)),
            money_at_risk=Sum(
                F("payment__amount") - F("payment__paid_amount"),
                filter=open_ & (late | flagged | behind) & Q(kind=MilestoneKind.PAYMENT),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
            total=Count("id"),
            open=Count("id", filter=open_),
            overdue=Count("id", filter=(open_ & late) | Q(status=MilestoneStatus.NOT_MET)),
            at_risk=Count("id", filter=open_ & ~late & (flagged | behind)),
        )
        .order_by()
    )
    by_contract = {row["contract_id"]: row for row in rows}
    result = []
    for contract in contracts:
        row = by_contract.get(contract.pk, {})
        # The worst health among the milestones that are not done.
        health = (
            Health.OVERDUE
            if row.get("overdue")
            else Health.AT_RISK
            if row.get("at_risk")
            else Health.ON_TRACK
            if row.get("open")
            else Health.DONE
            if row.get("total")
            else ""
        )
        result.append(
            PortfolioRow(
                contract=contract,
                next_critical=row.get("next_critical"),
                money_at_risk=quantize(
                    Decimal(str(row.get("money_at_risk") or 0)), contract.currency
                ),
                health=health,
                total=row.get("total", 0),
                open=row.get("open", 0),
                overdue=row.get("overdue", 0),
                at_risk=row.get("at_risk", 0),
            )
        )
    return result, int(getattr(contracts[0], "matching", 0))


def portfolio(*, user: User, now: dt.datetime | None = None) -> list[PortfolioRow]:
    """Return every visible contract by next critical open date, then reference.

    Money at risk is what is still unpaid on open payments whose health is at risk or overdue;
    health is the worst among the milestones that are not done.
    """
    return _portfolio_page(user=user, dates=_local_dates(now), limit=None)[0]


# Money this week: a payment cycle's notices and money due in the next seven days of the user's
# own calendar (today and the six days after it), and the money overdue, from the payment cycles.
WEEK_DAYS = 7


@dataclass(frozen=True)
class MoneyDue:
    """A payment cycle with money outstanding whose final date for payment is this week or past."""

    cycle: PaymentCycle
    figures: CycleFigures
    today: dt.date

    @property
    def outstanding(self) -> Decimal:
        return self.figures.outstanding

    @property
    def overdue(self) -> bool:
        return self.cycle.final_date < self.today


def _money_due_page(*, user: User, today: dt.date, limit: int | None) -> tuple[list[MoneyDue], int]:
    """The cycles with money outstanding due by the end of the week, oldest final date first,
    and how many there are, in one query."""
    qs = (
        cycles_with_paid(
            PaymentCycle.objects.filter(
                contract__in=contracts_for_user(user=user),
                final_date__lte=today + dt.timedelta(days=WEEK_DAYS - 1),
                # A stage's cycle is paid through its payment milestone, listed with the
                # payments due this month: the dashboard shows it once, there.
                milestone__isnull=True,
            )
        )
        .annotate(payable_sum=payable_sql())
        .filter(payable_sum__gt=F("paid"))
        .select_related("contract", "payer__organisation", "payee__organisation", "milestone")
        .annotate(matching=_matching())
        .order_by("final_date", "contract__reference", "number")
    )
    cycles = list(qs[:limit] if limit is not None else qs)
    lines = [MoneyDue(cycle=c, figures=cycle_figures(c, today), today=today) for c in cycles]
    return lines, int(getattr(cycles[0], "matching", 0)) if cycles else 0


def money_due_this_week(
    *, user: User, now: dt.datetime | None = None, limit: int | None = None
) -> tuple[list[MoneyDue], int]:
    """Return the first ``limit`` payment cycles (all when None) with money due by the end of
    the user's week, or overdue, oldest final date first, and how many there are."""
    return _money_due_page(user=user, today=local_today(user.time_zone, now), limit=limit)


def notices_due_this_week(*, user: User, now: dt.datetime | None = None) -> list[NoticeDue]:
    """Return the notices due on the user's payment cycles this week (their money apart),
    earliest deadline first."""
    today = local_today(user.time_zone, now)
    found = notices_due(user=user, first=today, last=today + dt.timedelta(days=WEEK_DAYS - 1))
    return [notice for notice in found if notice.what != "payment"]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows; each list holds its first rows and counts them all."""

    counts: DashboardCounts
    gates: list[Milestone]
    mine: list[Milestone]
    payments: list[PaymentLine]
    payments_total: int
    flows: list[CashFlow]
    portfolio: list[PortfolioRow]
    portfolio_total: int
    money: list[MoneyDue] = field(default_factory=list)
    money_total: int = 0
    notices: list[NoticeDue] = field(default_factory=list)
    notices_total: int = 0
    clock: ClockBoard | None = None


def dashboard(
    *,
    user: User,
    now: dt.datetime | None = None,
    gates: int = 20,
    mine: int = 10,
    payments: int = 10,
    contracts: int = 25,
    money: int = 10,
    notices: int = 10,
) -> Dashboard:
    """Return the user's dashboard: the counts, then the first rows of each list, in 11 queries."""
    dates = _local_dates(now)
    money_rows, money_total = _money_due_page(
        user=user, today=local_today(user.time_zone, now), limit=money
    )
    gate_rows, awaiting = gates_awaiting_page(user=user, now=now, limit=gates)
    payment_rows, payments_total = _payments_due_page(
        user=user, now=now, dates=dates, limit=payments
    )
    contract_rows, portfolio_total = _portfolio_page(user=user, dates=dates, limit=contracts)
    notice_rows = notices_due_this_week(user=user, now=now)
    return Dashboard(
        counts=DashboardCounts(**_tile_counts(user=user, dates=dates), awaiting=awaiting),
        gates=gate_rows,
        mine=own_open_milestones(user=user, now=now, limit=mine, dates=dates),
        payments=payment_rows,
        payments_total=payments_total,
        flows=cash_flow(user=user, now=now),
        portfolio=contract_rows,
        portfolio_total=portfolio_total,
        money=money_rows,
        money_total=money_total,
        notices=notice_rows[:notices],
        notices_total=len(notice_rows),
        clock=clock_board(user=user, today=local_today(user.time_zone, now)),
    )
