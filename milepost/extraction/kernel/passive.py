"""Deliverables stated as facts about the work rather than as a party's obligation:
completion ("Practical Completion shall be achieved by …", "Section 1 shall reach Practical
Completion by …", "The Date for Completion is …"), passive forms ("Go-Live shall take place no
later than …", "User Acceptance Testing shall commence … and shall be completed by …"), named
dates ("The Go-Live Date is …") and periods that end ('"Defects Period" means the period of
twelve (12) months from …').
"""

import re

from .dates import find_relatives
from .model import Clause, Context, Proposal, Span
from .timing import When, read_when
from .wording import (
    NOT_A_DELIVERABLE_RE,
    NOT_A_PARTY,
    allowed,
    clean,
    emit,
    more_items,
    next_clause,
    subject,
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
# "The first stage report is due on 30 June 2027."
_DUE_RE = re.compile(
    r"(?:The\s+|the\s+)?(?P<subj>[A-Z0-9](?:(?!\s(?:is|are)\s)[^.;:,]){1,80}?)\s+(?:is|are|shall\s+be|will\s+be)\s+"
    r"(?P<verb>due)\b"
)
# "The Supplier shall ensure that the Data Migration is completed by …"
_THAT_PASSIVE_RE = re.compile(
    r"\b(?:ensure|procure)s?\s+that\s+(?:the\s+)?(?P<subj>[A-Za-z0-9](?:(?!\s(?:is|are|shall|will)\s)[^.;:,]){1,80}?)"
    rf"\s+(?:is|are|shall\s+be|will\s+be|has\s+been|have\s+been)\s+(?P<verb>{_PASSIVE_VERBS}|executed|signed)\b"
)
_NOT_ENDING = frozenset({"Agreement", "Contract", "Term", "This", "Licence", "License", "Lease"})
_PERIOD_DEFINED_RE = re.compile(
    r"[\"\u201c](?P<name>[A-Z][\w -]{0,40}Period)[\"\u201d]\s+(?:means|shall\s+mean)\s+(?:the\s+)?period\s+(?:of|ending)\b"
)
_COMPLETION_HINT_RE = re.compile(r"omplet|eriod|[Dd]ate\b|Works|WORKS|PERIOD|COMPLET")
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


def _completion_title(what: str) -> str:
    what = re.sub(r"^the\s+", "", clean(what), flags=re.IGNORECASE)
    lowered = what.lower()
    if lowered == "works":
        return "Complete the Works"
    named = re.match(r"date\s+(?:for|of)\s+(.*)", what, re.IGNORECASE)
    if named:
        return named.group(1)[0].upper() + named.group(1)[1:]
    if "date" in lowered:
        title = re.sub(r"\s+", " ", re.sub(r"\bdate\b", " ", what, flags=re.IGNORECASE)).strip()
        title = re.sub(r"^(\w+) for ", r"\1 of ", title)  # "Completion for Section 2"
        return title[0].upper() + title[1:]
    if " of " in what:
        return what[0].upper() + what[1:]
    return what[0].upper() + what[1:].lower()


def completion(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
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
        return emit([(title, when, 0, when.end, [])], sentence, clause, ctx)
    matches = list(_COMPLETION_RE.finditer(words))
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, match in enumerate(matches):
        limit = matches[index + 1].start() if index + 1 < len(matches) else len(words)
        limit = min(limit, next_clause(words, match.end()))
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
    return emit(parts, sentence, clause, ctx) if parts else []


def _inner(subject: str) -> str:
    """A sentence's first words inside a title: "Quarterly business reviews" → "quarterly
    business reviews"; names ("User Acceptance Testing", "Section 1") keep their capitals."""
    words = subject.split()
    if len(words) > 1 and words[0][1:].islower() and words[1][:1].islower():
        return subject[0].lower() + subject[1:]
    return subject


def _passive_title(subject: str, verb: str, article: str = "") -> str:
    verb = re.sub(r"\s+", " ", verb.lower())
    if verb not in ("made", "take place", "occur", "ready", "due"):
        subject = _inner(subject)
    if verb in _PASSIVE_ACTS:
        return f"{_PASSIVE_ACTS[verb]} {article}{subject}"
    if verb in ("completed", "achieved", "finished"):
        return f"Complete {article}{subject}"
    if verb in ("executed", "signed"):
        return f"Sign {article}{subject}"
    if verb in ("commence", "start", "begin"):
        return f"Start {subject}"
    if verb in ("end", "expire"):
        return f"End of {subject}"
    return subject[0].upper() + subject[1:]


def passive(sentence: Span, clause: Clause, ctx: Context) -> list[Proposal]:
    """ "Section 1 shall be completed by …", "Go-Live shall take place no later than …",
    "User Acceptance Testing shall commence … and shall be completed by …", "The Go-Live
    Date is …"."""
    words = sentence.text
    named = _NAMED_DATE_RE.match(words)
    if named:
        when = read_when(words, ctx.date_order, named.end(), next_clause(words, named.end()))
        if when.due is None and when.relative is None:
            return []
        return emit([(clean(named.group("name")), when, 0, when.end, [])], sentence, clause, ctx)
    match = _PASSIVE_RE.match(words) or _DUE_RE.match(words) or _THAT_PASSIVE_RE.search(words)
    if not match:
        return []
    subject = re.sub(r"^(?:the|each|every)\s+", "", clean(match.group("subj")), flags=re.IGNORECASE)
    if not subject or NOT_A_DELIVERABLE_RE.match(subject) or subject.split()[0] in NOT_A_PARTY:
        return []
    steps = [(match.group("verb"), match.end())]
    position = match.end()
    while True:
        limit = next_clause(words, position)
        more = _PASSIVE_MORE_RE.search(words, position, limit)
        if not more:
            break
        steps.append((more.group("verb"), more.end()))
        position = more.end()
    parts: list[tuple[str, When, int, int, list[str]]] = []
    for index, (verb, at) in enumerate(steps):
        limit = steps[index + 1][1] if index + 1 < len(steps) else next_clause(words, at)
        when = read_when(words, ctx.date_order, at, limit, ctx.defined)
        if when.recurring is None:
            # "Quarterly business reviews shall be held …": the subject says how often.
            early = read_when(words, ctx.date_order, 0, match.end("subj"))
            when = When(
                when.due, when.ambiguous, when.relative, early.recurring, when.start, when.end
            )
        made = when.recurring is not None and verb.lower() == "made"
        if not when.stated or not (allowed(when, words, subject) or made):
            continue
        if verb.lower() in ("end", "expire") and subject.split()[-1] in _NOT_ENDING:
            continue
        begin = parts[-1][3] if parts else 0
        article = "the " if re.match(r"the\s", words, re.IGNORECASE) else ""
        parts.append((_passive_title(subject, verb, article), when, begin, max(when.end, at), []))
    if len(parts) == 1 and len(steps) == 1:
        first_word = parts[0][0].split(" ", 1)[0]
        acts = {"Complete", *_PASSIVE_ACTS.values()}
        prefix = f"{first_word} " if first_word in acts and parts[0][0] != subject else ""
        for more_obj, more_when, more_start, more_end in more_items(
            words, max(parts[0][1].end, 0), len(words), ctx.date_order
        ):
            parts.append((prefix + more_obj, more_when, more_start, more_end, []))
    return emit(parts, sentence, clause, ctx) if parts else []
