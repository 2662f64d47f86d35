"""Reads behind the dashboard and the milestone list page, always scoped to the user."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.approvals.models import GateDecision, GateRequirement
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.dates import local_today, today_groups
from milepost.core.money import quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import OPEN_STATUSES, Criticality, Health, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestone_filter, milestones_for_user

Groups = tuple[dt.date, dict[dt.date, list[str]]]

# Windows a count on the dashboard stands for, each measured from the contract's own today.
WINDOWS = ("next7", "next30", "this_month")
DECIDERS = (Role.MANAGER, Role.ADMIN)
# How bad a health is, so that a contract shows the worst of its milestones'.
HEALTH_RANK = {Health.ON_TRACK: 1, Health.AT_RISK: 2, Health.OVERDUE: 3}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return _add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    """Return the first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _per_contract(shift: Callable[[dt.date], dt.date], groups: Groups) -> Case:
    """Each contract's local today passed through ``shift``, as a constant per time-zone group."""
    common, others = groups
    return Case(
        *[
            When(contract__time_zone__in=zones, then=Value(shift(day)))
            for day, zones in others.items()
        ],
        default=Value(shift(common)),
        output_field=DateField(),
    )


def _window(qs: QuerySet[Milestone], window: str, groups: Groups) -> QuerySet[Milestone]:
    """Keep the milestones due in ``window`` of their contract's local calendar."""
    if window == "this_month":
        return qs.annotate(
            window_start=_per_contract(_month_start, groups),
            window_end=_per_contract(_month_end, groups),
        ).filter(due_date__gte=F("window_start"), due_date__lte=F("window_end"))
    days = {"next7": 7, "next30": 30}[window]
    return qs.annotate(
        window_end=_per_contract(lambda day: day + dt.timedelta(days=days), groups)
    ).filter(
        status__in=OPEN_STATUSES, due_date__gte=F("local_today"), due_date__lte=F("window_end")
    )


def _awaiting(user: User) -> Exists:
    """Whether a gate still waits for a party that the user decides for."""
    undecided = GateRequirement.objects.filter(
        milestone=OuterRef("pk"),
        party__organisation__memberships__user=user,
        party__organisation__memberships__role__in=DECIDERS,
    ).exclude(
        Exists(
            GateDecision.objects.filter(milestone=OuterRef("milestone"), party=OuterRef("party"))
        )
    )
    return Exists(undecided)


def _gates_awaiting(qs: QuerySet[Milestone], user: User) -> QuerySet[Milestone]:
    return qs.filter(_awaiting(user), kind=MilestoneKind.GATE, status__in=OPEN_STATUSES)


# The milestone list page


@dataclass(frozen=True)
class MilestoneFilters:
    """What the milestone list page filters by: the REST list's filters plus the dashboard's."""

    contract: int | None = None
    kind: str | None = None
    status: str | None = None
    health: str | None = None
    owner: str | None = None
    responsible_party: int | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool | None = None
    critical: bool | None = None
    q: str = ""
    window: str | None = None
    open: bool | None = None
    awaiting: bool | None = None
    order: str = "due_date"


def milestones_filtered(
    *, user: User, filters: MilestoneFilters, now: dt.datetime | None = None
) -> QuerySet[Milestone]:
    """Return the user's milestones that match ``filters``, in due-date order.

    The filters mean what they mean on GET /api/v1/milestones (``milestone_filter``), plus the
    list page's own: open or not, a due window and gates awaiting the user's decision.
    """
    f = filters
    qs = milestones_for_user(user=user, now=now)
    conditions = milestone_filter(
        user=user,
        contract=f.contract,
        kind=f.kind,
        status=f.status,
        health=f.health,
        owner=f.owner,
        responsible_party=f.responsible_party,
        due_from=f.due_from,
        due_to=f.due_to,
        overdue=f.overdue,
        critical=f.critical,
        q=f.q,
    )
    if f.open is not None:
        still_open = Q(status__in=OPEN_STATUSES)
        conditions &= still_open if f.open else ~still_open
    qs = qs.filter(conditions)
    if f.window:
        qs = _window(qs, f.window, today_groups(now))
    if f.awaiting:
        qs = _gates_awaiting(qs, user)
    return qs.order_by(*(("-due_date", "-id") if f.order == "-due_date" else ("due_date", "id")))


