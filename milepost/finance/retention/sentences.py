"""How the retention events read (see ``milepost.audit.sentences``)."""

from typing import Any

from milepost.audit.sentences import Told, sentence

from ..events import FinanceEvent

_PLANNED = {
    "release": "first",
    "amount": "25000.00",
    "share": "50.00",
    "currency": "GBP",
    "due_date": "2026-09-18",
    "completion": "Practical completion",
    "offset": 0,
    "defects_months": None,
    "payer": "Harbour City Council",
    "payee": "Northgate Construction",
}


def _when(e: Told, snapshot: dict[str, Any]) -> str:
    completion = e.quoted(snapshot.get("completion"), "completion")
    if snapshot.get("release") == "second":
        months = snapshot.get("defects_months")
        period = f"{months} months" if months not in (None, "") else "the defects period"
        return f"{period} after {completion} is met, at the end of the defects period"
    return f"when {completion} is met"


@sentence(
    FinanceEvent.RETENTION_RELEASE_PLANNED,
    example={"object_type": "schedule.milestone", "after": _PLANNED},
)
def _planned(e: Told) -> str:
    after = e.event.after if isinstance(e.event.after, dict) else {}
    if after.get("withdrawn"):
        reason = after.get("reason") or "the payment terms no longer call for it."
        reason = reason[:1].lower() + reason[1:]
        return f"{e.actor} withdrew {e.milestone}, a planned release of retention: {reason}"
    share = e.after("share")
    of_what = (
        f"{e.number(share)}% of the retention held" if share not in (None, "") else "retention"
    )
    planned = (
        f"releasing {of_what} ({e.money(e.after('amount'))} as planned from the contract value) "
        f"{_when(e, after)}, due {e.date(e.after('due_date'))}"
    )
    if e.event.before:
        return f"{e.actor} re-planned {e.milestone}: now {planned}."
    return (
        f"{e.actor} planned {e.milestone}: {e.organisation(e.after('payer'), 'the payer')} "
        f"pays {e.organisation(e.after('payee'), 'the payee')} back, {planned}."
    )


@sentence(
    FinanceEvent.RETENTION_RELEASE_FIXED,
    example={
        "object_type": "schedule.milestone",
        "before": {"amount": "25000.00", "currency": "GBP"},
        "after": {"amount": "18412.50", "currency": "GBP"},
    },
)
def _fixed(e: Told) -> str:
    return (
        f"{e.actor} set {e.milestone} to pay {e.money(e.after('amount'))}, the retention "
        f"actually held for it, instead of the {e.money(e.before('amount'))} planned."
    )
