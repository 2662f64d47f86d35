"""Money and percentages as contracts write them.

``find_money`` reads "£1,250,000.00", "$279,000.00", "10,000.00 EUR", "GBP 5,000", "USD 2.5
million", "€1.234,56", "Two Hundred Fifty Thousand U.S. Dollars ($250,000.00)" (one hit), and
blanks left for the parties to fill ("$____", "$[***]", "[insert amount]", "£[●]"), which are
``blank`` with no amount: a blank is never read as a number. ``find_percents`` reads "30%",
"thirty per cent (30%)" and "7.5 percent". Offsets are into the text given.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .numbers import parse_number

# ISO 4217 codes a contract is likely to price in; a three-letter word is only read as a
# code from this list, so "ALL" or "TOP" in capitals are never money.
_CODES = (
    "GBP|USD|EUR|CHF|JPY|CAD|AUD|NZD|HKD|SGD|SEK|NOK|DKK|PLN|CZK|HUF|INR|CNY|ZAR|AED|SAR|BRL"
    "|MXN|KRW|ILS|TRY|IDR|MYR|THB|PHP|RON|BGN|ISK|QAR|KES|NGN"
)
_SYMBOLS: dict[str, str] = {"£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR"}
_DOLLAR_PREFIXES: dict[str, str] = {
    "US": "USD",
    "U.S.": "USD",
    "A": "AUD",
    "AU": "AUD",
    "C": "CAD",
    "CA": "CAD",
    "CAN": "CAD",
    "NZ": "NZD",
    "HK": "HKD",
    "S": "SGD",
    "SG": "SGD",
}
_DOLLAR_CURRENCIES = frozenset({"USD", "AUD", "CAD", "NZD", "HKD", "SGD"})
_WORD_CURRENCIES: tuple[tuple[str, str], ...] = (
    (r"australian\s+dollars?", "AUD"),
    (r"canadian\s+dollars?", "CAD"),
    (r"new\s+zealand\s+dollars?", "NZD"),
    (r"hong\s+kong\s+dollars?", "HKD"),
    (r"singapore\s+dollars?", "SGD"),
    (r"(?:u\.\s?s\.|us|united\s+states)\s+dollars?", "USD"),
    (r"dollars?", "$"),
    (r"pounds?\s+sterling|pounds?|sterling", "GBP"),
    (r"euros?", "EUR"),
    (r"swiss\s+francs?", "CHF"),
    (r"yen", "JPY"),
)
_WORD_CURRENCY = "|".join(f"(?:{pattern})" for pattern, _ in _WORD_CURRENCIES)
_WORD_CURRENCY_RES = tuple((re.compile(p + r"$", re.I), code) for p, code in _WORD_CURRENCIES)

_PREFIX = (
    r"(?P<pre>\b(?-i:US|U\.S\.|AU|CAN|CA|NZ|HK|SG)\s?\$|\b(?-i:A|C|S)\$|\$|£|€|¥|₹"
    r"|\b(?-i:" + _CODES + r")(?![A-Za-z]))"
)
_US = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_EU = r"\d{1,3}(?:\.\d{3})+,\d{1,2}|\d{1,3}(?:\.\d{3})+(?=\s?€)|\d+,\d{2}(?=\s?(?:€|EUR\b))"
_EU_RE = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+,\d{2}")
_MULT = r"(?P<mult>\s?(?:million|billion|thousand)\b|(?:m|mn|bn|k)\b)?"
_SUFFIX = r"(?P<suf>\s?(?:€|\b(?-i:" + _CODES + r")\b)|\s+(?:" + _WORD_CURRENCY + r")\b)"
# A blank the parties fill in: underscores, asterisks, dots or a bullet in brackets, "[insert
# amount]"; any bracket without a digit in it.
_BLANK = r"(?:_{2,}+|\[[^\]\d\n]{0,60}\]|\.{4,}+|\*{3,}+)"

_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion)"
)
_WORDS_NUMBER = rf"\b{_NUMBER_WORD}(?:[\s-]+(?:and\s+)?{_NUMBER_WORD})*+\b"

_PREFIXED_RE = re.compile(
    _PREFIX
    + r"\s?(?:(?P<blank>"
    + _BLANK
    + r"(?:\s?"
    + _BLANK
    + r")*)|\[?\s?(?P<num>"
    + _EU
    + "|"
    + _US
    + r")"
    + _MULT
    + r")",
    re.I,
)
_SUFFIXED_RE = re.compile(
    r"(?<![\w.,$£€*])(?:(?P<blank>"
    + _BLANK
    + r")|(?P<num>"
    + _EU
    + "|"
    + _US
    + r")"
    + _MULT
    + r")"
    + _SUFFIX,
    re.I,
)
# "the sum of 5,000", "in the amount of ____ [insert amount]": money by its context alone.
_CONTEXT_RE = re.compile(
    r"\b(?:sum|amount|price|fees?|charge|rate)\s+of\s+(?:(?P<blank>"
    + _BLANK
    + r"(?:\s?"
    + _BLANK
    + r")*)|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?)(?![\d%]))",
    re.I,
)
_INSERT_RE = re.compile(r"\[[^\]\d\n]{0,40}\b(?:insert|enter|specify)\b[^\]\d\n]{0,40}\]", re.I)
_OPEN_RE = re.compile(r"\s*\(\s*")
# The amount again in brackets after it, and its code: "$[***] ([***]) USD", "$50 (fifty) USD".
_ECHO_RE = re.compile(r"\s?\((?:" + _BLANK + r"|[^()\d\n]{1,60})\)(?:\s?(?:" + _CODES + r")\b)?")
_BLANK_RE = re.compile(_BLANK)
_MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(1000),
    "thousand": Decimal(1000),
    "m": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}

_PERCENT_RE = re.compile(
    r"(?<![\d.,])(?P<digits>\d+(?:\.\d+)?)\s?(?:%|per\s?cent(?:um)?\b|percent\b)", re.I
)
# Numbers in words are found as whole runs (each run once: linear in the text), then what
# follows a run decides: a currency ("Fifty Thousand U.S. Dollars") or a percentage
# ("thirty per cent (30%)", "ten percent").
_WORDS_RUN_RE = re.compile(_WORDS_NUMBER, re.I)
_SUFFIX_RE = re.compile(_SUFFIX, re.I)
_WORDS_PERCENT_RE = re.compile(
    r"(?:\s+(?:per\s?cent(?:um)?|percent)\b)?\s*\(\s*(?P<bracketed>\d+(?:\.\d+)?)\s*"
    r"(?:%|per\s?cent\b|percent\b)\s*\)|\s+(?:per\s?cent(?:um)?|percent)\b",
    re.I,
)


@dataclass(frozen=True)
class MoneyHit:
    """An amount of money at ``text[start:end]``; a blank left to fill has no amount."""

    start: int
    end: int
    amount: Decimal | None
    currency: str | None
    blank: bool = False


@dataclass(frozen=True)
class PercentHit:
    start: int
    end: int
    value: Decimal


def _currency_of(prefix: str, default: str | None) -> str:
    prefix = prefix.strip()
    if prefix in _SYMBOLS:
        return _SYMBOLS[prefix]
    if prefix.endswith("$"):
        head = prefix[:-1].strip().upper()
        if head:
            return _DOLLAR_PREFIXES.get(head, "USD")
        return default if default in _DOLLAR_CURRENCIES else "USD"
    return prefix.upper()


def _currency_of_suffix(suffix: str, default: str | None) -> str:
    word = re.sub(r"\s+", " ", suffix.strip())
    if word == "€":
        return "EUR"
    for pattern, code in _WORD_CURRENCY_RES:
        if pattern.match(word):
            return _currency_of("$", default) if code == "$" else code
    return word.upper()


def _amount(number: str, multiplier: str | None) -> Decimal | None:
    if _EU_RE.fullmatch(number):
        number = number.replace(".", "").replace(",", ".")
    else:
        number = number.replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if multiplier:
        value *= _MULTIPLIERS[multiplier.strip().lower()]
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return value


def _overlaps(hit: MoneyHit, taken: list[MoneyHit]) -> bool:
    return any(hit.start < other.end and other.start < hit.end for other in taken)


def find_money(text: str, default_currency: str | None = None) -> list[MoneyHit]:
    """Every amount of money in ``text``, in order; blanks have ``blank`` and no amount."""
    hits: list[MoneyHit] = []
    for match in _PREFIXED_RE.finditer(text):
        currency = _currency_of(match.group("pre"), default_currency)
        if match.group("blank"):
            hits.append(MoneyHit(match.start(), match.end(), None, currency, True))
            continue
        amount = _amount(match.group("num"), match.group("mult"))
        if amount is not None:
            hits.append(MoneyHit(match.start(), match.end(), amount, currency))
    for match in _SUFFIXED_RE.finditer(text):
        currency = _currency_of_suffix(match.group("suf"), default_currency)
        if match.group("blank"):
            hit = MoneyHit(match.start(), match.end(), None, currency, True)
        elif match.group("num"):
            amount = _amount(match.group("num"), match.group("mult"))
            if amount is None:
                continue
            hit = MoneyHit(match.start(), match.end(), amount, currency)
        if not _overlaps(hit, hits):
            hits.append(hit)
    for run in _WORDS_RUN_RE.finditer(text):
        suffix = _SUFFIX_RE.match(text, run.end())
        if suffix:
            currency = _currency_of_suffix(suffix.group("suf"), default_currency)
            hit = MoneyHit(run.start(), suffix.end(), parse_number(run.group(0)), currency)
            if not _overlaps(hit, hits):
                hits.append(hit)
    for match in _CONTEXT_RE.finditer(text):
        if match.group("blank"):
            start, end = match.span("blank")
            hit = MoneyHit(start, end, None, default_currency, True)
        else:
            start, end = match.span("num")
            hit = MoneyHit(start, end, _amount(match.group("num"), None), default_currency)
        if not _overlaps(hit, hits):
            hits.append(hit)
    for match in _INSERT_RE.finditer(text):
        hit = MoneyHit(match.start(), match.end(), None, default_currency, True)
        if not _overlaps(hit, hits):
            hits.append(hit)
    hits.sort(key=lambda hit: hit.start)
    return _merged(text, hits)


def _merged(text: str, hits: list[MoneyHit]) -> list[MoneyHit]:
    """One hit for an amount written twice ("Fifty U.S. Dollars ($50.00)", "$[***] ([***])
    USD"), and for a blank followed by its instruction ("____ [insert amount]")."""
    merged: list[MoneyHit] = []
    for hit in hits:
        if merged and hit.start < merged[-1].end:
            continue
        if merged:
            last = merged[-1]
            between = text[last.end : hit.start]
            bracketed = _OPEN_RE.fullmatch(between) and text[hit.end : hit.end + 1] == ")"
            if bracketed or (last.blank and hit.blank and re.fullmatch(r"\s*", between)):
                end = hit.end + (1 if bracketed else 0)
                amount = hit.amount if hit.amount is not None else last.amount
                blank = amount is None and (last.blank or hit.blank)
                currency = last.currency or hit.currency
                merged[-1] = MoneyHit(last.start, end, amount, currency, blank)
                continue
        echo = _ECHO_RE.match(text, hit.end)
        if echo and (hit.blank or not _BLANK_RE.search(echo.group(0))):
            hit = MoneyHit(hit.start, echo.end(), hit.amount, hit.currency, hit.blank)
        merged.append(hit)
    return merged


def find_percents(text: str) -> list[PercentHit]:
    """Every percentage in ``text``: "30%", "thirty per cent (30%)", "7.5 percent"."""
    hits: list[PercentHit] = []
    for run in _WORDS_RUN_RE.finditer(text):
        after = _WORDS_PERCENT_RE.match(text, run.end())
        if after:
            bracketed = after.group("bracketed")
            value = Decimal(bracketed) if bracketed else parse_number(run.group(0))
            if value is not None:
                hits.append(PercentHit(run.start(), after.end(), value))
    spelt, index = list(hits), 0
    for match in _PERCENT_RE.finditer(text):
        # Both lists are in text order: skip digits inside "thirty per cent (30%)".
        while index < len(spelt) and spelt[index].end <= match.start():
            index += 1
        if index < len(spelt) and spelt[index].start <= match.start():
            continue
        hits.append(PercentHit(match.start(), match.end(), Decimal(match.group("digits"))))
    hits.sort(key=lambda hit: hit.start)
    return hits


def money_text(amount: Decimal | None, currency: str | None) -> str:
    """The amount as a title writes it: "£2,500", "$55,800.00", "500.00 EUR"."""
    if amount is None:
        return "a blank amount"
    places = 2 if amount != amount.to_integral_value() else 0
    number = f"{amount:,.{places}f}"
    symbol = {"GBP": "£", "USD": "$", "EUR": "€"}.get(currency or "")
    if symbol:
        return f"{symbol}{number}"
    return f"{number} {currency}" if currency else number