# The dashboard


@dataclass(frozen=True)
class DashboardCounts:
    """How many of the user's milestones fall in each tile of the dashboard."""

    overdue: int = 0
    due_7: int = 0
    due_30: int = 0
    at_risk: int = 0
    awaiting: int = 0
    mine: int = 0


def dashboard_counts(*, user: User, now: dt.datetime | None = None) -> DashboardCounts:
    """Count the user's overdue, due-soon, at-risk, own and awaiting-decision milestones, in one query."""
    groups = today_groups(now)
    open_ = Q(status__in=OPEN_STATUSES)
    upcoming = open_ & Q(due_date__gte=F("local_today"))
    row = (
        milestones_for_user(user=user, now=now)
        .annotate(
            in_7=_per_contract(lambda day: day + dt.timedelta(days=7), groups),
            in_30=_per_contract(lambda day: day + dt.timedelta(days=30), groups),
            awaits=_awaiting(user),
        )
        .aggregate(
            overdue=Count("id", filter=Q(health=Health.OVERDUE)),
            due_7=Count("id", filter=upcoming & Q(due_date__lte=F("in_7"))),
            due_30=Count("id", filter=upcoming & Q(due_date__lte=F("in_30"))),
            at_risk=Count("id", filter=Q(health=Health.AT_RISK)),
            awaiting=Count("id", filter=open_ & Q(kind=MilestoneKind.GATE, awaits=True)),
            mine=Count("id", filter=open_ & Q(owner=user)),
        )
    )
    return DashboardCounts(**row)


def gates_awaiting_decision(
    *, user: User, now: dt.datetime | None = None, limit: int = 20
) -> list[Milestone]:
    """Return open gates still waiting for a party the user decides for, by due date.

    Each carries ``awaiting_party``: the name of one such party.
    """
    party = (
        GateRequirement.objects.filter(
            milestone=OuterRef("pk"),
            party__organisation__memberships__user=user,
            party__organisation__memberships__role__in=DECIDERS,
        )
        .exclude(
            Exists(
                GateDecision.objects.filter(
                    milestone=OuterRef("milestone"), party=OuterRef("party")
                )
            )
        )
        .order_by("id")
        .values("party__organisation__name")[:1]
    )
    return list(
        _gates_awaiting(milestones_for_user(user=user, now=now), user)
        .annotate(awaiting_party=Subquery(party))
        .order_by("due_date", "id")[:limit]
    )


def own_open_milestones(
    *, user: User, now: dt.datetime | None = None, limit: int = 10
) -> list[Milestone]:
    """Return the open milestones the user owns, soonest first."""
    return list(
        milestones_for_user(user=user, now=now)
        .filter(owner=user, status__in=OPEN_STATUSES)
        .order_by("due_date", "id")[:limit]
    )


@dataclass(frozen=True)
class PaymentLine:
    """One payment due this month, with where it stands."""

    milestone: Milestone
    terms: PaymentTerms
    state: str


