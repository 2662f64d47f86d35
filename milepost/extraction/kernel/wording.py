"""Shared wording for deliverable proposals: clean titles, the party doing it, confidence."""

import re

from .model import Clause, Context, Proposal, Relative, Span
from .timing import When, read_when

_SUBJECT_RE = re.compile(
    r"(?:^|[^A-Za-z])(?:the\s+|The\s+)?(?P<name>(?:[A-Z][A-Za-z&'.-]*\s){0,3}[A-Z][A-Za-z&'.-]*)"
    r"\s+(?:shall|will|must|agrees|undertakes)\b"
)
NOT_A_PARTY = frozenset(
    [
        "It",
        "This",
        "That",
        "Such",
        "Each",
        "Either",
        "Neither",
        "All",
        "Any",
        "The",
        "Works",
        "Completion",
        "Practical",
        "Payment",
        "Services",
        "Agreement",
        "Contract",
        "Milestone",
        "Deliverables",
        "Documentation",
    ]
)


def clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" .,;:-\u2013—>*'")
    for quote in ('"', "“”"):
        if sum(text.count(q) for q in quote) % 2:
            text = text.strip(quote)
    return text[:200]


def subject(words: str, before: int) -> list[str]:
    found = None
    for match in _SUBJECT_RE.finditer(words[: before + 12]):
        found = match
    if not found:
        return []
    name = found.group("name").strip()
    if name.split()[0] in NOT_A_PARTY or (name.isupper() and len(name) > 20):
        return []
    return [name]


def confidence(when: When, base: float) -> float:
    value = base if when.due else base - 0.1
    if when.ambiguous:
        value -= 0.25
    return max(0.1, min(1.0, value))


def deliverable(
    title: str,
    span: tuple[int, int],
    when: When,
    clause: Clause,
    ctx: Context,
    base: float,
    parties: list[str],
) -> Proposal:
    return Proposal(
        kind="deliverable",
        title=title[:200],
        citation=ctx.cite(span[0], span[1], clause),
        confidence=confidence(when, base),
        due=when.due,
        relative=when.relative,
        recurring=when.recurring,
        parties=parties,
        ambiguous=["due"] if when.ambiguous else [],
    )


# Objects that are notices and courtesies rather than milestones.
NOT_A_DELIVERABLE_RE = re.compile(
    r"^(?:(?:a|any|the|such|prompt|written|prior|reasonable|its|all|further|additional)\s+)*"
    r"(?:notices?|notifications?|consents?|assistance|co-?operation|access|copies|copy|information|"
    r"details|evidence|confirmation|reasons|explanations?|support|services|payments?|invoices?|"
    r"indemnit|insurance|warrant|certificate\s+of\s+insurance)\b|^(?:it|them|this|such|same)$",
    re.IGNORECASE,
)
AND_MORE_RE = re.compile(
    r"\s*,?\s*and\s+(?P<obj>(?:(?:the|a|an|all|its)\s+)?[^,;.]{2,80}?)"
    r"(?P<gap>\s+(?:by|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|within|before)\s+)",
    re.IGNORECASE,
)
RECURRING_THING_RE = re.compile(
    r"\b(?:reports?|forecasts?|statements?|returns?|plans?|updates?|meetings?|valuations?|reviews?|price\s+lists?"
    r"|schedules?|minutes|deliver(?:y|ies)|audits?|surveys?|workshops?|invoices?)\b",
    re.IGNORECASE,
)
NEXT_CLAUSE_RE = re.compile(
    r"[,;]\s*(?:and\s+|but\s+|whereupon\s+)?(?:(?:the\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*\s+)?"
    r"(?:shall|will|must|may)\b"
)
EVERY_N_RE = re.compile(
    r"\bevery\s+(?:\w+|\d+)\s+(?:\(\d+\)\s+)?(?:days|weeks|months)\b", re.IGNORECASE
)
REPORT_RE = re.compile(
    r"\b(?P<freq>monthly|weekly|quarterly|annual|yearly)\s+(?:(?:progress|status|performance|"
    r"service|management|written|financial)\s+)*(?:reports?|statements?|returns?|updates?)\b",
    re.IGNORECASE,
)


def allowed(when: When, words: str, obj: str) -> bool:
    """A date or relative date always; a recurrence alone for things that recur by nature."""
    if when.due is not None or when.relative is not None:
        return True
    recurs = when.recurring is not None or bool(EVERY_N_RE.search(words))
    return recurs and bool(REPORT_RE.search(words) or RECURRING_THING_RE.search(obj))


def more_items(
    words: str, at: int, limit: int, order: str, before: str = ""
) -> list[tuple[str, When, int, int]]:
    """ "… and the roof by 13/05/2027": further objects sharing the verb, with their times;
    ``before`` names the item the first of them follows ("… within 60 days thereafter")."""
    found: list[tuple[str, When, int, int]] = []
    found_first = before
    while True:
        match = AND_MORE_RE.match(words, at, limit)
        if not match:
            return found
        when = read_when(words, order, match.end("obj"), limit)
        if when.start != match.end("obj") + len(match.group("gap")) or (
            when.due is None and when.relative is None
        ):
            return found
        thereafter = _THEREAFTER_RE.match(words, when.end)
        if when.relative is not None and not when.relative.anchor and thereafter and found_first:
            # "… and the second batch within 60 days thereafter": after the item before it.
            relative = Relative(found_first, when.relative.offset, when.relative.unit)
            when = When(None, False, relative, when.recurring, when.start, thereafter.end())
        found.append((clean(match.group("obj")), when, match.start(), when.end))
        found_first = clean(match.group("obj"))
        at = when.end


_THEREAFTER_RE = re.compile(r"\s+(?:thereafter|after\s+that|afterwards|later)\b", re.IGNORECASE)


def next_clause(words: str, after: int) -> int:
    """Where a new clause with its own "shall" starts after ``after`` (", and the Employer
    shall pay …"), or the end of the words."""
    match = NEXT_CLAUSE_RE.search(words, max(after, 0))
    return match.start() if match else len(words)


def emit(
    parts: list[tuple[str, When, int, int, list[str]]], sentence: Span, clause: Clause, ctx: Context
) -> list[Proposal]:
    """One proposal per part; a sentence with one part cites the whole sentence."""
    if len(parts) == 1:
        title, when, _, finish, parties = parts[0]
        cut = next_clause(sentence.text, finish)
        return [
            deliverable(
                title, (sentence.start, sentence.start + cut), when, clause, ctx, 0.85, parties
            )
        ]
    found: list[Proposal] = []
    for title, when, begin, finish, parties in parts:
        span = (sentence.start + begin, sentence.start + max(finish, begin + 1))
        found.append(deliverable(title, span, when, clause, ctx, 0.8, parties))
    return found
