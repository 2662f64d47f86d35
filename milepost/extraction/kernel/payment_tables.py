"""Payment schedules written as tables: a row per stage with its share or amount and when.

"| Stage | Percentage | Payable on |" / "| 1 | 30% | Completion of the foundations |", or the rows
the document reader writes for DOCX tables ("Stage 1 | 30% | Completion of the foundations").
"""

import re
from decimal import Decimal

from . import tables
from .dates import find_dates, find_relatives
from .model import Clause, Context, Proposal, Span
from .money import find_money, find_percents, money_text
from .payment_words import payer_and_payee, when_phrase

_PAYMENT_HEADER_RE = re.compile(
    r"\b(?:pay\w*|instal+ments?|amount|fees?|price|sum|stage|milestone|percentage|%)\b|%", re.I
)
# Tables of service levels, credits or rates are read elsewhere.
_NOT_PAYMENT_RE = re.compile(
    r"\b(?:credit|service\s+level|target|response|resolution|rate|liquidated|damages|per\s+(?:day"
    r"|hour|week))\b",
    re.I,
)
_WHEN_HEADER_RE = re.compile(
    r"\b(?:trigger|event|when|on|upon|payable|due|milestone|description)\b", re.I
)


def _trigger(row: list[str], header: list[str]) -> str | None:
    texts = [
        (index, cell)
        for index, cell in enumerate(row)
        if re.search(r"[A-Za-z]{3}", cell) and not find_money(cell) and not find_percents(cell)
    ]
    named = [
        cell
        for index, cell in texts
        if index < len(header) and _WHEN_HEADER_RE.search(header[index])
    ]
    words = named[-1] if named else max((cell for _, cell in texts), key=len, default="")
    words = re.sub(r"^(?:on|upon|at|following|after)\s+", "", words.strip(" .;"), flags=re.I)
    return words or None


def payment_rows(clause: Clause, ctx: Context) -> list[Proposal]:
    """One payment proposal per row of a payment schedule table in the clause."""
    found: list[Proposal] = []
    for start, end in tables.rows(ctx.text, clause.start, clause.end):
        header = tables.header(ctx.text, start)
        heading = " ".join(header) or clause.heading
        if not _PAYMENT_HEADER_RE.search(heading) or _NOT_PAYMENT_RE.search(heading):
            continue
        line = ctx.text[start:end]
        row = tables.cells(line)
        percents = [p for cell in row for p in find_percents(cell)]
        money = [m for cell in row for m in find_money(cell, ctx.currency)]
        if not percents and not money:
            continue
        percent: Decimal | None = percents[0].value if percents else None
        amount = money[0].amount if money else None
        currency = money[0].currency if money else None
        trigger = _trigger(row, header)
        if trigger and find_dates(trigger, ctx.date_order):
            trigger = None  # the row's date, not an event
        relatives = [hit.relative for hit in find_relatives(line) if hit.relative.anchor]
        dates = [hit for hit in find_dates(line, ctx.date_order) if hit.value is not None]
        what = f"{percent.normalize():f}%" if percent is not None else money_text(amount, currency)
        when = (
            f" on {dates[0].value.day} {dates[0].value:%B %Y}" if dates and dates[0].value else ""
        )
        found.append(
            Proposal(
                kind="payment",
                title=f"Payment: {what}{when or when_phrase('on', trigger)}"[:200],
                citation=ctx.cite(start, end, clause),
                confidence=0.8 if trigger or dates else 0.6,
                due=dates[0].value if dates else None,
                ambiguous=["due"] if dates and dates[0].ambiguous else [],
                relative=relatives[0] if relatives else None,
                percent=percent,
                amount=amount,
                currency=currency,
                trigger=trigger,
                parties=payer_and_payee(clause, Span(start, end, line)),
            )
        )
    return found
