"""``milepost extract FILE [--json]``: the proposals read from a file, without a database."""

import io
import json
import subprocess
import sys
from pathlib import Path

import docx
import jsonschema
import pytest
from django.core.management import CommandError, call_command

from milepost.extraction.documents import read_document
from tests.extraction_helpers import SIGNED_AGREEMENT

SCHEMA = (
    Path(__file__).resolve().parent.parent / "milepost/extraction/schema/extraction.schema.json"
)
MILEPOST = str(Path(sys.executable).parent / "milepost")

AGREEMENT = SIGNED_AGREEMENT


def extract(*args: str) -> str:
    out = io.StringIO()
    call_command("extract", *args, stdout=out)
    return out.getvalue()


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_the_json_output_follows_its_documented_schema(tmp_path):
    # Given a realistic agreement as a text file
    path = tmp_path / "agreement.txt"
    path.write_text(AGREEMENT, encoding="utf-8")

    # When it is extracted as JSON (no database fixture: any query would fail the test)
    result = json.loads(extract(str(path), "--json"))

    # Then the output validates against the schema the README documents
    validator().validate(result)
    # and every citation quotes the text at its offsets
    text = read_document(path.read_bytes(), path.name).text
    cited = [p["citation"] for p in result["proposals"] + result["damages"]]
    assert cited and all(text[c["start"] : c["end"]] == c["quote"] for c in cited)
    assert result["text_sha256"] == read_document(path.read_bytes(), path.name).sha256


def test_the_agreement_reads_into_its_milestones_payment_and_damages(tmp_path):
    # Given the agreement as a Word document
    document = docx.Document()
    for paragraph in AGREEMENT.split("\n"):
        document.add_paragraph(paragraph)
    path = tmp_path / "agreement.docx"
    document.save(str(path))

    # When it is extracted as JSON
    result = json.loads(extract(str(path), "--json"))

    # Then the dated deliverables, the 30% payment after the foundations, and the damages are read
    validator().validate(result)
    by_title = {p["title"]: p for p in result["proposals"]}
    dues = {p["due"] for p in result["proposals"] if p["kind"] == "deliverable"}
    assert {"2027-03-31", "2027-06-30", "2028-01-31"} <= dues
    payment = next(p for p in result["proposals"] if p["kind"] == "payment")
    assert payment["percent"] == 30 and payment["citation"]["clause"] == "2.1"
    assert payment["depends_on"] == next(
        p["key"] for t, p in by_title.items() if p["due"] == "2027-06-30"
    )
    (damages,) = result["damages"]
    assert (damages["rate"], damages["per"], damages["currency"]) == ("2500", "week", "GBP")


def test_the_readable_output_lists_each_proposal_with_its_words(tmp_path):
    path = tmp_path / "agreement.md"
    path.write_text(AGREEMENT, encoding="utf-8")

    printed = extract(str(path))

    assert "Payment: 30% on completion of the foundations" in printed
    assert "“The Employer shall pay thirty per cent (30%)" in printed
    assert "Delay damages:" in printed and "GBP 2,500.00 per week, capped at 10%" in printed


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("stages.xlsx", b"PK\x03\x04", "A .xlsx file cannot be read"),
        ("scan.pdf", b"%PDF-1.4 not a pdf", "is not a PDF that can be read"),
    ],
)
def test_an_unreadable_or_unsupported_file_exits_with_status_2(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)

    with pytest.raises(CommandError, match=message) as caught:
        extract(str(path), "--json")
    assert caught.value.returncode == 2


def test_the_command_exits_2_from_the_shell_with_a_clear_message(tmp_path):
    # When an operator extracts a file that is not there
    result = subprocess.run(
        [MILEPOST, "extract", str(tmp_path / "missing.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then the command says so and exits with status 2
    assert result.returncode == 2
    assert "No file" in result.stderr and "missing.pdf" in result.stderr


def _demo_agreement() -> str:
    import datetime as dt

    from milepost.operations.demo.agreement import agreement_text, demo_terms

    return agreement_text(demo_terms(dt.date(2026, 12, 7)))


SHORT_TEXTS = {
    "supply": (
        "SUPPLY AGREEMENT\n\nThis Agreement is dated March 3, 2027 between Acme Tools Inc. "
        '("Buyer") and Delta Parts LLC ("Supplier").\n\n1. Delivery\n1.1 Supplier shall '
        "deliver the first article samples no later than April 15, 2027.\n1.2 Buyer shall pay "
        "$48,000.00 within thirty (30) days of receipt of a valid invoice.\n"
    ),
    "services": (
        "SCHEDULE 2 - SERVICE LEVELS\n\n2.1 The Supplier shall ensure the Service is available "
        "at least 99.5% of the time in each month.\n2.2 If availability falls below the target, "
        "the Supplier shall credit the Customer £1,500 for that month.\n2.3 The Supplier shall "
        "submit a monthly service report by the fifth Working Day of each month.\n"
    ),
    "blank_damages": (
        "5. Delay\n5.1 If the Contractor fails to achieve Completion by 30 September 2027, it "
        "shall pay liquidated damages at the rate of £[***] per week, up to a maximum of ten "
        "per cent (10%) of the Contract Price.\n"
    ),
    "gate": (
        "4. Approvals\n4.1 The Contractor shall not commence Stage 2 until the Client and the "
        "Funder have approved the Stage 1 report in writing.\n4.2 The Contractor shall deliver "
        "the Stage 1 report within 8 weeks of the Commencement Date.\n"
    ),
}


@pytest.mark.parametrize("name", ["demo", *SHORT_TEXTS])
def test_the_json_follows_the_schema_on_other_texts(tmp_path, name):
    # Given an agreement (the demo's, or a short realistic one) as a text file
    text = _demo_agreement() if name == "demo" else SHORT_TEXTS[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")

    # When it is extracted as JSON, then it validates and every quote is the text it cites
    result = json.loads(extract(str(path), "--json"))
    validator().validate(result)
    read = read_document(path.read_bytes(), path.name).text
    cited = [p["citation"] for p in result["proposals"] + result["damages"]]
    assert all(read[c["start"] : c["end"]] == c["quote"] for c in cited)


SERVICE_SCHEDULE = """SERVICE SCHEDULE

1. The Supplier shall ensure that the Service is Available for not less than 99.7% of each \
Service Month.
2. The Supplier shall deliver a service report within 5 Business Days after the end of each \
month.
3. The Supplier shall submit the exit plan not less than 8 weeks before the expiry of the Term.
4. If the Supplier fails to deliver by the Delivery Date it shall pay $____ per calendar day of \
delay as liquidated damages.
"""


def test_the_readable_output_says_targets_timing_and_blank_rates_in_words(tmp_path):
    path = tmp_path / "schedule.txt"
    path.write_text(SERVICE_SCHEDULE, encoding="utf-8")

    printed = extract(str(path))

    assert "at least 99.7 %" in printed
    assert "8 weeks before the expiry of the Term" in printed
    assert "monthly" in printed
    assert "Delay damages:" in printed and "blank" in printed
