"""Reading a contract document's file into text, safely: the text citations point into.

PDF: the text layer of each page (pypdf), pages joined by a blank line, each page's start
offset kept; a PDF with no text layer (a scan) or an encrypted one is refused, as is one with
more pages than ``MILEPOST_EXTRACTION_MAX_PAGES``. DOCX: paragraphs and tables in document
order (python-docx), a table row's cells joined by " | ", after checking the zip unpacks to a
bounded size (no zip bombs). Plain text and Markdown: UTF-8 (with or without a byte-order mark)
or else Windows-1252. Every text is normalised (Unicode NFC, "\\r\\n" to "\\n") before any offset
is taken, and bounded by ``MILEPOST_EXTRACTION_MAX_CHARS``.
"""

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings

from milepost.core.errors import DomainError

logger = logging.getLogger(__name__)

FORMATS = ("pdf", "docx", "txt", "md")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
    "md": "text/markdown",
}
FORMAT_NAMES = {"pdf": "PDF", "docx": "Word document", "txt": "text file", "md": "Markdown file"}
# A DOCX is a zip of XML; a real one unpacks to a few times its size.
UNZIP_RATIO = 30
SCANNED = (
    "This PDF has no text layer (it looks scanned); Milepost does not read scanned pages. "
    "Upload the DOCX or a PDF saved from the word processor."
)
# Control characters no text holds (tab, line feed stay); a database cannot store NUL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class DocumentText:
    """A document's text, the offset each page starts at (PDFs), and the file's format."""

    text: str
    format: str
    pages: list[int] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def max_pages() -> int:
    return int(settings.MILEPOST_EXTRACTION_MAX_PAGES)


def max_chars() -> int:
    return int(settings.MILEPOST_EXTRACTION_MAX_CHARS)


def document_format(name: str, data: bytes = b"") -> str:
    """The format a file is read as, from its extension (or, without one, its first bytes)."""
    suffix = PurePath(name or "").suffix.lower().lstrip(".")
    if suffix == "markdown":
        suffix = "md"
    if suffix in FORMATS:
        return suffix
    if not suffix and data[:5] == b"%PDF-":
        return "pdf"
    shown = f"A .{suffix} file" if suffix else "A file without an extension"
    raise DomainError(
        "unsupported_format",
        f"{shown} cannot be read: upload the contract as a PDF, a Word document (.docx), "
        "a text file (.txt) or Markdown (.md).",
        field="file",
    )


def normalise(text: str) -> str:
    """NFC, Unix line ends, no control characters: the text every offset counts in."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)


def read_document(data: bytes, name: str) -> DocumentText:
    """Read ``data`` (the file called ``name``) into its text, or refuse it naming "file"."""
    if not data:
        raise DomainError("file_empty", "The file is empty.", field="file")
    fmt = document_format(name, data)
    if fmt == "pdf":
        text, pages = _read_pdf(data)
    elif fmt == "docx":
        text, pages = _read_docx(data), []
    else:
        text, pages = _read_plain(data), []
    if not text.strip():
        if fmt == "pdf":
            raise DomainError("scanned_pdf", SCANNED, field="file")
        raise DomainError("no_text", "The file holds no text to read.", field="file")
    if len(text) > max_chars():
        raise DomainError(
            "too_much_text",
            f"The document holds {len(text):,} characters of text; Milepost reads at most "
            f"{max_chars():,}. Upload the agreement without its appendices.",
            field="file",
        )
    return DocumentText(text=text, format=fmt, pages=pages)


def _read_plain(data: bytes) -> str:
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = data.decode("cp1252", errors="replace")
    return normalise(raw)


def _read_pdf(data: bytes) -> tuple[str, list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    unreadable = DomainError(
        "unreadable_file",
        "The file is not a PDF that can be read; save it again as PDF and upload that.",
        field="file",
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError(
                "encrypted_pdf",
                "This PDF is password-protected; upload a copy saved without a password.",
                field="file",
            )
        count = len(reader.pages)
        if count > max_pages():
            raise DomainError(
                "too_many_pages",
                f"The PDF has {count:,} pages; Milepost reads at most {max_pages():,}.",
                field="file",
            )
        texts: list[str] = []
        total = 0
        for page in reader.pages:
            page_text = normalise(page.extract_text() or "").strip("\n")
            total += len(page_text) + 2
            if total > max_chars() + 2 * count:
                raise DomainError(
                    "too_much_text",
                    f"The document holds more than {max_chars():,} characters of text, the "
                    "most Milepost reads. Upload the agreement without its appendices.",
                    field="file",
                )
            texts.append(page_text)
    except DomainError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        logger.info("unreadable PDF: %s", exc)
        raise unreadable from exc
    if not any(t.strip() for t in texts):
        raise DomainError("scanned_pdf", SCANNED, field="file")
    pages: list[int] = []
    parts: list[str] = []
    offset = 0
    for page_text in texts:
        pages.append(offset)
        parts.append(page_text)
        offset += len(page_text) + 2
    return "\n\n".join(parts), pages


def _read_docx(data: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    unreadable = DomainError(
        "unreadable_file",
        "The file is not a Word document that can be read; save it again as .docx and upload that.",
        field="file",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > UNZIP_RATIO * max(len(data), 1024 * 1024):
                raise DomainError(
                    "file_too_large",
                    "The document unpacks to far more data than a contract holds; it is not read.",
                    field="file",
                )
    except zipfile.BadZipFile as exc:
        raise unreadable from exc
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                blocks.append(item.text)
            elif isinstance(item, Table):
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        words = " ".join(cell.text.split())
                        # A merged cell repeats across the row: keep it once.
                        if not cells or cells[-1] != words:
                            cells.append(words)
                    blocks.append(" | ".join(cells))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise unreadable from exc
    except Exception as exc:  # python-docx raises its own and lxml's errors on a broken file
        logger.info("unreadable DOCX: %s", exc)
        raise unreadable from exc
    return normalise("\n".join(blocks)).strip("\n")
