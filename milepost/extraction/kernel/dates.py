"""Dates as contracts write them: absolute, relative to an event, and recurring.

- ``find_dates(text, order)``: "31 March 2027", "31st March, 2027", "March 31, 2027",
  "January 1st, 2019", "30/06/2027", "2027-03-31", "the 3rd day of December 2018". A numeric
  date whose day and month could swap (04/02/2018) is read in ``order`` and flagged
  ``ambiguous``. Only real calendar days in the years 1900-2200 are dates.
- ``decide_order(text)``: "dmy" or "mdy" from the document's own dates, then its locale.
- ``find_relatives(text)``: "within 14 days of the Contract Date", "two weeks after acceptance
  of the programme", "no later than the fifth Working Day of each month", "10 Business Days".
- ``find_recurrence(text)``: "monthly", "each calendar quarter", "every week", "annually".
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .model import Relative, RelativeUnit
from .numbers import NUMBER, ORDINAL, parse_number, parse_ordinal
from .places import US_STATES

MIN_YEAR = 1900
MAX_YEAR = 2200

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH_ALT = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DAY = rf"(?:{ORDINAL}|\d{{1,2}})"
_YEAR = r"(?:1[89]\d\d|2[0-2]\d\d)"

_DATE_RE = re.compile(
    # "the 3rd day of December, 2018", "31st March, 2027", "31 March 2027"
    rf"(?:the\s+)?(?P<d1>{_DAY})(?:\s+|-)(?:day\s+of\s+|of\s+)?(?P<m1>{_MONTH_ALT}),?(?:\s+|-)"
    rf"(?:in\s+the\s+year\s+)?(?P<y1>{_YEAR})\b"
    # "March 31, 2027", "January 1st, 2019"
    rf"|\b(?P<m2>{_MONTH_ALT})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(?P<y2>{_YEAR})\b"
    # "2027-03-31"
    rf"|\b(?P<y3>{_YEAR})-(?P<m3>\d{{1,2}})-(?P<d3>\d{{1,2}})\b"
    # "30/06/2027", "04.02.2018", "4-2-18"
    r"|\b(?P<a4>\d{1,2})(?P<sep>[/.\-])(?P<b4>\d{1,2})(?P=sep)(?P<y4>\d{4}|\d{2})\b(?![/.\-]\d)",
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(r"\b(\d{1,2})([/.\-])(\d{1,2})\2(?:\d{4}|\d{2})\b")
_MDY_WORDS_RE = re.compile(rf"\b{_MONTH_ALT}\s+\d{{1,2}}(?:st|nd|rd|th)?,\s*{_YEAR}\b")
_DMY_WORDS_RE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_ALT},?\s+{_YEAR}\b")
_US_CUES_RE = re.compile(
    r"\$|\bInc\b|\bLLC\b|\bCorp\b|\bcolor\b|\bState of\b|\bU\.S\.|\bUSA\b|\bUnited States\b"
    r"|\bCorporation\b|\b(?:"
    + "|".join(
        sorted(
            (re.escape(name.title().replace(" Of ", " of ")) for name in US_STATES),
            key=len,
            reverse=True,
        )
    )
    + r")\b",
)
_UK_CUES_RE = re.compile(
    r"£|\bLtd\b|\bLimited\b|\bplc\b|\bEngland\b|\bScotland\b|\bWales\b|\bWorking Days?\b"
    r"|\bcolour\b|\bUnited Kingdom\b|\bVAT\b|€|\bGmbH\b|\bprogramme\b",
)


@dataclass(frozen=True)
class DateHit:
    """A date in the text: offsets into the text searched, the day (None when the words name no
    real day), and whether the day and month could be read the other way round."""

    start: int
    end: int
    value: dt.date | None
    ambiguous: bool = False


@dataclass(frozen=True)
class RelativeHit:
    """A date counted from an event, and where its words are."""

    start: int
    end: int
    relative: Relative


def _month(word: str) -> int | None:
    key = word.lower().rstrip(".")
    for name, number in _MONTHS.items():
        if name.startswith(key) and len(key) >= 3:
            return number
    return None


def _day(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return parse_ordinal(word)


def _make(year: int, month: int | None, day: int | None) -> dt.date | None:
    if month is None or day is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _numeric(match: re.Match[str], order: str) -> tuple[dt.date | None, bool]:
    first, second = int(match.group("a4")), int(match.group("b4"))
    year_text = match.group("y4")
    year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
    if len(year_text) == 2 and match.group("sep") == ".":
        return None, False  # "1.2.18" is far more often a clause number than a date
    if first > 12 and second <= 12:
        return _make(year, second, first), False
    if second > 12 and first <= 12:
        return _make(year, first, second), False
    ambiguous = first != second
    if order == "mdy":
        return _make(year, first, second), ambiguous
    return _make(year, second, first), ambiguous


def find_dates(text: str, order: str = "dmy") -> list[DateHit]:
    """Every real calendar date written in ``text``, in order."""
    hits: list[DateHit] = []
    for match in _DATE_RE.finditer(text):
        ambiguous = False
        if match.group("d1"):
            value = _make(
                int(match.group("y1")), _month(match.group("m1")), _day(match.group("d1"))
            )
        elif match.group("m2"):
            value = _make(int(match.group("y2")), _month(match.group("m2")), int(match.group("d2")))
        elif match.group("y3"):
            value = _make(int(match.group("y3")), int(match.group("m3")), int(match.group("d3")))
        else:
            value, ambiguous = _numeric(match, order)
        if value is not None:
            hits.append(DateHit(match.start(), match.end(), value, ambiguous))
    return hits


def decide_order(text: str) -> str:
    """ "mdy" or "dmy": the document's unambiguous numeric dates decide; then how it writes
    dates in words ("March 31, 2027" against "31 March 2027"); then its locale (dollars, US
    states and "Inc." against pounds, "Ltd", England and "Working Day")."""
    dmy = mdy = 0
    for match in _NUMERIC_RE.finditer(text):
        first, second = int(match.group(1)), int(match.group(3))
        if 12 < first <= 31 and second <= 12:
            dmy += 1
        elif 12 < second <= 31 and first <= 12:
            mdy += 1
    if dmy != mdy:
        return "dmy" if dmy > mdy else "mdy"
    words_mdy = len(_MDY_WORDS_RE.findall(text))
    words_dmy = len(_DMY_WORDS_RE.findall(text))
    if words_mdy != words_dmy:
        return "mdy" if words_mdy > words_dmy else "dmy"
    us = len(_US_CUES_RE.findall(text))
    uk = len(_UK_CUES_RE.findall(text))
    return "mdy" if us > uk else "dmy"


# --- Relative dates -------------------------------------------------------------------------

_UNIT = (
    r"(?P<kind>calendar\s+|working\s+|business\s+|banking\s+|clear\s+)?"
    r"(?P<unit>days?|weeks?|fortnights?|months?|years?)\b'?"
)
_DIRECTION = (
    r"(?P<dir>after|following|from|of|before|prior\s+to|subsequent\s+to|succeeding"
    r"|following\s+the\s+date\s+of|from\s+the\s+date\s+of|after\s+the\s+date\s+of)"
)
# The anchor runs to the end of the phrase: punctuation or a word that starts a new thought.
# A line break may fall inside an anchor (text taken from a PDF); a blank line ends it.
_ANCHOR = r"(?P<anchor>(?:[^.;:,()\n]|\n(?![ \t]*\n)){2,160})"
_ANCHOR_STOP_RE = re.compile(
    r"\s+(?:and\s+(?:shall|will|must|the|in|on|notify|give|provide|pay|deliver|submit|send|its|their|thereafter)|or\s+such|which|whichever|provided|unless"
    r"|in\s+accordance|pursuant|subject\s+to|for\s+(?:the|a|an)|shall|will|must|in\s+respect"
    r"|to\s+(?:the|be)\b|at\s+(?:the|its|no)|by\s+(?:the|way)|together|as\s+(?:set|described)"
    r"|if\b|where\b|save|except|failing|plus|\(|whereupon|then|in\s+order|so\s+(?:as|that))\b",
    re.IGNORECASE,
)
_RELATIVE_RE = re.compile(
    rf"(?P<num>{NUMBER}|\ban?(?=\s+(?:calendar\s+|working\s+|business\s+)?(?:day|week|fortnight|month|year)\b))"
    rf"\s*(?:\(\s*\d+\s*\)\s*)?{_UNIT}(?:\s+{_DIRECTION}\s+{_ANCHOR})?",
    re.IGNORECASE,
)
_ORDINAL_DAY_RE = re.compile(
    rf"(?:the\s+)?(?P<ord>{ORDINAL})\s+(?P<kind>working|business|banking|calendar)?\s*days?\s+"
    r"(?:of|after|following|in)\s+(?P<anchor>(?:each|every|the)\s+(?:calendar\s+)?"
    r"(?:month|quarter|week|year)(?:[^.;:,()\n]|\n(?![ \t]*\n)){0,80})",
    re.IGNORECASE,
)


_AND_ITEM_END_RE = re.compile(r"\s+and\s+(?:[\w-]+\s*){1,5}$", re.IGNORECASE)
_A_CUE_RE = re.compile(r"\b(?:within|in|after|before|by|than|of|least)\s+$", re.IGNORECASE)
_EVERY_RE = re.compile(r"\b(?:every|each)\s+$", re.IGNORECASE)


def _unit(kind: str | None, unit: str) -> tuple[RelativeUnit, int]:
    """The Relative unit and the factor the number is multiplied by."""
    unit = unit.lower()
    if unit.startswith("week"):
        return "weeks", 1
    if unit.startswith("fortnight"):
        return "weeks", 2
    if unit.startswith("month"):
        return "months", 1
    if unit.startswith("year"):
        return "months", 12
    if kind and kind.strip().lower() in ("working", "business", "banking"):
        return "working", 1
    return "calendar", 1


# A line break before the next list item, table row or clause ends an anchor.
_ANCHOR_LINE_END_RE = re.compile(
    r"\n(?=[ \t]*(?:\(?[a-z0-9]{1,3}\)|\d+(?:\.\d+)*\.?\s|[|●•▪■◦*-]"
    r"|(?:Milestone|Stage|Phase|Week|Month|Section|Clause)\s*#?\d))",
    re.IGNORECASE,
)
# "… after the Effective Date and Phase 2 within 120 days …": the next item's deadline ends it.
_ANCHOR_NEXT_ITEM_RE = re.compile(
    r"\s+and\s+(?:[\w-]+\s+){0,6}?(?:within|by|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before)\b",
    re.IGNORECASE,
)
_ANCHOR_CELL_END_RE = re.compile(r"\s{3,}|\t|\s\|\s|\s*[$£€]|\s+(?:US|USD|GBP|EUR)\b")


def _trim_anchor(anchor: str) -> str:
    for pattern in (
        _ANCHOR_LINE_END_RE,
        _ANCHOR_CELL_END_RE,
        _ANCHOR_NEXT_ITEM_RE,
        _ANCHOR_STOP_RE,
    ):
        stop = pattern.search(anchor)
        if stop:
            anchor = anchor[: stop.start()]
    anchor = re.sub(r"\s+", " ", anchor).strip()
    return anchor.rstrip(" -\u2013\u2014")


def find_relatives(text: str) -> list[RelativeHit]:
    """Every "N units (after|of|before) <event>" and "the Nth Working Day of each month"."""
    hits: list[RelativeHit] = []
    for ordinal in _ORDINAL_DAY_RE.finditer(text):
        number = parse_ordinal(ordinal.group("ord"))
        if number is None or number < 1:
            continue
        unit: RelativeUnit = (
            "working"
            if ordinal.group("kind") and ordinal.group("kind").lower() != "calendar"
            else "calendar"
        )
        anchor = _trim_anchor(ordinal.group("anchor"))
        end = ordinal.start("anchor") + len(anchor)
        hits.append(RelativeHit(ordinal.start(), end, Relative(anchor, number, unit)))
    taken = [(h.start, h.end) for h in hits]
    position = 0
    while (match := _RELATIVE_RE.search(text, position)) is not None:
        # The anchor is read greedily, then trimmed: the next search starts after the trimmed end.
        position = match.end("unit")
        if any(s <= match.start() < e for s, e in taken):
            continue
        if _EVERY_RE.search(text, max(0, match.start() - 8), match.start()):
            continue  # "every two weeks" recurs; it counts from nothing
        value: Decimal | None
        if match.group("num").lower() in ("a", "an"):
            # "within a month of …" counts; "£500 a month" is a rate.
            if not _A_CUE_RE.search(text, max(0, match.start() - 16), match.start()):
                continue
            value = Decimal(1)
        else:
            value = parse_number(match.group("num"))
        if value is None or value != value.to_integral_value() or value > 10000:
            continue
        unit, factor = _unit(match.group("kind"), match.group("unit"))
        offset = int(value) * factor
        anchor = ""
        end = match.end("unit")
        if match.group("anchor"):
            raw = match.group("anchor")
            if text[match.end("anchor") : match.end("anchor") + 1] == "(":
                # "… after the Effective Date and Phase 2 (Build) within …": the next item.
                raw = _AND_ITEM_END_RE.sub("", raw)
            anchor = _trim_anchor(raw)
            if anchor:
                end = match.start("anchor") + len(anchor)
            direction = re.sub(r"\s+", " ", match.group("dir").lower())
            if direction in ("before", "prior to"):
                offset = -offset
        hits.append(RelativeHit(match.start(), end, Relative(anchor, offset, unit)))
        position = max(position, end)
    hits.sort(key=lambda h: h.start)
    return hits


# --- Recurrence ----------------------------------------------------------------------------

_RECURRENCE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "quarterly",
        re.compile(
            r"\bquarterly\b|\b(?:each|every|per)\s+(?:calendar\s+)?quarter\b"
            r"|\bevery\s+three\s+(?:\(3\)\s+)?months\b",
            re.IGNORECASE,
        ),
    ),
    (
        "monthly",
        re.compile(
            r"\bmonthly\b|\b(?:each|every|per)\s+(?:calendar\s+)?month\b|\ba\s+month\b",
            re.IGNORECASE,
        ),
    ),
    (
        "weekly",
        re.compile(r"\bweekly\b|\b(?:each|every|per)\s+(?:calendar\s+)?week\b", re.IGNORECASE),
    ),
    (
        "yearly",
        re.compile(
            r"\bannually\b|\byearly\b|\bannual\b|\b(?:each|every|per)\s+(?:calendar\s+|contract\s+)?year\b",
            re.IGNORECASE,
        ),
    ),
    ("daily", re.compile(r"\bdaily\b|\b(?:each|every)\s+(?:calendar\s+)?day\b", re.IGNORECASE)),
)


def find_recurrence(text: str) -> str | None:
    """How often the words say a thing recurs, or None: the first cue in the text wins."""
    best: tuple[int, str] | None = None
    for name, pattern in _RECURRENCE_RES:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None
