"""Reading a contract document's file into text: PDF, DOCX, text and Markdown, safely."""

import io
import os
import zipfile
import zlib

import docx
import pypdf
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


def _docx_with_body(body: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A real DOCX whose body starts with ``body`` (raw WordprocessingML)."""
    base = io.BytesIO()
    docx.Document().save(base)
    source = zipfile.ZipFile(io.BytesIO(base.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                data = head + b"<w:body>" + body + tail
            archive.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _operators_pdf(operators: int, pages: int) -> bytes:
    """A small PDF whose pages hold a huge compressed stream of drawing operators, no text."""
    content = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n" + b"0 0 m\n" * operators
    packed = zlib.compress(content, 9)
    kids = " ".join(f"{3 + 2 * n} 0 R" for n in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    for n in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * n} 0 R "
            f"/Resources << /Font << /F1 {3 + 2 * pages} 0 R >> >> >>".encode()
        )
        objects.append(
            f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def test_a_pdf_that_takes_too_long_to_read_is_stopped(settings: pytest.FixtureRequest) -> None:
    # Given a limit of one second, and a 30 KB PDF of drawing operators that takes half a
    # minute to read
    settings.MILEPOST_EXTRACTION_TIMEOUT = 1  # type: ignore[attr-defined]
    data = _operators_pdf(350_000, 10)
    assert len(data) < 100_000

    # When it is read, then it is stopped and refused, naming the file
    with refused("too_complex", "file") as caught:
        read_document(data, "hostile.pdf")
    assert "took too long to read" in caught.value.message


def test_a_docx_whose_xml_is_huge_but_whose_zip_is_padded_is_refused() -> None:
    # Given a DOCX of 60 MB of XML, padded with a random file so the zip is not "too packed"
    paragraph = b"<w:p><w:r><w:t>" + b"x" * 1000 + b"</w:t></w:r></w:p>"
    data = _docx_with_body(paragraph * 60_000, {"word/media/pad.bin": os.urandom(3_000_000)})

    # When it is read, then it is refused before the XML is parsed
    with refused("file_too_large", "file"):
        read_document(data, "bomb.docx")


def test_a_docx_declaring_entities_is_refused() -> None:
    # Given a DOCX whose XML declares entities (a billion-laughs or an external file)
    data = _docx_with_body(b"<w:p><w:r><w:t>1. Clause.</w:t></w:r></w:p>")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "word/document.xml":
                part = part.replace(
                    b"?>",
                    b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
                    1,
                )
            archive.writestr(info.filename, part)

    # When it is read, then it is refused
    with refused("unreadable_file", "file") as caught:
        read_document(out.getvalue(), "entities.docx")
    assert "entities" in caught.value.message


def test_docx_content_controls_insertions_and_text_boxes_are_read() -> None:
    # Given a DOCX with a clause in a content control, a tracked insertion and deletion, and
    # a text box
    body = (
        b"<w:p><w:r><w:t>1.1 Plain clause by 31 March 2027.</w:t></w:r></w:p>"
        b"<w:sdt><w:sdtContent><w:p><w:r><w:t>1.2 Clause inside a content control by 30 June "
        b"2027.</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        b'<w:p><w:r><w:t xml:space="preserve">1.3 The Contractor shall </w:t></w:r>'
        b'<w:ins w:id="1" w:author="A"><w:r><w:t xml:space="preserve">deliver the report </w:t>'
        b'</w:r></w:ins><w:del w:id="2" w:author="A"><w:r><w:delText>send the memo </w:delText>'
        b"</w:r></w:del><w:r><w:t>by 1 May 2027.</w:t></w:r></w:p>"
        b"<w:p><w:r><w:t>1.4 See the box.</w:t></w:r><w:r><w:pict>"
        b'<v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent><w:p><w:r>'
        b"<w:t>Boxed clause.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
        b"</w:r></w:p>"
    )

    # When it is read
    text = read_document(_docx_with_body(body), "controls.docx").text

    # Then every clause is there, in order, the insertion kept and the deletion left out
    assert text.split("\n") == [
        "1.1 Plain clause by 31 March 2027.",
        "1.2 Clause inside a content control by 30 June 2027.",
        "1.3 The Contractor shall deliver the report by 1 May 2027.",
        "1.4 See the box.",
        "Boxed clause.",
    ]


def test_a_pdf_needing_a_password_is_refused_one_without_is_read() -> None:
    # Given the same PDF encrypted with a password to open, and with permissions only
    plain = _pdf(f"<p>{CLAUSE}</p>")

    def encrypted(user_password: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain)))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    # When each is read, then the one needing a password is refused, naming the file
    with refused("encrypted_pdf", "file"):
        read_document(encrypted("secret"), "locked.pdf")
    # And the permissions-only one is read
    assert "thirty per cent" in read_document(encrypted(""), "signed.pdf").text


@pytest.mark.parametrize("kind", ["txt", "pdf", "docx"])
def test_too_much_text_is_refused(settings: pytest.FixtureRequest, kind: str) -> None:
    # Given a limit of 50 characters
    settings.MILEPOST_EXTRACTION_MAX_CHARS = 50  # type: ignore[attr-defined]
    data = {
        "txt": (CLAUSE + "\n") * 3,
        "pdf": _pdf(f"<p>{CLAUSE}</p><p>{CLAUSE}</p>"),
        "docx": _docx(CLAUSE, CLAUSE),
    }[kind]
    if isinstance(data, str):
        data = data.encode()

    # When a longer document is read, then it is refused, naming the file
    with refused("too_much_text", "file"):
        read_document(data, f"long.{kind}")
