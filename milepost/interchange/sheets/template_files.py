"""Downloadable template files: a header row and example rows, in CSV and XLSX."""

import csv
import datetime as dt
import io
from collections.abc import Sequence

from ..columns import CONTRACT_COLUMNS, MILESTONE_COLUMNS, Column

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The example: a deliverable, a payment it triggers, a gate after it and a monthly KPI.
MILESTONE_EXAMPLES: list[dict[str, object]] = [
    {
        "reference": "M1",
        "kind": "deliverable",
        "title": "Foundations complete",
        "owner": "sam@example.com",
        "responsible_party": "Northgate Construction",
        "accepting_party": "Harbour City Council",
        "due_date": dt.date(2026, 9, 30),
        "criticality": "critical",
        "acceptance_criteria": "Engineer's inspection certificate signed.",
    },
    {
        "reference": "P1",
        "kind": "payment",
        "title": "Foundations payment",
        "owner": "cora",
        "due_date": dt.date(2026, 10, 30),
        "payer": "Harbour City Council",
        "payee": "Northgate Construction",
        "trigger": "M1",
        "percentage": 30,
        "retention_percent": 5,
    },
    {
        "reference": "G1",
        "kind": "gate",
        "title": "Fit-out may start",
        "owner": "cora",
        "responsible_party": "Harbour City Council",
        "due_date": dt.date(2026, 11, 16),
        "acceptance_criteria": "Both parties approve the fit-out plan.",
        "depends_on": "M1+14",
        "required_parties": "Harbour City Council; Northgate Construction",
    },
    {
        "reference": "K1",
        "kind": "performance",
        "title": "Site safety",
        "owner": "sam@example.com",
        "responsible_party": "Northgate Construction",
        "due_date": dt.date(2026, 12, 31),
        "kpi_name": "Reportable incidents",
        "unit": "incidents",
        "target": 0,
        "direction": "at_most",
        "period": "month",
        "measurement_start": dt.date(2026, 10, 1),
    },
]

CONTRACT_EXAMPLES: list[dict[str, object]] = [
    {
        "reference": "HCC-2026-014",
        "title": "Harbour library extension",
        "value": 1250000,
        "currency": "GBP",
        "start_date": dt.date(2026, 9, 1),
        "end_date": dt.date(2027, 8, 31),
        "our_role": "client",
        "supplier": "Northgate Construction",
        "consultant": "Arden Project Management",
    }
]

EXTRA_CONTRACT_COLUMNS = ("supplier", "consultant", "subcontractor", "observer")


def _table(which: str) -> tuple[list[str], list[list[object]]]:
    columns: Sequence[Column]
    if which == "milestones":
        columns = [c for c in MILESTONE_COLUMNS if c.use in ("import", "match", "check")]
        header = [c.name for c in columns]
        return header, [[row.get(name) for name in header] for row in MILESTONE_EXAMPLES]
    header = [c.name for c in CONTRACT_COLUMNS] + list(EXTRA_CONTRACT_COLUMNS)
    return header, [[row.get(name) for name in header] for row in CONTRACT_EXAMPLES]


def template_file(which: str, fmt: str) -> bytes:
    """The template for ``which`` ("milestones" or "contracts") in ``fmt`` ("csv" or "xlsx")."""
    header, rows = _table(which)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = which.capitalize()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
