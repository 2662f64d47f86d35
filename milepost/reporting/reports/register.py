"""The communications register report: a contract's formal communications as they stand.

Only what was sent is listed. An issued report is read by everyone on the contract, and a
draft belongs to its sending organisation alone; a draft withdrawn was never sent at all.
The register reads through the communications selectors the register page uses, so its
bands (the share of a reply period left) and its compensation events are the page's own.
"""

import datetime as dt
from typing import Any, cast

from milepost.accounts.models import User
from milepost.communications.choices import CommunicationState
from milepost.communications.deadlines import delay_words
from milepost.communications.models import Communication
from milepost.communications.selectors import (
    RegisterRow,
    communications_for_contract,
    compensation_events,
    register_rows,
)
from milepost.contracts.choices import ContractForm
from milepost.contracts.models import Contract
from milepost.core.dates import local_today

from .figures import Bounded
from .period import Period

# A register of a long contract stays a document one can send: the rest is in the CSV.
REGISTER_LIMIT = 500
# The forms whose communications include compensation events with quotations.
COMPENSATION_FORMS = (ContractForm.NEC4_ECC, ContractForm.NEC4_PSC)


def _due(row: RegisterRow) -> dt.date:
    """The last day the row waits for: the day silence becomes acceptance, else the reply's."""
    c = row.communication
    silent = c.state == CommunicationState.SENT and c.deems_on is not None
    return (c.deems_on if silent else c.reply_due) or dt.date.max


def _event_row(row: dict[str, object]) -> dict[str, object]:
    """A compensation event with its latest quotation's delay in words."""
    quotation = cast(Communication | None, row["quotation"])
    return {**row, "delay": delay_words(quotation.quoted_delay_days) if quotation else ""}


def communications_register(
    *, contract: Contract, user: User, period: Period, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the register: what awaits an answer (soonest due first), the compensation events
    with their quotations, what was deemed accepted or time-barred, then every communication."""
    today = local_today(contract.time_zone, now)
    sent = list(
        communications_for_contract(user=user, contract=contract)
        .filter(sent_on__isnull=False)
        .order_by("number")
    )
    rows = register_rows(communications=sent, contract=contract, today=today)
    waiting = sorted(
        (row for row in rows if row.communication.awaiting),
        key=lambda row: (_due(row), row.communication.number),
    )
    settled = [
        row
        for row in rows
        if row.communication.state in (CommunicationState.DEEMED, CommunicationState.TIME_BARRED)
    ]
    events = (
        [
            _event_row(row)
            for row in compensation_events(user=user, contract=contract)
            if cast(Communication, row["event"]).sent_on is not None
        ]
        if contract.form in COMPENSATION_FORMS
        else None
    )
    in_period = [c for c in sent if c.sent_on and period.start <= c.sent_on <= period.end]
    overdue = [row for row in waiting if row.band == "overdue"]
    return {
        "contract": contract,
        "today": today,
        "form_label": ContractForm(contract.form).label,
        "waiting": Bounded(rows=waiting[:REGISTER_LIMIT], total=len(waiting)),
        "overdue": len(overdue),
        "events": events,
        "settled": settled,
        # The latest, when the register is longer than a document holds.
        "register": Bounded(rows=rows[-REGISTER_LIMIT:], total=len(rows)),
        "sent_in_period": len(in_period),
        "figures": {
            "communications": len(rows),
            "sent_this_period": len(in_period),
            "awaiting_answer": len(waiting),
            "overdue": len(overdue),
            "deemed": sum(r.communication.state == CommunicationState.DEEMED for r in settled),
            "time_barred": sum(
                r.communication.state == CommunicationState.TIME_BARRED for r in settled
            ),
            "compensation_events": len(events) if events is not None else None,
            "overdue_references": [row.communication.reference for row in overdue],
        },
    }
