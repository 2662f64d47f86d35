"""Delay (liquidated) damages: the rate per day or week, a cap, and the event they run from.

"liquidated damages at the rate of £2,500 per week", "$__________ per calendar day of delay"
(blank: no rate is invented), "penalty amounting to 7% of the total value of the Equipment for
every 9 days of delay" (rate_percent 7, per_days 9), "shall not exceed 10% of the Contract Sum"
(cap_percent 10) or "£100,000" (cap), "from the Date for Completion until ..." (runs_from).
"""

import re
from decimal import Decimal
from typing import Literal

from .model import Clause, Context, Damages, Span
from .money import MoneyHit, PercentHit, find_money, find_percents
from .numbers import NUMBER, parse_number

_CUE_RE = re.compile(
    r"\b(?:liquidated\s+(?:and\s+ascertained\s+)?damages|delay\s+(?:damages|payments?)|damages\s+for\s+(?:delay"
    r"|late)|penalt(?:y|ies)|LADs?|LDs|(?:for\s+(?:each|every)|per)\s+(?:\w+\s+){0,2}(?:days?|weeks?)"
    r"\s+(?:of\s+(?:delay|lateness)|late|thereafter|(?:by\s+which|that)\s+(?:\w+\s+){1,4}(?:is|are)"
    r"\s+(?:late|delayed|overdue)))\b",
    re.I,
)
# Penalties that are not for delay: tax penalties, "not a penalty".
_NOT_DELAY_RE = re.compile(r"\b(?:taxes|assessments|tax\s+penalt\w*)\b", re.I)
_PER_RE = re.compile(
    rf"[^.;]{{0,50}}?\b(?:per|for\s+(?:each|every)|each|every|a)\s+(?:(?P<num>{NUMBER})\s+)?"
    r"(?:(?:calendar|working|business|complete|full)\s+)?(?P<unit>days?|weeks?)\b",
    re.I,
)
_EVERY_RE = re.compile(
    rf"\b(?:for|per)\s+(?:each|every)\s+(?:(?P<num>{NUMBER})\s+)?(?:(?:calendar|working|business"
    r"|complete|full)\s+)?(?P<unit>days?|weeks?)\b",
    re.I,
)
_CAP_RE = re.compile(
    r"\b(?:(?:shall|will|may)\s+not\s+(?:\w+,?\s+){0,2}exceed|not\s+to\s+exceed|not\s+exceeding"
    r"|(?:up\s+to\s+)?a\s+maximum\s+(?:of|amount\s+of)|capped\s+at|(?:be\s+)?limited\s+to"
    r"|maximum\s+aggregate|cap\s+of|no\s+more\s+than|up\s+to(?!\s+(?:and|the\s+date)))\b:?",
    re.I,
)
_TOTAL_RE = re.compile(r"\b(?:total|aggregate|such\s+(?:damages|amount)|the\s+amount)\b", re.I)
_FROM_RE = re.compile(
    r"\b(?:from|after|between)\s+(?:and\s+including\s+)?(?P<event>the\s+(?:[A-Z][\w-]*\s+){0,4}?(?:Date"
    r"(?:\s+for\s+(?:Completion|Delivery))?|Completion|Delivery)(?:\s+Date)?|the\s+date\s+(?:for|of)"
    r"\s+[^,.;()]{3,60}?)(?=\s+(?:until|to|up\s+to|for|in|and|,)|[,.;]|$)",
)


def _rates(text: str, money: list[MoneyHit]) -> list[tuple[MoneyHit, str, int]]:
    """Each amount followed by "per day|week" (or "for each calendar day"), its unit and count:
    "£6,000 per week for Section 1 and £4,500 per week for Section 2" has two."""
    found: list[tuple[MoneyHit, str, int]] = []
    for hit in money:
        if _CAP_RE.search(text[max(0, hit.start - 40) : hit.start]):
            continue
        match = _PER_RE.match(text, hit.end)
        if match:
            count = parse_number(match.group("num")) if match.group("num") else Decimal(1)
            found.append((hit, match.group("unit").lower().rstrip("s"), int(count or 1)))
    return found


