"""The kernel reads a whole contract: proposals in document order, links, facts, warnings."""

import hashlib

from milepost.extraction.kernel import EXTRACTOR_VERSION, extract

CONTRACT = """BUILDING CONTRACT

THIS AGREEMENT is made on 15 January 2026 between Riverside Homes Limited (the "Employer") and Calder Construction Ltd (the "Contractor").

2. Programme
2.1 The Contractor shall complete the foundations by 30 June 2026.
2.2 The Contractor shall not commence the superstructure until the Employer and the Funder have approved the foundation report in writing.
2.3 The Contractor shall submit a monthly progress report no later than the fifth Working Day of each month.

3. Payment
3.1 The Employer shall pay the Contractor thirty per cent (30%) of the Contract Sum within 14 days of the Engineer certifying completion of the foundations.

4. Law
4.1 This Contract is governed by the law of England and Wales.
"""


def test_a_contract_read_whole():
    extraction = extract(CONTRACT)

    kinds = [(p.key, p.kind) for p in extraction.proposals]
    assert kinds == [
        ("p1", "deliverable"),
        ("p2", "gate"),
        ("p3", "deliverable"),
        ("p4", "payment"),
    ]
    assert extraction.text_sha256 == hashlib.sha256(CONTRACT.encode("utf-8")).hexdigest()
    assert extraction.date_order == "dmy"
    assert [(p.name, p.role) for p in extraction.parties] == [
        ("Riverside Homes Limited", "Employer"),
        ("Calder Construction Ltd", "Contractor"),
    ]
    assert extraction.facts["contract_date"].value == "2026-01-15"
    assert extraction.facts["calendar"].value == "england-and-wales"
    assert EXTRACTOR_VERSION


def test_the_payment_depends_on_the_deliverable_its_anchor_names():
    extraction = extract(CONTRACT)

    payment = extraction.proposals[3]
    assert payment.depends_on == "p1"


def test_every_citation_quotes_the_text_at_its_offsets():
    extraction = extract(CONTRACT)

    for proposal in extraction.proposals:
        cited = proposal.citation
        assert CONTRACT[cited.start : cited.end] == cited.quote
        assert cited.clause


def test_a_sentence_read_as_a_gate_is_not_also_a_deliverable():
    text = "The Contractor shall not commence Stage 2 until the Client has approved the Stage 1 report, which the Contractor shall deliver by 1 May 2027."

    extraction = extract(text)

    assert [p.kind for p in extraction.proposals] == ["gate"]


def test_pages_give_each_citation_its_page():
    text = "Page one words.\n\nThe Contractor shall deliver the survey by 1 May 2027."

    extraction = extract(text, pages=[0, 17])

    assert extraction.proposals[0].citation.page == 2


def test_an_ambiguous_date_is_warned_about():
    extraction = extract("The Supplier shall deliver the Goods by 04/02/2028.")

    assert extraction.proposals[0].ambiguous == ["due"]
    assert any("either way round" in warning for warning in extraction.warnings)


def test_text_with_nothing_to_propose_says_so():
    extraction = extract("This page is intentionally left blank.")

    assert extraction.proposals == []
    assert extraction.warnings


def test_each_defined_period_recurs_as_the_definition_says():
    text = (
        "1.1 The Supplier shall meet the Service Levels in each Service Period (a calendar month).\n"
        "2.1 The Supplier shall provide a Service Level report within 5 Business Days after the end of each Service Period.\n"
    )

    (report,) = extract(text).proposals

    assert report.recurring == "monthly"
