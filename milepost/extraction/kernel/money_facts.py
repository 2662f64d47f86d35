"""What a clause says about the contract's money as a whole.

``contract_sum`` ("the Contract Sum of £1,250,000", "The Fees for the Project shall be
$279,000.00", "the total sum 10,000.00 EUR") with its ``currency``; ``retention_percent`` and
``retention_release`` ("Retention of 5% ... half released at Practical Completion and the balance
at the end of the Defects Period"); ``payment_days`` ("within 30 days of receipt of a valid
invoice", "payable net 30"). Values are JSON-ready: money as a decimal string, days an integer.
"""

import re

from .model import Clause, Context, Fact, Span
from .money import find_money, find_percents
from .numbers import NUMBER, parse_number

_SUM_RE = re.compile(
    r"\b(?:the\s+)?(?:contract\s+(?:sum|price|value)|total\s+(?:contract\s+)?(?:sum|price|cost"
    r"|fees?|consideration|amount)|(?:the\s+)?fees?\s+for\s+the\s+(?:project|services|works)"
    r"|agreed\s+(?:sum|price)|purchase\s+price|tender\s+sum)\b"
    r"(?P<link>[^.;%]{0,60}?)$",
    re.I,
)
# The words between the name of the sum and the amount: no figure, and nothing that makes the
# amount a part of the sum ("per", "deposit", "plus").
_LINK_BAD_RE = re.compile(
    r"[\d%$£€]|\b(?:per|each|plus|less|exceed\w*|up\s+to|minimum|maximum|instal\w*|retention"
    r"|deposit|balance|remaining|increase\w*|adjust\w*)\b",
    re.I,
)
_RETENTION_RE = re.compile(r"\bretention\b|\bretain(?:ed|s)?\b", re.I)
_RELEASE_RE = re.compile(
    r"\b(?:(?:(?:one[- ])?half|\d+(?:\.\d+)?\s?%|(?:fifty|50)\s+per\s?cent|the\s+(?:first|second)"
    r"\s+(?:half|moiety)|the\s+balance|(?:the\s+)?retention(?:\s+money)?|it)\s+"
    r"(?:of\s+(?:the\s+)?(?:retention|which)\s+)?(?:(?:shall|will|is\s+to|to)\s+be\s+)?)?"
    r"(?:released?|repaid)\b[^.;]*",
    re.I,
)
_INVOICE_DAYS_RE = re.compile(
    rf"\bwithin\s+(?P<num>{NUMBER})\s*(?:calendar\s+)?days?\s+(?:of|after|from|following)\s+"
    r"(?:the\s+)?(?:date\s+of\s+)?(?:receipt|submission|issue|presentation|the\s+date)\s+of\s+"
    r"(?:a|an|the|each|any|its)?\s*(?:valid|properly\s+(?:submitted|rendered)|correct|undisputed"
    r"|approved)?\s*(?:VAT\s+)?invoice",
    re.I,
)
# "shall pay ... within 60 days of the end of the month in which the invoice is received".
_DAYS_TO_INVOICE_RE = re.compile(
    rf"\bpa(?:y|id|yable|yment)\b[^.;]{{0,80}}?\bwithin\s+(?P<num>{NUMBER})\s*(?:calendar\s+)?days?\s+"
    r"(?:of|after|from|following)\s+[^.;]{0,80}?\binvoices?\b",
    re.I,
)
_NET_RE = re.compile(
    rf"\b(?:net|payable\s+net|terms\s+(?:of\s+)?net)\s+(?P<num>{NUMBER})(?:\s+days)?", re.I
)
_INVOICE_THEN_DAYS_RE = re.compile(
    rf"\binvoices?\b[^.;]{{0,80}}?\b(?:within|no\s+later\s+than)\s+(?P<num>{NUMBER})\s*(?:calendar\s+)?"
    r"days\b",
    re.I,
)
# "shall be paid to the Customer within 30 days": payment terms without a named start.
_PAID_WITHIN_RE = re.compile(
    rf"\b(?:paid|payable|pay)\b[^.;]{{0,60}}?\bwithin\s+(?P<num>{NUMBER})\s*(?:calendar\s+)?days\b"
    r"(?!\s+(?:of|after|from|following|before|prior))",
    re.I,
)
_CURRENCY_RE = re.compile(
    r"\b(?:paid|payable|made|denominated|expressed|invoiced)\s+in\s+(?P<cur>pounds\s+sterling"
    r"|sterling|(?:US|U\.S\.|United\s+States)\s+dollars|euros?|GBP|USD|EUR)\b",
    re.I,
)
_CURRENCY_WORDS = {"sterling": "GBP", "pound": "GBP", "dollar": "USD", "euro": "EUR"}


def _currency(words: str) -> str:
    lower = words.lower()
    for key, code in _CURRENCY_WORDS.items():
        if key in lower:
            return code
    return words.upper()


def _sum(text: str, ctx: Context) -> tuple[str, str | None] | None:
    for hit in find_money(text, ctx.currency):
        if hit.blank or hit.amount is None:
            continue
        match = _SUM_RE.search(text[max(0, hit.start - 120) : hit.start])
        if match and not _LINK_BAD_RE.search(match.group("link")):
            return format(hit.amount, "f"), hit.currency
    return None


def find_money_facts(clause: Clause, ctx: Context) -> dict[str, Fact]:
    """The money facts the clause states, by name (see ``model.FACT_NAMES``)."""
    facts: dict[str, Fact] = {}
    sentences = clause.sentences or (Span(clause.start, clause.end, clause.text),)
    for sentence in sentences:
        text = sentence.text
        cite = ctx.cite(sentence.start, sentence.end, clause)
        if "contract_sum" not in facts and (found := _sum(text, ctx)):
            facts["contract_sum"] = Fact(found[0], cite)
            if found[1]:
                facts["currency"] = Fact(found[1], cite)
        if "currency" not in facts and (stated := _CURRENCY_RE.search(text)):
            facts["currency"] = Fact(_currency(stated.group("cur")), cite)
        retention = _RETENTION_RE.search(text)
        if retention and "retention_percent" not in facts:
            percents = [p for p in find_percents(text) if abs(p.start - retention.end()) < 60]
            if percents:
                value = percents[0].value
                number = int(value) if value == value.to_integral_value() else float(value)
                facts["retention_percent"] = Fact(number, cite)
        if retention or "retention_percent" in facts:
            release = _RELEASE_RE.search(text)
            if release and "retention_release" not in facts:
                words = " ".join(release.group(0).split()).strip(" ,")
                facts["retention_release"] = Fact(words[:300], cite)
        if "payment_days" not in facts:
            days = (
                _INVOICE_DAYS_RE.search(text)
                or _NET_RE.search(text)
                or _INVOICE_THEN_DAYS_RE.search(text)
                or _DAYS_TO_INVOICE_RE.search(text)
                or _PAID_WITHIN_RE.search(text)
            )
            count = parse_number(days.group("num")) if days else None
            if count is not None and 0 < count <= 365:
                facts["payment_days"] = Fact(int(count), cite)
    return facts
