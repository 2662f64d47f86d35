"""What the tests of the contract's clock share: fixed days, NEC4 ECC with its Project Manager,
and the contractor's notification of a compensation event.

The clock tests hold Friday 11 December 2026 in England (their modules' ``START``), so that
periods run across the Christmas break.
"""

import datetime as dt
from typing import Any

from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set
from milepost.contracts.services import party_name_role

from .conftest import World

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str, hour: int = 10) -> dt.datetime:
    """That day at ``hour`` UTC (the same hour in London in winter)."""
    return dt.datetime.combine(day(text), dt.time(hour), tzinfo=dt.UTC)


def nec4(w: World) -> None:
    """Put the contract on NEC4 ECC with the consultant as Project Manager."""
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    party_name_role(party=w.consultant, named_role="project_manager", actor=w.client_manager)


def notify_ce(w: World, **fields: Any) -> Communication:
    """The contractor notifies a compensation event it became aware of on Monday 7 December."""
    values: dict[str, Any] = {
        "contract": w.contract,
        "kind": "ce_contractor",
        "subject": "Late access to the east site",
        "text": "Access was given three weeks after the access date.",
        "aware_on": day("2026-12-07"),
        "actor": w.supplier_manager,
    }
    values.update(fields)
    return communication_create(**values)


def answer(
    w: World, parent: Communication, kind: str, actor: Any = None, **fields: Any
) -> Communication:
    """Answer ``parent`` with a communication of ``kind`` (by the Project Manager unless said)."""
    return communication_create(
        contract=w.contract,
        kind=kind,
        subject=fields.pop("subject", f"Re: {parent.subject}"),
        in_reply_to=parent,
        actor=actor or w.consultant_manager,
        **fields,
    )
