"""The demo's construction contract carries its signed agreement, already reviewed, so its
milestones quote the clauses they come from; the benchmark's long contract reads like one."""

import collections
import datetime as dt
from decimal import Decimal

import pytest

from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.extraction.choices import ProposalStatus
from milepost.operations.demo import demo_load
from milepost.operations.demo.agreement import (
    agreement_text,
    blocks_text,
    demo_terms,
    long_contract_blocks,
    number_words,
)
from milepost.schedule.models import Citation

CITED = {
    "Site access approved": "traffic management plan",
    "Foundations complete": "complete the foundations",
    "Drainage survey report": "CCTV survey",
    "Structure topped out": "complete the structure",
    "Fit-out stage gate": "fit-out programme",
    "Practical completion": "achieve Practical Completion",
    "Foundation payment (30%)": "thirty per cent (30%) of the Contract Sum within 14 days of the "
    "Engineer certifying completion of the foundations",
    "Structure payment (40%)": "forty per cent (40%)",
    "Completion payment (30%)": "certifying Practical Completion",
}


@pytest.mark.django_db
def test_demo_construction_milestones_cite_the_signed_agreement_without_new_milestones():
    # Given the demo
    demo_load()
    contract = Contract.objects.get(reference="HCC-2026-014")
    # Then the agreement is the contract's document, read and reviewed
    document = contract.documents.get()
    assert document.format == "txt" and "ARTICLES OF AGREEMENT" in document.text
    # And each construction milestone quotes its clause of it, the quote being the text's own
    citations = Citation.objects.filter(milestone__contract=contract).select_related("milestone")
    cited = {c.milestone.title: c for c in citations}
    assert set(cited) == set(CITED)
    for title, words in CITED.items():
        citation = cited[title]
        assert citation.document == document
        assert words in citation.quote, title
        assert document.text[citation.start : citation.end] == citation.quote
        assert citation.clause
    # And nothing was created twice: the nine milestones set up by hand are all there is
    assert contract.milestones.count() == 9
    # And the delay damages clause set the terms of practical completion
    terms = cited["Practical completion"].milestone.damages
    assert (terms.rate, terms.unit, terms.cap_percent) == (Decimal("12000.00"), "week", 10)
    # And the Funder's gate and the monthly reports wait for a person's review
    statuses = collections.Counter(document.proposals.values_list("status", flat=True))
    assert 1 <= statuses[ProposalStatus.PENDING] <= 2
    pending = document.proposals.filter(status=ProposalStatus.PENDING)
    assert any("the Funder have approved" in p.proposed["citation"]["quote"] for p in pending)
    assert statuses[ProposalStatus.APPLIED] == len(CITED) + 1
    assert Event.objects.filter(action="proposal.applied", contract_id=contract.pk).count() == (
        len(CITED) + 1
    )


def test_agreement_states_the_demo_contract_dates_and_money():
    terms = demo_terms(dt.date(2026, 12, 6))
    text = agreement_text(terms)
    assert "THIS AGREEMENT is made on 25 June 2026." in text
    assert "£4,800,000.00 (four million eight hundred thousand pounds)" in text
    assert '"Date for Completion" means 24 June 2027' in text
    assert "ground beams, no later than 22 October 2026" in text  # 45 days before
    assert "at the rate of £12,000.00 per week" in text
    assert "law of England and Wales" in text
    assert number_words(1_250_005) == "one million two hundred and fifty thousand and five"


def test_long_contract_is_about_as_long_as_asked_and_not_one_paragraph_repeated():
    text = blocks_text(long_contract_blocks(60))
    assert 170_000 < len(text) < 210_000
    paragraphs = collections.Counter(text.split("\n\n"))
    assert paragraphs.most_common(1)[0][1] == 1


def test_agreement_as_a_word_document_reads_back_to_its_stages_and_damages():
    from milepost.extraction.documents import read_document
    from milepost.extraction.kernel import extract
    from milepost.operations.demo.agreement import agreement_blocks, blocks_docx

    # Given the demo's agreement written as a Word document
    data = blocks_docx(agreement_blocks(demo_terms(dt.date(2026, 12, 6))))
    # When it is read and extracted
    document = read_document(data, "agreement.docx")
    found = extract(document.text)
    # Then the 30/40/30 stages and the delay damages are read from it
    stages = [p.percent for p in found.proposals if p.kind == "payment" and p.percent]
    assert stages[:3] == [Decimal(30), Decimal(40), Decimal(30)]
    assert [(d.rate, d.per, d.cap_percent) for d in found.damages] == [
        (Decimal("12000.00"), "week", Decimal(10))
    ]
