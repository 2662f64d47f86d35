"""Reads for retention: what a contract holds, what it released, and what a release pays.

The ledger's figures come from database aggregates: held is the retention every payment cycle
kept back, released the money received on the release payments (through their payment cycles,
or recorded on a release paid without one), and the balance is held less released.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum

from milepost.contracts.models import Contract
from milepost.core.money import format_money, quantize
from milepost.payments.choices import RELEASED
from milepost.payments.models import HUNDRED, PaymentTerms
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone

from ..models import MoneyTerms, PaymentCycle, Receipt

FIRST = "first"
SECOND = "second"
HELD = "held"
RELEASE = "released"


def _sum(value: Decimal | float | None, currency: str) -> Decimal:
    # SQLite sums decimals as floats: re-quantize to the currency's places.
    return quantize(Decimal(str(value or 0)), currency)


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def release_slot(*, milestone: Milestone) -> tuple[MoneyTerms, str] | None:
    """Return the money terms this milestone releases retention for and which release it is."""
    terms = (
        MoneyTerms.objects.filter(Q(first_release=milestone) | Q(second_release=milestone))
        .select_related("contract", "payer__organisation", "payee__organisation")
        .first()
    )
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
    by_cycle = Receipt.objects.filter(_release_receipts(contract_id)).aggregate(t=Sum("amount"))[
        "t"
    ]
    direct = PaymentTerms.objects.filter(_paid_without_cycle(contract_id)).aggregate(
        t=Sum("paid_amount")
    )["t"]
    return _sum(by_cycle, currency) + _sum(direct, currency)


def _applied_for(milestone_id: int, currency: str) -> Decimal:
    total = PaymentCycle.objects.filter(milestone_id=milestone_id).aggregate(t=Sum("gross_value"))[
        "t"
    ]
    return _sum(total, currency)


def retention_release_amount(*, milestone: Milestone) -> Decimal:
    """What a release of retention pays now.

    The first release pays its share (``retention_first_release_percent``) of the retention
    held; the second pays whatever is left: held, less what the first release applied for (or,
    not yet applied for and not given up, its share). A milestone that is not a release: 0.
    """
    found = release_slot(milestone=milestone)
    if found is None:
        return Decimal(0)
    terms, slot = found
    currency = terms.contract.currency
    held = retention_held(contract_id=terms.contract_id, currency=currency)
    first_share = terms.retention_first_release_percent
    if slot == FIRST:
        return quantize(held * first_share / HUNDRED, currency)
    first_taken = Decimal(0)
    if terms.first_release_id is not None:
        first_taken = _applied_for(terms.first_release_id, currency)
        if first_taken == 0:
            first = Milestone.objects.filter(pk=terms.first_release_id).values_list(
                "status", flat=True
            )
            if first and first[0] not in RELEASED:
                first_taken = quantize(held * first_share / HUNDRED, currency)
    return max(held - first_taken, Decimal(0))


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
        return (
            f"{held}; {first.normalize():f}% of the balance is released when "
            f"'{terms.completion.title}' is met and the rest {terms.defects_months} months later, "
            "at the end of the defects period."
        )


# (day, 0 for held or 1 for released, words, amount, cycle id, milestone id)
Line = tuple[dt.date, int, str, Decimal, int | None, int | None]


def _held_rows(contract: Contract) -> list[Line]:
    currency = contract.currency
    rows: list[Line] = []
    cycles = (
        PaymentCycle.objects.filter(contract=contract, retention__gt=0)
        .values("pk", "number", "applied_on", "period_end", "retention", "gross_value")
        .annotate(title=F("milestone__title"))
        .order_by("applied_on", "number")
    )
    for c in cycles:
        what = (
            f"the stage '{c['title']}'"
            if c["title"]
            else f"the valuation to {_date(c['period_end'])}"
        )
        text = (
            f"Application {c['number']}, for {what}, held back "
            f"{format_money(c['retention'], currency)} of "
            f"{format_money(c['gross_value'], currency)}."
        )
        rows.append((c["applied_on"], 0, text, c["retention"], c["pk"], None))
    return rows


def _released_rows(contract: Contract) -> list[Line]:
    currency = contract.currency
    rows: list[Line] = []
    receipts = (
        Receipt.objects.filter(_release_receipts(contract.pk))
        .values("paid_on", "amount", "cycle_id", "reference")
        .annotate(
            title=F("cycle__milestone__title"),
            number=F("cycle__number"),
            milestone_id=F("cycle__milestone_id"),
        )
        .order_by("paid_on", "pk")
    )
    for r in receipts:
        ref = f" (reference {r['reference']})" if r["reference"] else ""
        text = (
            f"{format_money(r['amount'], currency)} of retention paid back against "
            f"'{r['title']}', application {r['number']}{ref}."
        )
        rows.append((r["paid_on"], 1, text, r["amount"], r["cycle_id"], r["milestone_id"]))
    direct = (
        PaymentTerms.objects.filter(_paid_without_cycle(contract.pk))
        .values("paid_on", "paid_amount", "milestone_id")
        .annotate(title=F("milestone__title"))
        .distinct()
    )
    for d in direct:
        text = (
            f"{format_money(d['paid_amount'], currency)} of retention paid back on '{d['title']}'."
        )
        rows.append((d["paid_on"], 1, text, d["paid_amount"], None, d["milestone_id"]))
    return rows


def _release_words(
    milestone: Milestone, terms: MoneyTerms, *, today: dt.date, due: Decimal, paid: Decimal
) -> str:
    currency = terms.contract.currency
    status = milestone.status
    completion = terms.completion.title if terms.completion else "completion"
    if status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
        day = f" on {_date(milestone.met_on)}" if milestone.met_on else ""
        return f"Paid back{day}: {format_money(paid, currency)}."
    if status in RELEASED:
        return f"Given up ({MilestoneStatus(status).label.lower()})."
    if status == MilestoneStatus.NOT_MET:
        return "Marked not met."
    if due > 0:
        return f"Due now: {format_money(due, currency)} to pay back."
    when = _date(milestone.due_date)
    if milestone.due_date <= today:
        return f"Due since {when}; nothing is held for it to pay back."
    if milestone.anchor_offset == 0:
        return f"Due when '{completion}' is met, planned for {when}."
    return f"Due {when}, at the end of the defects period after '{completion}'."


def _releases(terms: MoneyTerms, *, today: dt.date) -> list[Release]:
    ids = {FIRST: terms.first_release_id, SECOND: terms.second_release_id}
    wanted = [pk for pk in ids.values() if pk is not None]
    if not wanted:
        return []
    milestones = {
        m.pk: m
        for m in Milestone.objects.filter(pk__in=wanted).select_related(
            "payment", "payment__trigger"
        )
    }
    received = dict(
        Receipt.objects.filter(cycle__milestone_id__in=wanted)
        .values("cycle__milestone_id")
        .annotate(t=Sum("amount"))
        .values_list("cycle__milestone_id", "t")
    )
    currency = terms.contract.currency
    shares = {
        FIRST: terms.retention_first_release_percent,
        SECOND: HUNDRED - terms.retention_first_release_percent,
    }
    found = []
    for slot, pk in ids.items():
        milestone = milestones.get(pk) if pk is not None else None
        if milestone is None:
            continue
        paid = _sum(received.get(milestone.pk), currency) or milestone.payment.paid_amount
        amount_now = retention_release_amount(milestone=milestone)
        trigger_met = milestone.payment.trigger.status in (
            MilestoneStatus.MET,
            MilestoneStatus.PARTIALLY_MET,
            MilestoneStatus.WAIVED,
        )
        open_ = milestone.status in (MilestoneStatus.SCHEDULED, MilestoneStatus.IN_PROGRESS)
        owed = open_ and trigger_met and milestone.due_date <= today
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
    """Return the contract's retention ledger on ``today``: totals, releases and dated lines."""
    currency = contract.currency
    terms = (
        MoneyTerms.objects.filter(contract=contract)
        .select_related("completion", "payer__organisation", "payee__organisation")
        .first()
    )
    if terms is not None:
        terms.contract = contract
    held = retention_held(contract_id=contract.pk, currency=currency)
    released = retention_released(contract_id=contract.pk, currency=currency)
    lines = sorted(
        _held_rows(contract) + _released_rows(contract),
        key=lambda r: (r[0], r[1]),
    )
    rows, balance = [], Decimal(0)
    for day, order, text, amount, cycle_id, milestone_id in lines:
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
    releases = _releases(terms, today=today) if terms is not None else []
    return Ledger(
        contract=contract,
        terms=terms,
        currency=currency,
        held=held,
        released=released,
        balance=held - released,
        due=sum((r.due for r in releases), Decimal(0)),
        releases=releases,
        rows=rows,
    )
