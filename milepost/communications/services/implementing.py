"""A compensation event implemented: its thread closed, and the change it carries opened."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from milepost.core.errors import DomainError
from milepost.core.money import format_money
from milepost.schedule.changes import change_request_submit

from ..choices import (
    COMMUNICATION_TRANSITIONS,
)
from ..models import Communication
from .rules import S


def thread_implement(quote: Communication, *, deemed: bool = False) -> dict[str, Any]:
    """A quotation accepted (or treated as accepted) implements its compensation event, and
    opens the change of the dates (and of a payment's amount) it carries."""
    root = quote.thread or quote
    root = Communication.objects.select_for_update().get(pk=root.pk)
    if S.IMPLEMENTED not in COMMUNICATION_TRANSITIONS[root.state]:
        return {}
    root.state = S.IMPLEMENTED
    root.awaiting = False
    root.save(update_fields=["state", "awaiting", "updated_at"])
    return {
        "thread": root.reference,
        "thread_implemented": True,
        **_open_changes(quote, root, deemed=deemed),
    }


def _open_changes(quote: Communication, root: Communication, *, deemed: bool) -> dict[str, Any]:
    """Open a change request for each milestone the quotation (or its event) names: its due
    date moved by the quoted delay, and the first payment's amount by the quoted money.

    The change is the contractor's, as quoted, for the other side to approve with its impact
    preview. A milestone whose change cannot be opened (relative, closed, a change already
    pending) is named in the event with the reason, and the others still open.
    """
    delay = quote.quoted_delay_days or 0
    money = quote.quoted_amount or Decimal(0)
    requester = quote.sent_by
    linked = list(quote.milestones.all()) or list(root.milestones.all())
    if requester is None or not linked or (not delay and not money):
        return {}
    currency = quote.contract.currency
    how = "treated as accepted after a notified failure to reply" if deemed else "accepted"
    what = (
        f"the Project Manager's assessment {quote.reference} was notified"
        if quote.kind == "assessment"
        else f"quotation {quote.reference} was {how}"
    )
    reason = (
        f"Compensation event {root.reference} “{root.subject}” is implemented: {what}, with a "
        f"delay of {delay} day{'s' if abs(delay) != 1 else ''} and "
        f"{format_money(money, currency)} to the Prices."
    )
    opened: list[int] = []
    refused: list[str] = []
    money_left = money
    for milestone in linked:
        new_due = milestone.due_date + dt.timedelta(days=delay) if delay else None
        new_amount = None
        payment = getattr(milestone, "payment", None) if money_left else None
        if payment is not None:
            new_amount = payment.amount + money_left
        if new_due is None and new_amount is None:
            continue
        try:
            with transaction.atomic():
                change = change_request_submit(
                    milestone=milestone,
                    reason=reason,
                    actor=requester,
                    new_due_date=new_due,
                    new_amount=new_amount,
                )
        except DomainError as exc:
            refused.append(f"{milestone.title}: {exc.message}")
        else:
            opened.append(change.pk)
            if new_amount is not None:
                money_left = Decimal(0)
    facts: dict[str, Any] = {"changes": opened, "changes_not_opened": refused}
    if money_left:
        # No payment milestone took it: the event says so, for the parties to place it.
        facts["money_not_placed"] = format_money(money_left, currency)
    return facts
