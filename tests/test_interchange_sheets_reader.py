"""Reading hostile or broken workbooks: refused with a clear error, quickly, in little memory."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from milepost.core.errors import DomainError
from milepost.interchange.sheets.reader import sheet_read
from milepost.interchange.uploads import Upload


def _xlsx(fill: dict[str, object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for ref, value in fill.items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(data: bytes, name: str = "plan.xlsx") -> object:
    return sheet_read(Upload(name=name, data=data))


def test_a_workbook_reaching_the_last_cell_of_a_sheet_is_refused_before_it_is_laid_out():
    data = _xlsx({"A1": "reference", "XFD1048576": "x"})
    assert len(data) < 10_000  # a few kilobytes that would span 17 billion cells
    with pytest.raises(DomainError) as refused:
        _read(data)
    assert (refused.value.code, refused.value.field) == ("sheet_too_large", "file")
    assert "XFD1048576" in refused.value.message


def test_a_row_far_below_the_data_is_refused_as_well():
    with pytest.raises(DomainError) as refused:
        _read(_xlsx({"A1": "reference", "A900000": "x"}))
    assert refused.value.code == "sheet_too_large"


def test_a_zip_that_is_not_a_workbook_is_unreadable():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(DomainError) as refused:
        _read(out.getvalue())
    assert (refused.value.code, refused.value.field) == ("unreadable_file", "file")


def test_a_workbook_with_broken_sheet_xml_is_unreadable():
    good = io.BytesIO(_xlsx({"A1": "reference", "A2": "M1"}))
    out = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(info, data)
    with pytest.raises(DomainError) as refused:
        _read(out.getvalue())
    assert refused.value.code == "unreadable_file"


def test_dates_and_numbers_come_back_typed_and_formulas_are_not_evaluated():
    import datetime as dt

    sheet = _read(
        _xlsx(
            {
                "A1": "due_date",
                "B1": "amount",
                "C1": "title",
                "A2": dt.date(2028, 2, 29),
                "B2": 1234.5,
                "C2": "=1+1",
            }
        )
    )
    assert sheet.header == ["due_date", "amount", "title"]
    ((number, cells),) = sheet.rows
    assert number == 2
    assert cells[0] in (dt.date(2028, 2, 29), dt.datetime(2028, 2, 29))
    assert cells[1] == 1234.5
    assert cells[2] in ("", None)  # openpyxl saved no cached value: nothing is computed
