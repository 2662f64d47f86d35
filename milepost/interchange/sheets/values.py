"""Turning a sheet's cells into typed values, with an error a person can act on.

Each function returns the value or raises ``CellError`` whose message follows the column name in
"row 14, due_date: 2026-02-30 is not a date".
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from .reader import Cell

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d.%m.%Y")
FORMULA_STARTS = "=+-@\t\r"
_NUMBER_JUNK = re.compile(r"[\s£$€¥%]")


class CellError(Exception):
    """One cell's value could not be read; ``message`` is the part after "column: "."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(cell: Cell) -> str:
    """The cell as a person typed it, for an error message."""
    if isinstance(cell, dt.datetime):
        return f"{cell:%Y-%m-%d %H:%M}"
    return text(cell)


def text(cell: Cell) -> str:
    """A text cell, stripped; numbers typed into a text column come back as typed (1, not 1.0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    value = str(cell).strip()
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        # An export guards text that a spreadsheet would run as a formula with an apostrophe.
        value = value[1:]
    return value


def date(cell: Cell) -> dt.date | None:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    value = text(cell)
    if not value:
        return None
    if value[:4].isdigit():
        try:
            # 2026-12-06, or "2026-12-06 00:00:00" as a date cell reads when saved as text.
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    raise CellError(f"{value} is not a date")


_GROUPED_DOT = re.compile(r"-?\d{1,3}(\.\d{3})+")


def _comma_decimal(value: str, cleaned: str) -> str:
    """A number as a semicolon CSV writes it: '1.250,50', '12,5'; a bare '1.250' could be
    either 1250 or 1.25, so it is refused."""
    if "," in cleaned:
        whole, _, fraction = cleaned.rpartition(",")
        if "," in whole or ("." in whole and not _GROUPED_DOT.fullmatch(whole)):
            raise CellError(f"{value} is not a number")
        return whole.replace(".", "") + "." + fraction
    if _GROUPED_DOT.fullmatch(cleaned):
        raise CellError(
            f"{value} could be read two ways; write it without a thousands separator "
            "(1250, or 1,25)"
        )
    return cleaned


def decimal(cell: Cell, comma: bool = False) -> Decimal | None:
    """A number; ``comma``: the file writes a decimal comma ('1.250,50', a semicolon CSV)."""
    if isinstance(cell, bool):
        raise CellError(f"{cell} is not a number")
    if isinstance(cell, Decimal):
        return cell
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    value = text(cell)
    if not value:
        return None
    cleaned = _NUMBER_JUNK.sub("", value)
    if comma:
        cleaned = _comma_decimal(value, cleaned)
    elif "," in cleaned and "." in cleaned and cleaned.rfind(",") > cleaned.rfind("."):
        # "1.250,50" written with a decimal comma in a comma file: which is meant is unclear.
        raise CellError(f"{value} is not a number; write it as 1250.50")
    elif "," in cleaned:
        # "1,250.50" has thousands separators; "12,5" (from a semicolon CSV) a decimal comma.
        if "." in cleaned or re.search(r",\d{3}$", cleaned):
            cleaned = cleaned.replace(",", "")
        else:
            cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{value} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{value} is not a number")
    return number


def integer(cell: Cell) -> int | None:
    number = decimal(cell)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(f"{shown(cell)} is not a whole number")
    return int(number)


def items(cell: Cell, separator: str = ";") -> list[str]:
    """A list cell: "a; b;c" gives ["a", "b", "c"]."""
    return [part.strip() for part in text(cell).split(separator) if part.strip()]
