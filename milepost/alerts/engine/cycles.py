"""Payment cycles as action requests: the notice or the money each side owes, by its deadline.

A payment cycle (``milepost.finance``) waits on three answers, each from one party's managers:

- the payer's **payment notice**, asked when the payee applies and due by
  ``payment_notice_by`` (a notice after it is kept on record but changes nothing, so the
  request expires after that day);
- the payee's **default notice**, asked once the payment notice's day has passed without one
  (the daily scan): the application then stands as the sum payable, which the request says;
- the payer's **payment** of what is payable, by the final date, asked once that sum is known
  (a payment notice, a pay less notice, a default notice, the notice's day passed, or at once
  where the terms need no notices) and asked again with the new sum when a notice changes it.
  A stage's cycle invoices its payment milestone, and that milestone's own request asks for
  the money instead.

This module says what is owed, by whom and by when (``Due``); ``actions`` turns each into one
request per manager who may act for the party, by the contract's access rule, as it does for
every other kind.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.urls import reverse

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Party
from milepost.core.dates import local_today, zone
from milepost.core.money import format_money
from milepost.finance.cycles.selectors import cycle_outstanding, cycles_with_paid, payable_sql
from milepost.finance.events import FinanceEvent
from milepost.finance.models import PaymentCycle, Receipt

from ..choices import ActionKind, CloseReason
from ..models import ActionRequest
from ..timing import latest_day_now

CYCLE = "finance.paymentcycle"
RECEIPT = "finance.receipt"
RELATED = ("contract__money_terms", "payer__organisation", "payee__organisation", "milestone")


@dataclass(frozen=True)
class Due:
    """One answer a payment cycle waits for: what, from which party, by when, in words."""

    kind: str
    cycle: PaymentCycle
    party: Party
    sentence: str
    deadline: dt.date
    origin: str
    # The last day the answer can still change anything; the request expires after it.
    last_day: dt.date | None = None

    @property
    def url(self) -> str:
        return cycle_path(self.cycle.pk)

    def expires_at(self) -> dt.datetime | None:
        if self.last_day is None:
            return None
        after = self.last_day + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(0), tzinfo=zone(self.cycle.contract.time_zone))


def cycle_path(pk: int) -> str:
    """The cycle's page, where each notice and payment is recorded."""
    return reverse("finance:cycle", args=[pk])


def deadline_words(day: dt.date) -> str:
    """A deadline as people read it, with its weekday: "Thu 12 Nov 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _date_words(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _cycles() -> Any:
    return cycles_with_paid(PaymentCycle.objects.select_related(*RELATED))


def _notices_required(cycle: PaymentCycle) -> bool:
    terms = getattr(cycle.contract, "money_terms", None)
    return terms.notices_required if terms is not None else True


def _sum_known(cycle: PaymentCycle, today: dt.date) -> bool:
    """Whether the sum payable is settled: a notice was given, or none is needed or possible."""
    return (
        not _notices_required(cycle)
        or cycle.notice_given_on is not None
        or cycle.default_notice_on is not None
        or cycle.payment_notice_by < today
    )


def _what(cycle: PaymentCycle) -> str:
    """Name the cycle: "payment cycle 3 (the period to 31 Oct 2026)", "… (Foundation payment)"."""
    if cycle.milestone_id is not None and cycle.milestone is not None:
        return f"payment cycle {cycle.number} ({cycle.milestone.title})"
    return f"payment cycle {cycle.number} (the period to {_date_words(cycle.period_end)})"


def cycle_of(event: Event) -> PaymentCycle | None:
    """The payment cycle an event is about, whether recorded on the cycle or on a receipt."""
    if event.object_type == CYCLE:
        return _cycles().filter(pk=event.object_id).first()
    if event.object_type == RECEIPT:
        cycle_id = Receipt.objects.filter(pk=event.object_id).values("cycle_id")
        return _cycles().filter(pk__in=cycle_id).first()
    return None


# --- what is owed ----------------------------------------------------------------------------


def notice_due(cycle: PaymentCycle, origin: str) -> Due:
    money = format_money(cycle.applied_sum, cycle.contract.currency)
    return Due(
        kind=ActionKind.PAYMENT_NOTICE,
        cycle=cycle,
        party=cycle.payer,
        sentence=(
            f"{cycle.payee.organisation} applied for {money} in {_what(cycle)}. "
            f"{cycle.payer.organisation}'s payment notice is due by "
            f"{deadline_words(cycle.payment_notice_by)}; without one in time the sum applied "
            "for becomes the sum payable."
        ),
        deadline=cycle.payment_notice_by,
        origin=origin,
        last_day=cycle.payment_notice_by,
    )


def default_due(cycle: PaymentCycle, origin: str) -> Due:
    money = format_money(cycle.applied_sum, cycle.contract.currency)
    return Due(
        kind=ActionKind.DEFAULT_NOTICE,
        cycle=cycle,
        party=cycle.payee,
        sentence=(
            f"{cycle.payer.organisation} gave no payment notice for {_what(cycle)} by "
            f"{deadline_words(cycle.payment_notice_by)}: the missed deadline makes the "
            f"{money} applied for the sum payable. {cycle.payee.organisation} may give a "
            "default notice to say so."
        ),
        deadline=cycle.final_date,
        origin=origin,
    )


def payment_due(cycle: PaymentCycle, origin: str) -> Due | None:
    owed = cycle_outstanding(cycle)
    # A stage's application invoices its payment milestone, whose own request asks for the
    # money ("Pay an invoice") and closes when it is paid: asking twice would only be noise.
    if owed <= 0 or cycle.milestone_id is not None:
        return None
    money = format_money(owed, cycle.contract.currency)
    return Due(
        kind=ActionKind.CYCLE_PAYMENT,
        cycle=cycle,
        party=cycle.payer,
        sentence=(
            f"{cycle.payer.organisation} is to pay {cycle.payee.organisation} {money} for "
            f"{_what(cycle)} by the final date for payment, {deadline_words(cycle.final_date)}."
        ),
        deadline=cycle.final_date,
        origin=origin,
    )


def dues_from_event(event: Event) -> list[Due]:
    """What a payment cycle's event asks for next."""
    if event.action not in (
        FinanceEvent.PAYMENT_CYCLE_APPLIED,
        FinanceEvent.PAYMENT_CYCLE_NOTIFIED,
        FinanceEvent.PAYMENT_CYCLE_DEFAULTED,
        FinanceEvent.PAYMENT_CYCLE_PAY_LESS,
        FinanceEvent.PAYMENT_CYCLE_PAID,
    ):
        return []
    cycle = cycle_of(event)
    if cycle is None or cycle.contract.status != ContractStatus.ACTIVE:
        return []
    origin = f"e{event.pk}"
    found: list[Due | None] = []
    if event.action == FinanceEvent.PAYMENT_CYCLE_APPLIED:
        if _notices_required(cycle):
            # An application recorded after its notice day (a history typed in late) asks for
            # no notice: the daily scan asks for the default notice instead.
            today = local_today(cycle.contract.time_zone)
            if cycle.payment_notice_by >= today and not cycle.notice_given_on:
                found.append(notice_due(cycle, origin))
        else:
            found.append(payment_due(cycle, origin))
    elif event.action == FinanceEvent.PAYMENT_CYCLE_PAID:
        # A part payment: the payer is asked for what is left, once the sum is settled.
        if _sum_known(cycle, local_today(cycle.contract.time_zone)):
            found.append(payment_due(cycle, origin))
    else:
        found.append(payment_due(cycle, origin))
    return [due for due in found if due is not None]


