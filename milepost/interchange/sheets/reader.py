"""Reading a CSV or XLSX upload into a header and rows of cells, safely.

CSV: UTF-8 with or without a byte-order mark, falling back to Windows-1252 (what Excel saves
as "CSV" on a Western-European Windows); the delimiter (comma, semicolon, tab or bar) is
sniffed. XLSX: the first sheet, read by calamine (python-calamine, a Rust reader about 14 times
faster than openpyxl here), after checking that the zip's uncompressed size is bounded (no zip
bombs) and that no cell is placed beyond the rows and columns an import reads (a sheet is laid
out from its first cell to its last, so two far-apart cells would otherwise fill the memory).
Formulas are never evaluated: a cell gives the value Excel saved with it. Both formats stop at
``MILEPOST_IMPORT_MAX_ROWS``.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from milepost.core.errors import DomainError

from ..columns import header_key
from ..uploads import Upload

# An XLSX is a zip of XML: refuse one that unpacks to more than this many times the upload
# limit (a real sheet compresses about 5 to 10 times).
UNZIP_RATIO = 30
DELIMITERS = ",;\t|"

Cell = str | int | float | Decimal | dt.date | dt.datetime | None


@dataclass
class Sheet:
    """A sheet read: its header keys (normalised) and its data rows with their row numbers."""

    format: str
    header: list[str]
    rows: list[tuple[int, list[Cell]]]
    # A semicolon CSV is what a European Excel saves: its numbers have a decimal comma.
    decimal_comma: bool = False

    def records(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        for number, cells in self.rows:
            yield (
                number,
                {
                    key: cells[i] if i < len(cells) else None
                    for i, key in enumerate(self.header)
                    if key
                },
            )


def max_rows() -> int:
    return int(settings.MILEPOST_IMPORT_MAX_ROWS)


def sheet_read(upload: Upload, *, field: str = "file") -> Sheet:
    """Read ``upload`` as CSV or XLSX by its extension (or its first bytes)."""
    ext = upload.extension
    if ext == "xlsx" or upload.data[:4] == b"PK\x03\x04":
        # A workbook renamed .csv is still read as the workbook it is.
        return _read_xlsx(upload, field)
    if ext in ("csv", "txt", ""):
        return _read_csv(upload, field)
    raise DomainError(
        "unsupported_format",
        f"A .{ext} file cannot be read here: upload a CSV or an Excel (.xlsx) file.",
        field=field,
    )


# Control characters no text holds (tab, line feed and carriage return are text); a database
# cannot store NUL at all, and a workbook may hold any of them written as _x0000_.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_control(number: int, cells: list[Cell], header: list[str] | None, field: str) -> None:
    if not _CONTROL.search("".join(c for c in cells if isinstance(c, str))):
        return
    for i, cell in enumerate(cells):
        if isinstance(cell, str) and (found := _CONTROL.search(cell)):
            column = header[i] if header is not None and i < len(header) and header[i] else ""
            where = f"row {number}, {column}" if column else f"row {number}"
            raise DomainError(
                "control_character",
                f"{where}: the cell holds an invisible control character "
                f"(U+{ord(found.group()):04X}); delete it and type the text again.",
                field=field,
            )


def _finish(fmt: str, rows: Iterator[list[Cell]], field: str) -> Sheet:
    header: list[str] | None = None
    data: list[tuple[int, list[Cell]]] = []
    limit = max_rows()
    for number, cells in enumerate(rows, start=1):
        _check_control(number, cells, header, field)
        if header is None:
            if not any(_blank(c) is False for c in cells):
                continue
            header = [header_key(c) for c in cells]
            continue
        if all(_blank(c) for c in cells):
            continue
        if len(data) >= limit:
            raise DomainError(
                "too_many_rows",
                f"The file has more than {limit:,} rows; split it into smaller files.",
                field=field,
            )
        data.append((number, cells))
    if header is None:
        raise DomainError("empty_file", "The file has no header row.", field=field)
    return Sheet(format=fmt, header=header, rows=data)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(upload: Upload, field: str) -> Sheet:
    text = _decode(upload.data)
    if "\x00" in text:
        raise DomainError(
            "unreadable_file", "The file is not a text CSV file; save it as CSV.", field=field
        )
    sample = text[:8192]
    try:
        # Only the delimiter: the sniffer's other guesses (a quote character of ' from text
        # such as "Engineer's") break files that quote as Excel and every export does.
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        sheet = _finish("csv", (list(r) for r in reader), field)
        sheet.decimal_comma = delimiter == ";"
        return sheet
    except csv.Error as exc:
        raise DomainError(
            "unreadable_file", f"The CSV file cannot be read: {exc}.", field=field
        ) from exc


def _read_xlsx(upload: Upload, field: str) -> Sheet:
    from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

    unreadable = DomainError(
        "unreadable_file",
        "The file is not an Excel workbook that can be read; save it again as .xlsx.",
        field=field,
    )
    try:
        with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
            _check_extent(archive, field)
    except zipfile.BadZipFile as exc:
        raise unreadable from exc
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(upload.data))
        # The first sheet a person sees: a hidden one first (lists for a drop-down) is passed.
        shown = [m for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
        sheet = book.get_sheet_by_name(shown[0].name) if shown else book.get_sheet_by_index(0)
        rows: list[list[Any]] = [list(row) for row in sheet.iter_rows()]
    except (CalamineError, ValueError, IndexError) as exc:
        raise unreadable from exc
    return _finish("xlsx", iter(rows), field)


# Where a worksheet's XML places its cells and rows (the spreadsheet's own references).
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]{1,7})\"")
_CHUNK = 1 << 20
_OVERLAP = 256
MAX_COLUMNS = 256


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_extent(archive: zipfile.ZipFile, field: str) -> None:
    """Refuse a workbook that unpacks to too much, or that places a cell far out.

    A sheet of two cells, A1 and XFD1048576, is a few kilobytes but spans 17 billion cells, and
    readers lay a sheet out from its first cell to its last: so the cells' own references are
    scanned first, a megabyte at a time, and a sheet reaching past the rows an import may hold
    (or past column IV) is refused before any reader sees it.
    """
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > UNZIP_RATIO * int(
        settings.MILEPOST_IMPORT_MAX_BYTES
    ):
        raise DomainError(
            "file_too_large", "The workbook unpacks to too much data to import.", field=field
        )
    most_rows = max_rows() * 2 + 100
    for info in infos:
        if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
            continue
        with archive.open(info) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                text = tail + chunk
                for letters, row in _CELL_REF.findall(text):
                    if _column_number(letters) > MAX_COLUMNS or int(row) > most_rows:
                        raise _too_far(letters.decode() + row.decode(), field)
                for row in _ROW_REF.findall(text):
                    if int(row) > most_rows:
                        raise _too_far(f"row {int(row):,}", field)
                tail = text[-_OVERLAP:]


def _too_far(where: str, field: str) -> DomainError:
    return DomainError(
        "sheet_too_large",
        f"The workbook has a cell at {where}, beyond the {max_rows():,} rows and "
        f"{MAX_COLUMNS} columns an import reads; delete the rows and columns after your data.",
        field=field,
    )
