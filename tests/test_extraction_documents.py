"""Reading a contract document's file into text: PDF, DOCX, text and Markdown, safely."""

import io
import zipfile

import docx
import pytest
import weasyprint

from milepost.extraction.documents import SCANNED, read_document
from tests.helpers import refused

# refused() compares every table before and after.
pytestmark = pytest.mark.django_db

CLAUSE = "4.2 The Employer shall pay thirty per cent (30%) of the Contract Sum."


def _docx(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.add_paragraph("5. Signed by both parties.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def test_a_docx_is_read_paragraphs_and_tables_in_order() -> None:
    # Given a Word document with a clause, a table of stages and a closing clause
    data = _docx(CLAUSE, table=[["Stage", "Share"], ["Foundations", "30%"]])

    # When it is read
    read = read_document(data, "Signed agreement.docx")

    # Then the paragraphs and the table rows come in order, cells joined by " | "
    assert read.format == "docx"
    assert read.pages == []
    lines = read.text.split("\n")
    assert lines == [CLAUSE, "Stage | Share", "Foundations | 30%", "5. Signed by both parties."]


def test_offsets_point_at_the_words_in_the_text() -> None:
    # Given a text file with Windows line ends and a decomposed accent
    data = "1. Parties\r\nCafe\u0301 Ltd.\r\n".encode() + CLAUSE.encode()

    # When it is read
    read = read_document(data, "agreement.txt")

    # Then the text is NFC with Unix line ends, and an offset found in it quotes the phrase
    assert "\r" not in read.text
    assert "Café Ltd." in read.text
    start = read.text.index("thirty per cent")
    assert read.text[start : start + len("thirty per cent (30%)")] == "thirty per cent (30%)"


def test_a_text_file_in_windows_1252_is_read() -> None:
    # Given a text file saved by an old Windows editor, with a pound sign
    data = "The Contract Sum is £1,250,000.00.".encode("cp1252")

    # When it is read
    read = read_document(data, "sum.txt")

    # Then the pound sign survives
    assert read.text == "The Contract Sum is £1,250,000.00."


def test_a_pdf_is_read_with_the_offset_each_page_starts_at() -> None:
    # Given a three-page PDF, one clause a page
    pages = [f"Clause {n}. The Contractor shall deliver report {n}." for n in (1, 2, 3)]
    html = "".join(f'<p style="page-break-after: always">{p}</p>' for p in pages)
    data = _pdf(f"<html><body>{html}</body></html>")

    # When it is read
    read = read_document(data, "agreement.pdf")

    # Then each page's start offset finds that page's words, and pages are joined by a blank line
    assert read.format == "pdf"
    assert len(read.pages) == 3
    for n, start in enumerate(read.pages, 1):
        assert read.text[start:].startswith(f"Clause {n}.")
    assert read.text[read.pages[1] - 2 : read.pages[1]] == "\n\n"


def test_a_pdf_without_a_text_layer_is_refused_as_scanned() -> None:
    # Given a PDF of one blank page (what a scan gives without its image's words)
    data = _pdf(
        "<html><body><div style='width:10cm;height:10cm;background:#888'></div></body></html>"
    )

    # When it is read, then it is refused with the scanned message, naming the file
    with refused("scanned_pdf", "file") as caught:
        read_document(data, "scan.pdf")
    assert caught.value.message == SCANNED


def test_a_docx_that_unpacks_to_too_much_is_refused() -> None:
    # Given a "DOCX" whose zip holds 100 MB of zeros (a few hundred kilobytes packed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (100 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024

    # When it is read, then it is refused before python-docx sees it
    with refused("file_too_large", "file"):
        read_document(data, "bomb.docx")


def test_a_file_of_another_type_is_refused_naming_the_file() -> None:
    # Given a spreadsheet
    # When it is read, then it is refused, naming the types that are read
    with refused("unsupported_format", "file") as caught:
        read_document(b"a,b\n1,2\n", "stages.xlsx")
    assert "PDF" in caught.value.message and ".docx" in caught.value.message


def test_a_broken_pdf_is_refused_as_unreadable() -> None:
    # Given bytes that only start like a PDF
    # When read, then refused as unreadable
    with refused("unreadable_file", "file"):
        read_document(b"%PDF-1.7\nnot really", "agreement.pdf")


def test_too_many_pages_are_refused(settings: pytest.FixtureRequest) -> None:
    # Given a limit of two pages
    settings.MILEPOST_EXTRACTION_MAX_PAGES = 2  # type: ignore[attr-defined]
    html = "".join(f'<p style="page-break-after: always">Page {n}</p>' for n in range(3))

    # When a three-page PDF is read, then it is refused
    with refused("too_many_pages", "file"):
        read_document(_pdf(html), "long.pdf")


def test_an_empty_file_is_refused() -> None:
    with refused("file_empty", "file"):
        read_document(b"", "agreement.txt")
