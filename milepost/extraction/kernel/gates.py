"""Gates: approvals by named parties before a stage may start.

"The Contractor shall not commence Stage 2 until the Client and the Funder have approved the
Stage 1 report in writing" is a gate whose parties are the approvers (Client, Funder) and whose
title says what they approve ("Client and Funder approve the Stage 1 report"). "Subject to the
written approval of the Employer" and "may not proceed … until … sign-off" are gates too when
the sentence is about starting or proceeding with work; a confidentiality clause's "without the
prior written consent" is not.
"""

import re

from .model import Clause, Context, Proposal, Span
from .timing import read_when

_START = r"(?:commence|start|begin|proceed|mobili[sz]e|carry\s+out|undertake|order|place\s+orders)"
_APPROVAL = (
    r"(?:approved|approve[sd]?|approval|accepted|acceptance|signed[\s-]+off|sign[\s-]?off|consented|consent"
    r"|authori[sz]ed|authori[sz]ation|agreed|confirmed\s+in\s+writing|(?:instruction|certificate|notice)\s+to\s+proceed)"
)
_NOT_UNTIL_RE = re.compile(
    rf"\b(?:shall|will|must|may)\s+not\s+(?:\w+\s+){{0,2}}?{_START}\b(?P<what>[^.;]*?)"
    rf"\b(?:until|unless|before|prior\s+to|without)\b(?P<cond>[^.;]*?\b{_APPROVAL}\b[^.;]*)",
    re.IGNORECASE,
)
# "Buyer shall not release the initial order for production until it has approved …": any
# act held back until an approval (not "unless", which is how consents to assign are written).
_HELD_UNTIL_RE = re.compile(
    rf"\b(?:shall|will|must|may)\s+not\s+(?P<verb>[a-z]+)\b(?P<what>[^.;]*?)"
    rf"\b(?:until|before|prior\s+to)\b(?P<cond>[^.;]*?\b{_APPROVAL}\b[^.;]*)",
    re.IGNORECASE,
)
_NO_WORK_UNTIL_RE = re.compile(
    rf"\b(?:no|neither)\s+(?P<what>[^.;]{{2,80}}?)\s+(?:shall|will|may)\s+(?:be\s+)?(?:\w+\s+)?{_START}\w*\b[^.;]*?"
    rf"\b(?:until|unless|before|prior\s+to|without)\b(?P<cond>[^.;]*?\b{_APPROVAL}\b[^.;]*)",
    re.IGNORECASE,
)
# "Stage 2 shall only commence once the Client has approved …"
_ONLY_ONCE_RE = re.compile(
    rf"\b(?:shall|will|may|must)\s+only\s+(?:be\s+)?(?:\w+\s+)?{_START}\w*\b(?P<what>[^.;]*?)"
    rf"\b(?:once|after|when|if|following)\b(?P<cond>[^.;]*?\b{_APPROVAL}\b[^.;]*)",
    re.IGNORECASE,
)
# "Before starting Phase 2, the Supplier must obtain the Customer's written approval of …"
_BEFORE_STARTING_RE = re.compile(
    r"^\s*(?:before|prior\s+to)\s+(?:starting|commencing|beginning|mobili[sz]ing|proceeding\s+(?:to|with))\s+"
    rf"(?P<what>[^,]{{2,80}}),\s*(?P<cond>[^.;]*\b{_APPROVAL}\b[^.;]*)",
    re.IGNORECASE,
)
# "The Funder's approval of the Stage 1 report is a condition precedent to the start of Stage 2."
_PRECEDENT_RE = re.compile(
    rf"(?P<cond>[^.;]*\b{_APPROVAL}\b[^.;]*?)\s+(?:is|shall\s+be|are)\s+(?:a\s+)?conditions?\s+precedent\s+to\s+"
    r"(?:the\s+)?(?:start\s+of\s+|commencement\s+of\s+)?(?P<what>[^.;]+)",
    re.IGNORECASE,
)
_SUBJECT_TO_RE = re.compile(
    rf"\bsubject\s+to\s+(?P<cond>(?:the\s+)?(?:prior\s+)?(?:written\s+)?{_APPROVAL}\s+of\s+[^.;,]+)",
    re.IGNORECASE,
)
_WORK_WORDS_RE = re.compile(
    r"\b(?:stage|phase|section|works|construction|commence\w*|start\w*|proceed\w*|mobili[sz]\w*|"
    r"next\s+milestone|milestone)\b",
    re.IGNORECASE,
)
# The approvers: "the Client and the Funder have approved", "written approval of the Employer".
_BY_RE = re.compile(
    rf"(?:(?P<who>(?:(?:the|each\s+of\s+the|both)\s+)?[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*"
    rf"(?:\s*(?:,|and|or)\s+(?:the\s+)?[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)*)\s+"
    rf"(?:(?:has|have|shall\s+have|will\s+have)\s+(?:each\s+|both\s+|first\s+)?(?:been\s+)?)?(?:given\s+)?(?:its\s+|their\s+)?(?:written\s+|formal\s+)?{_APPROVAL}\b)"
    rf"|(?P<who3>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*)[\u2019']s\s+(?:prior\s+)?(?:written\s+|formal\s+)?{_APPROVAL}\b"
    rf"|(?:{_APPROVAL}\s+(?:in\s+writing\s+)?(?:of|by|from)\s+(?P<who2>(?:the\s+)?[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*"
    rf"(?:\s*(?:,|and)\s+(?:the\s+)?[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)*))"
)
_OBJECT_RE = re.compile(
    rf"\b{_APPROVAL}\s+(?:in\s+writing\s+)?(?:of\s+)?(?P<obj>(?:the|a|an|each|its|their)\s+[^.;,]+?"
    r"|(?-i:[A-Z0-9\"\u201c])[^.;,]+?)"
    r"(?=\s+(?:in\s+writing|by|from|of\s+the\s+[A-Z]|and\s+(?:the|any)|under|pursuant|which|in\s+accordance)\b|[.;,]|$)",
    re.IGNORECASE,
)
_JOIN_RE = re.compile(r"[,;]\s*(?:and|but)?\s+")
_MODAL_RE = re.compile(r"\b(?:shall|will|must|may)\b")
_PRONOUN_RE = re.compile(r"^\s*(?:it|they|he|she)\s+(?:has|have)\b", re.IGNORECASE)
_SUBJECT_RE = re.compile(
    r"(?:the\s+)?((?-i:[A-Z])[\w&'-]*(?:\s+(?-i:[A-Z])[\w&'-]*){0,3})\s*$", re.IGNORECASE
)
# "… have confirmed in writing that the Stage 2 design is approved"
_THAT_RE = re.compile(
    rf"\bthat\s+(?P<obj>(?:the|a|an|each|its|their)\s+[^.;,]+?)\s+(?:is|are|has\s+been|have\s+been)\s+{_APPROVAL}\b",
    re.IGNORECASE,
)
_NOT_PARTY_WORDS = frozenset(
    {
        "It",
        "They",
        "The",
        "Each",
        "Both",
        "In",
        "Writing",
        "Stage",
        "Phase",
        "Section",
        "Works",
        "Contract",
    }
)


