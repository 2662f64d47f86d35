"""Money is a Decimal with an ISO 4217 currency code, never a float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)

from .errors import DomainError

# Funds, precious metals and test codes (X..) are not money a contract is priced in; the
# regional X-currencies are.
_REGIONAL_X = frozenset({"XAF", "XOF", "XCD", "XPF"})


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """Return the ISO 4217 codes Milepost accepts: Babel's, with at most two minor digits.

    Amounts are stored with two decimal places, so three-decimal currencies (BHD, KWD, …) are
    refused rather than silently rounded.
    """
    return frozenset(
        code
        for code in list_currencies()
        if get_currency_precision(code) <= 2 and (not code.startswith("X") or code in _REGIONAL_X)
    )


def validate_currency(code: str, *, field: str = "currency") -> str:
    """Return ``code`` if it is an ISO 4217 currency, else raise ``invalid_currency``."""
    if code not in currencies():
        raise DomainError(
            "invalid_currency",
            f"'{code}' is not a supported ISO 4217 currency code such as GBP "
            "(currencies with three decimal places are not supported yet).",
            field=field,
        )
    return code


# Money columns are DecimalField(max_digits=18, decimal_places=2), but SQLite keeps only 15
# significant digits: 13 before the point and 2 after is the most both databases store exactly.
MAX_AMOUNT = Decimal(10) ** 13


def parse_money(value: Any, *, field: str) -> Decimal:
    """Parse a non-negative amount, raising a DomainError that names the field."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid_amount", f"'{value}' is not an amount.", field=field) from exc
    if not amount.is_finite() or amount < 0:
        raise DomainError("invalid_amount", "The amount must be zero or more.", field=field)
    if amount >= MAX_AMOUNT:
        # Larger amounts round or overflow in the database, and quantize() can raise InvalidOperation.
        raise DomainError("invalid_amount", "The amount is too large.", field=field)
    return amount


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str) -> str:
    """Format an amount for people, for example '£1,200.00'."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale="en_GB")


def _symbols(currency: str, locale: str) -> list[str]:
    """The ways a person may write ``currency`` beside an amount: £, GBP, US$, $, …"""
    found = {currency, get_currency_symbol(currency, locale=locale)}
    narrow = get_currency_symbol(currency, locale="en") if locale != "en" else ""
    found.update(s for s in (narrow, narrow[-1:] if narrow else "") if s and not s.isalpha())
    return sorted(found, key=len, reverse=True)


def read_amount(
    text: str,
    *,
    locale: str,
    currency: str | None = None,
    label: str = "amount",
    field: str = "amount",
) -> Decimal:
    """Read an amount as a person in ``locale`` writes it: "2,000,000", "£2,000,000.00".

    Grouping is read only where it is unambiguous in the locale ("2.000,00" and "1,00,0" are
    refused in en_GB, never guessed), and the symbol or code of ``currency`` may stand before or
    after the number. Raise ``invalid_amount`` naming ``label`` otherwise.
    """
    value = text.strip()
    if currency:
        for symbol in _symbols(currency, locale):
            if value.startswith(symbol):
                value = value[len(symbol) :].strip()
                break
            if value.startswith("-" + symbol):
                value = "-" + value[len(symbol) + 1 :].strip()
                break
            if value.endswith(symbol):
                value = value[: -len(symbol)].strip()
                break
    try:
        return parse_decimal(value, locale=locale, strict=True)
    except NumberFormatError:
        group, point = get_group_symbol(locale), get_decimal_symbol(locale)
        example = format_decimal(Decimal("2000000.00"), format="#,##0.00", locale=locale)
        symbol = (
            f" (with or without {get_currency_symbol(currency, locale=locale)})" if currency else ""
        )
        raise DomainError(
            "invalid_amount",
            f"The {label} '{text.strip()}' is not an amount we can read: write it like "
            f"{example}{symbol}, with '{group}' between thousands and '{point}' before the "
            "decimals.",
            field=field,
        ) from None
