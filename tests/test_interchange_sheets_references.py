"""Milestone sheets: references, triggers and loops named the way an export writes them."""

import datetime as dt

import pytest

from milepost.core.errors import DomainError
from milepost.interchange.sheets.milestones import (
    milestone_sheet_apply,
    milestone_sheet_preview,
)
from milepost.interchange.uploads import Upload
from milepost.schedule.models import Dependency, Milestone
from tests.conftest import World
from tests.helpers import refused

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")

HEADER = (
    "id,reference,kind,title,owner,responsible_party,accepting_party,due_date,"
    "acceptance_criteria,depends_on,payer,payee,trigger,amount"
)
CRITERIA = "Engineer's inspection certificate signed."
PAY = "Harbour City Council,Northgate Construction"


def preview(w: World, rows: list[str], header: str = HEADER, name: str = "p.csv"):  # type: ignore[no-untyped-def]
    upload = Upload(name=name, data="\n".join([header, *rows]).encode())
    return milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.client_manager)


def test_a_reference_cannot_be_given_to_a_milestone_matched_by_id(w: World) -> None:
    m = w.deliverable("No ref")
    rows = [
        f"{m.pk},M9,deliverable,No ref,sid,Northgate Construction,Harbour City Council,"
        f"{m.due_date},{CRITERIA},,,,,",
        ",N1,deliverable,Next,sid,Northgate Construction,Harbour City Council,2026-06-01,ok,M9,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},M9,1000",
    ]

    batch = preview(w, rows)

    assert f"row 2, reference: milestone {m.pk} has no reference" in batch.preview["errors"][0]


def test_a_payment_triggered_by_an_existing_milestones_id_is_created(w: World) -> None:
    m = w.deliverable("No ref")
    batch = preview(w, [f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},{m.pk},1000"])

    milestone_sheet_apply(batch=batch, actor=w.client_manager)

    assert Milestone.objects.get(reference="P1").payment.trigger == m


def test_a_loop_through_a_payments_trigger_is_refused(w: World) -> None:
    rows = [
        ",D1,deliverable,D,sid,Northgate Construction,Harbour City Council,2026-07-01,ok,P1,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},D1,1000",
    ]

    batch = preview(w, rows)

    assert "loop" in " ".join(batch.preview["errors"])


def test_a_loop_through_an_existing_payments_trigger_is_refused(w: World) -> None:
    d = w.deliverable("D", reference="D1")
    rows = [
        f",D1,deliverable,D,sid,Northgate Construction,Harbour City Council,{d.due_date},"
        f"{CRITERIA},P1,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},D1,1000",
    ]

    batch = preview(w, rows)

    assert "loop" in " ".join(batch.preview["errors"])
    assert not Dependency.objects.exists()


def test_a_cancelled_trigger_is_refused_even_when_the_file_lists_it(w: World) -> None:
    m = w.deliverable("F", reference="F1")
    Milestone.objects.filter(pk=m.pk).update(status="cancelled")
    rows = [
        f",F1,deliverable,F,sid,Northgate Construction,Harbour City Council,{m.due_date},"
        f"{CRITERIA},,,,,",
        f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},F1,1000",
    ]

    batch = preview(w, rows)

    assert "row 3, trigger: 'F' is cancelled" in " ".join(batch.preview["errors"])
    with refused("import_has_errors", "file"):
        milestone_sheet_apply(batch=batch, actor=w.client_manager)


def test_a_reference_with_a_hyphen_is_read_whole_not_as_a_lag(w: World) -> None:
    rows = [
        ",MS-01,deliverable,Foundations,sid,Northgate Construction,Harbour City Council,"
        "2026-04-01,ok,,,,,",
        ",MS-02,deliverable,Structure,sid,Northgate Construction,Harbour City Council,"
        "2026-06-01,ok,MS-01,,,,",
    ]

    milestone_sheet_apply(batch=preview(w, rows), actor=w.client_manager)

    link = Dependency.objects.get()
    assert (link.predecessor.reference, link.lag) == ("MS-01", 0)


def test_a_row_without_id_or_reference_is_refused(w: World) -> None:
    batch = preview(
        w,
        [",,deliverable,Survey,sid,Northgate Construction,Harbour City Council,2026-04-01,ok,,,,,"],
    )

    assert batch.preview["errors"][0].startswith("row 2, reference: give each milestone")


def test_a_column_left_out_of_the_file_changes_nothing(w: World) -> None:
    m = w.deliverable("Foundations", reference="F1", description="Written in the app")
    header = "reference,title,due_date"

    batch = preview(w, [f"F1,Foundations,{m.due_date}"], header=header)

    assert batch.error_count == 0, batch.preview["errors"]
    assert batch.preview["rows"][0]["action"] == "unchanged"


