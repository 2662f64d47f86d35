"""Reading a CSV or XLSX upload into a header and rows of cells, safely.

CSV: UTF-8 with or without a byte-order mark, falling back to Windows-1252 (what Excel saves
as "CSV" on a Western-European Windows); the delimiter (comma, semicolon, tab or bar) is
sniffed. XLSX: openpyxl in read-only mode on the first sheet, after checking that the zip's
uncompressed size is bounded (no zip bombs). Both stop at ``MILEPOST_IMPORT_MAX_ROWS``.
"""

import csv
import datetime as dt
import io
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
    from openpyxl import load_workbook

    unreadable = DomainError(
        "unreadable_file",
        "The file is not an Excel workbook that can be read; save it again as .xlsx.",
        field=field,
    )
    try:
        with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise unreadable from exc
    if unpacked > UNZIP_RATIO * int(settings.MILEPOST_IMPORT_MAX_BYTES):
        raise DomainError(
            "file_too_large", "The workbook unpacks to too much data to import.", field=field
        )
    try:
        book = load_workbook(io.BytesIO(upload.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise unreadable from exc
    try:
        sheet = book.worksheets[0]
        return _finish("xlsx", (list(r) for r in sheet.iter_rows(values_only=True)), field)
    finally:
        book.close()
