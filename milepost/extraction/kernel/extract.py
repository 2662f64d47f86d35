"""The orchestrator: text in, ``Extraction`` out.

segment → decide the date order → context (currency, defined terms) → every finder on every
clause → drop deliverables read from the sentence a payment, performance target, gate or
damages clause came from → facts → keys p1..pn in document order → dependencies from anchors.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Callable

from .damages import find_damages
from .dates import decide_order
from .deliverables import find_deliverables
from .facts import find_facts, find_parties
from .gates import find_gates
from .links import link
from .model import Citation, Clause, Context, Damages, Extraction, Fact, Proposal
from .money import find_money
from .money_facts import find_money_facts
from .payments import find_payments
from .performance import find_performance
from .schedules import is_scheduled
from .segment import segment

_DEFINED_RE = re.compile(
    r"[\"“](?P<term>[A-Z][\w .'-]{1,50}?)[\"”]\s+(?:means|shall\s+mean|has\s+the\s+meaning)\s+(?P<words>[^.;\n]{1,300})"
    r"|^(?P<term2>[A-Z][\w .'-]{1,50}?)\t+(?:means\s+)?(?P<words2>[^\n]{1,300})"
    r"|(?P<term3>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s+\((?:being\s+|i\.e\.\s+)?(?P<words3>(?:a|an|each|one)\s+[^)]{2,60})\)",
    re.MULTILINE,
)

Finder = Callable[[Clause, Context], list[Proposal]]
_FINDERS: tuple[Finder, ...] = (find_payments, find_performance, find_gates)


def _main_currency(text: str) -> str | None:
    counts = Counter(hit.currency for hit in find_money(text) if hit.currency)
    return counts.most_common(1)[0][0] if counts else None


def _defined(text: str) -> dict[str, str]:
    defined: dict[str, str] = {}
    for match in _DEFINED_RE.finditer(text):
        term = (match.group("term") or match.group("term2") or match.group("term3") or "").strip()
        words = (
            match.group("words") or match.group("words2") or match.group("words3") or ""
        ).strip()
        if term and words and term not in defined:
            defined[term] = words
    return defined


def _overlaps(a: Citation, b: Citation) -> bool:
    return a.start < b.end and b.start < a.end


def _keep_deliverable(
    deliverable: Proposal, others: list[Citation], sentences: set[tuple[int, int]]
) -> bool:
    """A deliverable read from a whole sentence gives way to any other kind read from it; one
    read from part of a sentence (a list item, a table row, one of two obligations) gives way
    only to another kind read from exactly the same words."""
    if is_scheduled(deliverable):
        return True
    cited = deliverable.citation
    whole = (cited.start, cited.end) in sentences
    for other in others:
        if (whole and _overlaps(cited, other)) or (other.start, other.end) == (
            cited.start,
            cited.end,
        ):
            return False
    return True


def _unique(proposals: list[Proposal]) -> list[Proposal]:
    seen: set[tuple[str, str, int, int]] = set()
    kept: list[Proposal] = []
    for proposal in proposals:
        key = (
            proposal.kind,
            proposal.title.lower(),
            proposal.citation.start,
            proposal.citation.end,
        )
        if key not in seen:
            seen.add(key)
            kept.append(proposal)
    return kept


def _warnings(proposals: list[Proposal], damages: list[Damages], order: str) -> list[str]:
    warnings: list[str] = []
    ambiguous = [p for p in proposals if "due" in p.ambiguous]
    if ambiguous:
        reading = "day first (UK)" if order == "dmy" else "month first (US)"
        warnings.append(
            f"{len(ambiguous)} date(s) could be read either way round; they were read {reading}: "
            "check them against the document."
        )
    if any(d.blank for d in damages):
        warnings.append(
            "The delay damages rate is left blank in the document: no rate was proposed."
        )
    if not proposals and not damages:
        warnings.append("No milestones, payments, service levels or gates were found in the text.")
    return warnings


def extract(text: str, *, pages: list[int] | None = None) -> Extraction:
    """Everything the text states: proposals in document order, damages, parties and facts."""
    order = decide_order(text)
    clauses = segment(text)
    ctx = Context(
        text=text,
        pages=list(pages or []),
        date_order=order,
        currency=_main_currency(text),
        defined=_defined(text),
    )
    proposals: list[Proposal] = []
    damages: list[Damages] = []
    money_facts: dict[str, Fact] = {}
    warnings: list[str] = []
    for clause in clauses:
        try:
            others = [p for finder in _FINDERS for p in finder(clause, ctx)]
            found_damages = find_damages(clause, ctx)
            deliverables = find_deliverables(clause, ctx)
            for name, fact in find_money_facts(clause, ctx).items():
                money_facts.setdefault(name, fact)
        except Exception as error:
            label = f"clause {clause.number}" if clause.number else "a paragraph"
            warnings.append(
                f"Part of {label} could not be read ({type(error).__name__}); check it by hand."
            )
            continue
        # A payment read from the very words that state delay damages is the damages, not a
        # stage ("shall pay the Purchaser £[●] for each day by which delivery is late").
        others = [
            p
            for p in others
            if p.kind != "payment"
            or not any(_overlaps(p.citation, d.citation) for d in found_damages)
        ]
        taken = [p.citation for p in others] + [d.citation for d in found_damages]
        proposals.extend(others)
        sentences = {(span.start, span.end) for span in clause.sentences}
        proposals.extend(d for d in deliverables if _keep_deliverable(d, taken, sentences))
        damages.extend(found_damages)
    proposals = _unique(sorted(proposals, key=lambda p: (p.citation.start, p.citation.end)))
    for index, proposal in enumerate(proposals, start=1):
        proposal.key = f"p{index}"
    link(proposals)
    facts = find_facts(clauses, ctx)
    for name, fact in money_facts.items():
        facts.setdefault(name, fact)
    return Extraction(
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        proposals=proposals,
        damages=sorted(damages, key=lambda d: d.citation.start),
        parties=find_parties(clauses, ctx),
        facts=facts,
        date_order=order,
        warnings=_warnings(proposals, damages, order) + warnings,
    )
