"""Dependencies between proposals from their anchors.

"14 days after the Engineer certifies completion of the foundations" counts from the
foundations deliverable: a proposal whose relative anchor shares distinctive content words with
another proposal's title depends on that proposal. Words every contract repeats (dates, parties'
roles, "contract", "days") do not link; anchors naming the contract's own dates (the Contract
Date, the Effective Date) link to nothing.
"""

import re

from .model import Proposal

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}|\d+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "such",
        "any",
        "each",
        "all",
        "its",
        "their",
        "his",
        "her",
        "our",
        "than",
        "then",
        "after",
        "before",
        "following",
        "within",
        "date",
        "dates",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "contract",
        "agreement",
        "party",
        "parties",
        "employer",
        "contractor",
        "client",
        "customer",
        "supplier",
        "developer",
        "consultant",
        "engineer",
        "purchaser",
        "seller",
        "buyer",
        "provider",
        "funder",
        "owner",
        "vendor",
        "shall",
        "will",
        "must",
        "may",
        "written",
        "writing",
        "notice",
        "receipt",
        "receiving",
        "received",
        "valid",
        "invoice",
        "issue",
        "issued",
        "issuing",
        "upon",
        "under",
        "date",
        "effective",
        "commencement",
        "execution",
        "signing",
        "signature",
        "certify",
        "certifies",
        "certified",
        "certifying",
        "certificate",
        "certification",
        "confirm",
        "confirms",
        "deliver",
        "delivers",
        "delivered",
        "delivery",
        "submit",
        "submits",
        "submitted",
        "submission",
        "provide",
        "provides",
        "provided",
        "achieve",
        "achieves",
        "achieved",
        "achieving",
        "complete",
        "completes",
        "completed",
        "completing",
        "completion",
        "approve",
        "approves",
        "approved",
        "approval",
        "accept",
        "accepts",
        "accepted",
        "acceptance",
        "payment",
        "pay",
        "paid",
        "payable",
        "stage",
        "milestone",
        "has",
        "have",
        "been",
        "being",
        "are",
        "was",
        "were",
    ]
)
_MONTHS = frozenset(
    (
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    )
)
# Anchors that name the contract's own start, not another milestone.
_CONTRACT_DATE_RE = re.compile(
    r"\b(?:contract|effective|commencement|start|agreement|execution)\s+date\b|\bexecution\s+of\s+th|"
    r"\bdate\s+of\s+(?:this|the)\s+(?:agreement|contract)\b|\binvoice\b",
    re.IGNORECASE,
)


def _stems(text: str) -> set[str]:
    stems: set[str] = set()
    for word in _WORD_RE.findall(text.lower()):
        if word in _STOP or word in _MONTHS or word.isdigit():
            continue
        stems.add(word[:6])
    return stems


def _milestone_number(text: str) -> str | None:
    match = re.search(
        r"\b(?:milestone|stage|phase|section)\s*(?:no\.?\s*)?#?\s*(\d+)\b", text, re.IGNORECASE
    )
    return match.group(0).lower().replace("#", "").replace(" ", "") if match else None


# "within 10 Working Days of receipt": the event is the delivery of the thing this proposal
# is about, read from an earlier deliverable of the same thing.
_BARE_EVENT_RE = re.compile(
    r"^(?:its\s+|the\s+|such\s+)?(?:receipt|delivery|submission|receiving\s+(?:it|them)|completing\s+it|completion)$",
    re.IGNORECASE,
)


def _link_bare(proposal: Proposal, titles: list[tuple[Proposal, set[str], str | None]]) -> None:
    own = _stems(proposal.title)
    best: tuple[int, Proposal] | None = None
    for other, stems, _ in titles:
        if other is proposal:
            break  # only what comes before it in the document
        shared = len(own & stems)
        if other.kind == "deliverable" and shared >= 2 and (best is None or shared >= best[0]):
            best = (shared, other)
    if best is not None:
        proposal.depends_on = best[1].key


def link(proposals: list[Proposal]) -> None:
    """Set ``depends_on`` on each proposal whose anchor (or payment trigger) names another
    proposal; proposals must already carry their keys."""
    titles = [(p, _stems(p.title), _milestone_number(p.title)) for p in proposals]
    for proposal in proposals:
        anchor = proposal.relative.anchor if proposal.relative else ""
        if not anchor and proposal.trigger:
            anchor = proposal.trigger
        if not anchor or _CONTRACT_DATE_RE.search(anchor):
            continue
        if _BARE_EVENT_RE.match(anchor):
            _link_bare(proposal, titles)
            continue
        wanted = _stems(anchor)
        number = _milestone_number(anchor)
        best: tuple[float, int, Proposal] | None = None
        for index, (other, stems, other_number) in enumerate(titles):
            if other is proposal or other.depends_on == proposal.key:
                continue
            if number and other_number:
                score = 10.0 if number == other_number else 0.0
            else:
                shared = wanted & stems
                score = len(shared) / max(1, len(stems)) + len(shared) if shared else 0.0
            # A payment or gate counts from work done, rarely from another payment or gate.
            if other.kind == "deliverable":
                score *= 1.5
            elif other.kind == proposal.kind:
                score *= 0.5
            if score > 0 and (best is None or score > best[0]):
                best = (score, index, other)
        if best is not None and best[0] >= 1.0:
            proposal.depends_on = best[2].key
