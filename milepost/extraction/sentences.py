"""How the review of proposals read from a contract document reads (``milepost.audit.sentences``).

Each sentence quotes the contract's own words, so the history says what was agreed to and why:
"Sam Patel accepted the proposal “Payment: 30% on completion of the foundations” from clause
4.2: “thirty per cent (30%) of the Contract Sum …”".
"""

from typing import Any

from milepost.audit.sentences import Told, sentence

from .events import ExtractionEvent
from .values import FIELD_LABELS, PROPOSAL_FIELDS

QUOTE_SHOWN = 160

_PROPOSAL = {
    "kind": "payment",
    "title": "Payment: 30% on completion of the foundations",
    "document": "Signed agreement",
    "clause": "4.2",
    "quote": (
        "The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of the "
        "Engineer certifying completion of the foundations."
    ),
    "page": 3,
    "status": "accepted",
}


def _parts(e: Told) -> tuple[str, str, str]:
    """What was decided ("the proposal “…”"), where the contract says it ("clause 4.2"), and
    its words (": “…”", bounded)."""
    after = e.event.after if isinstance(e.event.after, dict) else {}
    if after.get("kind") == "damages":
        rate, per = after.get("rate"), after.get("per")
        terms = (
            f" ({e.money(rate, str(after.get('currency') or ''))} per {per})"
            if rate not in (None, "") and per
            else ""
        )
        what = f"the delay damages{terms}"
    else:
        what = f"the proposal {e.quoted(after.get('title'), 'read from the contract')}"
    clause = str(after.get("clause") or "").strip()
    where = f"clause {clause}" if clause else e.quoted(after.get("document"), "the contract")
    quote = " ".join(str(after.get("quote") or "").split()).rstrip(".;:, ")
    if len(quote) > QUOTE_SHOWN:
        quote = quote[:QUOTE_SHOWN].rsplit(" ", 1)[0] + " …"
    return what, where, f": “{quote}”" if quote else ""


def _words(e: Told) -> str:
    """“the proposal “…” from clause 4.2: “…””."""
    what, where, said = _parts(e)
    return f"{what} from {where}{said}"


@sentence(
    ExtractionEvent.PROPOSAL_ACCEPTED,
    example={"object_type": "extraction.proposal", "after": _PROPOSAL},
)
def _accepted(e: Told) -> str:
    return f"{e.actor} accepted {_words(e)}."


@sentence(
    ExtractionEvent.PROPOSAL_REJECTED,
    example={"object_type": "extraction.proposal", "after": {**_PROPOSAL, "status": "rejected"}},
)
def _rejected(e: Told) -> str:
    return f"{e.actor} rejected {_words(e)}."


@sentence(
    ExtractionEvent.PROPOSAL_REOPENED,
    example={
        "object_type": "extraction.proposal",
        "before": {"status": "rejected"},
        "after": {**_PROPOSAL, "status": "pending"},
    },
)
def _reopened(e: Told) -> str:
    what, where, said = _parts(e)
    return f"{e.actor} reopened {what} ({where}) for review{said}."


def _what_where(e: Told) -> str:
    """“the proposal “…” (clause 4.2)”: the thing first, for sentences that go on to list."""
    what, where, _ = _parts(e)
    return f"{what} ({where})"


def _from_to(e: Told) -> str:
    """“the due date from 31 Mar 2027 to 7 Apr 2027 and the owner from nobody to Sam Patel”."""
    after = e.event.after if isinstance(e.event.after, dict) else {}
    shown: dict[str, Any] = after.get("shown") or {}
    changes: dict[str, Any] = after.get("changes") or {}
    order = PROPOSAL_FIELDS.get(str(after.get("kind") or ""), ())
    ranked = sorted(changes, key=lambda n: (order.index(n) if n in order else len(order), n))
    parts = []
    for name in ranked:
        label = _LABELS.get(name) or FIELD_LABELS.get(name, name.replace("_", " ")).lower()
        pair = shown.get(name)
        if isinstance(pair, list) and len(pair) == 2:
            parts.append(f"the {label} from {pair[0]} to {pair[1]}")
        else:
            parts.append(f"the {label}")
    if not parts:
        return "its values"
    return e.listed(parts)


# Field labels that read awkwardly inside a sentence.
_LABELS = {
    "cap_percent": "cap",
    "cap_amount": "cap",
    "percentage": "percentage of the contract value",
    "trigger": "milestone it pays for",
    "milestone": "milestone the damages run on",
    "kpi_name": "measure",
    "period": "measuring period",
    "required_parties": "parties that approve it",
    "recurring": "repeat",
}


@sentence(
    ExtractionEvent.PROPOSAL_EDITED,
    example={
        "object_type": "extraction.proposal",
        "before": {"due_date": "2027-03-31", "owner": None},
        "after": {
            **_PROPOSAL,
            "changes": {"due_date": "2027-04-07", "owner": 2},
            "shown": {
                "due_date": ["31 Mar 2027", "7 Apr 2027"],
                "owner": ["nobody", "Sam Patel"],
            },
        },
    },
)
def _edited(e: Told) -> str:
    return f"{e.actor} changed {_what_where(e)}: {_from_to(e)}."


@sentence(
    ExtractionEvent.PROPOSAL_APPLIED,
    example={
        "object_type": "extraction.proposal",
        "before": {"status": "accepted"},
        "after": {
            **_PROPOSAL,
            "milestone": "Payment: 30% on completion of the foundations",
            "occurrences": 1,
        },
    },
)
def _applied(e: Told) -> str:
    after = e.event.after if isinstance(e.event.after, dict) else {}
    milestone = e.quoted(after.get("milestone"), "a milestone")
    count = after.get("occurrences") or 0
    what, where, said = _parts(e)
    document = str(after.get("document") or "").strip()
    if document and where.startswith("clause "):
        where = f"{where} of {e.quoted(document)}"
    if after.get("kind") == "damages":
        return f"{e.actor} set {what} on {milestone}, from {where}{said}."
    if after.get("matched"):
        return f"{e.actor} linked {what} from {where} to the milestone {milestone}{said}."
    if isinstance(count, int) and count > 1:
        return f"{e.actor} created {count} milestones, the first {milestone}, from {where}{said}."
    return f"{e.actor} created the milestone {milestone} from {where}{said}."
