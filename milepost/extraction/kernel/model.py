"""What the extractor reads from a contract's text: proposals, delay damages and facts.

Plain data, no Django: ``Extraction.to_json()`` is the documented output of
``milepost extract --json`` (README, "Reading the contract"), and the review pages store each
proposal in that shape. Every value comes from the words the citation quotes; a value the text
does not state is ``None``, never a guess.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

ProposalKindName = Literal["deliverable", "payment", "performance", "gate"]
RelativeUnit = Literal["calendar", "working", "weeks", "months"]
Recurrence = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
Direction = Literal["at_least", "at_most"]

RECURRENCES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")
RELATIVE_UNITS: tuple[str, ...] = ("calendar", "working", "weeks", "months")


def _number(value: Decimal | None) -> int | float | None:
    """A JSON number for a percentage or target: whole numbers stay whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@dataclass(frozen=True)
class Citation:
    """The words a value came from: character offsets into the extracted text (``end`` is
    exclusive, so ``text[start:end] == quote``), the page for PDFs, and the clause number."""

    start: int
    end: int
    quote: str
    page: int | None = None
    clause: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "page": self.page,
            "clause": self.clause or None,
        }


@dataclass(frozen=True)
class Relative:
    """A date counted from an event: ``offset`` ``unit`` after (or, negative, before) the event
    or milestone that ``anchor`` names, in the contract's words."""

    anchor: str
    offset: int
    unit: RelativeUnit

    def to_json(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "offset": self.offset, "unit": self.unit}


@dataclass
class Proposal:
    """One milestone the text describes, of one kind, with what it says about it."""

    kind: ProposalKindName
    title: str
    citation: Citation
    confidence: float
    due: dt.date | None = None
    relative: Relative | None = None
    recurring: Recurrence | None = None
    percent: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    target: Decimal | None = None
    unit: str | None = None
    direction: Direction | None = None
    # Performance: the period a target is measured over ("day", "week", "month", "quarter").
    period: str | None = None
    # Parties named as doing, paying, receiving or approving it (gates: the approvers).
    parties: list[str] = field(default_factory=list)
    # Payments: the service credit a missed target earns, and the words of a payment's trigger.
    trigger: str | None = None
    # Field names whose value the text leaves open to doubt, such as "due" for 04/02/2018.
    ambiguous: list[str] = field(default_factory=list)
    # The ``key`` of the proposal this one's anchor names ("14 days after the foundations are
    # certified" depends on the foundations deliverable), or None.
    depends_on: str | None = None
    # A stable name within one extraction ("p1", "p2", ...), set by ``extract``.
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "due": self.due.isoformat() if self.due else None,
            "relative": self.relative.to_json() if self.relative else None,
            "recurring": self.recurring,
            "percent": _number(self.percent),
            "amount": _money(self.amount),
            "currency": self.currency,
            "target": _number(self.target),
            "unit": self.unit,
            "direction": self.direction,
            "period": self.period,
            "parties": list(self.parties),
            "trigger": self.trigger,
            "ambiguous": list(self.ambiguous),
            "depends_on": self.depends_on,
            "confidence": round(self.confidence, 2),
            "citation": self.citation.to_json(),
        }


@dataclass
class Damages:
    """Delay (liquidated) damages: ``rate`` of ``currency`` per ``per`` of delay, capped.

    A blank in the text ("$____ per day") leaves ``rate`` None and ``blank`` True. A rate stated
    as a share of a value ("7% of the total value ... for every 9 days") goes in
    ``rate_percent`` with ``per_days``; ``cap`` is an amount and ``cap_percent`` a share.
    """

    citation: Citation
    per: Literal["day", "week"] | None = None
    rate: Decimal | None = None
    currency: str | None = None
    cap: Decimal | None = None
    cap_percent: Decimal | None = None
    rate_percent: Decimal | None = None
    per_days: int | None = None
    blank: bool = False
    # The event the damages run from, in the contract's words ("the Date for Completion").
    runs_from: str | None = None
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": _money(self.rate),
            "per": self.per,
            "currency": self.currency,
            "cap": _money(self.cap),
            "cap_percent": _number(self.cap_percent),
            "rate_percent": _number(self.rate_percent),
            "per_days": self.per_days,
            "blank": self.blank,
            "runs_from": self.runs_from,
            "confidence": round(self.confidence, 2),
            "citation": self.citation.to_json(),
        }


@dataclass(frozen=True)
class PartyFact:
    """A party named in the text and the role the text gives it ("the Employer", "Client")."""

    name: str
    role: str | None
    citation: Citation

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "citation": self.citation.to_json()}


@dataclass
class Fact:
    """One thing the text says about the contract as a whole, with the words it came from.

    ``value`` is JSON-ready: a date as ISO text, money as a decimal string, a number, or text.
    """

    value: Any
    citation: Citation

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "citation": self.citation.to_json()}


FACT_NAMES: tuple[str, ...] = (
    # ISO date the contract is made or takes effect.
    "contract_date",
    # The term in words and, where the text gives it, in months ({"text": ..., "months": n}).
    "term",
    # The calendar that governs the contract: "england-and-wales", "scotland",
    # "northern-ireland", or "us-XX" for a US state (the governing law where stated).
    "calendar",
    # The contract sum (decimal string) and its currency (ISO 4217).
    "contract_sum",
    "currency",
    # Retention: the percentage held back, and how it is released, in words.
    "retention_percent",
    "retention_release",
    # Payment terms: days from a valid invoice to payment.
    "payment_days",
)


@dataclass
class Extraction:
    """Everything read from one text."""

    text_sha256: str
    proposals: list[Proposal] = field(default_factory=list)
    damages: list[Damages] = field(default_factory=list)
    parties: list[PartyFact] = field(default_factory=list)
    facts: dict[str, Fact] = field(default_factory=dict)
    # The document's date order as decided from its locale and context: "dmy" or "mdy".
    date_order: str = "dmy"
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "text_sha256": self.text_sha256,
            "date_order": self.date_order,
            "proposals": [p.to_json() for p in self.proposals],
            "damages": [d.to_json() for d in self.damages],
            "parties": [p.to_json() for p in self.parties],
            "facts": {name: fact.to_json() for name, fact in self.facts.items()},
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Span:
    """A stretch of the document's text: ``text == document[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Clause:
    """A numbered clause (or an unnumbered paragraph) and the sentences in it.

    ``number`` is the clause number as written ("4.2", "3(b)", "Schedule 2 para 1") or "";
    ``heading`` its heading if it has one. Offsets are into the whole document.
    """

    number: str
    heading: str
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]


@dataclass
class Context:
    """What every finder may know about the document while it reads one clause."""

    text: str
    # Offset at which each page starts (PDFs); empty for text without pages.
    pages: list[int] = field(default_factory=list)
    # "dmy" or "mdy": how to read 04/02/2018 (decided once per document).
    date_order: str = "dmy"
    # The currency the document mostly uses (ISO 4217), for amounts written without one.
    currency: str | None = None
    # Defined terms ("the Contract Sum", "Effective Date") → the words defining them.
    defined: dict[str, str] = field(default_factory=dict)

    def page_of(self, offset: int) -> int | None:
        if not self.pages:
            return None
        return sum(1 for start in self.pages if start <= offset) or 1

    def cite(self, start: int, end: int, clause: Clause | None = None) -> Citation:
        """The citation of ``text[start:end]`` (absolute offsets), trimmed of outer spaces."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return Citation(
            start=start,
            end=end,
            quote=self.text[start:end],
            page=self.page_of(start),
            clause=clause.number if clause else "",
        )