def payments_due_this_month(*, user: User, now: dt.datetime | None = None) -> list[PaymentLine]:
    """Return the payments due in each contract's current local month, in one query."""
    qs = _window(
        milestones_for_user(user=user, now=now).filter(kind=MilestoneKind.PAYMENT),
        "this_month",
        today_groups(now),
    ).select_related(
        "payment__payer__organisation", "payment__payee__organisation", "payment__trigger"
    )
    lines = []
    for milestone in qs.order_by("due_date", "id"):
        terms = milestone.payment
        lines.append(
            PaymentLine(milestone=milestone, terms=terms, state=terms.state(milestone.local_today))  # type: ignore[attr-defined]
        )
    return lines


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
    *, user: User, months_back: int = 6, months_ahead: int = 6, now: dt.datetime | None = None
) -> list[CashFlow]:
    """Sum payments planned (by due month) and paid (by paid month) around the user's month.

    Two aggregate queries; one series per currency, since different currencies never add up.
    """
    today = local_today(user.time_zone, now)
    first = _add_months(today, -months_back)
    after = _add_months(today, months_ahead + 1)
    visible = PaymentTerms.objects.filter(milestone__contract__in=contracts_for_user(user=user))
    planned = (
        visible.exclude(milestone__status__in=RELEASED)
        .filter(milestone__due_date__gte=first, milestone__due_date__lt=after)
        .annotate(month=TruncMonth("milestone__due_date"))
        .values("milestone__contract__currency", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid = (
        visible.filter(paid_on__gte=first, paid_on__lt=after, paid_amount__gt=0)
        .annotate(month=TruncMonth("paid_on"))
        .values("milestone__contract__currency", "month")
        .annotate(total=Sum("paid_amount"))
        .order_by()
    )
    sums: dict[str, dict[dt.date, list[Decimal]]] = {}
    for index, rows in enumerate((planned, paid)):
        for row in rows:
            currency = row["milestone__contract__currency"]
            month = _as_date(row["month"])
            cell = sums.setdefault(currency, {}).setdefault(month, [Decimal(0), Decimal(0)])
            cell[index] += quantize(Decimal(str(row["total"] or 0)), currency)
    months = [_add_months(first, i) for i in range(months_back + months_ahead + 1)]
    flows = []
    for currency in sorted(sums):
        cells = sums[currency]
        top = max((max(cell) for cell in cells.values()), default=Decimal(0)) or Decimal(1)
        flows.append(
            CashFlow(
                currency=currency,
                months=[
                    CashMonth(
                        month=month,
                        planned=cells.get(month, [Decimal(0)] * 2)[0],
                        paid=cells.get(month, [Decimal(0)] * 2)[1],
                        planned_height=float(cells.get(month, [0, 0])[0] / top) * CHART_HEIGHT,
                        paid_height=float(cells.get(month, [0, 0])[1] / top) * CHART_HEIGHT,
                        index=index,
                    )
                    for index, month in enumerate(months)
                ],
            )
        )
    return flows


def _as_date(value: Any) -> dt.date:
    # TruncMonth of a date gives a date on every backend, but a datetime is tolerated.
    return value.date() if isinstance(value, dt.datetime) else value


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


def portfolio(*, user: User, now: dt.datetime | None = None) -> list[PortfolioRow]:
    """Return every visible contract by next critical open date, in two queries.

    Money at risk is what is still unpaid on open payments whose health is at risk or overdue;
    health is the worst among the milestones that are not done.
    """
    open_ = Q(status__in=OPEN_STATUSES)
    risky = Q(health__in=[Health.AT_RISK, Health.OVERDUE])
    rank = Case(
        *[When(health=health, then=Value(value)) for health, value in HEALTH_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        milestones_for_user(user=user, now=now)
        .annotate(rank=rank)
        .values("contract_id")
        .annotate(
            next_critical=Min("due_date", filter=open_ & Q(criticality=Criticality.CRITICAL)),
            money_at_risk=Sum(
                F("payment__amount") - F("payment__paid_amount"),
                filter=open_ & risky & Q(kind=MilestoneKind.PAYMENT),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
            worst=Max("rank"),
            total=Count("id"),
            open=Count("id", filter=open_),
            overdue=Count("id", filter=Q(health=Health.OVERDUE)),
            at_risk=Count("id", filter=Q(health=Health.AT_RISK)),
        )
        .order_by()
    )
    by_contract = {row["contract_id"]: row for row in rows}
    names = {value: health for health, value in HEALTH_RANK.items()}
    result = []
    for contract in contracts_for_user(user=user):
        row = by_contract.get(contract.pk, {})
        worst = row.get("worst") or 0
        result.append(
            PortfolioRow(
                contract=contract,
                next_critical=row.get("next_critical"),
                money_at_risk=quantize(
                    Decimal(str(row.get("money_at_risk") or 0)), contract.currency
                ),
                health=names.get(worst, Health.DONE if row.get("total") else ""),
                total=row.get("total", 0),
                open=row.get("open", 0),
                overdue=row.get("overdue", 0),
                at_risk=row.get("at_risk", 0),
            )
        )
    far = dt.date.max
    result.sort(key=lambda r: (r.next_critical or far, r.contract.reference))
    return result
