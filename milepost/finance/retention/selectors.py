"""Reads for retention: what a contract holds, what it released, and what a release pays.

Held is the retention every payment cycle kept back; released is the money received on the
release payments (through their payment cycles, or recorded on a release paid without one);
the balance is held less released. The totals are database sums (a window over the rows the
ledger lists, so one query gives both), re-quantized to the currency.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum, Window

from milepost.audit.models import Event
from milepost.audit.selectors import events_for_contract
from milepost.contracts.models import Contract
from milepost.core.money import format_money, quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone

from ..events import FinanceEvent
from ..models import MoneyTerms, PaymentCycle, Receipt

FIRST = "first"
SECOND = "second"
HELD = "held"
RELEASE = "released"
MET = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)


def _sum(value: Decimal | float | None, currency: str) -> Decimal:
    # SQLite sums decimals as floats: re-quantize to the currency's places.
    return quantize(Decimal(str(value or 0)), currency)


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _terms_query() -> Any:
    return MoneyTerms.objects.select_related(
        "contract",
        "completion",
        "payer__organisation",
        "payee__organisation",
        "first_release__payment__trigger",
        "second_release__payment__trigger",
    )


def release_slot(*, milestone: Milestone) -> tuple[MoneyTerms, str] | None:
    """Return the money terms this milestone releases retention for and which release it is."""
    terms = _terms_query().filter(Q(first_release=milestone) | Q(second_release=milestone)).first()
    if terms is None:
        return None
    return terms, FIRST if terms.first_release_id == milestone.pk else SECOND


def retention_held(*, contract_id: int, currency: str) -> Decimal:
    """Retention held back by all the contract's payment cycles so far."""
    total = PaymentCycle.objects.filter(contract_id=contract_id).aggregate(t=Sum("retention"))["t"]
    return _sum(total, currency)


def _release_receipts(contract_id: int) -> Q:
    return Q(cycle__contract_id=contract_id, cycle__milestone__payment__releases_retention=True)


def _paid_without_cycle(contract_id: int) -> Q:
    """Releases paid through the payment milestone itself, with no payment cycle."""
    return Q(
        milestone__contract_id=contract_id,
        releases_retention=True,
        paid_amount__gt=0,
        milestone__payment_cycles__isnull=True,
    )


def retention_released(*, contract_id: int, currency: str) -> Decimal:
    """Money received on the contract's release payments."""
    by_cycle = Receipt.objects.filter(_release_receipts(contract_id)).aggregate(t=Sum("amount"))
    direct = PaymentTerms.objects.filter(_paid_without_cycle(contract_id)).aggregate(
        t=Sum("paid_amount")
    )
    return _sum(by_cycle["t"], currency) + _sum(direct["t"], currency)


def _release_amount(
    terms: MoneyTerms,
    slot: str,
    *,
    held: Decimal,
    own_applied: Decimal,
    first_taken: Decimal | None,
    first_given_up: bool,
) -> Decimal:
    """What a release pays: what it applied for; else the first its share, the second the rest.

    ``first_taken`` is what the first release has paid back or still owes (None while it has
    neither been applied for nor paid): the second pays what is left of the retention held.
    """
    if own_applied > 0:
        return own_applied
    currency = terms.contract.currency
    first_part = quantize(held * terms.retention_first_release_percent / HUNDRED, currency)
    if slot == FIRST:
        return first_part
    if first_taken is not None:
        taken = first_taken
    elif terms.first_release_id is None or first_given_up:
        taken = Decimal(0)
    else:
        taken = first_part
    return max(held - taken, Decimal(0))


_PAYABLE_FIELDS = (
    "applied_sum",
    "notified_sum",
    "notice_given_on",
    "notice_late",
    "pay_less_sum",
    "pay_less_on",
    "pay_less_late",
)


def _payable(row: dict[str, Any]) -> Decimal:
    """What a cycle (read as values) makes payable: the notices' sum, as the cycle reads it."""
    return PaymentCycle(**{name: row[name] for name in _PAYABLE_FIELDS}).payable


