"""Reads for payment terms and cycles: the figures of each cycle and the notices falling due.

Every figure is derived from the cycle's notices and its receipts (summed by the database),
never typed: applied = paid + outstanding + withheld, always.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import NotFound
from milepost.core.money import quantize
from milepost.performance.models import ServiceCredit
from milepost.schedule.models import Milestone

from ..models import Deduction, MoneyTerms, PaymentCycle, Receipt

ZERO = Decimal(0)
_MONEY: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=18, decimal_places=2)
_PAID = Coalesce(
    Subquery(
        Receipt.objects.filter(cycle=OuterRef("pk"))
        .order_by()
        .values("cycle")
        .annotate(total=Sum("amount"))
        .values("total")[:1],
        output_field=_MONEY,
    ),
    Value(ZERO),
    output_field=_MONEY,
)


def money_terms_for(*, contract: Contract) -> MoneyTerms | None:
    """Return the contract's payment terms, or None when none are set."""
    return (
        MoneyTerms.objects.select_related(
            "payer__organisation",
            "payee__organisation",
            "completion",
            "first_release",
            "second_release",
        )
        .filter(contract=contract)
        .first()
    )


def payable_sql() -> Case:
    """``PaymentCycle.payable`` as a SQL expression, to filter or sum in the database.

    A pay less notice in time gives its sum; else a payment notice in time gives the notified
    sum; else the application stands.
    """
    return Case(
        When(
            pay_less_on__isnull=False,
            pay_less_late=False,
            pay_less_sum__isnull=False,
            then=F("pay_less_sum"),
        ),
        When(
            notice_given_on__isnull=False,
            notice_late=False,
            notified_sum__isnull=False,
            then=F("notified_sum"),
        ),
        default=F("applied_sum"),
        output_field=_MONEY,
    )


def cycles_with_paid(queryset: QuerySet[PaymentCycle] | None = None) -> QuerySet[PaymentCycle]:
    """Return the cycles (all, or ``queryset``) each annotated with ``paid``: Σ its receipts.

    The sum is one correlated subquery in the same query (safe beside other annotations), and
    the contract is selected with each cycle; read the figures through ``cycle_outstanding`` or
    ``cycle_figures``, which round SQLite's float sums back to the currency.
    """
    base = PaymentCycle.objects.all() if queryset is None else queryset
    return base.select_related("contract").annotate(paid=_PAID)


def _cycles() -> QuerySet[PaymentCycle]:
    return cycles_with_paid(
        PaymentCycle.objects.select_related(
            "contract", "payer__organisation", "payee__organisation", "milestone"
        )
    )


def cycles_for_contract(*, contract: Contract) -> QuerySet[PaymentCycle]:
    """Return the contract's cycles in order, each with ``paid`` summed (one query)."""
    return _cycles().filter(contract=contract).order_by("number")


def cycle_get_for_user(*, user: User, pk: int) -> PaymentCycle:
    """Return one cycle of a contract the user can see, with ``paid``, or raise NotFound."""
    cycle = _cycles().filter(pk=pk, contract__in=contracts_for_user(user=user)).first()
    if cycle is None:
        raise NotFound("payment cycle")
    return cycle


@dataclass(frozen=True)
class CycleFigures:
    """Where one cycle stands on a day, in money and in words."""

    applied: Decimal
    notified: Decimal
    payable: Decimal
    withheld: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    state: str
    notice_missed: bool
    pay_less_late: bool


def _paid_of(cycle: PaymentCycle) -> Decimal:
    paid = getattr(cycle, "paid", None)
    if paid is None:
        paid = cycle.receipts.aggregate(total=Sum("amount"))["total"] or ZERO
    # SQLite sums decimals as floats: round the total back to the currency's places.
    return quantize(Decimal(str(paid)), cycle.contract.currency)


def cycle_outstanding(cycle: PaymentCycle) -> Decimal:
    """What is still to pay on the cycle: payable less paid, never below 0."""
    return max(cycle.payable - _paid_of(cycle), ZERO)


def cycle_state(cycle: PaymentCycle, today: dt.date, outstanding: Decimal) -> str:
    """Where the cycle stands, as a contract manager would say it."""
    if outstanding == 0:
        return "paid" if cycle.payable > 0 else "nothing to pay"
    if today > cycle.final_date:
        if cycle.suspension_notice_on is not None:
            return f"overdue; suspension from {cycle.suspension_from:%-d %b %Y}"
        return "overdue"
    if cycle.pay_less_on is not None and not cycle.pay_less_late:
        return "pay less notice given"
    if cycle.notice_in_time:
        return "notified"
    if cycle.default_notice_on is not None:
        return "application stands (default notice)"
    if today > cycle.payment_notice_by:
        return "payment notice missed"
    return "applied"


