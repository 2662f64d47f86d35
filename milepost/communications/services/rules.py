"""What the clock's writes share: the transition table's one door, the form's types, the
contract's periods counted from a day, and the moment a day ends in the contract's time zone."""

import datetime as dt
from typing import Any

from milepost.contracts.choices import ContractForm
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_calendar
from milepost.core.dates import zone
from milepost.core.errors import DomainError

from .. import catalogue
from ..catalogue import TypeDef
from ..choices import (
    COMMUNICATION_TRANSITIONS,
    CommunicationState,
)
from ..deadlines import deadline
from ..models import Communication
from ..selectors import contract_period

S = CommunicationState


def state_move(communication: Communication, state: str) -> None:
    """Move a communication to ``state`` through the transition table."""
    if state not in COMMUNICATION_TRANSITIONS[communication.state]:
        raise DomainError(
            "invalid_transition",
            f"{communication.reference} is {communication.get_state_display().lower()} and "
            f"cannot become {S(state).label.lower()}.",
            field="state",
        )
    communication.state = state


def form_type(contract: Contract, kind: str) -> TypeDef:
    found = catalogue.form_def(contract.form).type(kind)
    if found is None:
        raise DomainError(
            "unknown_type",
            f"The {ContractForm(contract.form).label} has no communication '{kind}'.",
            field="kind",
        )
    return found


def period_count(contract: Contract, key: str, start: dt.date) -> tuple[dt.date, dict[str, Any]]:
    """The last day of the contract's period ``key`` counted from ``start``, with how it was
    counted, for the event."""
    period = contract_period(contract=contract, key=key)
    day = deadline(contract_calendar(contract=contract), start, period.length, period.unit)
    return day, {
        "period": key,
        "clause": period.clause,
        "length": period.length,
        "unit": period.unit,
        "from": start,
    }


def day_ends_at(day: dt.date, tz_name: str) -> dt.datetime:
    """The moment ``day`` ends (the next day begins) in the time zone ``tz_name``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone(tz_name))
