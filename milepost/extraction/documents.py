"""Reading a contract document's file into text, safely: the text citations point into.

PDF: the text layer of each page (pypdf), pages joined by a blank line, each page's start
offset kept; a PDF with no text layer (a scan) or one that needs a password is refused, as is
one with more pages than ``MILEPOST_EXTRACTION_MAX_PAGES``. DOCX: the body's paragraphs and
tables in document order, read from its XML (content controls, tracked insertions and text
boxes included, deletions left out), a table row's cells joined by " | ", after checking the
XML unpacks to a fixed bounded size (no zip bombs) and holds no DTD. PDFs and DOCX files are
read in a child process (``python -m milepost.extraction.reader``) with a wall-time limit
(``MILEPOST_EXTRACTION_TIMEOUT``) and memory and CPU limits
(``MILEPOST_EXTRACTION_MEMORY_MB``), so a hostile file cannot hold a web worker. Plain text and Markdown: UTF-8 (with or without a byte-order mark)
or else Windows-1252. Every text is normalised (Unicode NFC, "\\r\\n" to "\\n") before any offset
is taken, and bounded by ``MILEPOST_EXTRACTION_MAX_CHARS``.
"""

import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath

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
# A DOCX is a zip of XML; a real one unpacks to a few times its size. Its XML parts together
# may unpack to at most XML_MAX_BYTES, whatever the upload's size (a 500-page contract's
# document.xml is a few megabytes).
UNZIP_RATIO = 30
XML_MAX_BYTES = 40 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
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


def time_limit() -> int:
    return int(getattr(settings, "MILEPOST_EXTRACTION_TIMEOUT", 60))


def memory_limit_mb() -> int:
    return int(getattr(settings, "MILEPOST_EXTRACTION_MEMORY_MB", 1024))


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
    """Read ``data`` (the file called ``name``) into its text, or refuse it naming "file".

    PDFs and DOCX files are read in a child process with time and memory limits; text and
    Markdown in this one.
    """
    if not data:
        raise DomainError("file_empty", "The file is empty.", field="file")
    fmt = document_format(name, data)
    if fmt in ("pdf", "docx"):
        text, pages = _read_in_child(data, fmt)
    else:
        text, pages = _read_plain(data), []
    return _checked(text, pages, fmt, max_chars())


def read_bytes(data: bytes, fmt: str, *, pages_limit: int, chars_limit: int) -> DocumentText:
    """Read a PDF or DOCX in this process (the child's work): no Django settings needed."""
    if fmt == "pdf":
        text, pages = _read_pdf(data, pages_limit, chars_limit)
    else:
        text, pages = _read_docx(data, chars_limit), []
    return _checked(text, pages, fmt, chars_limit)


def _checked(text: str, pages: list[int], fmt: str, chars_limit: int) -> DocumentText:
    if not text.strip():
        if fmt == "pdf":
            raise DomainError("scanned_pdf", SCANNED, field="file")
        raise DomainError("no_text", "The file holds no text to read.", field="file")
    if len(text) > chars_limit:
        raise _too_much_text(chars_limit)
    return DocumentText(text=text, format=fmt, pages=pages)


def _too_much_text(chars_limit: int) -> DomainError:
    return DomainError(
        "too_much_text",
        f"The document holds more than {chars_limit:,} characters of text, the most Milepost "
        "reads. Upload the agreement without its appendices.",
        field="file",
    )


def _read_in_child(data: bytes, fmt: str) -> tuple[str, list[int]]:
    """Run ``milepost.extraction.reader`` on the file, bounded in time and memory."""
    seconds = time_limit()
    shown = FORMAT_NAMES[fmt]
    too_long = DomainError(
        "too_complex",
        f"This {shown} took too long to read (more than {seconds} seconds) and was stopped; "
        "save it again from the word processor and upload that.",
        field="file",
    )
    with tempfile.TemporaryDirectory(prefix="milepost-document-") as folder:
        path = Path(folder) / f"document.{fmt}"
        path.write_bytes(data)
        command = [
            sys.executable,
            "-m",
            "milepost.extraction.reader",
            str(path),
            fmt,
            str(max_pages()),
            str(max_chars()),
            str(memory_limit_mb()),
            str(seconds),
        ]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                timeout=seconds,
                check=False,
                cwd=folder,
                env=_child_environment(folder),
            )
        except subprocess.TimeoutExpired as error:
            raise too_long from error
    try:
        answer = json.loads(result.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError):
        answer = None
    if isinstance(answer, dict) and "error" in answer:
        raise DomainError(str(answer["code"]), str(answer["error"]), field="file")
    if not isinstance(answer, dict) or result.returncode != 0:
        logger.info("document reader failed (%s): %s", result.returncode, result.stderr[-500:])
        if result.returncode < 0 or b"MemoryError" in result.stderr:
            # Killed by its CPU limit (SIGXCPU/SIGKILL) or out of memory.
            raise DomainError(
                "too_complex",
                f"This {shown} needs more time or memory to read than Milepost allows; save it "
                "again from the word processor and upload that.",
                field="file",
            )
        raise _unreadable(fmt)
    return str(answer["text"]), [int(n) for n in answer["pages"]]


