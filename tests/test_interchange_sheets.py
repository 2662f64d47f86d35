"""Milestone sheets: read CSV and XLSX, preview by row and column, apply whole or not at all."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from milepost.audit.models import Event
from milepost.core.errors import Forbidden
from milepost.interchange.choices import ImportStatus
from milepost.interchange.columns import MILESTONE_COLUMN_NAMES
from milepost.interchange.sheets.milestones import (
    ImportRefused,
    milestone_sheet_apply,
    milestone_sheet_preview,
)
from milepost.interchange.uploads import Upload
from milepost.payments.models import PaymentTerms
from milepost.schedule.models import Dependency, Milestone
from tests.conftest import World
from tests.helpers import refused

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")

HEADER = "reference,kind,title,owner,responsible_party,accepting_party,due_date,acceptance_criteria,depends_on,payer,payee,trigger,amount,retention_percent,required_parties"
ROWS = [
    "F1,deliverable,Foundations,sid,Northgate Construction,Harbour City Council,2026-04-01,Signed off,,,,,,,",
    "S1,deliverable,Structure,sid@example.test,Northgate Construction,Harbour City Council,2026-06-01,Signed off,F1+5,,,,,,",
    "G1,gate,Fit-out gate,cora,Harbour City Council,,2026-06-15,Both agree,S1,,,,,,Harbour City Council; Northgate Construction",
    "P1,payment,Foundations payment,cora,,,2026-04-15,,,Harbour City Council,Northgate Construction,F1,300000,5,",
]


def csv_upload(
    rows: list[str], header: str = HEADER, name: str = "plan.csv", encoding: str = "utf-8"
) -> Upload:
    return Upload(name=name, data="\n".join([header, *rows]).encode(encoding))


def xlsx_upload(rows: list[list[object]], header: list[str]) -> Upload:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return Upload(name="plan.xlsx", data=out.getvalue())


def test_preview_lists_what_would_be_created_and_writes_nothing_else(w: World) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
    )

    assert batch.error_count == 0, batch.preview["errors"]
    assert batch.preview["counts"] == {
        "milestones_created": 4,
        "milestones_updated": 0,
        "milestones_unchanged": 0,
        "dependencies": 2,
    }
    assert [r["action"] for r in batch.preview["rows"]] == ["create"] * 4
    assert not Milestone.objects.filter(contract=w.contract).exists()


def test_apply_creates_every_kind_with_links_and_one_import_event(w: World) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
    )

    milestone_sheet_apply(batch=batch, actor=w.client_manager)

    made = {m.reference: m for m in Milestone.objects.filter(contract=w.contract)}
    assert sorted(made) == ["F1", "G1", "P1", "S1"]
    assert made["P1"].payment.trigger == made["F1"]
    assert made["P1"].payment.amount == 300000
    link = Dependency.objects.get(successor=made["S1"])
    assert (link.predecessor, link.lag) == (made["F1"], 5)
    assert made["G1"].gate_requirements.count() == 2
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert Event.objects.filter(action="import.applied").count() == 1


def test_reimporting_the_same_file_changes_nothing(w: World) -> None:
    upload = csv_upload(ROWS)
    milestone_sheet_apply(
        batch=milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager),
        actor=w.client_manager,
    )
    events = Event.objects.count()

    again = milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)

    assert again.preview["counts"]["milestones_unchanged"] == 4
    assert again.preview["counts"]["dependencies"] == 0
    milestone_sheet_apply(batch=again, actor=w.client_manager)
    assert Event.objects.count() == events + 1  # the import.applied event only


def test_a_changed_row_updates_through_the_services(w: World) -> None:
    milestone_sheet_apply(
        batch=milestone_sheet_preview(
            contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
        ),
        actor=w.client_manager,
    )
    changed = [
        ROWS[0].replace("Foundations,", "Foundations and slab,"),
        *ROWS[1:3],
        ROWS[3].replace("300000", "250000"),
    ]

    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(changed), actor=w.client_manager
    )

    assert batch.preview["counts"]["milestones_updated"] == 2, batch.preview["errors"]
    milestone_sheet_apply(batch=batch, actor=w.client_manager)
    assert Milestone.objects.get(reference="F1").title == "Foundations and slab"
    assert PaymentTerms.objects.get(milestone__reference="P1").amount == 250000


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "X1,deliverable,Thing,sid,Northgate Construction,Harbour City Council,2026-02-30,ok,,,,,,,",
            "row 2, due_date: 2026-02-30 is not a date",
        ),
        (
            "X1,widget,Thing,sid,Northgate Construction,,2026-04-01,ok,,,,,,,",
            "row 2, kind: widget is not a kind; use deliverable, payment, performance or gate",
        ),
        (
            "X1,deliverable,Thing,nobody,Northgate Construction,,2026-04-01,ok,,,,,,,",
            "row 2, owner: nobody is not a member of a party to this contract",
        ),
        (
            "X1,deliverable,Thing,sid,Acme Ltd,,2026-04-01,ok,,,,,,,",
            "row 2, responsible_party: Acme Ltd is not a party to this contract",
        ),
        (
            "X1,deliverable,,sid,Northgate Construction,,2026-04-01,ok,,,,,,,",
            "row 2, title: give the milestone a title",
        ),
        (
            "X1,deliverable,Thing,sid,Northgate Construction,,2026-04-01,ok,Z9,,,,,,",
            "row 2, depends_on: no milestone has the reference Z9",
        ),
        (
            "X1,payment,Pay,cora,,,2026-04-01,,,Harbour City Council,Northgate Construction,F9,abc,,",
            "row 2, amount: abc is not a number",
        ),
        (
            "X1,deliverable,Thing,sid,Northgate Construction,Harbour City Council,2099-04-01,ok,,,,,,,",
            "row 2, due_date:",
        ),
    ],
)
def test_every_row_error_is_named_by_row_and_column(w: World, row: str, error: str) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload([row]), actor=w.client_manager
    )

    assert any(e.startswith(error) for e in batch.preview["errors"]), batch.preview["errors"]
    with refused("import_has_errors", "file", error=ImportRefused):
        milestone_sheet_apply(batch=batch, actor=w.client_manager)


def test_dates_are_read_as_a_person_or_a_spreadsheet_writes_them() -> None:
    from milepost.interchange.sheets import values

    for typed in ("2026-12-06", "06/12/2026", "6 Dec 2026", "2026-12-06 00:00:00"):
        assert values.date(typed) == dt.date(2026, 12, 6)
    with pytest.raises(values.CellError, match="2026-02-30 is not a date"):
        values.date("2026-02-30")


def test_a_duplicate_reference_in_the_file_is_named_on_its_second_row(w: World) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload([ROWS[0], ROWS[0]]), actor=w.client_manager
    )

    assert batch.preview["errors"] == ["row 3, reference: F1 is on row 2 too"]


def test_a_failure_on_the_last_row_leaves_nothing(w: World) -> None:
    # The payment exceeds the contract's value: only the service knows, on the last row.
    rows = [*ROWS[:3], ROWS[3].replace("300000", "9000000")]
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(rows), actor=w.client_manager
    )

    assert batch.error_count == 1
    assert batch.preview["errors"][0].startswith("row 5, amount:"), batch.preview["errors"]
    assert not Milestone.objects.filter(contract=w.contract).exists()


def test_excel_csv_with_bom_semicolons_and_cp1252_is_read(w: World) -> None:
    header = HEADER.replace(",", ";")
    row = "F1;deliverable;Café fit-out \u2013 stage 1;sid;Northgate Construction;Harbour City Council;01/04/2026;Signed off;;;;;;;"
    cp1252 = csv_upload([row], header=header, encoding="cp1252")
    bom = Upload(name="plan.csv", data=b"\xef\xbb\xbf" + "\n".join([header, row]).encode())

    for upload in (cp1252, bom):
        batch = milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)
        assert batch.error_count == 0, batch.preview["errors"]
        assert batch.preview["rows"][0]["title"] == "Café fit-out \u2013 stage 1"
        assert batch.preview["rows"][0]["due_date"] == "2026-04-01"


def test_xlsx_with_typed_cells_imports(w: World) -> None:
    header = [
        "Reference",
        "Kind",
        "Title",
        "Owner",
        "Responsible party",
        "Accepting party",
        "Due date",
        "Acceptance criteria",
    ]
    upload = xlsx_upload(
        [
            [
                "M1",
                "deliverable",
                "Survey",
                "sid",
                "Northgate Construction",
                "Harbour City Council",
                dt.datetime(2026, 5, 4),
                "Report",
            ],
            [
                1,
                "deliverable",
                "Design",
                "sid",
                "Northgate Construction",
                "Harbour City Council",
                dt.date(2026, 5, 11),
                "Drawings",
            ],
        ],
        header,
    )

    batch = milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)
    milestone_sheet_apply(batch=batch, actor=w.client_manager)

    assert batch.file_format == "xlsx"
    assert sorted(Milestone.objects.values_list("reference", "due_date")) == [
        ("1", dt.date(2026, 5, 11)),
        ("M1", dt.date(2026, 5, 4)),
    ]


def test_a_viewer_may_not_import(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        milestone_sheet_preview(contract=w.contract, upload=csv_upload(ROWS), actor=w.client_viewer)


def test_an_applied_import_cannot_be_applied_twice(w: World) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
    )
    milestone_sheet_apply(batch=batch, actor=w.client_manager)

    with refused("import_applied"):
        milestone_sheet_apply(batch=batch, actor=w.client_manager)


def test_columns_are_in_the_agreed_order() -> None:
    assert MILESTONE_COLUMN_NAMES[:4] == ("id", "reference", "kind", "title")
    assert MILESTONE_COLUMN_NAMES[-5:] == (
        "status",
        "progress",
        "baseline_due_date",
        "forecast_date",
        "met_on",
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_contract_reimports_unchanged(w: World, fmt: str) -> None:
    from milepost.interchange.exports.tables import contract_milestones_table
    from milepost.interchange.exports.writers import WRITERS

    milestone_sheet_apply(
        batch=milestone_sheet_preview(
            contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
        ),
        actor=w.client_manager,
    )
    w.deliverable("No reference yet")
    writer, _ = WRITERS[fmt]
    data = b"".join(writer(contract_milestones_table(contract=w.contract)))

    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload(f"export.{fmt}", data), actor=w.client_manager
    )

    assert batch.preview["errors"] == []
    assert batch.preview["counts"] == {
        "milestones_created": 0,
        "milestones_updated": 0,
        "milestones_unchanged": 5,
        "dependencies": 0,
    }


def test_an_import_writes_each_objects_usual_event_and_keeps_the_chain_intact(w: World) -> None:
    from milepost.audit.selectors import chain_verify

    milestone_sheet_apply(
        batch=milestone_sheet_preview(
            contract=w.contract, upload=csv_upload(ROWS), actor=w.client_manager
        ),
        actor=w.client_manager,
    )

    actions = sorted(
        Event.objects.filter(contract_id=w.contract.pk).values_list("action", flat=True)
    )
    assert actions.count("milestone.created") == 4
    assert actions.count("dependency.added") == 3  # F1 → S1, S1 → G1, and the payment's trigger
    assert chain_verify().intact


def test_a_loop_in_the_links_is_refused(w: World) -> None:
    rows = [ROWS[0].replace("Signed off,,", "Signed off,S1,"), ROWS[1]]

    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(rows), actor=w.client_manager
    )

    assert any("loop" in e for e in batch.preview["errors"]), batch.preview["errors"]


def test_an_owner_who_is_not_in_the_responsible_party_is_refused(w: World) -> None:
    rows = [ROWS[0].replace(",sid,", ",cora,")]

    batch = milestone_sheet_preview(
        contract=w.contract, upload=csv_upload(rows), actor=w.client_manager
    )

    assert batch.preview["errors"] == [
        "row 2, owner: The owner must be a member of Northgate Construction, the responsible party."
    ]


def test_a_broken_workbook_a_pdf_and_too_many_rows_are_refused_by_name(w, settings) -> None:  # type: ignore[no-untyped-def]
    def preview(upload: Upload) -> None:
        milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)

    with refused("unreadable_file", "file"):
        preview(Upload("plan.xlsx", b"PK\x03\x04 not really a zip"))
    with refused("unsupported_format", "file"):
        preview(Upload("plan.pdf", b"%PDF-1.4"))
    settings.MILEPOST_IMPORT_MAX_ROWS = 1
    with refused("too_many_rows", "file"):
        preview(csv_upload(ROWS[:2]))


def test_a_workbook_that_unpacks_too_far_is_refused(w: World, settings) -> None:  # type: ignore[no-untyped-def]
    upload = xlsx_upload([["M1", "deliverable", "x" * 5000]] * 20, ["reference", "kind", "title"])
    settings.MILEPOST_IMPORT_MAX_BYTES = 2000

    with refused("file_too_large", "file"):
        milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)