def cycle_figures(cycle: PaymentCycle, today: dt.date) -> CycleFigures:
    """Return the cycle's figures on ``today`` (reads ``paid`` when the selector summed it)."""
    paid = _paid_of(cycle)
    payable = cycle.payable
    outstanding = max(payable - paid, ZERO)
    return CycleFigures(
        applied=cycle.applied_sum,
        notified=cycle.payable_before_pay_less,
        payable=payable,
        withheld=cycle.withheld,
        paid=paid,
        outstanding=outstanding,
        overdue=outstanding if today > cycle.final_date else ZERO,
        state=cycle_state(cycle, today, outstanding),
        notice_missed=(cycle.notice_given_on is None and today > cycle.payment_notice_by)
        or cycle.notice_late,
        pay_less_late=cycle.pay_less_late,
    )


@dataclass(frozen=True)
class MoneySummary:
    currency: str
    applied: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    cycles: int


def contract_money_summary(*, contract: Contract, today: dt.date) -> MoneySummary:
    """The contract's cycles added up: applied, paid, outstanding and overdue."""
    figures = [cycle_figures(c, today) for c in cycles_for_contract(contract=contract)]
    return money_summary_of(contract, figures)


def money_summary_of(contract: Contract, figures: list[CycleFigures]) -> MoneySummary:
    """Add up figures already worked out (the Money page's cycles), with no further query."""

    def total(name: str) -> Decimal:
        return sum((getattr(f, name) for f in figures), ZERO)

    return MoneySummary(
        currency=contract.currency,
        applied=total("applied"),
        paid=total("paid"),
        outstanding=total("outstanding"),
        overdue=total("overdue"),
        cycles=len(figures),
    )


@dataclass(frozen=True)
class NoticeDue:
    """A notice or payment one party owes on a cycle, and by when."""

    cycle: PaymentCycle
    what: str
    party: str  # "payer" or "payee"
    deadline: dt.date

    @property
    def organisation(self) -> str:
        return str(getattr(self.cycle, self.party).organisation)


def notices_due(*, user: User, first: dt.date, last: dt.date) -> list[NoticeDue]:
    """The notices and payments due from ``first`` to ``last`` on the user's contracts.

    A payment notice not yet given, a pay less deadline not yet passed (for the payer to
    decide on), and the payment due by the final date; all the payer's.
    """
    visible = contracts_for_user(user=user)
    window = (
        Q(payment_notice_by__range=(first, last))
        | Q(pay_less_by__range=(first, last))
        | Q(final_date__range=(first, last))
    )
    found: list[NoticeDue] = []
    rows = (
        _cycles()
        .select_related("contract__money_terms")
        .filter(window, contract__in=visible)
        .order_by("contract_id", "number")
    )
    for cycle in rows:
        figures = cycle_figures(cycle, first)
        notices = (
            cycle.contract.money_terms.notices_required
            if hasattr(cycle.contract, "money_terms")
            else True
        )
        if notices and cycle.notice_given_on is None and first <= cycle.payment_notice_by <= last:
            found.append(NoticeDue(cycle, "payment notice", "payer", cycle.payment_notice_by))
        if (
            notices
            and cycle.pay_less_on is None
            and figures.paid == 0
            and first <= cycle.pay_less_by <= last
        ):
            found.append(NoticeDue(cycle, "pay less notice, if any", "payer", cycle.pay_less_by))
        if figures.outstanding > 0 and first <= cycle.final_date <= last:
            found.append(NoticeDue(cycle, "payment", "payer", cycle.final_date))
    return sorted(found, key=lambda n: (n.deadline, n.cycle.contract_id, n.cycle.number))


def pay_less_damages_choices(cycle: PaymentCycle) -> QuerySet[Milestone]:
    """The milestones whose delay damages the cycle's payee owes its payer."""
    return Milestone.objects.filter(
        contract_id=cycle.contract_id,
        damages__isnull=False,
        damages__payer_id=cycle.payee_id,
        damages__payee_id=cycle.payer_id,
    ).order_by("due_date", "pk")


def pay_less_credit_choices(cycle: PaymentCycle) -> QuerySet[ServiceCredit]:
    """The service credits the cycle's payee owes its payer, earned and not yet deducted."""
    taken = Deduction.objects.filter(measurement__isnull=False).values("measurement_id")
    return (
        ServiceCredit.objects.filter(
            kpi__milestone__contract_id=cycle.contract_id,
            payer_id=cycle.payee_id,
            payee_id=cycle.payer_id,
            amount__gt=0,
            deducted=False,
        )
        .exclude(measurement_id__in=taken)
        .select_related("kpi__milestone", "measurement")
        .order_by("period_start", "pk")
    )
