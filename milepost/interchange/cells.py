"""What goes into one exported cell: typed values, and text that a spreadsheet will not run.

A spreadsheet reads a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some strip first) as a formula, so text from people (a title, a
comment) could run when the file is opened. In CSV such text gets a leading apostrophe, the
mark spreadsheets use for "this is text"; in XLSX every text cell is written as an inline
string, never as a formula, so it needs no mark. Numbers, dates and booleans are never text.
"""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 cannot hold at all (the C0 controls other than tab, newline and CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Excel's day 0: its serial numbers count days from here (1900 leap-year bug included).
_EXCEL_DAY_0 = dt.date(1899, 12, 30).toordinal()
_EXCEL_EPOCH_TIME = dt.datetime(1899, 12, 30)  # noqa: DTZ001 (a serial number has no zone)


def guarded(text: str) -> str:
    """Return ``text`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


_STARTS = frozenset(FORMULA_STARTS)


def csv_value(value: Any) -> str:
    """Return a cell as CSV text: ISO dates, plain decimals, guarded text, empty for nothing."""
    if type(value) is str:  # the usual cell first, without the checks below
        return "'" + value if value[:1] in _STARTS else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal | float):
        return _plain_number(value)
    return guarded(str(value))


# The common types, each with its writer, so a cell is written after one dictionary look-up.
CSV_WRITERS: dict[type, Callable[[Any], str]] = {
    str: lambda text: "'" + text if text[:1] in _STARTS else text,
    type(None): lambda _: "",
    dt.date: dt.date.isoformat,
    Decimal: lambda number: f"{number:f}",
    int: str,
}


def _plain_number(value: int | Decimal | float) -> str:
    if isinstance(value, Decimal):
        # "1E+3" is a valid decimal but not what a person (or an importer) expects to read.
        return f"{value:f}"
    return str(value)


def xml_text(text: str) -> str:
    """Return ``text`` escaped for an XML text node, without the characters XML cannot hold."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def excel_serial(value: dt.date | dt.datetime) -> str:
    """Return a date (or a naive local time) as Excel's serial number, as cell text."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EXCEL_EPOCH_TIME
        return repr(delta / dt.timedelta(days=1))
    return str(value.toordinal() - _EXCEL_DAY_0)