def closing(event: Event) -> list[tuple[Q, str]]:
    """The open requests a payment cycle's event closes, and why."""
    action = event.action
    if not action.startswith("payment_cycle."):
        return []
    cycle = cycle_of(event)
    if cycle is None:
        return []
    on_cycle = Q(object_type=CYCLE, object_id=cycle.pk)
    found: list[tuple[Q, str]] = []
    if action == FinanceEvent.PAYMENT_CYCLE_NOTIFIED:
        found.append((on_cycle & Q(kind=ActionKind.PAYMENT_NOTICE), CloseReason.TAKEN))
        if cycle.notice_in_time:
            found.append((on_cycle & Q(kind=ActionKind.DEFAULT_NOTICE), CloseReason.MOOT))
    elif action == FinanceEvent.PAYMENT_CYCLE_DEFAULTED:
        found.append((on_cycle & Q(kind=ActionKind.DEFAULT_NOTICE), CloseReason.TAKEN))
        found.append((on_cycle & Q(kind=ActionKind.PAYMENT_NOTICE), CloseReason.MOOT))
    if action in (
        FinanceEvent.PAYMENT_CYCLE_NOTIFIED,
        FinanceEvent.PAYMENT_CYCLE_PAY_LESS,
        FinanceEvent.PAYMENT_CYCLE_DEFAULTED,
        FinanceEvent.PAYMENT_CYCLE_PAID,
    ):
        # The sum or the final date may have changed: a request that no longer says what is
        # owed is moot and the payer is asked again; one that still does stays, so a notice
        # that changed nothing (given late, say) sends nothing twice.
        pay = payment_due(cycle, "")
        asking = on_cycle & Q(kind=ActionKind.CYCLE_PAYMENT)
        if pay is not None:
            found.append((asking & ~Q(sentence=pay.sentence), CloseReason.MOOT))
        elif action == FinanceEvent.PAYMENT_CYCLE_PAID and cycle_outstanding(cycle) <= 0:
            found.append((asking, CloseReason.TAKEN))
        else:
            found.append((asking, CloseReason.MOOT))
    if action == FinanceEvent.PAYMENT_CYCLE_PAID and cycle_outstanding(cycle) <= 0:
        found.append(
            (
                on_cycle & Q(kind__in=[ActionKind.PAYMENT_NOTICE, ActionKind.DEFAULT_NOTICE]),
                CloseReason.MOOT,
            )
        )
    return found


def notices_missed(*, now: dt.datetime) -> list[Due]:
    """Once a day: the cycles whose payment notice day has passed without a notice in time.

    The payee's managers are asked for a default notice, and the payer's for the application's
    sum (each once per cycle: the request's key names the cycle, not the day).
    """
    latest = latest_day_now(now)
    found: list[Due] = []
    asked = ActionRequest.objects.filter(kind=ActionKind.DEFAULT_NOTICE, object_type=CYCLE)
    candidates = (
        _cycles()
        .filter(
            payment_notice_by__lt=latest,
            default_notice_on__isnull=True,
            contract__status=ContractStatus.ACTIVE,
        )
        .exclude(notice_given_on__isnull=False, notice_late=False)
        .exclude(contract__money_terms__notices_required=False)
        # Each cycle is asked once: those already asked, or paid in full, are not read again.
        .exclude(pk__in=asked.values("object_id"))
        .annotate(payable_sum=payable_sql())
        .filter(payable_sum__gt=F("paid"))
        .order_by("pk")
    )
    for cycle in candidates:
        if not cycle.default_notice_open(local_today(cycle.contract.time_zone, now)):
            continue
        if cycle_outstanding(cycle) <= 0:
            continue
        found.append(default_due(cycle, "missed"))
        pay = payment_due(cycle, "missed")
        if pay is not None:
            found.append(pay)
    return found
