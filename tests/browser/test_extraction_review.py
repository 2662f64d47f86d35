"""Reading the contract in a real browser: upload a Word document and a PDF that the test writes,
accept some proposals, edit one, reject one, create them, and follow a milestone's citation back
to the words it came from."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Page, expect
from weasyprint import HTML

from milepost.contracts.models import ContractDocument
from milepost.extraction.choices import ProposalKind
from milepost.extraction.models import Proposal
from milepost.schedule.models import Citation, Milestone

from ..conftest import World
from .test_accessibility import serious


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def clauses(world: World) -> list[tuple[str, str]]:
    """A short agreement in the contract's own dates: (clause number, words)."""
    today = world.today
    return [
        ("", "AGREEMENT"),
        (
            "",
            f"This Agreement is made on {_day(world.contract.start_date)} between Harbour City "
            'Council (the "Employer") and Northgate Construction Ltd (the "Contractor").',
        ),
        ("1.1", "The Employer shall pay the Contractor the Contract Sum of £1,000,000.00."),
        (
            "2.1",
            "The Contractor shall deliver the Stage 1 report by "
            f"{_day(today + dt.timedelta(days=40))}.",
        ),
        (
            "2.2",
            f"The Contractor shall complete the foundations by {_day(today + dt.timedelta(days=90))}.",
        ),
        (
            "3.1",
            "The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of "
            "completion of the foundations.",
        ),
        ("4.1", "This Agreement is governed by the law of England and Wales."),
    ]


def write_docx(world: World, path: Path) -> Path:
    document = docx.Document()
    for number, words in clauses(world):
        document.add_paragraph(f"{number} {words}" if number else words)
    document.save(str(path))
    return path


def write_pdf(world: World, path: Path) -> Path:
    body = "".join(
        f"<p>{number + ' ' if number else ''}{words}</p>" for number, words in clauses(world)
    )
    HTML(string=f"<html><body>{body}</body></html>").write_pdf(str(path))
    return path


def upload(page: Page, world: World, path: Path, title: str) -> ContractDocument:
    page.goto(f"/contracts/{world.contract.pk}/")
    page.get_by_role("link", name="The contract's documents").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Document file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return ContractDocument.objects.get(contract=world.contract, title=title)


def proposals(document: ContractDocument, kind: str) -> list[Proposal]:
    return list(Proposal.objects.filter(document=document, kind=kind).order_by("position"))


def card(page: Page, proposal: Proposal):
    return page.locator(f"#proposal-{proposal.proposed['key']}")


def test_review_a_docx_and_a_pdf_and_follow_the_citations(
    bworld: World, sign_in, screenshots: Path, tmp_path: Path
) -> None:
    page = sign_in(bworld.supplier_manager)

    # given the Word document uploaded from the contract's page
    document = upload(
        page, bworld, write_docx(bworld, tmp_path / "agreement.docx"), "Signed agreement"
    )
    report, foundations = proposals(document, ProposalKind.DELIVERABLE)[:2]
    payment = proposals(document, ProposalKind.PAYMENT)[0]
    expect(page.locator(f"mark#cite-{report.proposed['key']}")).to_contain_text("Stage 1 report")
    expect(page.get_by_role("heading", name="What the contract says")).to_be_visible()
    axe = serious(page, "document review")

    # when the reviewer edits the report, accepts the foundations and rejects the payment
    report_card = card(page, report)
    report_card.get_by_role("link", name=re.compile("^Edit")).click()
    page.get_by_label("Title").fill("Stage 1 report issued")
    page.screenshot(path=screenshots / "extraction-edit.png", full_page=True)
    axe += serious(page, "proposal edit form")
    page.get_by_role("button", name="Save and accept").click()
    expect(page.get_by_role("status")).to_contain_text("Saved and accepted")
    card(page, foundations).get_by_role("button", name=re.compile("^Accept")).click()
    expect(card(page, foundations)).to_contain_text("Accepted")
    card(page, payment).get_by_role("button", name=re.compile("^Reject")).click()
    expect(card(page, payment)).to_contain_text("Rejected")
    page.screenshot(path=screenshots / "extraction-review.png", full_page=True)

    # and creates the accepted set
    page.get_by_role("button", name="Create 2 milestones").click()
    expect(page.get_by_role("status")).to_contain_text("Created 2 milestones")

    # then the two milestones exist, each with its citation, and none for the rejected payment
    made = Milestone.objects.filter(contract=bworld.contract).order_by("due_date")
    assert made.first().title == "Stage 1 report issued"
    assert made.count() == 2
    assert Citation.objects.filter(milestone__in=made, document=document).count() == 2
    # and the milestone's page quotes its clause and links back to the words marked in the text
    page.locator("#created").get_by_role("link", name="Stage 1 report issued").click()
    citation = page.locator("p.citation")
    expect(citation).to_contain_text("From clause 2.1 of Signed agreement")
    expect(citation).to_contain_text("Stage 1 report")
    page.screenshot(path=screenshots / "extraction-milestone-citation.png")
    citation.get_by_role("link", name="Signed agreement").click()
    expect(page).to_have_url(re.compile(r"/documents/\d+/#cite-at-\d+$"))
    expect(page.locator(f"mark#cite-{report.proposed['key']}")).to_be_in_viewport()

    # given the same agreement as a PDF, one deliverable accepted and created
    pdf = upload(
        page, bworld, write_pdf(bworld, tmp_path / "agreement.pdf"), "Signed agreement (PDF)"
    )
    first = proposals(pdf, ProposalKind.DELIVERABLE)[0]
    card(page, first).get_by_role("button", name=re.compile("^Accept")).click()
    page.get_by_role("button", name="Create 1 milestone").click()
    expect(page.get_by_role("status")).to_contain_text("Created 1 milestone")
    # then its citation gives the page of the PDF
    first.refresh_from_db()
    assert first.milestone is not None
    page.goto(f"/milestones/{first.milestone.pk}/")
    expect(page.locator("p.citation")).to_contain_text("of Signed agreement (PDF) (page 1)")
    page.goto(f"/contracts/{bworld.contract.pk}/documents/")
    expect(page.get_by_role("link", name="Signed agreement (PDF)")).to_be_visible()
    axe += serious(page, "contract documents")
    if axe:
        pytest.fail(f"axe found serious violations:\n{axe}", pytrace=False)
