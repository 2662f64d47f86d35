"""Numbers as contracts write them: "14", "1,234.50", "fourteen", "fourteen (14)",
"thirty per cent (30%)", "one hundred and twenty".

``NUMBER`` is a regular-expression source (no groups that capture) matching one number in
digits or in words, optionally followed by the digits in brackets; ``parse_number`` reads what
it matched. Words become numbers through ``text_to_num`` (package text2num).
"""

import re
from decimal import Decimal, InvalidOperation

from text_to_num import text2num

_UNITS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    "|fifteen|sixteen|seventeen|eighteen|nineteen"
)
_TENS = "twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety"
_MULTIPLIERS = "hundred|thousand|million"
# A run of number words ("one hundred and twenty", "twenty-one", "two thousand five hundred"),
# matched without backtracking (possessive): text2num decides whether the run is a number.
_WORDS = (
    rf"(?:(?:{_TENS}|{_UNITS})(?:[\s-]+(?:and\s+)?(?:{_TENS}|{_UNITS}|{_MULTIPLIERS})\b)*+"
    r"|a\s+hundred|a\s+thousand)"
)
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# The digits in brackets after words: "(14)", "(30%)", "(30 %)".
_BRACKETED = rf"(?:\s*\(\s*{_DIGITS}\s*%?\s*\))"

NUMBER = rf"(?:\b(?:{_WORDS})\b(?:\s+(?:per\s*cent|percent))?{_BRACKETED}?|{_DIGITS}\b)"

_NUMBER_RE = re.compile(NUMBER, re.IGNORECASE)
_DIGITS_RE = re.compile(_DIGITS)
_BRACKETED_RE = re.compile(rf"\(\s*({_DIGITS})\s*%?\s*\)")
_WORDS_RE = re.compile(rf"\b(?:{_WORDS})\b", re.IGNORECASE)
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "last": -1,
}
ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|(?:twenty|thirty)[\s-](?:first|second|third|fourth|fifth"
    r"|sixth|seventh|eighth|ninth)|" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + ")"
)


def _decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None


def _words_value(words: str) -> Decimal | None:
    cleaned = re.sub(r"[\s-]+", " ", words.strip().lower())
    cleaned = re.sub(r"^a (hundred|thousand)", r"one \1", cleaned)
    cleaned = cleaned.replace("fourty", "forty")
    for attempt in (cleaned, cleaned.replace(" and ", " "), cleaned.split(" and ")[0]):
        try:
            return Decimal(text2num(attempt, "en"))
        except ValueError:
            continue
    return None


def parse_number(words: str) -> Decimal | None:
    """The number ``words`` state, or None: the bracketed digits win over the words
    ("fourteen (14)" → 14), per cent signs are dropped ("thirty per cent (30%)" → 30)."""
    text = words.strip()
    if not text:
        return None
    bracketed = _BRACKETED_RE.search(text)
    if bracketed:
        return _decimal(bracketed.group(1))
    digits = _DIGITS_RE.search(text)
    if digits:
        return _decimal(digits.group(0))
    found = _WORDS_RE.search(text)
    if found:
        return _words_value(found.group(0))
    return None


def parse_ordinal(word: str) -> int | None:
    """1 for "1st" or "first", 21 for "twenty-first", -1 for "last"; None otherwise."""
    text = word.strip().lower()
    digits = re.match(r"(\d{1,2})(?:st|nd|rd|th)$", text)
    if digits:
        return int(digits.group(1))
    compound = re.match(r"(twenty|thirty)[\s-](\w+)$", text)
    if compound:
        unit = _ORDINALS.get(compound.group(2))
        return None if unit is None else (20 if compound.group(1) == "twenty" else 30) + unit
    return _ORDINALS.get(text)


def find_numbers(text: str) -> list[tuple[int, int, Decimal]]:
    """Every number in ``text`` as (start, end, value)."""
    found: list[tuple[int, int, Decimal]] = []
    for match in _NUMBER_RE.finditer(text):
        value = parse_number(match.group(0))
        if value is not None:
            found.append((match.start(), match.end(), value))
    return found
