"""The words around a payment stage: who pays whom, and what the stage is for.

"The Employer shall pay the Contractor ..." names the payer and the payee; "a monthly retainer
of $12,500", "20% Deposit ($55,800.00)", "The fee of £45,000 for the Stage 1 Report" say what
the money is for, in the contract's words.
"""

import re

from .model import Clause, Span

_DESC_BEFORE_RE = re.compile(
    r"\b(?P<what>(?:(?:monthly|annual|quarterly|final|first|initial)\s+)?(?:retainer|deposit"
    r"|advance(?:\s+payment)?"
    r"|down\s+payment|mobili[sz]ation\s+payment|subscription|licen[cs]e\s+fee)(?:\s+fee)?)\s+(?:of\s+)?"
    r"\(?\s*$",
    re.I,
)
_DESC_AFTER_RE = re.compile(
    r"^[\s\-.\u2013)]*(?P<what>(?:down|mid|final|first|second|third|advance)\s+payment|deposit"
    r"|retainer)\b",
    re.I,
)
_FOR_AFTER_RE = re.compile(
    r"^\s*\)?\s*for\s+(?P<what>the\s+[^,.;()]{2,50}?)(?=\s+(?:shall|will|is|are|to\s+be|payable"
    r"|due)\b)",
    re.I,
)
# A defined fee named before its amount: "the Annual Support Fee of £24,000".
_FEE_NAME_RE = re.compile(
    r"\b(?P<what>(?:[A-Z][\w-]*\s+){1,3}(?:Fee|Fees|Charge|Charges))\s+(?:of\s+)?\(?\s*$"
)
# A payee is a party, not the money: "shall pay the Annual Support Fee".
_NOT_PARTY_RE = re.compile(r"\b(?:fees?|charges?|sum|price|amount|balance|invoices?)\b", re.I)
_FOR_BEFORE_RE = re.compile(r"\bfees?\s+for\s+(?P<what>the\s+[^(),.;]{2,50}?)\s*\(\s*$", re.I)
_NAME = r"(?:the\s+)?\"?[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3}\"?"
_PAYER_RE = re.compile(
    rf"(?P<payer>{_NAME})\s+(?:shall|will|must|agrees?\s+to|undertakes?\s+to|is\s+to)\s+pay"
    rf"(?:\s+(?:to\s+)?(?P<payee>{_NAME}))?\b",
)
_NAME_END_RE = re.compile(
    r"\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty"
    r"|seventy|eighty|ninety|hundred|thousand|million|US|U\.S\.|USD|GBP|EUR|Dollars|Pounds|Euros?)\b.*$",
    re.I,
)

_COMPLETION_RE = re.compile(
    r"\b(?:practical\s+|substantial\s+|final\s+|sectional\s+)?completion\s+of\s+(?P<what>.+)$"
    r"|\b(?P<done>practical\s+completion|substantial\s+completion|final\s+completion)\b",
    re.I,
)


def payer_and_payee(clause: Clause, sentence: Span) -> list[str]:
    """[payer, payee] from the last "X shall pay Y" in the clause up to the sentence's end."""
    text = clause.text[: sentence.end - clause.start]
    found = list(_PAYER_RE.finditer(text))
    if not found:
        return []
    match = found[-1]
    names = [
        _NAME_END_RE.sub("", re.sub(r'^the\s+|"', "", match.group(g) or "", flags=re.I)).strip()
        for g in ("payer", "payee")
    ]
    return [name for name in names if name and not _NOT_PARTY_RE.search(name)]


def description(text: str, start: int, end: int, right_end: int) -> str:
    """What the stage is for, in the contract's words: " retainer", " for the Stage 1 Report"."""
    inside = _DESC_AFTER_RE.search(re.sub(r"[\d%$£€,.()]+", " ", text[start:end]))
    before = text[max(0, start - 60) : start]
    after = text[end:right_end]
    for match, form in (
        (_FOR_AFTER_RE.search(after), " for {}"),
        (_FOR_BEFORE_RE.search(before), " for {}"),
        (_DESC_BEFORE_RE.search(before), " {}"),
        (_FEE_NAME_RE.search(before), " {}"),
        (_DESC_AFTER_RE.search(after), " {}"),
        (inside, " {}"),
    ):
        if match:
            return form.format(" ".join(match.group("what").split()).lower())
    return ""


def when_phrase(prep: str | None, trigger: str | None) -> str:
    """How a title says when: " on completion of the foundations", " at closing"."""
    if not trigger:
        return ""
    completion = _COMPLETION_RE.search(trigger)
    if completion:
        if completion.group("done"):
            return f" on {completion.group('done').lower()}"
        return f" on completion of {completion.group('what')}"
    return f" {prep or 'on'} {trigger}"