def _taken(owed: Decimal | None, received: Decimal | None) -> Decimal | None:
    """What a release has taken of the retention: paid back, or still owed on its cycles.

    A pay less notice (or a lower payment notice) on a release leaves the rest held, for the
    next release to pay back; None when the release has no cycle and no payment.
    """
    if owed is None and received is None:
        return None
    return max(owed or Decimal(0), received or Decimal(0))


def retention_release_amount(*, milestone: Milestone) -> Decimal:
    """What a release of retention pays now.

    Once applied for, a release pays what its application asked. Before, the first release
    pays its share (``retention_first_release_percent``) of the retention held, and the second
    whatever is left: held, less what the first release has paid back or still owes on its
    applications (payable after the notices; or, not yet applied for and not given up, its
    share). A milestone that is not a release: 0.
    """
    found = release_slot(milestone=milestone)
    if found is None:
        return Decimal(0)
    terms, slot = found
    currency = terms.contract.currency
    held = retention_held(contract_id=terms.contract_id, currency=currency)
    first = terms.first_release
    applied: dict[int, Decimal] = {}
    owed: dict[int, Decimal] = {}
    rows = PaymentCycle.objects.filter(
        milestone__in=[milestone.pk, terms.first_release_id or 0]
    ).values("milestone_id", "gross_value", *_PAYABLE_FIELDS)
    for row in rows:
        key = row["milestone_id"]
        applied[key] = applied.get(key, Decimal(0)) + row["gross_value"]
        owed[key] = owed.get(key, Decimal(0)) + _payable(row)
    first_taken = None
    if first is not None:
        by_cycle = Receipt.objects.filter(cycle__milestone=first).aggregate(t=Sum("amount"))["t"]
        direct = first.payment.paid_amount if first.pk not in owed else Decimal(0)
        received = _sum(by_cycle, currency) + direct
        first_taken = _taken(owed.get(first.pk), received or None)
    return _release_amount(
        terms,
        slot,
        held=held,
        own_applied=_sum(applied.get(milestone.pk), currency),
        first_taken=first_taken,
        first_given_up=first is not None and first.status in RELEASED,
    )


@dataclass(frozen=True)
class LedgerRow:
    """One line of the ledger: retention held by a cycle or paid back by a release."""

    day: dt.date
    kind: str  # HELD or RELEASE
    amount: Decimal
    balance: Decimal  # the balance after this line
    text: str
    cycle_id: int | None
    milestone_id: int | None


@dataclass(frozen=True)
class Release:
    """One of the two release payments, with where it stands."""

    milestone: Milestone
    slot: str
    share: Decimal
    due_date: dt.date
    amount_now: Decimal
    paid: Decimal
    due: Decimal  # what is owed on it now: due and not yet paid
    words: str

    @property
    def title(self) -> str:
        return self.milestone.title

    @property
    def planned(self) -> Decimal:
        """What the release's payment is set to pay (planned, or fixed when applied for)."""
        return self.milestone.payment.amount


@dataclass(frozen=True)
class Ledger:
    """A contract's retention: held, released, the balance, what is due, and how it came about."""

    contract: Contract
    terms: MoneyTerms | None
    currency: str
    held: Decimal
    released: Decimal
    balance: Decimal
    due: Decimal
    releases: list[Release]
    rows: list[LedgerRow]

    @property
    def bond(self) -> bool:
        return self.terms is not None and self.terms.retention_bond

    @property
    def note(self) -> str:
        """The terms in one sentence: how much is held and when it comes back."""
        terms = self.terms
        if terms is None:
            return "The contract has no payment terms yet, so it holds no retention."
        if terms.retention_bond:
            return (
                "A retention bond stands instead of cash retention: interim payments are made "
                "in full and nothing is held back."
            )
        if terms.retention_percent == 0:
            return "The contract holds no retention."
        first = terms.retention_first_release_percent
        held = f"{terms.retention_percent.normalize():f}% of each interim valuation is held back"
        if terms.completion is None:
            return f"{held}; no completion milestone is named, so no release is planned yet."
        if first == HUNDRED:
            return f"{held}; all of it is released when '{terms.completion.title}' is met."
        return (
            f"{held}; {first.normalize():f}% of the balance is released when "
            f"'{terms.completion.title}' is met and the rest {terms.defects_months} months later, "
            "at the end of the defects period."
        )


