"""The document pages: a contract's documents and upload form, the review page with its marked
citations and proposals, the edit form, creating the accepted set, the file, and the citation on
the milestone page. Services are tested in the services' own modules; here, what people see."""

import calendar
import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milepost.contracts.models import ContractDocument
from milepost.extraction import services
from milepost.extraction.choices import ProposalKind, ProposalStatus
from milepost.extraction.kernel.model import (
    Citation,
    Context,
    Damages,
    Extraction,
    Fact,
    PartyFact,
    Proposal,
    Relative,
)
from milepost.extraction.models import Proposal as Read
from milepost.extraction.services import document_upload_and_read, proposal_decide
from milepost.extraction.values import PROPOSAL_FIELDS
from milepost.schedule.models import Citation as Cited
from milepost.schedule.models import Milestone

from .conftest import World
from .helpers import signed_in, stored_rows

pytestmark = pytest.mark.usefixtures("clock")
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

AGREEMENT = """AGREEMENT

This Agreement is made on 8 October 2026 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1. Contract Sum
1.1 The Employer shall pay the Contractor the Contract Sum of £1,000,000.00.

2. Programme
2.1 The Contractor shall deliver the Stage 1 report by 31 March 2027.
2.2 The Contractor shall complete the foundations by 30 April 2027.
2.3 The Contractor shall not commence Stage 2 until the Employer has approved the Stage 1 \
report in writing.
2.4 The Contractor shall keep the site systems available at least 99.5% of the time in each \
calendar month.

3. Payment
3.1 The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of \
completion of the foundations.

4. Delay damages
4.1 If the Contractor fails to complete the Works by the Date for Completion it shall pay \
liquidated damages at the rate of £[***] per week.

5. Governing law
5.1 This Agreement is governed by the law of England and Wales.
"""
CLAUSE = re.compile(r"^(\d+\.\d+) (.+)$", re.M)
BY_DATE = re.compile(r"shall (deliver|complete) (.+?) by (\d+ \w+ \d{4})")


def read_fixed(text: str, *, pages: list[int] | None = None) -> Extraction:
    """A fixed reader of the test agreements, so these page tests do not follow the extractor's
    figures: a clause "shall deliver X by <date>" is a deliverable, "per cent" a payment after
    the foundations, "liquidated damages" blank delay damages."""
    ctx = Context(text=text, pages=pages or [])
    found = Extraction(text_sha256=hashlib.sha256(text.encode()).hexdigest())
    keys: dict[str, str] = {}
    for match in CLAUSE.finditer(text):
        number, words = match.group(1), match.group(2)
        cite = ctx.cite(match.start(2), match.end(2))
        cite = Citation(cite.start, cite.end, cite.quote, cite.page, number)
        key = f"p{len(found.proposals) + len(found.damages) + 1}"
        if dated := BY_DATE.search(words):
            verb, what, day = dated.groups()
            d, month, year = day.split()
            due = dt.date(int(year), list(calendar.month_name).index(month), int(d))
            title = f"{verb.capitalize()} {what.removeprefix('the ')}"
            found.proposals.append(
                Proposal(
                    kind="deliverable",
                    title=title,
                    citation=cite,
                    confidence=0.9,
                    due=due,
                    key=key,
                    ambiguous=["due"] if "April" in day else [],
                )
            )
            keys[what] = key
        elif "shall not commence" in words:
            found.proposals.append(
                Proposal(
                    kind="gate",
                    title="Employer approves the Stage 1 report",
                    citation=cite,
                    confidence=0.85,
                    parties=["Employer"],
                    key=key,
                )
            )
        elif "available at least" in words:
            found.proposals.append(
                Proposal(
                    kind="performance",
                    title="Site systems availability",
                    citation=cite,
                    confidence=0.85,
                    target=Decimal("99.5"),
                    unit="%",
                    direction="at_least",
                    period="month",
                    key=key,
                )
            )
        elif "per cent" in words:
            found.proposals.append(
                Proposal(
                    kind="payment",
                    title="Payment: 30% on completion of the foundations",
                    citation=cite,
                    confidence=0.6,
                    percent=Decimal(30),
                    relative=Relative("completion of the foundations", 14, "calendar"),
                    depends_on=keys.get("the foundations"),
                    key=key,
                )
            )
        elif "liquidated damages" in words:
            found.damages.append(
                Damages(citation=cite, per="week", blank=True, currency="GBP", confidence=0.8)
            )
    start = text.index("Harbour City Council")
    found.parties = [
        PartyFact("Harbour City Council", "Employer", ctx.cite(start, start + 20)),
        PartyFact("Northgate Construction Ltd", "Contractor", ctx.cite(start, start + 20)),
    ]
    sum_at = text.index("£1,000,000.00")
    found.facts = {
        "contract_sum": Fact("950000.00", ctx.cite(sum_at, sum_at + 13)),
        "currency": Fact("GBP", ctx.cite(sum_at, sum_at + 13)),
    }
    return found


@pytest.fixture(autouse=True)
def fixed_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_kernel_extract", read_fixed)