def _parties(words: str) -> list[str]:
    parties: list[str] = []
    for match in _BY_RE.finditer(words):
        who = match.group("who") or match.group("who2") or match.group("who3") or ""
        for part in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", who):
            name = re.sub(
                r"^(?:the|each\s+of\s+the|both)\s+", "", part.strip(), flags=re.IGNORECASE
            ).strip()
            name = re.sub(r"[\u2019']s$", "", name)
            if not name or name.split()[0] in _NOT_PARTY_WORDS or re.search(r"\d", name):
                continue
            if name not in parties:
                parties.append(name)
    return parties


def _object(cond: str) -> str:
    match = _THAT_RE.search(cond) or _OBJECT_RE.search(cond)
    if not match:
        return ""
    obj = re.sub(r"\s+", " ", match.group("obj")).strip()
    return obj[:120]


def _title(parties: list[str], obj: str, what: str, subject: bool = False) -> str:
    who = ", ".join(parties[:-1]) + " and " + parties[-1] if len(parties) > 1 else "".join(parties)
    verb = "approve" if len(parties) != 1 else "approves"
    if obj and re.sub(r"^the\s+", "", obj, flags=re.IGNORECASE) in parties:
        obj = ""
    if subject and what and not obj:
        obj = what[0].lower() + what[1:] if not what[:2].isupper() else what
    if obj:
        text = f"{who} {verb} {obj}" if who else f"Approval of {obj}"
    else:
        what = re.sub(r"\s+", " ", what).strip(" ,")
        what = re.sub(r"^(?:with|on|to)\s+", "", what, flags=re.IGNORECASE)
        start = f"the start of {what}" if what else "the start"
        text = f"{who} {verb} {start}" if who else f"Approval before {start}"
    text = text.strip()
    return (text[0].upper() + text[1:])[:200]


def _gate(sentence: Span, clause: Clause, ctx: Context) -> Proposal | None:
    words = sentence.text
    match = (
        _NOT_UNTIL_RE.search(words)
        or _NO_WORK_UNTIL_RE.search(words)
        or _HELD_UNTIL_RE.search(words)
        or _ONLY_ONCE_RE.search(words)
        or _BEFORE_STARTING_RE.search(words)
        or (
            "precedent" in words
            and _PRECEDENT_RE.search(words, max(0, words.find("precedent") - 300))
        )
        or None
    )
    confidence = 0.85
    if match:
        cond, what = match.group("cond"), match.group("what")
    else:
        subject_to = _SUBJECT_TO_RE.search(words)
        if not subject_to or not _WORK_WORDS_RE.search(words):
            return None
        cond, confidence = subject_to.group("cond"), 0.65
        what = re.sub(
            r"\s+(?:is|are|shall\s+be|will\s+be|remains?)\s*$",
            "",
            words[: subject_to.start()].strip(" ,"),
        )
        what = what if 0 < len(what) <= 100 and "," not in what else ""
    parties = _parties(cond)
    begin = 0
    if match:
        # "…, and Buyer shall not release …": the gate is the clause after the comma.
        joins = list(_JOIN_RE.finditer(words, 0, match.start()))
        if joins and _MODAL_RE.search(words, 0, joins[-1].start()):
            begin = joins[-1].end()
        if not parties and _PRONOUN_RE.search(cond):
            subject = _SUBJECT_RE.search(words[begin : match.start()])
            parties = [subject.group(1)] if subject else []
    if not parties:
        confidence -= 0.2
    when = read_when(words, ctx.date_order, begin)
    return Proposal(
        kind="gate",
        title=_title(parties, _object(cond), what, subject=match is None),
        citation=ctx.cite(sentence.start + begin, sentence.end, clause),
        confidence=confidence,
        due=when.due,
        relative=when.relative,
        parties=parties,
        ambiguous=["due"] if when.ambiguous else [],
    )


def find_gates(clause: Clause, ctx: Context) -> list[Proposal]:
    """The gates each sentence of ``clause`` states."""
    found: list[Proposal] = []
    for sentence in clause.sentences:
        gate = _gate(sentence, clause, ctx)
        if gate is not None:
            found.append(gate)
    return found
