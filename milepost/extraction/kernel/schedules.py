"""Milestone schedules: numbered lists ("Milestone #1 - January 1st, 2019", "Milestone 1: Proof
of Concept   12 months after Effective Date", "Week 4 -> UI Design") and table rows with a
date ("Foundations complete | 30/06/2027")."""

import re

from .model import Clause, Context, Proposal, Relative, RelativeUnit, Span
from .timing import When, read_when
from .wording import clean, deliverable

_LABEL = (
    r"(?:(?P<word>Milestone|Stage|Phase|Deliverable|Week|Month)\s*(?:No\.?\s*)?#?\s*(?P<n>\d{1,3})"
    r"|(?-i:(?:M|MS|D|WP)\d{1,2}(?:\.\d{1,2})?))"
)
_NEXT_LABEL = (
    r"(?:(?:Milestone|Stage|Phase|Deliverable|Week|Month)\s*(?:No\.?\s*)?#?\s*\d{1,3}"
    r"|(?-i:(?:M|MS|D|WP)\d{1,2}(?:\.\d{1,2})?))"
)
# "Milestone #1 - January 1st, 2019", "Week 4 -> UI Design", "D1 - Inception Report - 2 weeks
# after award": a label, a separator, then the item up to the next label.
_LIST_ITEM_RE = re.compile(
    rf"\b(?P<label>{_LABEL})\s*(?:->|[-\u2013\u2014:>|\t]+)\s*"
    rf"(?P<rest>.*?)(?=\b{_NEXT_LABEL}\s*(?:->|[-\u2013\u2014:>|\t])|$)",
    re.IGNORECASE | re.DOTALL,
)
_WEEK_NUMBER_RE = re.compile(r"\b(week|month)\s+(\d{1,3})\b", re.IGNORECASE)
# Signature blocks and form labels are not milestones.
_FORM_WORDS_RE = re.compile(
    r"^(?:date|dated|signature|signed|name|title|by|position|witness|print\s+name|its)\b\s*:?\s*$",
    re.IGNORECASE,
)
_CELL_SPLIT_RE = re.compile(r"\t+|\s+\|\s+|\s{3,}")


def list_items(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    found: list[Proposal] = []
    for match in _LIST_ITEM_RE.finditer(sentence.text):
        rest = match.group("rest")
        word = (match.group("word") or "").lower()
        label = clean(match.group("label"))
        span = (sentence.start + match.start(), sentence.start + match.end())
        if word in ("week", "month"):
            title = clean(rest)
            if not title:
                continue
            relative = Relative("", int(match.group("n")), "weeks" if word == "week" else "months")
            when = When(relative=relative)
            found.append(deliverable(title, span, when, clause, ctx, 0.75, []))
            continue
        when = read_when(rest, ctx.date_order)
        if when.due is None and when.relative is None:
            # "Milestone 2 - Structural frame complete - week 30": counted from the start.
            week = _WEEK_NUMBER_RE.search(rest)
            if not week:
                continue
            unit: RelativeUnit = "weeks" if week.group(1).lower() == "week" else "months"
            when = When(
                relative=Relative("", int(week.group(2)), unit), start=week.start(), end=week.end()
            )
        name = clean(_CELL_SPLIT_RE.split(rest[: when.start])[0]) if when.start > 0 else ""
        title = f"{label}: {name}" if name else label
        found.append(deliverable(title, span, when, clause, ctx, 0.8, []))
    return found


def table_row(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    cells = [cell for cell in _CELL_SPLIT_RE.split(sentence.text) if cell.strip()]
    if len(cells) < 2:
        return []
    when = read_when(sentence.text, ctx.date_order)
    if when.due is None and (when.relative is None or not when.relative.anchor):
        return []  # "| within 4 hours |" is a service level, not a milestone
    title = ""
    for cell in cells:
        if read_when(cell, ctx.date_order).stated or not re.search(r"[A-Za-z]{3}", cell):
            continue
        if _FORM_WORDS_RE.match(cell.strip()):
            return []
        title = clean(cell)
        break
    if not title:
        return []
    return [deliverable(title, (sentence.start, sentence.end), when, clause, ctx, 0.7, [])]


_SCHEDULED_RE = re.compile(
    r"^(?:(?:Milestone|Stage|Phase|Deliverable)\s*(?:No\.?\s*)?#?\s*\d|(?-i:(?:M|MS|D|WP)\d))",
    re.IGNORECASE,
)


def is_scheduled(proposal: Proposal) -> bool:
    """Whether a deliverable is a numbered row of a milestone schedule ("Milestone 2: …"): such a
    row is a milestone even when the same words also state its payment."""
    return proposal.kind == "deliverable" and bool(_SCHEDULED_RE.match(proposal.title))


# "Delivery of the Equipment: 15 June 2027", "Stage 2 Report - within 6 weeks of approval".
_LABELLED_RE = re.compile(
    r"^(?P<title>[A-Z][^:\u2013\u2014]{2,80}?)\s*(?::|\s[-\u2013\u2014]+\s)\s*"
    r"(?P<cue>(?:by|on|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|within|before)\s+)?"
)
# The contract's own dates are facts, not milestones.
_OWN_DATE_RE = re.compile(
    r"\b(?:effective|commencement|contract|agreement|execution|signature|start)\s+date\b|^dated?\b",
    re.IGNORECASE,
)


def labelled_line(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    """A label and the time it is due, and nothing else after the time."""
    match = _LABELLED_RE.match(sentence.text)
    if (
        not match
        or _OWN_DATE_RE.search(match.group("title"))
        or _FORM_WORDS_RE.match(match.group("title"))
    ):
        return []
    when = read_when(sentence.text, ctx.date_order, match.end())
    if when.start not in (match.end(), match.end() + len(match.group("cue") or "")):
        return []  # the time must follow the label
    if when.due is None and (when.relative is None or not when.relative.anchor):
        return []
    if len(sentence.text) - when.end > 40:
        return []  # more words follow: a sentence, not a label
    title = clean(match.group("title"))
    return [deliverable(title, (sentence.start, sentence.end), when, clause, ctx, 0.7, [])]
