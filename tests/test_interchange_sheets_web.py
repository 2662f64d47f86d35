"""Spreadsheet imports by API, web pages and the CLI; contract sheets; template files."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from milepost.accounts.services import api_token_create
from milepost.contracts.models import Contract
from milepost.core.errors import Forbidden
from milepost.interchange.choices import ImportStatus
from milepost.interchange.models import ImportBatch
from milepost.interchange.sheets.contracts import contract_sheet_apply, contract_sheet_preview
from milepost.interchange.sheets.milestones import milestone_sheet_preview
from milepost.interchange.sheets.template_files import template_file
from milepost.interchange.uploads import Upload
from milepost.schedule.models import Milestone
from tests.conftest import World
from tests.helpers import refused, signed_in

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")
API = "/api/v1"

SHEET = (
    "reference,kind,title,owner,responsible_party,accepting_party,due_date,acceptance_criteria\n"
    "F1,deliverable,Foundations,sid,Northgate Construction,Harbour City Council,2026-04-01,Signed\n"
)
CONTRACTS = (
    "reference,title,value,currency,start_date,end_date,our_role,supplier,consultant\n"
    "HCC-9,Library roof,£120000,GBP,2026-04-01,2026-12-31,client,Northgate Construction,"
    "Arden Project Management\n"
)


def bearer(user) -> Client:  # type: ignore[no-untyped-def]
    _, raw = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def sheet(text: str = SHEET, name: str = "plan.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_api_uploads_previews_and_applies(w: World) -> None:
    client = bearer(w.client_manager)

    created = client.post(f"{API}/contracts/{w.contract.pk}/imports/milestones", {"file": sheet()})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["counts"]["milestones_created"] == 1
    assert client.get(f"{API}/imports/sheets/{body['id']}").json()["rows"][0]["reference"] == "F1"

    applied = client.post(f"{API}/imports/sheets/{body['id']}/apply")

    assert applied.status_code == 200
    assert applied.json()["status"] == "applied"
    assert Milestone.objects.filter(contract=w.contract, reference="F1").exists()
    assert client.post(f"{API}/imports/sheets/{body['id']}/apply").status_code == 409


def test_api_refuses_a_viewer_and_hides_others_imports(w: World) -> None:
    viewer = bearer(w.client_viewer)
    assert (
        viewer.post(
            f"{API}/contracts/{w.contract.pk}/imports/milestones", {"file": sheet()}
        ).status_code
        == 403
    )
    outsider = bearer(w.outsider)
    assert (
        outsider.post(
            f"{API}/contracts/{w.contract.pk}/imports/milestones", {"file": sheet()}
        ).status_code
        == 404
    )
    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload("plan.csv", SHEET.encode()), actor=w.client_manager
    )
    assert bearer(w.supplier_manager).get(f"{API}/imports/sheets/{batch.pk}").status_code == 404
    assert bearer(w.supplier_manager).delete(f"{API}/imports/sheets/{batch.pk}").status_code == 404


def test_api_discards(w: World) -> None:
    batch = milestone_sheet_preview(
        contract=w.contract, upload=Upload("plan.csv", SHEET.encode()), actor=w.client_manager
    )

    response = bearer(w.client_manager).delete(f"{API}/imports/sheets/{batch.pk}")

    assert response.status_code == 204
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DISCARDED


def test_web_upload_preview_and_apply(w: World) -> None:
    client = signed_in(w.client_manager)
    page = client.get(reverse("interchange:sheets-milestones-upload", args=[w.contract.pk]))
    assert page.status_code == 200
    assert b"Excel template" in page.content

    posted = client.post(
        reverse("interchange:sheets-milestones-upload", args=[w.contract.pk]), {"file": sheet()}
    )
    batch = ImportBatch.objects.get()
    assert posted.status_code == 302
    preview = client.get(posted["Location"])
    assert b"1 milestone created" in preview.content
    assert b"1 Apr 2026" in preview.content

    applied = client.post(reverse("interchange:sheets-apply", args=[batch.pk]))

    assert applied.status_code == 302
    assert Milestone.objects.filter(contract=w.contract, reference="F1").exists()


def test_web_preview_shows_row_errors_and_offers_no_apply(w: World) -> None:
    client = signed_in(w.client_manager)
    bad = SHEET.replace("2026-04-01", "2026-02-30")
    client.post(
        reverse("interchange:sheets-milestones-upload", args=[w.contract.pk]), {"file": sheet(bad)}
    )
    batch = ImportBatch.objects.get()

    page = client.get(reverse("interchange:sheets-preview", args=[batch.pk]))

    assert "Row 2, due_date: 2026-02-30 is not a date" in page.content.decode()
    assert reverse("interchange:sheets-apply", args=[batch.pk]) not in page.content.decode()


def test_web_upload_page_tells_a_viewer_why_not(w: World) -> None:
    page = signed_in(w.client_viewer).get(
        reverse("interchange:sheets-milestones-upload", args=[w.contract.pk])
    )

    assert page.status_code == 200
    assert b"Only a manager or admin" in page.content
    assert b"Preview the import" not in page.content


def test_contract_sheet_creates_contracts_with_parties_once(w: World) -> None:
    upload = Upload("contracts.csv", CONTRACTS.encode())
    batch = contract_sheet_preview(organisation=w.client_org, upload=upload, actor=w.client_manager)
    assert batch.error_count == 0, batch.preview["errors"]

    contract_sheet_apply(batch=batch, actor=w.client_manager)

    made = Contract.objects.get(reference="HCC-9")
    assert made.value == 120000
    assert sorted(p.role for p in made.parties.all()) == ["client", "consultant", "supplier"]
    again = contract_sheet_preview(organisation=w.client_org, upload=upload, actor=w.client_manager)
    assert again.preview["counts"]["contracts_unchanged"] == 1
    assert again.preview["counts"]["contracts"] == 0


def test_contract_sheet_never_reaches_an_unknown_organisation(w: World) -> None:
    text = CONTRACTS.replace("Arden Project Management", "Secret Rivals Ltd")
    batch = contract_sheet_preview(
        organisation=w.client_org, upload=Upload("c.csv", text.encode()), actor=w.client_manager
    )

    assert batch.preview["errors"][0].startswith(
        "row 2, consultant: Secret Rivals Ltd is not an organisation you work with"
    )


def test_contract_sheet_is_for_managers_only(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        contract_sheet_preview(
            organisation=w.client_org,
            upload=Upload("c.csv", CONTRACTS.encode()),
            actor=w.client_member,
        )


@pytest.mark.parametrize("which", ["milestones", "contracts"])
def test_template_files_have_a_header_and_an_example_and_the_milestone_one_imports(
    w: World, which: str
) -> None:
    book = load_workbook(io.BytesIO(template_file(which, "xlsx")))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] in ("id", "reference")
    assert len(rows) >= 2
    assert template_file(which, "csv").startswith(b"\xef\xbb\xbf")
    response = signed_in(w.client_member).get(
        reverse("interchange:sheets-template", args=[which, "csv"])
    )
    assert response.status_code == 200


def test_cli_previews_then_applies(w: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.csv"
    path.write_text(SHEET)
    out = io.StringIO()

    call_command(
        "import_sheet", str(path), "--as", "cora", "--contract", "HCC-2026-001", stdout=out
    )
    assert "milestones created: 1" in out.getvalue()
    assert not Milestone.objects.filter(reference="F1").exists()
    call_command(
        "import_sheet",
        str(path),
        "--as",
        "cora",
        "--contract",
        "HCC-2026-001",
        "--apply",
        stdout=out,
    )

    assert Milestone.objects.filter(reference="F1").exists()


def test_cli_refuses_a_file_with_errors(w: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "plan.csv"
    path.write_text(SHEET.replace("sid,", "nobody,"))

    with pytest.raises(CommandError):
        call_command(
            "import_sheet", str(path), "--as", "cora", "--contract", "HCC-2026-001", "--apply",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert not Milestone.objects.filter(reference="F1").exists()


def test_api_creates_and_shows_a_milestone_reference(w: World) -> None:
    client = bearer(w.supplier_manager)

    response = client.post(
        f"{API}/contracts/{w.contract.pk}/deliverables",
        {
            "title": "Survey",
            "owner": "sid",
            "due_date": "2026-04-01",
            "acceptance_criteria": "Report received.",
            "responsible_party": w.supplier.pk,
            "accepting_party": w.client.pk,
            "reference": "SV-1",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "SV-1"
    page = signed_in(w.supplier_member).get(
        reverse("milestones:milestone-detail", args=[response.json()["id"]])
    )
    assert b"SV-1" in page.content


def test_api_contract_sheet_for_an_organisations_managers(w: World) -> None:
    url = f"{API}/organisations/{w.client_org.slug}/imports/contracts"

    created = bearer(w.client_manager).post(url, {"file": sheet(CONTRACTS, "c.csv")})
    member = bearer(w.client_member).post(url, {"file": sheet(CONTRACTS, "c.csv")})
    outsider = bearer(w.outsider).post(url, {"file": sheet(CONTRACTS, "c.csv")})

    assert created.status_code == 201, created.content
    assert created.json()["counts"]["contracts"] == 1
    assert (member.status_code, outsider.status_code) == (403, 404)
