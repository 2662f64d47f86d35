"""Shared wording for deliverable proposals: clean titles, the party doing it, confidence."""

import re

from .model import Clause, Context, Proposal
from .timing import When

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