def _child_environment(folder: str) -> dict[str, str]:
    """Nothing of the server's environment (no secrets, no database address) but the path to
    Milepost, and coverage.py's own variables when a test run measures its subprocesses."""
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": folder, "PYTHONPATH": _source_root()}
    env.update({k: v for k, v in os.environ.items() if k.startswith("COVERAGE_")})
    return env


def _source_root() -> str:
    """The folder that holds the ``milepost`` package, for the child's import path."""
    import milepost

    return str(Path(milepost.__file__).resolve().parent.parent)


def _unreadable(fmt: str) -> DomainError:
    if fmt == "pdf":
        return DomainError(
            "unreadable_file",
            "The file is not a PDF that can be read; save it again as PDF and upload that.",
            field="file",
        )
    return DomainError(
        "unreadable_file",
        "The file is not a Word document that can be read; save it again as .docx and upload that.",
        field="file",
    )


def _read_plain(data: bytes) -> str:
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = data.decode("cp1252", errors="replace")
    return normalise(raw)


def _read_pdf(data: bytes, pages_limit: int, chars_limit: int) -> tuple[str, list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError, PyPdfError

    password = DomainError(
        "encrypted_pdf",
        "This PDF is password-protected; upload a copy saved without a password.",
        field="file",
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # "Permissions-only" encryption (no password to open) reads with an empty one.
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise password from exc
            if not opened:
                raise password
        count = len(reader.pages)
        if count > pages_limit:
            raise DomainError(
                "too_many_pages",
                f"The PDF has {count:,} pages; Milepost reads at most {pages_limit:,}.",
                field="file",
            )
        texts: list[str] = []
        total = 0
        for page in reader.pages:
            page_text = normalise(page.extract_text() or "").strip("\n")
            total += len(page_text) + 2
            if total > chars_limit + 2 * count:
                raise _too_much_text(chars_limit)
            texts.append(page_text)
    except DomainError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        logger.info("unreadable PDF: %s", exc)
        raise _unreadable("pdf") from exc
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


def _read_docx(data: bytes, chars_limit: int) -> str:
    from lxml import etree

    unreadable = _unreadable("docx")
    too_large = DomainError(
        "file_too_large",
        "The document unpacks to far more data than a contract holds; it is not read.",
        field="file",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            xml = sum(info.file_size for info in infos if info.filename.lower().endswith(".xml"))
            if xml > XML_MAX_BYTES or unpacked > UNZIP_RATIO * max(len(data), 1024 * 1024):
                raise too_large
            try:
                info = archive.getinfo("word/document.xml")
            except KeyError as exc:
                raise unreadable from exc
            raw = archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise unreadable from exc
    if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw.upper():
        raise DomainError(
            "unreadable_file",
            "The Word document declares its own XML entities, which no word processor writes; "
            "save it again as .docx and upload that.",
            field="file",
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise unreadable from exc
    del raw
    body = root.find(f"{_W}body")
    if body is None:
        raise unreadable
    blocks: list[str] = []
    total = 0
    for block in _blocks(body):
        blocks.append(block)
        total += len(block) + 1
        if total > chars_limit:
            raise _too_much_text(chars_limit)
    return normalise("\n".join(blocks)).strip("\n")


def _blocks(container: object) -> "list[str]":
    """The text blocks under a body, cell or content control, in document order.

    A paragraph gives its own text (runs, tracked insertions, hyperlinks, fields, content
    controls; deletions left out), then the paragraphs of any text box it anchors; a table
    gives one block per row, its cells joined by " | "; a block-level content control gives
    its content's blocks.
    """
    out: list[str] = []
    for child in container:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == f"{_W}p":
            out.append(_paragraph_text(child))
            for box in child.iter(f"{_W}txbxContent"):
                if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                    continue  # the same text box again, for old readers
                out.extend(_blocks(box))
        elif tag == f"{_W}tbl":
            for row in child.iter(f"{_W}tr"):
                if next(row.iterancestors(f"{_W}tbl")) is not child:
                    continue  # a nested table's row: read within its cell
                cells = [
                    " ".join(" ".join(_blocks(cell)).split())
                    for cell in row.iter(f"{_W}tc")
                    if next(cell.iterancestors(f"{_W}tr")) is row
                ]
                out.append(" | ".join(cells))
        elif tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                out.extend(_blocks(content))
        elif tag in (f"{_W}customXml", f"{_W}ins", f"{_W}smartTag"):
            out.extend(_blocks(child))
    return out


def _paragraph_text(paragraph: object) -> str:
    """A paragraph's own words: w:t and tabs under it, not inside a deletion or a text box."""
    parts: list[str] = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):  # type: ignore[attr-defined]
        if _inside(node, paragraph):
            continue
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.getparent().tag == f"{_W}r":  # not a tab stop in the paragraph's style
            parts.append("\t" if node.tag == f"{_W}tab" else "\n")
    return "".join(parts)


def _inside(node: object, paragraph: object) -> bool:
    """Whether a deletion or text box lies between ``node`` and its ``paragraph``."""
    for ancestor in node.iterancestors():  # type: ignore[attr-defined]
        if ancestor is paragraph:
            return False
        if ancestor.tag in (f"{_W}txbxContent", f"{_W}del"):
            return True
    return False