# (day, 0 for held or 1 for released, words, amount, cycle id, milestone id)
Line = tuple[dt.date, int, str, Decimal, int | None, int | None]


@dataclass
class _Read:
    """What the ledger read from the database, in three queries."""

    held: Decimal
    released: Decimal
    lines: list[Line]
    applied_for: dict[int, Decimal]  # release milestone id -> gross its cycles applied for
    received: dict[int, Decimal]  # release milestone id -> money received on it
    owed: dict[int, Decimal]  # release milestone id -> payable on its cycles, after notices


def _read(contract: Contract) -> _Read:
    currency = contract.currency
    lines: list[Line] = []
    applied_for: dict[int, Decimal] = {}
    received: dict[int, Decimal] = {}
    owed: dict[int, Decimal] = {}
    held = released = Decimal(0)
    cycles = (
        PaymentCycle.objects.filter(contract=contract)
        .values(
            "pk",
            "number",
            "applied_on",
            "period_end",
            "retention",
            "gross_value",
            "previous",
            *_PAYABLE_FIELDS,
        )
        .annotate(
            milestone_pk=F("milestone_id"),
            title=F("milestone__title"),
            total=Window(Sum("retention")),
        )
        .order_by("applied_on", "number")
    )
    for c in cycles:
        held = _sum(c["total"], currency)
        if c["milestone_pk"] is not None:
            key = c["milestone_pk"]
            applied_for[key] = applied_for.get(key, Decimal(0)) + c["gross_value"]
            owed[key] = owed.get(key, Decimal(0)) + _payable(c)
        if not c["retention"]:
            continue
        what = (
            f"the stage '{c['title']}'"
            if c["title"]
            else f"the valuation to {_date(c['period_end'])}"
        )
        # An interim valuation is gross to date: it holds back only the retention on what it
        # adds, so say what the retention to date now is rather than a share of the gross.
        to_date = c["gross_value"] - c["previous"] - c["applied_sum"]
        text = (
            f"Application {c['number']}, for {what} of "
            f"{format_money(c['gross_value'], currency)}, held back "
            f"{format_money(c['retention'], currency)}"
            + (
                f" more ({format_money(to_date, currency)} to date)."
                if c["milestone_pk"] is None and to_date != c["retention"]
                else "."
            )
        )
        lines.append((c["applied_on"], 0, text, c["retention"], c["pk"], None))
    receipts = (
        Receipt.objects.filter(_release_receipts(contract.pk))
        .values("paid_on", "amount", "cycle_id", "reference")
        .annotate(
            title=F("cycle__milestone__title"),
            number=F("cycle__number"),
            milestone_pk=F("cycle__milestone_id"),
            total=Window(Sum("amount")),
        )
        .order_by("paid_on", "pk")
    )
    for r in receipts:
        released = _sum(r["total"], currency)
        received[r["milestone_pk"]] = received.get(r["milestone_pk"], Decimal(0)) + r["amount"]
        ref = f" (reference {r['reference']})" if r["reference"] else ""
        text = (
            f"{format_money(r['amount'], currency)} of retention paid back against "
            f"'{r['title']}', application {r['number']}{ref}."
        )
        lines.append((r["paid_on"], 1, text, r["amount"], r["cycle_id"], r["milestone_pk"]))
    direct = (
        PaymentTerms.objects.filter(_paid_without_cycle(contract.pk))
        .values("paid_on", "paid_amount", "milestone_id")
        .annotate(title=F("milestone__title"), total=Window(Sum("paid_amount")))
    )
    direct_total = Decimal(0)
    for d in direct:
        direct_total = _sum(d["total"], currency)
        received[d["milestone_id"]] = d["paid_amount"]
        text = (
            f"{format_money(d['paid_amount'], currency)} of retention paid back on '{d['title']}'."
        )
        lines.append((d["paid_on"], 1, text, d["paid_amount"], None, d["milestone_id"]))
    return _Read(held, released + direct_total, lines, applied_for, received, owed)


