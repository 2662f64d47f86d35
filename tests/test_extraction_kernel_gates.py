"""The kernel proposes gates where a stage may not start before named parties approve."""

from milepost.extraction.kernel.gates import find_gates
from milepost.extraction.kernel.model import Context
from milepost.extraction.kernel.segment import segment


def _read(text):
    ctx = Context(text=text)
    return [p for clause in segment(text) for p in find_gates(clause, ctx)]


def test_not_commence_until_two_parties_approve_in_writing():
    text = (
        "The Contractor shall not commence Stage 2 until the Client and the Funder have approved "
        "the Stage 1 report in writing."
    )

    (gate,) = _read(text)

    assert gate.kind == "gate"
    assert gate.parties == ["Client", "Funder"]
    assert gate.title == "Client and Funder approve the Stage 1 report"
    assert gate.citation.quote == text


def test_may_not_proceed_until_sign_off():
    (gate,) = _read(
        "The Supplier may not proceed to the build phase until the Customer has given sign-off of the design."
    )

    assert gate.parties == ["Customer"]
    assert gate.title == "Customer approves the design"


def test_no_work_shall_begin_until_approved():
    (gate,) = _read(
        "No work on Phase 3 shall begin until the Employer has approved the Phase 2 deliverables."
    )

    assert gate.parties == ["Employer"]
    assert gate.title == "Employer approves the Phase 2 deliverables"


def test_subject_to_written_approval_of_works():
    (gate,) = _read(
        "Construction of the superstructure is subject to the written approval of the Employer."
    )

    assert gate.parties == ["Employer"]
    assert gate.title == "Employer approves construction of the superstructure"
    assert gate.confidence < 0.8


def test_confidentiality_consent_is_not_a_gate():
    text = "The Receiving Party shall not disclose Confidential Information without the prior written consent of the Disclosing Party."

    assert _read(text) == []


def test_approval_without_a_stage_is_not_a_gate():
    assert _read("Any assignment is subject to the written approval of the Client.") == []


def test_other_ways_of_holding_a_stage_for_an_approval():
    gates = _read(
        "Stage 2 shall only commence once the Client has approved the Stage 1 report in writing.\n\n"
        "Before starting Phase 2, the Supplier must obtain the Customer's written approval of the Phase 1 deliverables.\n\n"
        "The Funder's approval of the Stage 1 report is a condition precedent to the start of Stage 2.\n"
    )

    assert [(g.title, g.parties) for g in gates] == [
        ("Client approves the Stage 1 report", ["Client"]),
        ("Customer approves the Phase 1 deliverables", ["Customer"]),
        ("Funder approves the Stage 1 report", ["Funder"]),
    ]


def test_consent_to_assign_is_not_a_gate():
    assert (
        _read("Neither party shall assign this Agreement without the consent of the other party.")
        == []
    )


def test_a_notice_to_proceed_is_an_approval():
    (gate,) = _read(
        "The Consultant may not proceed with the detailed design until the Client has given written notice to proceed."
    )

    assert gate.parties == ["Client"]
    assert gate.title == "Client approves the start of the detailed design"
