"""Deliverables and their dates: what a party shall deliver, submit, provide or complete, and
by when; completion ("Practical Completion shall be achieved by …"); milestone lists and
schedules ("Milestone #1 - January 1st, 2019", "Week 4 -> UI Design", a table row with a
date); recurring reports ("a monthly progress report").

A deliverable is proposed only when its words state a time (a date, a date relative to an
event, or a recurrence): an obligation without one is not a milestone.
"""

import re

from .dates import find_relatives
from .model import Clause, Context, Proposal, Relative, Span
from .schedules import labelled_line, list_items, table_row
from .timing import When, read_when
from .wording import NOT_A_PARTY, clean, deliverable, subject

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
    rf"(?:(?:use\s+(?:all\s+|its\s+|their\s+)?(?:reasonable|best|commercially\s+reasonable)\s+(?:endeavou?rs|efforts)\s+to|promptly|also|then|be\s+required\s+to|"
    rf"(?:design|develop|prepare|produce|write)\s*,?\s*(?:and|or)?)\s+)*"
    rf"(?P<verb>{_VERB_ALT})(?:s|ed)?\b(?P<more>(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:{_VERB_ALT}|reject|propose)\b){{0,3}})"
    rf"(?!\s+(?:that|with|for\s+(?:the\s+)?(?:payment|purposes)))",
    re.IGNORECASE,
)
# What a deadline applies to ends at the time phrase, a recipient, or the end of the clause.
_OBJECT_END_RE = re.compile(
    r"\s+(?:by|before|on\s+or\s+before|no\s+later\s+than|not\s+later\s+than|within|prior\s+to"
    r"|to\s+\S+|in\s+accordance|for\s+(?:the\s+)?(?:[A-Z][\w\u2019']*\s+)?(?:approval|review|acceptance|comment|information)"
    r"|on\s+(?:the|each|every|a)\b|at\s+(?:the|its|least)\b|which|that|so\s+as|as\s+(?:set|described|specified)"
    r"|during|every|each|in\s+(?:a|the)\s+form|under|pursuant|upon|after|following|until|from|and\s+(?:shall|will|thereafter|notify|inform|give|pay|send|confirm|advise))\b"
    r"|\s*(?:,(?!\d{3})|[;:(])|\s+-\s",
    re.IGNORECASE,
)
# Objects that are notices and courtesies rather than milestones.
_NOT_A_DELIVERABLE_RE = re.compile(
    r"^(?:(?:a|any|the|such|prompt|written|prior|reasonable|its|all|further|additional)\s+)*"
    r"(?:notices?|notifications?|consents?|assistance|co-?operation|access|copies|copy|information|"
    r"details|evidence|confirmation|reasons|explanations?|support|services|payments?|invoices?|"
    r"indemnit|insurance|warrant|certificate\s+of\s+insurance)\b|^(?:it|them|this|such|same)$",
    re.IGNORECASE,
)
_COMPLETION_RE = re.compile(
    r"\b(?P<what>(?:Practical|Substantial|Sectional|Final|Mechanical)\s+Completion"
    r"(?:\s+of\s+(?:Section|Phase|Stage|Part)\s+[0-9A-Z]+)?|Completion\s+of\s+the\s+Works"
    r"|(?:the\s+)?Works)\s+(?:shall|will|must|is\s+to|are\s+to)\s+(?:be\s+)?"
    r"(?:achieved|completed|reached|attained|certified|take\s+place|occur"
    r"|(?=(?:on|by|no\s+later|not\s+later|within|before|on\s+or\s+before)\b))\b"
    r"|\b(?P<section>(?:Section|Phase|Stage|Part)\s+[0-9A-Z]+(?:\s*\([^)]{1,60}\))?)\s+(?:shall|will|must|is\s+to)\s+"
    r"(?:reach|achieve|attain)\s+(?P<level>(?:Practical|Sectional|Substantial|Final)\s+)?Completion\b"
    r"|\b(?P<period>(?:[A-Z][\w-]*\s+){0,3}Period)\s+(?:is|shall\s+be|will\s+be|ends?|expires?)\b"
    r"|\b(?P<date>(?:the\s+)?(?:Date\s+(?:for|of)\s+(?-i:(?:[A-Z][\w-]*\s+){0,2}?[A-Z][\w-]*)|Completion\s+Date"
    r"|Target\s+Completion\s+Date|Final\s+Delivery\s+Date)(?:\s+(?:of|for)\s+(?:Section|Phase|Stage|Part)\s+[0-9A-Z]+)?)"
    r"\s+(?:is|shall\s+be|will\s+be)\b",
    re.IGNORECASE,
)
# A recipient before the object: "submit to the Customer a report".
_RECIPIENT_RE = re.compile(
    r"\s*to\s+(?:the\s+)?[A-Z][\w\"\u201c\u201d-]*(?:\s+[A-Z\"\u201c][\w\"\u201c\u201d-]*)*\s+(?=(?:a|an|the|its|all|each)\b)"
)
_AND_MORE_RE = re.compile(
    r"\s*,?\s*and\s+(?P<obj>(?:(?:the|a|an|all|its)\s+)?[^,;.]{2,80}?)"
    r"(?P<gap>\s+(?:by|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|within|before)\s+)",
    re.IGNORECASE,
)
_PASSIVE_VERBS = (
    r"made|submitted|delivered|provided|completed|issued|carried\s+out|held|achieved|installed"
    r"|commissioned|handed\s+over|finished|take\s+place|occur|ready|commence|start|begin|end|expire"
)
_PASSIVE_RE = re.compile(
    r"(?:The\s+|the\s+)?(?P<subj>[A-Z0-9](?:(?!\s(?:shall|will|must|is\s+to|are\s+to)\s)(?:[^.;:,]|(?<=\d)[.,](?=\d))){1,80}?)"
    rf"\s+(?:shall|will|must|is\s+to|are\s+to)\s+(?:be\s+)?(?:(?:substantially|fully|finally|duly)\s+)?(?P<verb>{_PASSIVE_VERBS})\b"
)
# "… and shall be completed by 31 October 2027": the same subject's next step.
_PASSIVE_MORE_RE = re.compile(
    rf"\s*,?\s*and\s+(?:shall|will|must)\s+(?:be\s+)?(?P<verb>{_PASSIVE_VERBS})\b"
)
# "The Go-Live Date is 1 December 2027" (the contract's own dates are facts, not milestones).
_NAMED_DATE_RE = re.compile(
    r"^(?:The\s+|the\s+)?(?P<name>(?!(?:The|Effective|Commencement|Contract|Agreement|Execution|Signature|Start)\s)"
    r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s+Date\s+(?:is|shall\s+be|will\s+be)\b"
)
_NOT_ENDING = frozenset({"Agreement", "Contract", "Term", "This", "Licence", "License", "Lease"})
_RECURRING_THING_RE = re.compile(
    r"\b(?:reports?|forecasts?|statements?|returns?|plans?|updates?|meetings?|valuations?|reviews?|price\s+lists?"
    r"|schedules?|minutes|deliver(?:y|ies)|audits?|surveys?|workshops?|invoices?)\b",
    re.IGNORECASE,
)
_NEXT_CLAUSE_RE = re.compile(
    r"[,;]\s*(?:and\s+|but\s+|whereupon\s+)?(?:(?:the\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*\s+)?"
    r"(?:shall|will|must|may)\b"
)
_ITEM_SPLIT_RE = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+")
_STAGED_RE = re.compile(
    r"\s+in\s+(?:\w+\s+)?(?:\(\d+\)\s+)?(?P<unit>instal+ments|tranches|batches|consignments|shipments|stages|phases|parts)\b",
    re.IGNORECASE,
)
_PERIOD_DEFINED_RE = re.compile(
    r"[\"\u201c](?P<name>[A-Z][\w -]{0,40}Period)[\"\u201d]\s+(?:means|shall\s+mean)\s+(?:the\s+)?period\s+(?:of|ending)\b"
)
_COMPLETION_HINT_RE = re.compile(r"omplet|eriod|[Dd]ate\b|Works|WORKS|PERIOD|COMPLET")
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
_EVERY_N_RE = re.compile(
    r"\bevery\s+(?:\w+|\d+)\s+(?:\(\d+\)\s+)?(?:days|weeks|months)\b", re.IGNORECASE
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
_REPORT_RE = re.compile(
    r"\b(?P<freq>monthly|weekly|quarterly|annual|yearly)\s+(?:(?:progress|status|performance|"
    r"service|management|written|financial)\s+)*(?:reports?|statements?|returns?|updates?)\b",
    re.IGNORECASE,
)


def _completion_title(what: str) -> str:
    what = re.sub(r"^the\s+", "", clean(what), flags=re.IGNORECASE)
    lowered = what.lower()
    if lowered == "works":
        return "Complete the Works"
    named = re.match(r"date\s+(?:for|of)\s+(.*)", what, re.IGNORECASE)
    if named:
        return named.group(1)[0].upper() + named.group(1)[1:]
    if "date" in lowered:
        return re.sub(r"\s*\bDate\b\s*", " ", what).strip()
    if " of " in what:
        return what[0].upper() + what[1:]
    return what[0].upper() + what[1:].lower()


def _completion(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    words = sentence.text
    if not _COMPLETION_HINT_RE.search(words):
        return []
    defined = _PERIOD_DEFINED_RE.match(words)
    if defined:
        # '"Defects Period" means the period of twelve (12) months from the date of Practical
        # Completion': the period's end is a milestone (retention is often released then).
        counted = [
            hit
            for hit in find_relatives(words)
            if hit.start >= defined.end() and hit.relative.anchor
        ]
        if not counted:
            return []
        when = When(relative=counted[0].relative, start=counted[0].start, end=counted[0].end)
        title = "End of the " + clean(defined.group("name"))
        return _parts([(title, when, 0, when.end, [])], sentence, clause, ctx)
    matches = list(_COMPLETION_RE.finditer(words))
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, match in enumerate(matches):
        limit = matches[index + 1].start() if index + 1 < len(matches) else len(words)
        limit = min(limit, _next_clause(words, match.end()))
        when = read_when(words, ctx.date_order, match.end(), limit)
        if when.due is None and when.relative is None:
            continue
        if match.group("period"):
            if when.relative is None or not when.relative.anchor:
                continue
            title = "End of the " + re.sub(
                r"^the\s+", "", clean(match.group("period")), flags=re.IGNORECASE
            )
        elif match.group("section"):
            level = (match.group("level") or "").strip().lower()
            title = f"{level} completion of {clean(match.group('section'))}".strip()
            title = title[0].upper() + title[1:]
        else:
            title = _completion_title(match.group("what") or match.group("date"))
        begin = parts[-1][3] if parts else 0
        parts.append((title, when, begin, when.end, subject(words, match.start())))
    return _parts(parts, sentence, clause, ctx) if parts else []


def _allowed(when: When, words: str, obj: str) -> bool:
    """A date or relative date always; a recurrence alone for things that recur by nature."""
    if when.due is not None or when.relative is not None:
        return True
    recurs = when.recurring is not None or bool(_EVERY_N_RE.search(words))
    return recurs and bool(_REPORT_RE.search(words) or _RECURRING_THING_RE.search(obj))


def _more(words: str, at: int, limit: int, order: str) -> list[tuple[str, When, int, int]]:
    """ "… and the roof by 13/05/2027": further objects sharing the verb, with their times."""
    found: list[tuple[str, When, int, int]] = []
    while True:
        match = _AND_MORE_RE.match(words, at, limit)
        if not match:
            return found
        when = read_when(words, order, match.end("obj"), limit)
        if when.start != match.end("obj") + len(match.group("gap")) or (
            when.due is None and when.relative is None
        ):
            return found
        found.append((clean(match.group("obj")), when, match.start(), when.end))
        at = when.end


def _next_clause(words: str, after: int) -> int:
    """Where a new clause with its own "shall" starts after ``after`` (", and the Employer
    shall pay …"), or the end of the words."""
    match = _NEXT_CLAUSE_RE.search(words, max(after, 0))
    return match.start() if match else len(words)


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
    matches = list(_OBLIGATION_RE.finditer(words))
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, match in enumerate(matches):
        limit = matches[index + 1].start() if index + 1 < len(matches) else len(words)
        limit = min(limit, _next_clause(words, match.end()))
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
        if not obj or _NOT_A_DELIVERABLE_RE.match(obj) or len(obj) < 3:
            continue
        if match.group("verb").lower() in ("give", "grant") and not _GIVEN_RE.search(obj):
            continue  # "give notice", "grant a licence": only access, possession and the like
        verb = _VERBS.get(match.group("verb").lower(), match.group("verb").capitalize())
        verb += re.sub(r"\s+", " ", match.group("more") or "").lower()
        parties = subject(words, match.start())
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
        if not _allowed(when, words, obj):
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
        for more_obj, more_when, more_start, more_end in _more(
            words, max(when.end, 0), limit, ctx.date_order
        ):
            parts.append((f"{verb} {more_obj}", more_when, more_start, more_end, parties))
    if not parts:
        return _passive(sentence, clause, ctx)
    return _parts(parts, sentence, clause, ctx)


def _parts(
    parts: list[tuple[str, When, int, int, list[str]]], sentence: Span, clause: Clause, ctx: Context
) -> list[Proposal]:
    """One proposal per part; a sentence with one part cites the whole sentence."""
    if len(parts) == 1:
        title, when, _, finish, parties = parts[0]
        cut = _next_clause(sentence.text, finish)
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


_PASSIVE_ACTS = {
    "delivered": "Deliver",
    "submitted": "Submit",
    "provided": "Provide",
    "issued": "Issue",
    "installed": "Install",
    "commissioned": "Commission",
    "handed over": "Hand over",
    "held": "Hold",
}


def _inner(subject: str) -> str:
    """A sentence's first words inside a title: "Quarterly business reviews" → "quarterly
    business reviews"; names ("User Acceptance Testing", "Section 1") keep their capitals."""
    words = subject.split()
    if len(words) > 1 and words[0][1:].islower() and words[1][:1].islower():
        return subject[0].lower() + subject[1:]
    return subject


def _passive_title(subject: str, verb: str, article: str = "") -> str:
    verb = re.sub(r"\s+", " ", verb.lower())
    if verb not in ("made", "take place", "occur", "ready"):
        subject = _inner(subject)
    if verb in _PASSIVE_ACTS:
        return f"{_PASSIVE_ACTS[verb]} {article}{subject}"
    if verb in ("completed", "achieved", "finished"):
        return f"Complete {article}{subject}"
    if verb in ("commence", "start", "begin"):
        return f"Start {subject}"
    if verb in ("end", "expire"):
        return f"End of {subject}"
    return subject[0].upper() + subject[1:]


def _passive(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    """ "Section 1 shall be completed by …", "Go-Live shall take place no later than …",
    "User Acceptance Testing shall commence … and shall be completed by …", "The Go-Live
    Date is …"."""
    words = sentence.text
    named = _NAMED_DATE_RE.match(words)
    if named:
        when = read_when(words, ctx.date_order, named.end(), _next_clause(words, named.end()))
        if when.due is None and when.relative is None:
            return []
        return _parts([(clean(named.group("name")), when, 0, when.end, [])], sentence, clause, ctx)
    match = _PASSIVE_RE.match(words)
    if not match:
        return []
    subject = re.sub(r"^the\s+", "", clean(match.group("subj")), flags=re.IGNORECASE)
    if not subject or _NOT_A_DELIVERABLE_RE.match(subject) or subject.split()[0] in NOT_A_PARTY:
        return []
    steps = [(match.group("verb"), match.end())]
    position = match.end()
    while True:
        limit = _next_clause(words, position)
        more = _PASSIVE_MORE_RE.search(words, position, limit)
        if not more:
            break
        steps.append((more.group("verb"), more.end()))
        position = more.end()
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, (verb, at) in enumerate(steps):
        limit = steps[index + 1][1] if index + 1 < len(steps) else _next_clause(words, at)
        when = read_when(words, ctx.date_order, at, limit, ctx.defined)
        if when.recurring is None:
            # "Quarterly business reviews shall be held …": the subject says how often.
            early = read_when(words, ctx.date_order, 0, match.end("subj"))
            when = When(
                when.due, when.ambiguous, when.relative, early.recurring, when.start, when.end
            )
        made = when.recurring is not None and verb.lower() == "made"
        if not when.stated or not (_allowed(when, words, subject) or made):
            continue
        if verb.lower() in ("end", "expire") and subject.split()[-1] in _NOT_ENDING:
            continue
        begin = parts[-1][3] if parts else 0
        article = "the " if re.match(r"the\s", words, re.IGNORECASE) else ""
        parts.append((_passive_title(subject, verb, article), when, begin, max(when.end, at), []))
    if len(parts) == 1 and len(steps) == 1:
        prefix = "Complete " if parts[0][0].startswith("Complete ") else ""
        for more_obj, more_when, more_start, more_end in _more(
            words, max(parts[0][1].end, 0), len(words), ctx.date_order
        ):
            parts.append((prefix + more_obj, more_when, more_start, more_end, []))
    return _parts(parts, sentence, clause, ctx) if parts else []


def find_deliverables(clause: Clause, ctx: Context) -> list[Proposal]:
    """The deliverables each sentence of ``clause`` states with a time."""
    found: list[Proposal] = []
    for sentence in clause.sentences:
        items = list_items(sentence, clause, ctx)
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
            found.extend(table_row(sentence, clause, ctx))
        else:
            found.extend(labelled_line(sentence, clause, ctx))
    return found
