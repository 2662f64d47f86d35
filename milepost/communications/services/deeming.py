"""The worker's one job here: treat as accepted what silence has accepted, one row at a time."""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from milepost.audit.services import event_record
from milepost.contracts.choices import CLOSED_CONTRACT_STATUSES

from ..events import CommunicationEvent
from ..models import Communication
from ..selectors import contract_period
from .implementing import thread_implement
from .rules import S, form_type, period_count, state_move


def communications_deem_pending(now: dt.datetime) -> QuerySet[Communication]:
    """The communications whose last day after a notified failure has ended (the idle check).

    Not on a completed or terminated contract: its communications are frozen.
    """
    return Communication.objects.filter(state=S.SENT, deems_at__lte=now).exclude(
        contract__status__in=CLOSED_CONTRACT_STATUSES
    )


@transaction.atomic
def communication_deem_one(*, pk: int, now: dt.datetime) -> bool:
    """Treat one communication as accepted if its last day after a notified failure has passed
    in its contract's time zone with no answer; return whether it did. Idempotent."""
    c = (
        Communication.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("contract", "owed_by__organisation", "sender__organisation")
        .filter(pk=pk, state=S.SENT, deems_at__lte=now)
        .first()
    )
    if c is None or c.deems_on is None or c.contract.is_closed:
        return False
    type_ = form_type(c.contract, c.kind)
    state_move(c, S.DEEMED)
    c.deemed_on = c.deems_on + dt.timedelta(days=1)
    facts: dict[str, Any] = {}
    c.awaiting = False
    c.deems_at = None
    if c.kind == "ce_contractor":
        # Treated as acceptance and as an instruction to submit quotations (NEC4 cl. 61.4).
        c.reply_due, counted = period_count(c.contract, "quotation_submit", c.deems_on)
        c.awaiting = True
        c.owed_by = c.sender
        facts.update(
            reply_due=c.reply_due, reply=counted, owed_quotation_by=c.sender.organisation.name
        )
    else:
        c.reply_due = None
    c.save()
    if c.kind == "quotation":
        facts.update(thread_implement(c, deemed=True))
    assert c.deems_on is not None and type_.deemed
    clause = contract_period(contract=c.contract, key=type_.deemed).clause
    event_record(
        actor=None,
        action=CommunicationEvent.COMMUNICATION_DEEMED,
        obj=c,
        after={
            "reference": c.reference,
            "subject": c.subject,
            "label": type_.label,
            "clause": clause,
            "deems_on": c.deems_on,
            "deemed_on": c.deemed_on,
            "owed_by": c.recipient.organisation.name,
            **facts,
        },
        contract_id=c.contract_id,
    )
    return True


def communications_deem_due(
    *,
    now: dt.datetime,
    skip: Iterable[int] = (),
    on_error: Callable[[int, Exception], None] | None = None,
    limit: int = 200,
) -> list[int]:
    """Deem every communication whose silence has become acceptance; one bad row is recorded
    (``on_error``) and passed over, never stopping the others. Return the ids deemed."""
    ids = list(
        communications_deem_pending(now)
        .exclude(pk__in=list(skip))
        .order_by("deems_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = []
    for pk in ids:
        try:
            if communication_deem_one(pk=pk, now=now):
                done.append(pk)
        except Exception as error:
            if on_error is None:
                raise
            on_error(pk, error)
    return done
