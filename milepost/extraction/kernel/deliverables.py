"""Deliverables and their dates: what a party shall deliver, submit, provide or complete, and
by when; completion ("Practical Completion shall be achieved by …"); milestone lists and
schedules ("Milestone #1 - January 1st, 2019", "Week 4 -> UI Design", a table row with a
date); recurring reports ("a monthly progress report").

A deliverable is proposed only when its words state a time (a date, a date relative to an
event, or a recurrence): an obligation without one is not a milestone.
"""

import re

from .model import Clause, Context, Proposal, Relative, Span
from .timing import When, read_when

_VERBS = {
    "deliver": "Deliver",
    "submit": "Submit",
    "provide": "Provide",
    "complete": "Complete",
    "achieve": "Achieve",
    "issue": "Issue",
    "supply": "Supply",
    "install": "Install",
    "commission": "Commission",
    "hand over": "Hand over",
    "handover": "Hand over",
    "furnish": "Furnish",
    "prepare": "Prepare",
    "produce": "Produce",
    "send": "Send",
    "finish": "Finish",
    "ship": "Ship",
    "develop": "Develop",
    "launch": "Launch",
    "implement": "Implement",
    "obtain": "Obtain",
}
_VERB_ALT = "|".join(sorted((re.escape(v) for v in _VERBS), key=len, reverse=True))
_OBLIGATION_RE = re.compile(
    rf"\b(?:shall|will|must|agrees?\s+to|undertakes?\s+to|is\s+to|are\s+to)\s+"
    rf"(?:(?:use\s+(?:all\s+)?reasonable\s+(?:endeavou?rs|efforts)\s+to|promptly|also|then|be\s+required\s+to|"
    rf"(?:design|develop|prepare|produce|write)\s*,?\s*(?:and|or)?)\s+)*"
    rf"(?P<verb>{_VERB_ALT})(?:s|ed)?\b(?!\s+(?:that|with|for\s+(?:the\s+)?(?:payment|purposes)))",
    re.IGNORECASE,
)
# What a deadline applies to ends at the time phrase, a recipient, or the end of the clause.
_OBJECT_END_RE = re.compile(
    r"\s+(?:by|before|on\s+or\s+before|no\s+later\s+than|not\s+later\s+than|within|prior\s+to"
    r"|to\s+\S+|in\s+accordance|for\s+(?:the\s+)?(?:approval|review|acceptance|comment)"
    r"|on\s+(?:the|each|every|a)\b|at\s+(?:the|its|least)\b|which|that|so\s+as|as\s+(?:set|described|specified)"
    r"|during|every|each|in\s+(?:a|the)\s+form|under|pursuant|upon|after|following|until|from|and\s+(?:shall|will|thereafter))\b"
    r"|\s*[,;:(]|\s+-\s",
    re.IGNORECASE,
)
# Objects that are notices and courtesies rather than milestones.
_NOT_A_DELIVERABLE_RE = re.compile(
    r"^(?:(?:a|any|the|such|prompt|written|prior|reasonable|its|all|further|additional)\s+)*"
    r"(?:notices?|notifications?|consents?|assistance|co-?operation|access|copies|copy|information|"
    r"details|evidence|confirmation|reasons|explanations?|support|services|payments?|invoices?|"
    r"indemnit|insurance|warrant|certificate\s+of\s+insurance|it|them|this|such)\b",
    re.IGNORECASE,
)
_SUBJECT_RE = re.compile(
    r"(?:^|[^A-Za-z])(?:the\s+|The\s+)?(?P<name>(?:[A-Z][A-Za-z&'.-]*\s){0,3}[A-Z][A-Za-z&'.-]*)"
    r"\s+(?:shall|will|must|agrees|undertakes)\b"
)
_NOT_A_PARTY = frozenset(
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
_COMPLETION_RE = re.compile(
    r"\b(?P<what>(?:Practical|Substantial|Sectional|Final|Mechanical)\s+Completion"
    r"(?:\s+of\s+(?:Section|Phase|Stage|Part)\s+[0-9A-Z]+)?|Completion\s+of\s+the\s+Works"
    r"|(?:the\s+)?Works)\s+(?:shall|will|must|is\s+to|are\s+to)\s+(?:be\s+)?"
    r"(?:achieved|completed|reached|attained|certified)\b"
    r"|\b(?P<date>(?:the\s+)?(?:Date\s+for\s+(?:Practical\s+|Sectional\s+)?Completion|Completion\s+Date"
    r"|Target\s+Completion\s+Date|Final\s+Delivery\s+Date)(?:\s+(?:of|for)\s+(?:Section|Phase|Stage|Part)\s+[0-9A-Z]+)?)"
    r"\s+(?:is|shall\s+be|will\s+be)\b",
    re.IGNORECASE,
)
_LIST_ITEM_RE = re.compile(
    r"\b(?P<label>(?P<word>Milestone|Stage|Phase|Deliverable|Week|Month)\s*(?:No\.?\s*)?#?\s*(?P<n>\d{1,3}))"
    r"\s*(?:->|[-\u2013—:>|\t]+)\s*"
    r"(?P<rest>.*?)(?=\b(?:Milestone|Stage|Phase|Deliverable|Week|Month)\s*(?:No\.?\s*)?#?\s*\d{1,3}\s*(?:->|[-\u2013—:>|\t])|$)",
    re.IGNORECASE | re.DOTALL,
)
# Signature blocks and form labels are not milestones.
_FORM_WORDS_RE = re.compile(
    r"^(?:date|dated|signature|signed|name|title|by|position|witness|print\s+name|its)\b\s*:?\s*$",
    re.IGNORECASE,
)
_CELL_SPLIT_RE = re.compile(r"\t+|\s+\|\s+|\s{3,}")
_REPORT_RE = re.compile(
    r"\b(?P<freq>monthly|weekly|quarterly|annual|yearly)\s+(?:(?:progress|status|performance|"
    r"service|management|written|financial)\s+)*(?:reports?|statements?|returns?|updates?)\b",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" .,;:-\u2013—>*\"“”'")
    return text[:200]


def _subject(words: str, before: int) -> list[str]:
    found = None
    for match in _SUBJECT_RE.finditer(words[: before + 12]):
        found = match
    if not found:
        return []
    name = found.group("name").strip()
    if name.split()[0] in _NOT_A_PARTY or (name.isupper() and len(name) > 20):
        return []
    return [name]


def _confidence(when: When, base: float) -> float:
    value = base if when.due else base - 0.1
    if when.ambiguous:
        value -= 0.25
    return max(0.1, min(1.0, value))


def _proposal(
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
        confidence=_confidence(when, base),
        due=when.due,
        relative=when.relative,
        recurring=when.recurring,
        parties=parties,
        ambiguous=["due"] if when.ambiguous else [],
    )


def _list_items(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    found: list[Proposal] = []
    for match in _LIST_ITEM_RE.finditer(sentence.text):
        rest = match.group("rest")
        word = match.group("word").lower()
        label = _clean(match.group("label"))
        span = (sentence.start + match.start(), sentence.start + match.end())
        if word in ("week", "month"):
            title = _clean(rest)
            if not title:
                continue
            relative = Relative("", int(match.group("n")), "weeks" if word == "week" else "months")
            when = When(relative=relative)
            found.append(_proposal(title, span, when, clause, ctx, 0.75, []))
            continue
        when = read_when(rest, ctx.date_order)
        if when.due is None and when.relative is None:
            continue
        name = _clean(_CELL_SPLIT_RE.split(rest[: when.start])[0]) if when.start > 0 else ""
        title = f"{label}: {name}" if name else label
        found.append(_proposal(title, span, when, clause, ctx, 0.8, []))
    return found


def _table_row(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    cells = [cell for cell in _CELL_SPLIT_RE.split(sentence.text) if cell.strip()]
    if len(cells) < 2:
        return []
    when = read_when(sentence.text, ctx.date_order)
    if when.due is None and when.relative is None:
        return []
    title = ""
    for cell in cells:
        if read_when(cell, ctx.date_order).stated or not re.search(r"[A-Za-z]{3}", cell):
            continue
        if _FORM_WORDS_RE.match(cell.strip()):
            return []
        title = _clean(cell)
        break
    if not title:
        return []
    return [_proposal(title, (sentence.start, sentence.end), when, clause, ctx, 0.7, [])]


def _completion(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    match = _COMPLETION_RE.search(sentence.text)
    if not match:
        return []
    when = read_when(sentence.text, ctx.date_order, match.end())
    if when.due is None and when.relative is None:
        return []
    what = _clean(match.group("what") or match.group("date"))
    what = re.sub(r"^the\s+", "", what, flags=re.IGNORECASE)
    lowered = what.lower()
    if lowered == "works":
        title = "Complete the Works"
    elif "date" in lowered:
        title = "Completion" + what.split("Completion", 1)[-1].replace("Date", "").rstrip()
        title = re.sub(r"\s+", " ", title).strip() if "completion" in lowered else what
    else:
        title = (
            what[0].upper() + what[1:].lower() if " of " not in what else what[0].upper() + what[1:]
        )
    return [
        _proposal(
            title,
            (sentence.start, sentence.end),
            when,
            clause,
            ctx,
            0.85,
            _subject(sentence.text, match.start()),
        )
    ]


def _obligation(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    words = sentence.text
    for match in _OBLIGATION_RE.finditer(words):
        tail = words[match.end() :]
        end = _OBJECT_END_RE.search(tail)
        obj = _clean(tail[: end.start()] if end else tail)
        if not obj or _NOT_A_DELIVERABLE_RE.match(obj) or len(obj) < 3:
            continue
        when = read_when(words, ctx.date_order, match.end())
        if not when.stated:
            continue
        if when.due is None and when.relative is None and not _REPORT_RE.search(words):
            continue
        verb = _VERBS.get(match.group("verb").lower(), match.group("verb").capitalize())
        title = f"{verb} {obj}"
        parties = _subject(words, match.start())
        return [_proposal(title, (sentence.start, sentence.end), when, clause, ctx, 0.85, parties)]
    return []


def find_deliverables(clause: Clause, ctx: Context) -> list[Proposal]:
    """The deliverables each sentence of ``clause`` states with a time."""
    found: list[Proposal] = []
    for sentence in clause.sentences:
        items = _list_items(sentence, clause, ctx)
        if items:
            found.extend(items)
            continue
        completion = _completion(sentence, clause, ctx)
        if completion:
            found.extend(completion)
            continue
        obligation = _obligation(sentence, clause, ctx)
        if obligation:
            found.extend(obligation)
            continue
        if "\t" in sentence.text or " | " in sentence.text or "   " in sentence.text:
            found.extend(_table_row(sentence, clause, ctx))
    return found