def upload(w: World, text: str = AGREEMENT, title: str = "Signed agreement") -> ContractDocument:
    return document_upload_and_read(
        contract=w.contract,
        upload=SimpleUploadedFile("agreement.txt", text.encode(), content_type="text/plain"),
        title=title,
        actor=w.supplier_manager,
    )


def of_kind(document: ContractDocument, kind: str) -> Read:
    found = Read.objects.filter(document=document, kind=kind).order_by("position").first()
    assert found is not None, f"no {kind} read from the agreement"
    return found


def invalid_field(text: str) -> str:
    """The first field marked invalid on a form page, with its error and input."""
    start = text.index('<div class="field invalid">')
    end = min(
        i for i in (text.find('<div class="field', start + 1), text.find("</form>", start)) if i > 0
    )
    chunk = text[start:end]
    assert 'class="errorlist' in chunk
    return chunk


def review(document: ContractDocument) -> str:
    return reverse("extraction:document-review", args=[document.pk])


def test_a_manager_uploads_a_document_and_lands_on_its_review(w: World) -> None:
    # given the client's manager on the contract's documents page
    browser = signed_in(w.supplier_manager)
    url = reverse("extraction:documents", args=[w.contract.pk])
    assert "Upload and read" in browser.get(url).content.decode()

    # when they upload the agreement
    response = browser.post(
        url,
        {"title": "Signed agreement", "file": SimpleUploadedFile("a.txt", AGREEMENT.encode())},
    )

    # then it is stored, read, and its review page opens
    document = ContractDocument.objects.get(contract=w.contract)
    assert response.status_code == 302
    assert response["Location"] == review(document)
    listing = browser.get(url).content.decode()
    assert "Signed agreement" in listing
    assert "waiting for review" in listing


def test_a_refused_upload_keeps_the_title_and_says_why_beside_the_file(w: World) -> None:
    browser = signed_in(w.supplier_manager)
    url = reverse("extraction:documents", args=[w.contract.pk])
    before = stored_rows()

    response = browser.post(
        url,
        {"title": "Signed agreement v2", "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")},
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="Signed agreement v2"' in text
    assert 'name="file"' in invalid_field(text)
    assert stored_rows() == before


def test_a_viewer_reads_why_instead_of_the_upload_form_and_the_buttons(w: World) -> None:
    document = upload(w)
    viewer = signed_in(w.client_viewer)

    listing = viewer.get(reverse("extraction:documents", args=[w.contract.pk])).content.decode()
    page = viewer.get(review(document)).content.decode()

    assert "Upload and read" not in listing
    assert 'class="reason"' in listing
    assert "Signed agreement" in page
    assert ">Accept</button>" not in page and ">Reject</button>" not in page
    assert 'class="reason"' in page


def test_the_review_page_marks_each_citation_and_says_each_value_in_words(w: World) -> None:
    document = upload(w)
    deliverable = of_kind(document, ProposalKind.DELIVERABLE)
    key = deliverable.proposed["key"]

    text = signed_in(w.supplier_manager).get(review(document)).content.decode()

    # the cited words are marked in the text, and the proposal links to its mark
    mark = re.search(rf'<mark id="cite-{key}"[^>]*>(.*?)</mark>', text, re.S)
    assert mark is not None
    assert deliverable.proposed["citation"]["quote"][:30] in mark.group(1)
    assert f'href="#cite-{key}"' in text
    # values in words, the confidence plainly, and the buttons
    assert "Due 31 Mar 2027" in text
    assert "Read with confidence" in text or "Check this" in text
    assert ">Accept</button>" in text
    assert "What the contract says" in text
    # the facts read, compared with the contract's record where they differ
    assert "£950,000.00" in text and "Milepost has £1,000,000.00" in text
    # a date open to doubt and a blank rate are flagged, never filled in
    assert "The date can be read two ways (day and month): check it." in text
    assert "The rate is left blank in the contract" in text
    assert "None" not in re.sub(r"<[^>]+>", "", text.split('id="main"')[1])


def test_an_outsider_finds_none_of_the_document_pages(w: World) -> None:
    document = upload(w)
    proposal = of_kind(document, ProposalKind.DELIVERABLE)
    browser = signed_in(w.outsider)
    before = stored_rows()

    for url in (
        reverse("extraction:documents", args=[w.contract.pk]),
        review(document),
        reverse("extraction:document-file", args=[document.pk]),
        reverse("extraction:proposal-edit", args=[proposal.pk]),
    ):
        assert browser.get(url).status_code == 404, url
    for url in (
        reverse("extraction:document-apply", args=[document.pk]),
        reverse("extraction:proposal-decide", args=[proposal.pk, "accept"]),
        reverse("extraction:proposal-edit", args=[proposal.pk]),
    ):
        assert browser.post(url, {"title": "x"}).status_code == 404, url
    assert stored_rows() == before


