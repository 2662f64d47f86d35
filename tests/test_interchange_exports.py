"""Exports: every list a person can see, as CSV and XLSX, typed, guarded and streamed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.approvals.services import gate_create
from milepost.audit.models import Event
from milepost.interchange.cells import csv_value, guarded
from milepost.interchange.columns import MILESTONE_COLUMN_NAMES
from milepost.interchange.exports.tables import (
    Col,
    Table,
    change_requests_table,
    contract_history_table,
    contract_milestones_table,
    milestone_list_table,
    payment_schedule_table,
)
from milepost.interchange.exports.writers import csv_chunks, xlsx_chunks
from milepost.payments.services import payment_milestone_create
from milepost.reporting.selectors.milestones import MilestoneFilters
from milepost.schedule.changes import change_request_submit
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.dependencies import dependency_add

from .helpers import signed_in
from .test_api import API, bearer

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def as_dicts(table: Table) -> list[dict[str, object]]:
    names = [column.name for column in table.columns]
    return [dict(zip(names, row, strict=True)) for row in table.rows]


def stages(w):
    """Foundations, then structure 5 days after, a 30% payment on structure, a handover gate."""
    foundations = w.deliverable("Foundations complete", reference="M1")
    structure = w.deliverable(
        "Structure topped out", reference="M2", due_date=w.today + dt.timedelta(days=60)
    )
    dependency_add(predecessor=foundations, successor=structure, lag=5, actor=w.client_manager)
    payment = payment_milestone_create(
        contract=w.contract,
        title="Structure payment",
        owner=w.client_manager,
        due_date=w.today + dt.timedelta(days=75),
        payer=w.client,
        payee=w.supplier,
        trigger=structure,
        percentage="30",
        retention_percent="5",
        reference="P1",
        actor=w.client_manager,
    )
    gate = gate_create(
        contract=w.contract,
        title="Handover gate",
        owner=w.client_manager,
        responsible_party=w.client,
        due_date=w.today + dt.timedelta(days=90),
        required_parties=[w.client, w.consultant],
        acceptance_criteria="Both sign the handover form.",
        actor=w.client_manager,
    )
    return foundations, structure, payment, gate


# --- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=SUM(A1:A2)", "+44 20", "-1+1", "@cmd", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe_in_csv(text):
    assert csv_value(text) == "'" + text
    assert guarded(text) == "'" + text


def test_numbers_dates_and_plain_text_are_written_as_they_are_in_csv():
    assert csv_value(Decimal("-5.00")) == "-5.00"
    assert csv_value(Decimal("1E+3")) == "1000"
    assert csv_value(dt.date(2027, 2, 28)) == "2027-02-28"
    assert csv_value(None) == ""
    assert csv_value("Foundations - phase 1") == "Foundations - phase 1"


# --- writers --------------------------------------------------------------------------------

SAMPLE = Table(
    "Sample",
    "sample",
    [Col("Title"), Col("Due date"), Col("Amount"), Col("Currency"), Col("Done"), Col("At")],
    [
        ('=HYPERLINK("http://x")', dt.date(2027, 3, 1), Decimal("1234.50"), "GBP", True, None),
        ("Café <b> & co", None, -3, "", False, dt.datetime(2027, 3, 1, 9, 30)),
    ],
)


def test_xlsx_cells_are_typed_and_formula_text_stays_text():
    book = workbook(b"".join(xlsx_chunks(SAMPLE)))

    sheet = book.active
    assert sheet.title == "Sample"
    header, first, second = list(sheet.iter_rows())
    assert [cell.value for cell in header] == [
        "Title",
        "Due date",
        "Amount",
        "Currency",
        "Done",
        "At",
    ]
    assert header[0].font.b
    assert first[0].data_type == "s" and first[0].value == '=HYPERLINK("http://x")'
    assert first[1].value == dt.datetime(2027, 3, 1) and first[1].is_date
    assert first[2].value == 1234.5 and first[2].data_type == "n"
    assert first[4].value is True
    assert second[0].value == "Café <b> & co"
    assert second[2].value == -3
    assert second[5].value == dt.datetime(2027, 3, 1, 9, 30)


def test_csv_has_a_byte_order_mark_a_header_and_guarded_text():
    rows = csv_rows(b"".join(csv_chunks(SAMPLE)))

    assert rows[0] == ["Title", "Due date", "Amount", "Currency", "Done", "At"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "2027-03-01", "1234.50", "GBP", "yes", ""]
    assert rows[2][2] == "-3"


# --- tables ---------------------------------------------------------------------------------


def test_a_contracts_milestones_follow_the_import_sheets_columns(w):
    stages(w)

    table = contract_milestones_table(contract=w.contract)
    rows = {row["title"]: row for row in as_dicts(table)}

    assert [column.name for column in table.columns] == list(MILESTONE_COLUMN_NAMES)
    assert rows["Structure topped out"]["depends_on"] == "M1+5"
    assert rows["Structure topped out"]["owner"] == "sid"
    assert rows["Structure topped out"]["responsible_party"] == "Northgate Construction"
    assert rows["Structure topped out"]["due_date"] == w.today + dt.timedelta(days=60)
    paid = rows["Structure payment"]
    assert (paid["trigger"], paid["amount"], paid["currency"]) == (
        "M2",
        Decimal("300000.00"),
        "GBP",
    )
    assert (paid["percentage"], paid["retention_percent"]) == (Decimal("30"), Decimal("5"))
    assert (paid["payer"], paid["payee"]) == ("Harbour City Council", "Northgate Construction")
    assert rows["Handover gate"]["required_parties"] == (
        "Arden Project Management; Harbour City Council"
    )
    assert rows["Foundations complete"]["amount"] is None
    assert rows["Foundations complete"]["kind"] == MilestoneKind.DELIVERABLE


def test_the_milestone_list_export_keeps_the_filters_and_what_the_user_may_see(w):
    stages(w)

    payments = milestone_list_table(
        user=w.supplier_member, filters=MilestoneFilters(kind=MilestoneKind.PAYMENT)
    )
    hidden = milestone_list_table(user=w.outsider, filters=MilestoneFilters())

    (row,) = as_dicts(payments)
    assert (row["Milestone"], row["Kind"], row["Amount"], row["Currency"]) == (
        "Structure payment",
        "Payment",
        Decimal("300000.00"),
        "GBP",
    )
    assert (row["Contract"], row["Owner"], row["Due date"]) == (
        "HCC-2026-001",
        "cora",
        w.today + dt.timedelta(days=75),
    )
    assert as_dicts(hidden) == []


def test_the_payment_schedule_has_amounts_as_numbers_and_the_currency_apart(w):
    stages(w)

    (row,) = as_dicts(payment_schedule_table(contract=w.contract))

    assert row["Amount"] == Decimal("300000.00") and row["Currency"] == "GBP"
    assert row["Basis"] == "Percentage of contract value" and row["Percentage"] == Decimal("30")
    assert row["Triggered by"] == "Structure topped out"
    assert row["Paid amount"] == Decimal("0.00")


def test_change_requests_export_with_who_asked_and_what_changed(w):
    foundations, *_ = stages(w)
    change_request_submit(
        milestone=foundations,
        reason="Ground conditions",
        new_due_date=foundations.due_date + dt.timedelta(days=14),
        actor=w.supplier_manager,
    )

    (row,) = as_dicts(change_requests_table(user=w.client_member, contract=w.contract))

    assert row["Milestone"] == "Foundations complete"
    assert row["Requesting party"] == "Northgate Construction"
    assert row["Due date proposed"] == foundations.due_date + dt.timedelta(days=14)
    assert row["Status"] == "Pending" and row["Decided by"] is None
    assert row["Requested at"] == dt.datetime(2027, 3, 1, 12, 0)


def test_history_export_has_each_events_sentence_when_who_and_action(w):
    stages(w)

    rows = as_dicts(contract_history_table(contract=w.contract))

    assert len(rows) == Event.objects.filter(contract_id=w.contract.pk).count()
    newest, latest = rows[0], Event.objects.filter(contract_id=w.contract.pk).latest("id")
    assert (newest["Action"], newest["Event number"]) == (latest.action, latest.pk)
    assert "Handover gate" in str(newest["What happened"])
    assert str(newest["What happened"]).endswith(".")
    assert newest["When"] == dt.datetime(2027, 3, 1, 12, 0)
    assert rows[-1]["Who"] == "cora"


def test_an_export_makes_no_query_per_row(w):
    def queries(extra: int) -> int:
        for number in range(extra):
            w.deliverable(f"Extra {number}")
        table = contract_milestones_table(contract=w.contract)
        with CaptureQueriesContext(connection) as captured:
            b"".join(xlsx_chunks(table))
            b"".join(
                xlsx_chunks(milestone_list_table(user=w.client_member, filters=MilestoneFilters()))
            )
            b"".join(xlsx_chunks(contract_history_table(contract=w.contract)))
        return len(captured)

    assert queries(2) == queries(12)


# --- pages, API, command --------------------------------------------------------------------


def test_a_member_downloads_the_contracts_milestones_as_xlsx_and_an_outsider_finds_nothing(w):
    stages(w)
    url = reverse("interchange:exports-contract-milestones", args=[w.contract.pk, "xlsx"])

    response = signed_in(w.client_viewer).get(url)
    hidden = signed_in(w.outsider).get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="HCC-2026-001-milestones.xlsx"'
    sheet = workbook(b"".join(response.streaming_content)).active
    assert [cell.value for cell in next(sheet.iter_rows())] == list(MILESTONE_COLUMN_NAMES)
    assert sheet.max_row == 5
    assert hidden.status_code == 404


@pytest.mark.parametrize("name", ["payments", "change-requests", "history"])
def test_each_contract_list_downloads_as_csv(w, name):
    stages(w)
    url = reverse(f"interchange:exports-contract-{name}", args=[w.contract.pk, "csv"])

    response = signed_in(w.supplier_member).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(csv_rows(b"".join(response.streaming_content))) >= 1


def test_the_milestone_list_downloads_with_its_filters_and_refuses_a_bad_one(w):
    stages(w)
    client = signed_in(w.client_member)
    url = reverse("interchange:exports-milestones", args=["csv"])

    gates = client.get(url, {"kind": "gate"})
    bad = client.get(url, {"due_from": "2027-02-30"})
    unknown = client.get(reverse("interchange:exports-milestones", args=["pdf"]))

    rows = csv_rows(b"".join(gates.streaming_content))
    assert [row[3] for row in rows[1:]] == ["Handover gate"]
    assert bad.status_code == 400
    assert unknown.status_code == 404


def test_api_exports_the_filtered_list_and_a_contract_list_but_not_a_hidden_contract(w):
    stages(w)

    listed = bearer(w.client_member).get(
        f"{API}/exports/milestones", {"format": "xlsx", "kind": "payment"}
    )
    history = bearer(w.client_member).get(f"{API}/contracts/{w.contract.pk}/exports/history")
    hidden = bearer(w.outsider).get(f"{API}/contracts/{w.contract.pk}/exports/milestones")

    assert listed.status_code == 200
    sheet = workbook(b"".join(listed.streaming_content)).active
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Structure payment"]
    assert history.status_code == 200
    assert hidden.status_code == 404


def test_the_export_command_writes_a_contracts_payments(w, tmp_path):
    stages(w)
    target = tmp_path / "payments.xlsx"

    call_command(
        "export", "payments", "--as", "cora", "--contract", "HCC-2026-001", "-o", str(target)
    )

    sheet = workbook(target.read_bytes()).active
    assert sheet.max_row == 2
    assert sheet["I2"].value == 300000


def test_the_pages_offer_their_lists_for_download(w):
    foundations, *_ = stages(w)
    change_request_submit(
        milestone=foundations,
        reason="Ground conditions",
        new_due_date=foundations.due_date + dt.timedelta(days=14),
        actor=w.supplier_manager,
    )
    client = signed_in(w.client_member)

    contract_page = client.get(reverse("reporting:contract-detail", args=[w.contract.pk]))
    milestone_list = client.get(reverse("reporting:milestone-list"), {"kind": "gate"})
    changes = client.get(
        reverse("contract-change-requests", args=[w.contract.pk]), {"status": "pending"}
    )

    for name in ("milestones", "payments", "history"):
        for fmt in ("csv", "xlsx"):
            url = reverse(f"interchange:exports-contract-{name}", args=[w.contract.pk, fmt])
            assert f'href="{url}"' in contract_page.content.decode()
    listed = reverse("interchange:exports-milestones", args=["xlsx"])
    assert f'href="{listed}?kind=gate"' in milestone_list.content.decode()
    pending = reverse("interchange:exports-contract-change-requests", args=[w.contract.pk, "csv"])
    assert f'href="{pending}?status=pending"' in changes.content.decode()


# --- round trip -----------------------------------------------------------------------------


def test_an_exported_xlsx_with_one_cell_edited_imports_as_exactly_that_one_update(w):
    from milepost.interchange.sheets.milestones import milestone_sheet_preview
    from milepost.interchange.uploads import Upload

    stages(w)
    book = workbook(b"".join(xlsx_chunks(contract_milestones_table(contract=w.contract))))
    sheet = book.active
    titles = [cell.value for cell in sheet["D"]]
    sheet.cell(
        row=titles.index("Foundations complete") + 1, column=4
    ).value = "Foundations signed off"
    edited = io.BytesIO()
    book.save(edited)

    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload("edited.xlsx", edited.getvalue()), actor=w.client_manager
    )

    assert batch.preview["errors"] == []
    assert batch.preview["counts"]["milestones_updated"] == 1
    assert batch.preview["counts"]["milestones_unchanged"] == 3
    assert batch.preview["counts"]["milestones_created"] == 0
    (updated,) = [row for row in batch.preview["rows"] if row["action"] == "update"]
    assert updated["title"] == "Foundations signed off" and len(updated["changes"]) == 1


def test_an_exported_csv_with_formula_like_text_round_trips_unchanged(w):
    from milepost.interchange.sheets.milestones import milestone_sheet_preview
    from milepost.interchange.uploads import Upload

    w.deliverable("=Foundations", reference="M1", description="- dig; - pour")
    data = b"".join(csv_chunks(contract_milestones_table(contract=w.contract)))
    assert b"'=Foundations" in data

    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload("export.csv", data), actor=w.client_manager
    )

    assert batch.preview["errors"] == []
    assert batch.preview["counts"]["milestones_unchanged"] == 1


def test_the_export_command_writes_the_filtered_milestone_list_and_refuses_a_hidden_contract(
    w, capsysbinary
):
    stages(w)

    call_command("export", "milestone-list", "--as", "sid", "--kind", "gate")
    written = capsysbinary.readouterr().out
    with pytest.raises(CommandError, match="otto can see no contract HCC-2026-001"):
        call_command("export", "history", "--as", "otto", "--contract", "HCC-2026-001")

    rows = csv_rows(written)
    assert [row[3] for row in rows[1:]] == ["Handover gate"]
