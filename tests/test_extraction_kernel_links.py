"""The kernel links a proposal to the one its anchor names."""

from milepost.extraction.kernel.links import link
from milepost.extraction.kernel.model import Citation, Proposal, Relative


def _proposal(key, kind, title, anchor=None, trigger=None):
    relative = Relative(anchor, 14, "calendar") if anchor else None
    return Proposal(
        kind, title, Citation(0, 1, "x"), 0.8, relative=relative, trigger=trigger, key=key
    )


def test_anchor_naming_the_foundations_links_to_that_deliverable():
    foundations = _proposal("p1", "deliverable", "Complete the foundations")
    report = _proposal("p2", "deliverable", "Deliver the Stage 1 report")
    payment = _proposal(
        "p3",
        "payment",
        "Payment: 30%",
        anchor="the Engineer certifies completion of the foundations",
    )

    link([foundations, report, payment])

    assert payment.depends_on == "p1"
    assert foundations.depends_on is None


def test_milestone_numbers_link_exactly():
    first = _proposal("p1", "deliverable", "Milestone #1")
    second = _proposal("p2", "deliverable", "Milestone #2")
    payment = _proposal("p3", "payment", "Payment: 20%", trigger="upon completion of Milestone #2")

    link([first, second, payment])

    assert payment.depends_on == "p2"


def test_contract_date_anchors_link_to_nothing():
    plan = _proposal("p1", "deliverable", "Provide the contract programme")
    other = _proposal("p2", "deliverable", "Provide the training plan", anchor="the Contract Date")

    link([plan, other])

    assert other.depends_on is None


def test_common_words_alone_do_not_link():
    report = _proposal("p1", "deliverable", "Submit the report to the Employer")
    payment = _proposal(
        "p2", "payment", "Payment", anchor="receipt by the Employer of a written notice"
    )

    link([report, payment])

    assert payment.depends_on is None


def test_a_bare_receipt_counts_from_the_earlier_delivery_of_the_same_thing():
    design = _proposal("p1", "deliverable", "Deliver the Detailed Design Document")
    other = _proposal("p2", "deliverable", "Deliver the training plan")
    review = _proposal("p3", "deliverable", "Review the Detailed Design Document", anchor="receipt")

    link([design, other, review])

    assert review.depends_on == "p1"
