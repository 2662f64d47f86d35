"""Deliverables and their dates: what a party shall deliver, submit, provide or complete, and
by when; completion ("Practical Completion shall be achieved by …"); milestone lists and
schedules ("Milestone #1 - January 1st, 2019", "Week 4 -> UI Design", a table row with a
date); recurring reports ("a monthly progress report").

A deliverable is proposed only when its words state a time (a date, a date relative to an
event, or a recurrence): an obligation without one is not a milestone.
"""

import re

from .model import Clause, Context, Proposal, Relative, Span
from .passive import completion, passive
from .schedules import labelled_line, list_items, table_row
from .timing import When, read_when
from .wording import (
    NOT_A_DELIVERABLE_RE,
    allowed,
    clean,
    emit,
    more_items,
    next_clause,
    subject,
)

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
    "hold": "Hold",
    "inspect": "Inspect",
    "update": "Update",
    "carry out": "Carry out",
    "conduct": "Conduct",
    "perform": "Perform",
    "test": "Test",
    "evaluate": "Evaluate",
    "review": "Review",
    "make": "Make",
    "accept": "Accept",
    "present": "Present",
    "commence": "Commence",
    "start": "Start",
    "begin": "Begin",
    "mobilise": "Mobilise",
    "mobilize": "Mobilize",
    "certify": "Certify",
    "attend": "Attend",
    "take possession of": "Take possession of",
    "take over": "Take over",
    "give": "Give",
    "grant": "Grant",
    "approve": "Approve",
}
_VERB_ALT = "|".join(sorted((re.escape(v) for v in _VERBS), key=len, reverse=True))
_OBLIGATION_RE = re.compile(
    rf"\b(?:shall|will|must|agrees?\s+to|undertakes?\s+to|is\s+to|are\s+to"
    rf"|(?:shall|will)\s+have\s+[^.;]{{1,60}}?\s+(?:in\s+which\s+)?to)\s+"
    rf"(?:(?:use\s+(?:all\s+|its\s+|their\s+)?(?:reasonable|best|commercially\s+reasonable)\s+(?:endeavou?rs|efforts)\s+to|promptly|also|then|be\s+required\s+to|\([a-h]\)|"
    rf"(?:design|develop|prepare|produce|write)\s*,?\s*(?:and|or)?)\s+)*"
    rf"(?P<verb>{_VERB_ALT})(?:s|ed)?\b(?P<more>(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:{_VERB_ALT}|reject|propose)\b){{0,3}})"
    rf"(?!\s+(?:that|with|for\s+(?:the\s+)?(?:payment|purposes)))",
    re.IGNORECASE,
)
# NEC's present tense: "The Contractor submits a first programme for acceptance within …".
_PRESENT_RE = re.compile(
    r"\b(?P<role>Contractor|Consultant|Supplier|Employer|Client|Project\s+Manager|Manager|Engineer|Customer"
    r"|Purchaser|Seller|Buyer|Developer|Provider|Vendor|Subcontractor|Designer|Architect|Owner)\s+"
    r"(?P<verb>submit|deliver|provide|complete|issue|hand\s+over|achieve)s\b(?P<more>)"
)
_DANGLING_RE = re.compile(r"\b(?:with|to|for|of|on|in|by)$", re.IGNORECASE)
_FIRST_ITEM_RE = re.compile(r"\s*:?\s*\((?:i|a|1)\)\s*", re.IGNORECASE)
_MODAL_RE = re.compile(r"\b(?:shall|will|must)\b")
_LETTERED_RE = re.compile(
    rf"\((?:[a-h]|i{{1,3}}|iv|v)\)\s*(?P<verb>{_VERB_ALT})\b(?P<more>)", re.IGNORECASE
)
# What a deadline applies to ends at the time phrase, a recipient, or the end of the clause.
_OBJECT_END_RE = re.compile(
    r"\s+(?:by|before|on\s+or\s+before|no\s+later\s+than|not\s+later\s+than|within|prior\s+to"
    r"|to\s+\S+|in\s+accordance|for\s+(?:the\s+)?(?:[A-Z][\w\u2019']*\s+)?(?:approval|review|acceptance|comment|information)"
    r"|on\s+(?:the|each|every|a)\b|at\s+(?:the|its|least)\b|which|that|so\s+as|as\s+(?:set|described|specified)"
    r"|during|every|each|in\s+(?:a|the)\s+form|under|pursuant|upon|after|following|until|from|and\s+(?:shall|will|thereafter|notify|inform|give|pay|send|confirm|advise))\b"
    r"|\s*(?:,(?!\d{3})|[;:]|\((?!(?-i:[A-Z])[\w\s-]{0,30}\)))|\s+-\s",
    re.IGNORECASE,
)
# A recipient before the object: "submit to the Customer a report".
_RECIPIENT_RE = re.compile(
    r"\s*to\s+(?:the\s+)?[A-Z][\w\"\u201c\u201d-]*(?:\s+[A-Z\"\u201c][\w\"\u201c\u201d-]*)*"
    # "submit to the Engineer, every three months, an updated plan": an aside before the object
    r"(?:\s*,\s*[^,]{1,60},)?\s+(?=(?:a|an|the|its|all|each)\b)"
)
_ITEM_SPLIT_RE = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+")
_STAGED_RE = re.compile(
    r"\s+in\s+(?:\w+\s+)?(?:\(\d+\)\s+)?(?P<unit>instal+ments|tranches|batches|consignments|shipments|stages|phases|parts)\b",
    re.IGNORECASE,
)
_GIVEN_RE = re.compile(
    r"\b(?:access|possession|the\s+site|instructions?\s+to\s+proceed)\b", re.IGNORECASE
)
_EVENT_RE = re.compile(
    r"\b(?:on|from|after|following)\s+(?P<event>(?:the\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:date|delivery|receipt|acceptance|completion|installation|handover|notice)\b(?:\s+of\s+[\w-]+)?)",
    re.IGNORECASE,
)
_TO_NOUN_RE = re.compile(
    r"\b(?:access|amendments?|changes?|modifications?|variations?|updates?|improvements?|upgrades?|extensions?"
    r"|revisions?|connections?|addend(?:um|a)|supplements?|annex(?:es)?|appendix|schedules?)\s*$",
    re.IGNORECASE,
)
_ORDINAL_WORDS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