def test_a_percentage_cell_of_a_workbook_is_refused_as_a_fraction(w: World) -> None:
    import io

    from openpyxl import Workbook

    w.deliverable("F", reference="F1")
    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "kind", "title", "owner", "due_date", "payer", "payee", "trigger"])
    sheet["I1"], sheet["J1"] = "percentage", "retention_percent"
    sheet.append(["P1", "payment", "Pay", "cora", dt.date(2026, 6, 1), "Harbour City Council"])
    sheet["G2"], sheet["H2"], sheet["I2"], sheet["J2"] = "Northgate Construction", "F1", 0.3, 5
    out = io.BytesIO()
    book.save(out)

    batch = milestone_sheet_preview(
        contract=w.contract,
        upload=Upload(name="p.xlsx", data=out.getvalue()),
        actor=w.client_manager,
    )

    assert batch.preview["errors"] == [
        "row 2, percentage: 0.3 is a fraction; a cell formatted as a percentage holds 30% as "
        "0.3: type 30 in a plain number cell"
    ]


def test_a_party_name_two_organisations_share_is_refused_and_the_slug_accepted(w: World) -> None:
    from milepost.accounts.services import organisation_create
    from milepost.contracts.services import party_add

    twin = organisation_create(name="Northgate Construction", slug="northgate-2", actor=None)
    party_add(contract=w.contract, organisation=twin, role="subcontractor", actor=w.client_manager)
    row = ",D1,deliverable,D,connor,Arden Project Management,{},2026-04-01,ok,,,,,"

    ambiguous = preview(w, [row.format("Northgate Construction")])
    by_slug = preview(w, [row.format("northgate-2")])

    assert "two parties are called Northgate Construction" in ambiguous.preview["errors"][0]
    assert by_slug.error_count == 0, by_slug.preview["errors"]


def test_an_organisation_name_two_share_is_refused_in_a_contract_sheet(w: World) -> None:
    from milepost.accounts.services import organisation_create
    from milepost.contracts.services import party_add
    from milepost.interchange.sheets.contracts import contract_sheet_preview

    twin = organisation_create(name="Northgate Construction", slug="northgate-2", actor=None)
    party_add(
        contract=w.other_contract(with_supplier=False),
        organisation=twin,
        role="supplier",
        actor=w.client_manager,
    )
    header = "reference,title,value,currency,start_date,end_date,our_role,supplier,consultant"
    batch = contract_sheet_preview(
        organisation=w.client_org,
        upload=Upload(
            name="c.csv",
            data=f"{header}\nD1,T,1000,GBP,2026-04-01,2027-04-01,client,Northgate Construction,".encode(),
        ),
        actor=w.client_manager,
    )

    assert "two organisations you work with are called" in batch.preview["errors"][0]