def _release_words(
    milestone: Milestone, terms: MoneyTerms, *, today: dt.date, due: Decimal, paid: Decimal
) -> str:
    currency = terms.contract.currency
    status = milestone.status
    completion = terms.completion.title if terms.completion else "completion"
    if status in MET:
        day = f" on {_date(milestone.met_on)}" if milestone.met_on else ""
        return f"Paid back{day}: {format_money(paid, currency)}."
    if status in RELEASED:
        return f"Given up ({MilestoneStatus(status).label.lower()})."
    if status == MilestoneStatus.NOT_MET:
        return "Marked not met."
    if due > 0:
        return f"Due now: {format_money(due, currency)} to pay back."
    when = _date(milestone.due_date)
    if milestone.due_date <= today and paid == 0:
        return f"Due since {when}; nothing is held for it to pay back."
    if paid > 0:
        return f"{format_money(paid, currency)} paid back so far."
    if milestone.anchor_offset == 0:
        return f"Due when '{completion}' is met, planned for {when}."
    return f"Due {when}, at the end of the defects period after '{completion}'."


def _releases(terms: MoneyTerms, read: _Read, *, today: dt.date) -> list[Release]:
    currency = terms.contract.currency
    first = terms.first_release
    shares = {
        FIRST: terms.retention_first_release_percent,
        SECOND: HUNDRED - terms.retention_first_release_percent,
    }
    found = []
    for slot, milestone in ((FIRST, first), (SECOND, terms.second_release)):
        if milestone is None:
            continue
        payment = milestone.payment
        paid = _sum(read.received.get(milestone.pk), currency)
        amount_now = _release_amount(
            terms,
            slot,
            held=read.held,
            own_applied=read.applied_for.get(milestone.pk, Decimal(0)),
            first_taken=(
                _taken(read.owed.get(first.pk), read.received.get(first.pk)) if first else None
            ),
            first_given_up=first is not None and first.status in RELEASED,
        )
        trigger_met = payment.trigger.status in (*MET, MilestoneStatus.WAIVED)
        owed = milestone.is_open and trigger_met and milestone.due_date <= today
        due = max(amount_now - paid, Decimal(0)) if owed else Decimal(0)
        found.append(
            Release(
                milestone=milestone,
                slot=slot,
                share=shares[slot],
                due_date=milestone.due_date,
                amount_now=amount_now,
                paid=paid,
                due=due,
                words=_release_words(milestone, terms, today=today, due=due, paid=paid),
            )
        )
    return found


def retention_ledger(*, contract: Contract, today: dt.date) -> Ledger:
    """Return the contract's retention ledger on ``today``: totals, releases and dated lines.

    Four queries, however long the contract's history: the terms with both releases, the
    cycles, the receipts on releases, and releases paid without a cycle.
    """
    currency = contract.currency
    terms = _terms_query().filter(contract=contract).first()
    read = _read(contract)
    rows, balance = [], Decimal(0)
    for day, order, text, amount, cycle_id, milestone_id in sorted(
        read.lines, key=lambda r: (r[0], r[1])
    ):
        amount = quantize(Decimal(str(amount)), currency)
        balance += amount if order == 0 else -amount
        rows.append(
            LedgerRow(
                day=day,
                kind=HELD if order == 0 else RELEASE,
                amount=amount,
                balance=balance,
                text=text,
                cycle_id=cycle_id,
                milestone_id=milestone_id,
            )
        )
    releases = _releases(terms, read, today=today) if terms is not None else []
    return Ledger(
        contract=contract,
        terms=terms,
        currency=currency,
        held=read.held,
        released=read.released,
        balance=read.held - read.released,
        due=sum((r.due for r in releases), Decimal(0)),
        releases=releases,
        rows=rows,
    )


RETENTION_EVENTS = (FinanceEvent.RETENTION_RELEASE_PLANNED, FinanceEvent.RETENTION_RELEASE_FIXED)


def retention_history(*, contract: Contract, limit: int = 50) -> list[Event]:
    """Return the latest changes to the contract's releases, newest first.

    The caller has checked access. The money held and paid back is on the ledger's lines.
    """
    events = events_for_contract(contract_id=contract.pk).filter(action__in=RETENTION_EVENTS)
    return list(events[:limit])