def _instalments(
    verb: str, obj: str, words: str, at: int, limit: int, order: str
) -> list[tuple[str, When, int, int]]:
    """ "deliver the Goods in three instalments: 40% … by 1 March 2027, 30% by 1 April 2027 and
    the remainder by 3 May 2027": one part per item that states its time."""
    items: list[tuple[str, When, int, int]] = []
    position = at
    for piece in _ITEM_SPLIT_RE.split(words[at:limit]):
        start = words.find(piece, position)
        position = start + len(piece)
        when = read_when(words, order, start, position)
        if (when.due is None and when.relative is None) or when.start <= start:
            continue
        items.append((clean(words[start : when.start].rsplit(" by ", 1)[0]), when, start, when.end))
    if len(items) < 2:
        return []
    staged = _STAGED_RE.search(obj)
    parts: list[tuple[str, When, int, int]] = []
    for number, (item, when, start, end) in enumerate(items):
        item = re.sub(r"\s+(?:by|no\s+later\s+than|on\s+or\s+before|within|before)$", "", item)
        if staged:
            final = number == len(items) - 1 and re.search(r"remainder|balance|rest", item)
            ordinal = "final" if final else _ORDINAL_WORDS[min(number, len(_ORDINAL_WORDS) - 1)]
            base = obj[: staged.start()].strip()
            title = f"{verb} {base}: {ordinal} {staged.group('unit').rstrip('s')} ({item})"
        else:
            title = f"{verb} {item}"
        parts.append((title, when, start, end))
    return parts