def _workbook(*sheets: tuple[str, list[list[object]], str]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for cells in rows:
            sheet.append(cells)
    book.active = [s for _, _, s in sheets].index("visible")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_control_character_in_a_cell_is_refused_naming_row_and_column(w: World) -> None:
    import io
    import zipfile

    from milepost.interchange.sheets.reader import sheet_read

    plain = _workbook(("M", [["reference", "title"], ["F1", "FTITLE"]], "visible"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            # Excel writes a NUL in a cell as _x0000_, which readers decode.
            dst.writestr(item, src.read(item).replace(b">FTITLE<", b">F_x0000_T<"))
    data = out.getvalue()

    with pytest.raises(DomainError) as caught:
        sheet_read(Upload(name="p.xlsx", data=data))

    assert caught.value.code == "control_character"
    assert caught.value.message.startswith("row 2, title: the cell holds")


def test_a_csv_export_with_apostrophes_and_dashes_imports_again_unchanged(w: World) -> None:
    from milepost.interchange.exports.tables import contract_milestones_table
    from milepost.interchange.exports.writers import WRITERS
    from milepost.payments.services import payment_milestone_create

    f1 = w.deliverable("Client's foundations", reference="F1", description="- pour 'slab'\n- cure")
    w.deliverable("Structure", reference="S1", description="-steel 'frame'")
    payment_milestone_create(
        contract=w.contract,
        title="Pay 'F'",
        owner=w.client_manager,
        due_date=f1.due_date,
        payer=w.client,
        payee=w.supplier,
        trigger=f1,
        amount="1000",
        reference="P1",
        actor=w.client_manager,
    )
    writer, _ = WRITERS["csv"]
    data = b"".join(writer(contract_milestones_table(contract=w.contract)))

    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload(name="e.csv", data=data), actor=w.client_manager
    )

    assert batch.error_count == 0, batch.preview["errors"]
    assert batch.preview["counts"]["milestones_unchanged"] == 3


@pytest.mark.parametrize(
    ("written", "read"), [("1.250,50", "1250.50"), ("12,5", "12.5"), ("1250", "1250")]
)
def test_a_semicolon_csv_reads_a_decimal_comma(written: str, read: str) -> None:
    from decimal import Decimal

    from milepost.interchange.sheets import values

    assert values.decimal(written, comma=True) == Decimal(read)


@pytest.mark.parametrize("written", ["1.250", "1,2,5"])
def test_a_semicolon_csv_refuses_a_number_read_two_ways(written: str) -> None:
    from milepost.interchange.sheets import values

    with pytest.raises(values.CellError):
        values.decimal(written, comma=True)


def test_a_semicolon_payment_amount_with_thousands_dots_is_read_in_full(w: World) -> None:
    w.deliverable("F", reference="F1")
    header = HEADER.replace(",", ";")
    row = f";P1;payment;Pay;cora;;;2026-06-01;;;{PAY.replace(',', ';')};F1;1.250,50"

    milestone_sheet_apply(batch=preview(w, [row], header=header), actor=w.client_manager)

    assert str(Milestone.objects.get(reference="P1").payment.amount) == "1250.50"


def test_a_hidden_first_sheet_is_passed_for_the_first_visible_one() -> None:
    from milepost.interchange.sheets.reader import sheet_read

    data = _workbook(
        ("Lists", [["kinds"], ["deliverable"]], "hidden"),
        ("Milestones", [["reference", "title"], ["F1", "Foundations"]], "visible"),
    )

    sheet = sheet_read(Upload(name="p.xlsx", data=data))

    assert sheet.header == ["reference", "title"]


def test_a_workbook_named_csv_is_read_as_a_workbook() -> None:
    from milepost.interchange.sheets.reader import sheet_read

    data = _workbook(("M", [["reference", "title"], ["F1", "Foundations"]], "visible"))

    sheet = sheet_read(Upload(name="p.csv", data=data))

    assert (sheet.format, sheet.rows[0][1]) == ("xlsx", ["F1", "Foundations"])


def test_the_milestone_template_file_imports_as_it_is(w: World) -> None:
    from milepost.interchange.sheets.template_files import template_file

    data = template_file("milestones", "csv").replace(b"sam@example.com", b"sid@example.test")

    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload(name="t.csv", data=data), actor=w.client_manager
    )

    assert batch.error_count == 0, batch.preview["errors"]
    assert batch.preview["counts"]["milestones_created"] == 4


def test_a_refusal_after_the_new_rows_are_written_leaves_nothing(w: World) -> None:
    m = w.deliverable("F", reference="F1")
    rows = [
        f",F1,deliverable,F,sid,Northgate Construction,Harbour City Council,"
        f"{m.due_date + dt.timedelta(days=7)},{CRITERIA},,,,,",
        ",N1,deliverable,Next,sid,Northgate Construction,Harbour City Council,2026-06-01,ok,F1,,,,",
    ]
    upload = Upload(name="p.csv", data="\n".join([HEADER, *rows]).encode())
    batch = milestone_sheet_preview(contract=w.contract, upload=upload, actor=w.supplier_manager)
    assert batch.error_count == 0, batch.preview["errors"]
    Milestone.objects.filter(pk=m.pk).update(status="met", met_on=w.today)

    with refused("import_has_errors", "file") as caught:
        milestone_sheet_apply(batch=batch, actor=w.supplier_manager)

    assert caught.value.errors[0].startswith("row 2, due_date")
    assert not Milestone.objects.filter(reference="N1").exists()


def test_a_payer_a_manager_does_not_manage_is_refused_on_the_payer_column(w: World) -> None:
    w.deliverable("F", reference="F1")
    batch = milestone_sheet_preview(
        contract=w.contract,
        upload=Upload(
            name="p.csv",
            data="\n".join([HEADER, f",P1,payment,Pay,cora,,,2026-06-01,,,{PAY},F1,1000"]).encode(),
        ),
        actor=w.supplier_manager,
    )

    assert batch.preview["errors"][0].startswith("row 2, payer: Only a manager of")


def test_two_contract_rows_without_reference_are_not_called_duplicates(w: World) -> None:
    from milepost.interchange.sheets.contracts import contract_sheet_preview

    header = "reference,title,value,currency,start_date,end_date,our_role,supplier,consultant"
    rows = [",T,1000,GBP,2026-04-01,2027-04-01,client,,"] * 2
    batch = contract_sheet_preview(
        organisation=w.client_org,
        upload=Upload(name="c.csv", data="\n".join([header, *rows]).encode()),
        actor=w.client_manager,
    )

    assert not [e for e in batch.preview["errors"] if "too" in e]
