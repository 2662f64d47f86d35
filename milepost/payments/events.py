"""The events the payments app records; see ``milepost.audit.events``."""

from typing import Any

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence


class PaymentEvent(EventType):
    """What happens to a payment milestone's terms, invoices and payments."""

    PAYMENT_TERMS_SET = "payment.terms_set"
    PAYMENT_TERMS_CHANGED = "payment.terms_changed"
    PAYMENT_INVOICED = "payment.invoiced"
    PAYMENT_PAID = "payment.paid"
    PAYMENT_RESCALED = "payment.rescaled"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------


def _terms_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "basis": ("basis", e.words),
        "amount": ("amount", e.money),
        "percentage": ("share of the contract value", lambda v: f"{e.number(v)}%"),
        "retention_percent": ("retention", lambda v: f"{e.number(v, '0')}%"),
        "payer": ("payer", e.organisation),
        "payee": ("payee", e.organisation),
        "trigger": ("trigger", lambda v: e.quoted(v, "none")),
        "currency": ("currency", e.words),
    }


@sentence(PaymentEvent.PAYMENT_TERMS_SET)
def _terms_set(e: Told) -> str:
    share = (
        f" ({e.number(e.after('percentage'))}% of the contract value)"
        if e.after("basis") == "percentage"
        else ""
    )
    retention = e.after("retention_percent")
    held = f", with {e.number(retention)}% retention" if retention and float(retention) else ""
    return (
        f"{e.actor} set {e.milestone} to pay {e.money(e.after('amount'))}{share} from "
        f"{e.organisation(e.after('payer'), 'the payer')} to {e.organisation(e.after('payee'), 'the payee')} "
        f"when {e.after('trigger') or 'its trigger'} is met{held}."
    )


@sentence(PaymentEvent.PAYMENT_TERMS_CHANGED)
def _terms_changed(e: Told) -> str:
    return f"{e.actor} changed the terms of {e.milestone}: {e.changes(_terms_labels(e))}."


@sentence(PaymentEvent.PAYMENT_INVOICED)
def _invoiced(e: Told) -> str:
    retention = e.after("retention")
    held = (
        f", with {e.money(retention)} retention held"
        if retention is not None and float(retention)
        else ""
    )
    return (
        f"{e.actor} invoiced {e.money(e.after('invoiced_amount'))} for {e.milestone} "
        f"on {e.date(e.after('invoiced_on'))}{held}."
    )


@sentence(PaymentEvent.PAYMENT_PAID)
def _paid(e: Told) -> str:
    received = e.money(e.after("received") or e.after("paid_amount"))
    total = e.after("paid_amount")
    so_far = (
        f"; {e.money(total)} paid in all"
        if total is not None
        and e.after("received") is not None
        and str(total) != str(e.after("received"))
        else ""
    )
    return (
        f"{e.actor} recorded a payment of {received} for {e.milestone} "
        f"received on {e.date(e.after('paid_on'))}{so_far}."
    )


@sentence(PaymentEvent.PAYMENT_RESCALED)
def _rescaled(e: Told) -> str:
    return (
        f"{e.milestone} now pays {e.money(e.after('amount'))} instead of "
        f"{e.money(e.before('amount'))}, as {e.actor} changed the contract value."
    )