def _obligation(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    words = sentence.text
    found_matches = [*_OBLIGATION_RE.finditer(words), *_PRESENT_RE.finditer(words)]
    modal = _MODAL_RE.search(words)
    if modal:
        # "shall be required to (a) commence … (b) prosecute … and (c) complete …"
        found_matches += [
            m for m in _LETTERED_RE.finditer(words, modal.end()) if m.start() > modal.end()
        ]
    matches = sorted(found_matches, key=lambda found: found.start())
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, match in enumerate(matches):
        limit = matches[index + 1].start() if index + 1 < len(matches) else len(words)
        limit = min(limit, next_clause(words, match.end()))
        tail = words[match.end() : limit]
        recipient = _RECIPIENT_RE.match(tail)
        skip = recipient.end() if recipient else 0
        end = _OBJECT_END_RE.search(tail, skip)
        while (
            end
            and end.group(0).lstrip().startswith("to ")
            and _TO_NOUN_RE.search(tail, skip, end.start())
        ):
            end = _OBJECT_END_RE.search(tail, end.end())  # "an amendment to the Quality Agreement"
        obj = clean(tail[skip : end.start()] if end else tail[skip:])
        if end and _DANGLING_RE.search(obj):
            # "provide Client with (i) the change in Fee costs …, (ii) …": the first item.
            item = _FIRST_ITEM_RE.match(tail, end.start())
            if item:
                item_end = _OBJECT_END_RE.search(tail, item.end())
                obj = clean(
                    f"{obj} {tail[item.end() : item_end.start() if item_end else len(tail)]}"
                )
            else:
                obj = _DANGLING_RE.sub("", obj).strip()
        if not obj or NOT_A_DELIVERABLE_RE.match(obj) or len(obj) < 3:
            continue
        if match.group("verb").lower() in ("give", "grant") and not _GIVEN_RE.search(obj):
            continue  # "give notice", "grant a licence": only access, possession and the like
        verb = _VERBS.get(match.group("verb").lower(), match.group("verb").capitalize())
        verb += re.sub(r"\s+", " ", match.group("more") or "").lower()
        parties = (
            [match.group("role")] if match.re is _PRESENT_RE else subject(words, match.start())
        )
        if end and tail[end.start() :].lstrip().startswith(":"):
            colon = match.end() + tail.index(":", end.start()) + 1
            listed = _instalments(verb, obj, words, colon, limit, ctx.date_order)
            parts.extend(
                (title, when, start, finish, parties) for title, when, start, finish in listed
            )
            if listed:
                continue
        when = read_when(words, ctx.date_order, match.end(), limit, ctx.defined)
        if when.start > match.end() and (end is None or match.end() + end.start() > when.start):
            cut = re.sub(
                r"\s+(?:on|by|in|at|no\s+later\s+than|on\s+or\s+before)\s*$",
                "",
                words[match.end() : when.start],
            )
            obj = clean(cut[skip:]) or obj
        if when.due is None and when.relative is None:
            # "Within 2 Business Days of receiving an order, the Supplier shall accept …"
            lead = read_when(words, ctx.date_order, parts[-1][3] if parts else 0, match.end())
            if lead.due is not None or lead.relative is not None:
                when = When(
                    lead.due,
                    lead.ambiguous,
                    lead.relative,
                    when.recurring or lead.recurring,
                    -1,
                    -1,
                )
        if not allowed(when, words, obj):
            continue
        if when.relative is not None and not when.relative.anchor:
            # "10 Business Days to inspect the Widgets on the delivery date": the event is later.
            event = _EVENT_RE.search(words, match.end(), limit)
            if event:
                relative = Relative(event.group("event"), when.relative.offset, when.relative.unit)
                when = When(
                    when.due, when.ambiguous, relative, when.recurring, when.start, when.end
                )
        begin = parts[-1][3] if parts else 0
        finish = max(when.end, match.end() + (end.start() if end else len(tail)))
        parts.append((f"{verb} {obj}", when, begin, finish, parties))
        for more_obj, more_when, more_start, more_end in more_items(
            words, max(when.end, 0), limit, ctx.date_order, obj
        ):
            parts.append((f"{verb} {more_obj}", more_when, more_start, more_end, parties))
    if not parts:
        return passive(sentence, clause, ctx)
    return emit(parts, sentence, clause, ctx)


def find_deliverables(clause: Clause, ctx: Context) -> list[Proposal]:
    """The deliverables each sentence of ``clause`` states with a time."""
    found: list[Proposal] = []
    for sentence in clause.sentences:
        items = list_items(sentence, clause, ctx)
        if items:
            found.extend(items)
            continue
        completed = completion(sentence, clause, ctx)
        if completed:
            found.extend(completed)
            continue
        obligation = _obligation(sentence, clause, ctx)
        if obligation:
            found.extend(obligation)
            continue
        if "\t" in sentence.text or " | " in sentence.text or "   " in sentence.text:
            found.extend(table_row(sentence, clause, ctx))
        else:
            found.extend(labelled_line(sentence, clause, ctx))
    return found