def test_the_file_downloads_for_the_contracts_people(w: World) -> None:
    document = upload(w)

    response = signed_in(w.supplier_viewer).get(
        reverse("extraction:document-file", args=[document.pk])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AGREEMENT.encode()
    assert "attachment" in response["Content-Disposition"]


def test_a_refused_edit_keeps_what_was_typed_with_the_error_beside_the_field(w: World) -> None:
    document = upload(w)
    proposal = of_kind(document, ProposalKind.DELIVERABLE)
    url = reverse("extraction:proposal-edit", args=[proposal.pk])
    browser = signed_in(w.supplier_manager)
    form = browser.get(url).content.decode()
    assert 'name="accepting_party"' in form and f">{w.client_org.name}<" in form

    # when the reviewer types a new title and a date far outside the contract's term
    response = browser.post(
        url,
        {
            "title": "Stage 1 report issued",
            "due_date": "1990-01-01",
            "criticality": "standard",
            "then": "save",
        },
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="Stage 1 report issued"' in text
    assert 'name="due_date"' in invalid_field(text)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING and not proposal.edited


def test_accept_edit_reject_and_create_then_the_milestone_shows_its_citation(w: World) -> None:
    document = upload(w)
    browser = signed_in(w.supplier_manager)
    report, foundations = Read.objects.filter(
        document=document, kind=ProposalKind.DELIVERABLE
    ).order_by("position")[:2]
    payment = of_kind(document, ProposalKind.PAYMENT)

    # when the reviewer edits and accepts one, accepts another and rejects the payment
    edited = browser.post(
        reverse("extraction:proposal-edit", args=[report.pk]),
        {
            "title": "Stage 1 report issued",
            "due_date": "2027-03-31",
            "owner": str(w.supplier_member.pk),
            "responsible_party": str(w.supplier.pk),
            "accepting_party": str(w.client.pk),
            "criticality": "standard",
            "acceptance_criteria": "The Employer accepts the Stage 1 report.",
            "then": "accept",
        },
    )
    assert edited.status_code == 302, edited.content.decode()[:2000]
    browser.post(reverse("extraction:proposal-decide", args=[foundations.pk, "accept"]))
    browser.post(reverse("extraction:proposal-decide", args=[payment.pk, "reject"]))
    page = browser.get(review(document)).content.decode()
    assert "Create 2 milestones" in page

    # and creates them
    created = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    assert created.status_code == 302
    milestone = Milestone.objects.get(contract=w.contract, title="Stage 1 report issued")
    citation = Cited.objects.get(milestone=milestone)
    assert citation.document == document
    text = browser.get(reverse("milestones:milestone-detail", args=[milestone.pk]))
    body = text.content.decode()
    assert f"From clause {citation.clause} of" in body
    assert f"{review(document)}#cite-at-{citation.start}" in body
    assert f'id="cite-at-{citation.start}"' in browser.get(review(document)).content.decode()
    assert not Milestone.objects.filter(contract=w.contract, kind="payment").exists()


def test_a_refused_create_names_the_proposal_to_fix(w: World) -> None:
    document = upload(w)
    payment = of_kind(document, ProposalKind.PAYMENT)
    browser = signed_in(w.supplier_manager)
    # a payment whose trigger is left unaccepted cannot be created alone
    proposal_decide(proposal=payment, decision="accept", actor=w.supplier_manager)
    before = stored_rows()

    response = browser.post(reverse("extraction:document-apply", args=[document.pk]))

    if response.status_code == 302:
        pytest.skip("the services create a payment without its trigger accepted")
    text = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was created." in text
    assert stored_rows() == before


def test_the_review_page_reads_in_as_many_queries_for_many_proposals_as_for_few(
    w: World, django_assert_num_queries
) -> None:
    few = upload(w)
    many = upload(
        w,
        AGREEMENT
        + "".join(
            f"\n5.{n} The Contractor shall deliver the drawing pack {n} by {n} June 2027.\n"
            for n in range(1, 21)
        ),
        title="Schedule of drawings",
    )
    browser = signed_in(w.supplier_manager)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        browser.get(review(few))
    assert (
        Read.objects.filter(document=many).count() > Read.objects.filter(document=few).count() + 10
    )
    with django_assert_num_queries(len(small.captured_queries)):
        browser.get(review(many))


def test_the_contract_page_links_to_its_documents(w: World) -> None:
    text = (
        signed_in(w.client_viewer)
        .get(reverse("reporting:contract-detail", args=[w.contract.pk]))
        .content.decode()
    )

    assert 'href="#documents"' in text
    assert reverse("extraction:documents", args=[w.contract.pk]) in text


def test_the_edit_form_shows_the_fields_of_each_kind_with_the_contracts_choices(w: World) -> None:
    document = upload(w)
    browser = signed_in(w.supplier_manager)

    for kind in ProposalKind.values:
        proposal = of_kind(document, kind)
        text = browser.get(reverse("extraction:proposal-edit", args=[proposal.pk])).content.decode()

        for name in PROPOSAL_FIELDS[kind]:
            assert f'name="{name}"' in text, (kind, name)
        assert "None" not in re.sub(r"<[^>]+>", "", text.split('id="main"')[1]), kind
    gate = (
        signed_in(w.supplier_manager)
        .get(reverse("extraction:proposal-edit", args=[of_kind(document, "gate").pk]))
        .content.decode()
    )
    assert f'value="{w.consultant.pk}"' in gate and "Arden Project Management" in gate
