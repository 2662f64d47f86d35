"""Money is a Decimal with an ISO 4217 currency code, never a float."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

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


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str) -> str:
    """Format an amount for people, for example '£1,200.00'."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale="en_GB")