def _cap(text: str, currency: str | None) -> tuple[Decimal | None, Decimal | None]:
    """(cap amount, cap percent) after a cap cue."""
    for match in _CAP_RE.finditer(text):
        rest = text[match.end() : match.end() + 80]
        percents = [p for p in find_percents(rest) if p.start < 20]
        money = [m for m in find_money(rest, currency) if m.start < 25 and not m.blank]
        if percents and (not money or percents[0].start < money[0].start):
            return None, percents[0].value
        if money:
            return money[0].amount, None
    return None, None


def _rate_percent(text: str, percents: list[PercentHit]) -> PercentHit | None:
    for hit in percents:
        if not _CAP_RE.search(text[max(0, hit.start - 40) : hit.start]):
            return hit
    return None


def find_damages(clause: Clause, ctx: Context) -> list[Damages]:
    """The delay damages the clause states: one item per rate (or blank rate) found."""
    found: list[Damages] = []
    sentences = clause.sentences or (Span(clause.start, clause.end, clause.text),)
    cue_in_heading = bool(_CUE_RE.search(clause.heading))
    for sentence in sentences:
        text = sentence.text
        if _NOT_DELAY_RE.search(text):
            continue
        if not (_CUE_RE.search(text) or cue_in_heading):
            if found and _TOTAL_RE.search(text):
                _add_cap([found[-1]], text, ctx)
            continue
        money = find_money(text, ctx.currency)
        every = _EVERY_RE.search(text)
        cite = ctx.cite(sentence.start, sentence.end, clause)
        items: list[Damages] = []
        for hit, unit, count in _rates(text, money):
            per: Literal["day", "week"] = "week" if unit == "week" else "day"
            items.append(
                Damages(
                    citation=cite,
                    per=per if count == 1 else None,
                    per_days=None if count == 1 else count * (7 if unit == "week" else 1),
                    rate=hit.amount,
                    currency=hit.currency,
                    blank=hit.blank,
                    confidence=0.6 if hit.blank else 0.9,
                )
            )
        percent = _rate_percent(text, find_percents(text))
        lump = [m for m in money if not _capped(text, m)]
        if not items and percent is not None and every is not None:
            unit = every.group("unit").lower().rstrip("s")
            count = int(parse_number(every.group("num")) or 1) if every.group("num") else 1
            items.append(
                Damages(
                    citation=cite,
                    per=("week" if unit == "week" else "day") if count == 1 else None,
                    per_days=None if count == 1 else count * (7 if unit == "week" else 1),
                    rate_percent=percent.value,
                    confidence=0.85,
                )
            )
        elif not items and lump and _CUE_RE.search(text):
            items.append(
                Damages(
                    citation=cite,
                    rate=lump[0].amount,
                    currency=lump[0].currency,
                    blank=lump[0].blank,
                    confidence=0.5,
                )
            )
        if not items:
            if found:
                _add_cap([found[-1]], text, ctx)
            continue
        runs = _FROM_RE.search(text)
        for item in items:
            item.runs_from = " ".join(runs.group("event").split()) if runs else None
        _add_cap(items, text, ctx)
        found.extend(items)
    uncapped = [item for item in found if item.cap is None and item.cap_percent is None]
    if uncapped:
        # The cap is often the next clause: "8.2 The total liability for liquidated damages ...".
        following = ctx.text[clause.end : clause.end + 600]
        for sentence_text in re.split(r"(?<=[.;])\s+", following)[:4]:
            if _CUE_RE.search(sentence_text) and _CAP_RE.search(sentence_text):
                _add_cap(uncapped, sentence_text, ctx)
                break
    return found


def _capped(text: str, hit: MoneyHit) -> bool:
    return bool(_CAP_RE.search(text[max(0, hit.start - 40) : hit.start]))


def _add_cap(items: list[Damages], text: str, ctx: Context) -> None:
    """Give ``items`` without a cap the cap ``text`` states (read once for all of them), and
    the event they run from if they have none."""
    items = [item for item in items if item.cap is None and item.cap_percent is None]
    if not items:
        return
    cap, cap_percent = _cap(text, ctx.currency)
    runs = _FROM_RE.search(text)
    for item in items:
        item.cap, item.cap_percent = cap, cap_percent
        if item.runs_from is None and runs:
            item.runs_from = " ".join(runs.group("event").split())
