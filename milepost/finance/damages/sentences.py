"""How the delay damages events read (see ``milepost.audit.sentences``)."""

from typing import Any

from milepost.audit.sentences import Told, sentence

from ..events import FinanceEvent

_UNITS = {"day": "a day", "week": "a week or part of a week"}
_EXAMPLE = {
    "rate": "2500.00",
    "unit": "week",
    "cap_amount": "50000.00",
    "cap_percent": None,
    "currency": "GBP",
    "payer": "Northgate Build",
    "payee": "Harbour City Council",
}


def _cap(e: Told, amount: Any, percent: Any) -> str:
    caps = []
    if amount not in (None, ""):
        caps.append(e.money(amount))
    if percent not in (None, ""):
        caps.append(f"{e.number(percent)}% of the contract value")
    return f"capped at {' or '.join(caps)}" if caps else "with no cap"


def _labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "rate": ("rate", e.money),
        "unit": ("period", lambda v: _UNITS.get(str(v), "not set")),
        "cap_amount": ("cap", lambda v: e.money(v, "") if v not in (None, "") else "none"),
        "cap_percent": (
            "cap as a share of the contract value",
            lambda v: f"{e.number(v)}%" if v not in (None, "") else "none",
        ),
        "payer": ("party paying them", e.organisation),
        "payee": ("party owed them", e.organisation),
    }


@sentence(FinanceEvent.DELAY_DAMAGES_SET, example={"after": _EXAMPLE})
def _set(e: Told) -> str:
    return (
        f"{e.actor} set delay damages on {e.milestone} of {e.money(e.after('rate'))} "
        f"{_UNITS.get(str(e.after('unit')), 'a day')} late, "
        f"{_cap(e, e.after('cap_amount'), e.after('cap_percent'))}, owed by "
        f"{e.organisation(e.after('payer'), 'the party late')} to "
        f"{e.organisation(e.after('payee'), 'the party owed')}."
    )


@sentence(
    FinanceEvent.DELAY_DAMAGES_CHANGED,
    example={"before": {"rate": "2000.00"}, "after": {"rate": "2500.00"}},
)
def _changed(e: Told) -> str:
    return f"{e.actor} changed the delay damages on {e.milestone}: {e.changes(_labels(e))}."


@sentence(FinanceEvent.DELAY_DAMAGES_REMOVED, example={"before": _EXAMPLE})
def _removed(e: Told) -> str:
    return (
        f"{e.actor} removed the delay damages on {e.milestone} "
        f"({e.money(e.before('rate'))} {_UNITS.get(str(e.before('unit')), 'a day')} late)."
    )
