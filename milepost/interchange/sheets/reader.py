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
from typing import Any

from django.conf import settings

from milepost.core.errors import DomainError

from ..columns import header_key
from ..uploads import Upload

# An XLSX is a zip of XML: refuse one that unpacks to more than this many times the upload
# limit (a real sheet compresses about 5 to 10 times).
UNZIP_RATIO = 30
DELIMITERS = ",;\t|"

Cell = str | int | float | dt.date | dt.datetime | None


@dataclass
class Sheet:
    """A sheet read: its header keys (normalised) and its data rows with their row numbers."""

    format: str
    header: list[str]
    rows: list[tuple[int, list[Cell]]]

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
    if ext == "xlsx" or (ext not in ("csv", "txt") and upload.data[:2] == b"PK"):
        return _read_xlsx(upload, field)
    if ext in ("csv", "txt", ""):
        return _read_csv(upload, field)
    raise DomainError(
        "unsupported_format",
        f"A .{ext} file cannot be read here: upload a CSV or an Excel (.xlsx) file.",
        field=field,
    )


def _finish(fmt: str, rows: Iterator[list[Cell]], field: str) -> Sheet:
    header: list[str] | None = None
    data: list[tuple[int, list[Cell]]] = []
    limit = max_rows()
    for number, cells in enumerate(rows, start=1):
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
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return _finish("csv", (list(r) for r in reader), field)
    except csv.Error as exc:
        raise DomainError(
            "unreadable_file", f"The CSV file cannot be read: {exc}.", field=field
        ) from exc


def _read_xlsx(upload: Upload, field: str) -> Sheet:
    from python_calamine import CalamineError, CalamineWorkbook

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
        sheet = book.get_sheet_by_index(0)
        rows = [list(row) for row in sheet.iter_rows()]
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
