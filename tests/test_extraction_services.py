"""Reading a contract document into proposals, reviewing them, and creating the accepted set.

These tests read with a hand-built extraction (the kernel's own data model) so that each rule
is tested on known proposals; ``test_the_real_extractor_reads_an_agreement_into_proposals``
runs the real kernel on a short agreement.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from milepost.audit.models import Event
from milepost.audit.sentences import event_sentence
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import ContractDocument
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden, NotFound
from milepost.extraction.apply import ProposalsRefused
from milepost.extraction.choices import ProposalStatus
from milepost.extraction.models import Proposal as StoredProposal
from milepost.extraction.selectors import document_get_for_user, proposal_get_for_user
from milepost.extraction.services import (
    document_upload_and_read,
    proposal_decide,
    proposal_edit,
    proposal_match,
    proposals_apply,
)
from milepost.finance.models import DamagesTerms
from milepost.interchange.models import ImportBatch
from milepost.schedule.models import Citation as MilestoneCitation
from milepost.schedule.models import Dependency, Milestone
from tests.extraction_helpers import AGREEMENT, SIGNED_AGREEMENT, hand_built
from tests.helpers import refused

START = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")


def upload(w, *, actor=None, name="agreement.txt", data=None, title="Signed agreement"):
    return document_upload_and_read(
        contract=w.contract,
        upload=SimpleUploadedFile(name, AGREEMENT.encode() if data is None else data),
        title=title,
        actor=actor or w.client_manager,
        extract=hand_built,
    )


def by_key(document: ContractDocument) -> dict[str, StoredProposal]:
    return {p.proposed.get("key") or "damages": p for p in document.proposals.all()}


def ready_to_apply(w, document: ContractDocument, keys=("p1", "p2", "p3")) -> None:
    """Accept ``keys``, giving the supplier's deliverables an owner at the supplier."""
    proposals = by_key(document)
    for key in keys:
        proposal = proposals[key]
        values = {}
        if proposal.kind != "payment" and proposal.values.get("owner") is None:
            values["owner"] = w.supplier_member.pk
        proposal_decide(proposal=proposal, decision="accept", actor=w.client_manager, values=values)


def sentence(event: Event) -> str:
    return event_sentence(event)


# --- reading ------------------------------------------------------------------------------------


def test_uploading_keeps_the_document_and_proposes_what_it_says(w):
    # Given the signed agreement as a text file
    # When the client's manager uploads it
    document = upload(w)

    # Then the document keeps the file and its text, and one proposal per thing read, in order
    assert document.file.read() == AGREEMENT.encode()
    assert document.text == AGREEMENT.strip("\n") or document.text == AGREEMENT
    assert document.format == "txt" and document.title == "Signed agreement"
    proposals = list(document.proposals.order_by("position"))
    assert [p.kind for p in proposals] == [
        "deliverable",
        "deliverable",
        "payment",
        "deliverable",
        "gate",
        "damages",
    ]
    assert all(p.status == ProposalStatus.PENDING for p in proposals)
    assert document.reading.extractor_version


def test_a_proposal_starts_from_what_was_read_and_the_contract(w):
    # When the agreement is read
    proposals = by_key(upload(w))

    # Then the payment pays 30% of the contract value once the foundations are complete,
    # due 14 days after them, from the client to the supplier, owned by the reviewer
    payment = proposals["p3"].values
    assert payment["percentage"] == "30" and payment["amount"] is None
    assert payment["trigger"] == "p2"
    assert payment["due_date"] == "2027-07-14"
    assert (payment["payer"], payment["payee"]) == (w.client.pk, w.supplier.pk)
    assert payment["owner"] == w.client_manager.pk
    # and the deliverables are the supplier's, accepted by the client
    stage1 = proposals["p1"].values
    assert (stage1["responsible_party"], stage1["accepting_party"]) == (w.supplier.pk, w.client.pk)
    assert stage1["acceptance_criteria"].startswith("The Contractor shall deliver")
    # and the damages run on the foundations, payable by the supplier to the client
    damages = proposals["damages"].values
    assert damages["milestone"] == "p2" and damages["rate"] == "2500" and damages["per"] == "week"


def test_uploading_records_the_document_added_in_a_sentence(w):
    # When the document is uploaded
    document = upload(w)

    # Then the history says who added which document
    event = Event.objects.get(action="document.added", object_id=document.pk)
    assert sentence(event) == (
        "Cora added the contract document “Signed agreement” (text file) to HCC-2026-001."
    )


def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(w):
    # When a spreadsheet is uploaded as the contract, then it is refused naming the file
    with refused("unsupported_format", "file"):
        upload(w, name="stages.xlsx", data=b"PK\x03\x04 not a contract")


def test_a_member_who_is_not_a_manager_cannot_upload(w):
    # When the supplier's member uploads, then they are refused and nothing is written
    with refused("forbidden", error=Forbidden):
        upload(w, actor=w.supplier_member)


def test_nothing_is_uploaded_to_a_closed_contract(w):
    # Given a completed contract
    contract_set_status(
        contract=w.contract, status=ContractStatus.COMPLETED, actor=w.client_manager
    )

    # When its manager uploads, then it is refused naming the contract
    with refused("contract_closed", "contract"):
        upload(w)


def test_an_outsider_does_not_find_the_document_or_its_proposals(w):
    # Given a document read on the contract
    document = upload(w)

    # When someone of no party asks for it or one of its proposals, then neither is found
    with pytest.raises(NotFound):
        document_get_for_user(user=w.outsider, pk=document.pk)
    with pytest.raises(NotFound):
        proposal_get_for_user(user=w.outsider, pk=document.proposals.first().pk)
    # while a viewer of a party finds it
    assert document_get_for_user(user=w.supplier_viewer, pk=document.pk) == document


# --- reviewing ----------------------------------------------------------------------------------


def test_accepting_a_proposal_records_it_quoting_the_contract(w):
    # Given the payment proposal
    payment = by_key(upload(w))["p3"]

    # When the client's manager accepts it
    proposal_decide(proposal=payment, decision="accept", actor=w.client_manager)

    # Then it is accepted, by them, and the history quotes the clause it came from
    payment.refresh_from_db()
    assert payment.status == ProposalStatus.ACCEPTED and payment.decided_by == w.client_manager
    event = Event.objects.get(action="proposal.accepted")
    assert sentence(event) == (
        "Cora accepted the proposal “Payment: 30% on completion of the foundations” from "
        "clause 2.1: “The Employer shall pay thirty per cent (30%) of the Contract Sum within "
        "14 days of the Engineer certifying completion of the foundations”."
    )


def test_a_viewer_cannot_review(w):
    # Given a proposal
    proposal = by_key(upload(w))["p1"]

    # When a viewer of the supplier accepts it, then they are refused
    with refused("forbidden", error=Forbidden):
        proposal_decide(proposal=proposal, decision="accept", actor=w.supplier_viewer)


def test_editing_keeps_what_was_read_and_records_what_changed(w):
    # Given the Stage 1 report proposal
    proposal = by_key(upload(w))["p1"]

    # When the reviewer moves its date and names its owner
    proposal_edit(
        proposal=proposal,
        values={"due_date": "2027-04-07", "owner": w.supplier_member.pk},
        actor=w.client_manager,
    )

    # Then the values change, what was read does not, and the history says what changed
    proposal.refresh_from_db()
    assert proposal.values["due_date"] == "2027-04-07" and proposal.edited
    assert proposal.proposed["due"] == "2027-03-31"
    event = Event.objects.get(action="proposal.edited")
    assert sentence(event) == (
        "Cora changed the proposal “Deliver the Stage 1 report” (clause 1.1): the due date "
        "from 31 Mar 2027 to 7 Apr 2027 and the owner from nobody to sid."
    )


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"due_date": "2027-02-30"}, "invalid_date", "due_date"),
        ({"title": "  "}, "required", "title"),
        ({"title": "x" * 201}, "too_long", "title"),
        ({"amount": "-5"}, "number_out_of_range", "amount"),
        ({"percentage": "130"}, "invalid_percentage", "percentage"),
        ({"owner": 999999}, "owner_not_member", "owner"),
        ({"payer": 999999}, "not_a_party", "payer"),
        ({"trigger": "p3"}, "self_link", "trigger"),
        ({"trigger": "p99"}, "unknown_link", "trigger"),
        ({"kpi_name": "Availability"}, "unknown_field", "kpi_name"),
    ],
)
def test_an_edit_is_checked_field_by_field(w, values, code, field):
    # Given the payment proposal
    payment = by_key(upload(w))["p3"]

    # When the reviewer gives a bad value, then it is refused naming the field
    with refused(code, field):
        proposal_edit(proposal=payment, values=values, actor=w.client_manager)


def test_an_amount_given_replaces_the_percentage(w):
    # Given the payment proposal, read as a percentage
    payment = by_key(upload(w))["p3"]

    # When the reviewer gives an amount instead
    proposal_edit(proposal=payment, values={"amount": "300000"}, actor=w.client_manager)

    # Then the amount replaces the percentage
    payment.refresh_from_db()
    assert (payment.values["amount"], payment.values["percentage"]) == ("300000", None)


def test_a_rejected_proposal_is_reopened_for_review(w):
    # Given a rejected proposal
    proposal = by_key(upload(w))["p5"]
    proposal_decide(proposal=proposal, decision="reject", actor=w.client_manager)

    # When it is reopened
    proposal_decide(proposal=proposal, decision="reopen", actor=w.client_manager)

    # Then it waits for review again, and both decisions are in the history
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING and proposal.decided_by is None
    rejected = Event.objects.get(action="proposal.rejected")
    assert sentence(rejected).startswith(
        "Cora rejected the proposal “Employer approves the Stage 1 report” from clause 4.1"
    )
    assert Event.objects.filter(action="proposal.reopened").count() == 1


def test_a_rejected_proposal_cannot_be_edited(w):
    proposal = by_key(upload(w))["p5"]
    proposal_decide(proposal=proposal, decision="reject", actor=w.client_manager)

    with refused("proposal_closed", "status"):
        proposal_edit(proposal=proposal, values={"title": "Gate"}, actor=w.client_manager)


# --- creating -----------------------------------------------------------------------------------


def test_applying_creates_the_accepted_milestones_with_their_citations(w):
    # Given the Stage 1 report, the foundations and the payment for them, accepted
    document = upload(w)
    ready_to_apply(w, document)

    # When the reviewer creates them
    counts = proposals_apply(document=document, actor=w.client_manager)

    # Then three milestones exist, each citing its clause, the payment triggered by the
    # foundations at 30% of the contract value
    assert counts["milestones_created"] == 3 and counts["proposals_applied"] == 3
    proposals = by_key(document)
    payment = proposals["p3"].milestone
    assert payment.kind == "payment" and payment.reference == f"DOC{document.pk}-3"
    assert payment.payment.percentage == Decimal(30)
    assert payment.payment.trigger == proposals["p2"].milestone
    citation = payment.citation
    assert (citation.document, citation.clause) == (document, "2.1")
    assert document.text[citation.start : citation.end] == citation.quote
    assert all(
        p.status == ProposalStatus.APPLIED for k, p in proposals.items() if k in ("p1", "p2", "p3")
    )
    # through one import of the extraction kind, and one applied event each
    assert ImportBatch.objects.get(kind="extraction").status == "applied"
    applied = Event.objects.filter(action="proposal.applied").order_by("id")
    assert len(applied) == 3
    assert sentence(applied[2]).startswith(
        f"Cora created the milestone “{payment.title}” from clause 2.1 of “Signed agreement”: "
        "“The Employer shall pay"
    )


def test_a_gate_follows_the_proposal_it_depends_on(w):
    # Given the Stage 1 report and the gate approving it, accepted
    document = upload(w)
    ready_to_apply(w, document, keys=("p1", "p5"))

    # When they are created
    proposals_apply(document=document, actor=w.client_manager)

    # Then the gate depends on the report and needs the client's approval
    proposals = by_key(document)
    gate = proposals["p5"].milestone
    assert Dependency.objects.filter(predecessor=proposals["p1"].milestone, successor=gate).exists()
    assert [r.party for r in gate.gate_requirements.all()] == [w.client]


def test_an_error_names_the_proposal_and_nothing_is_created(w):
    # Given the Stage 1 report accepted without an owner
    document = upload(w)
    proposal_decide(proposal=by_key(document)["p1"], decision="accept", actor=w.client_manager)

    # When the reviewer creates it, then it is refused naming the proposal, not a row
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == ["“Deliver the Stage 1 report”, owner: choose the owner"]


def test_a_payment_whose_trigger_is_not_accepted_is_refused_naming_both(w):
    # Given the payment accepted but not the foundations it pays for
    document = upload(w)
    proposal_decide(proposal=by_key(document)["p3"], decision="accept", actor=w.client_manager)

    # When the reviewer creates it, then it is refused naming the foundations
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == [
        "“Payment: 30% on completion of the foundations”, paid when this is met: "
        "“Complete the foundations” is not accepted; accept it too, or choose another"
    ]


def test_nothing_accepted_nothing_created(w):
    document = upload(w)

    with refused("nothing_accepted", "proposals"):
        proposals_apply(document=document, actor=w.client_manager)


def test_a_monthly_report_becomes_one_milestone_a_month_of_the_contract(w):
    # Given the monthly progress report accepted
    document = upload(w)
    ready_to_apply(w, document, keys=("p4",))

    # When it is created
    proposals_apply(document=document, actor=w.client_manager)

    # Then there is one report a month, due on the month's fifth working day, within the
    # contract's dates (16 Nov 2026 to 11 Nov 2027: not November 2026's, on the 6th), each
    # citing the clause
    reports = list(
        Milestone.objects.filter(reference__startswith=f"DOC{document.pk}-4-").order_by("due_date")
    )
    assert len(reports) == 12
    assert reports[0].title == "Monthly progress report — December 2026"
    assert reports[0].due_date == dt.date(2026, 12, 7)
    assert reports[-1].title == "Monthly progress report — November 2027"
    assert MilestoneCitation.objects.filter(milestone__in=reports).count() == 12


def test_delay_damages_are_set_on_the_milestone_chosen(w):
    # Given the foundations and the delay damages on them, accepted
    document = upload(w)
    ready_to_apply(w, document, keys=("p2",))
    proposal_decide(proposal=by_key(document)["damages"], decision="accept", actor=w.client_manager)

    # When they are created
    counts = proposals_apply(document=document, actor=w.client_manager)

    # Then the foundations carry £2,500 a week of delay damages capped at 10%
    foundations = by_key(document)["p2"].milestone
    terms = DamagesTerms.objects.get(milestone=foundations)
    assert (terms.rate, terms.unit, terms.cap_percent) == (Decimal(2500), "week", Decimal(10))
    assert (terms.payer, terms.payee) == (w.supplier, w.client)
    assert counts["damages"] == 1


def test_an_accepted_proposal_is_matched_to_an_existing_milestone(w):
    # Given a foundations milestone typed in before the agreement was read
    foundations = w.deliverable("Foundations complete")
    proposal = by_key(upload(w))["p2"]

    # When the reviewer says the proposal is that milestone
    proposal_match(proposal=proposal, milestone=foundations, actor=w.client_manager)

    # Then the milestone cites the clause, and the proposal is created
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPLIED and proposal.milestone == foundations
    assert foundations.citation.clause == "1.2"


def test_the_real_extractor_reads_an_agreement_into_proposals_that_can_be_created(w):
    # Given the short agreement, read by the real extractor
    document = document_upload_and_read(
        contract=w.contract,
        upload=SimpleUploadedFile("agreement.txt", SIGNED_AGREEMENT.encode()),
        title="Signed agreement",
        actor=w.client_manager,
    )
    proposals = list(document.proposals.order_by("position"))
    payment = next(p for p in proposals if p.kind == "payment")
    foundations = next(p for p in proposals if p.proposed.get("due") == "2027-06-30")
    assert payment.values["trigger"] == foundations.proposed["key"]
    assert payment.values["due_date"] == "2027-07-14"

    # When the foundations and their payment are accepted and created
    proposal_decide(
        proposal=foundations,
        decision="accept",
        actor=w.client_manager,
        values={"owner": w.supplier_member.pk},
    )
    proposal_decide(proposal=payment, decision="accept", actor=w.client_manager)
    proposals_apply(document=document, actor=w.client_manager)

    # Then the payment milestone pays 30% once the foundations are met, citing clause 2.1
    payment.refresh_from_db()
    milestone = payment.milestone
    assert milestone.payment.percentage == Decimal(30)
    assert milestone.citation.clause == "2.1"
    assert milestone.citation.quote.startswith("The Employer shall pay thirty per cent (30%)")


def test_a_reading_that_fails_keeps_neither_the_document_nor_its_file(w, settings):
    # Given an extractor that fails half-way
    def broken(text, *, pages=None):
        extraction = hand_built(text, pages=pages)

        def fail():
            raise RuntimeError("the reading failed half-way")

        object.__setattr__(extraction, "to_json", fail)
        return extraction

    files_before = sorted(p for p in settings.EVIDENCE_ROOT.rglob("*") if p.is_file())

    # When the agreement is uploaded, then nothing is kept: no row, no file
    with pytest.raises(RuntimeError, match="half-way"):
        document_upload_and_read(
            contract=w.contract,
            upload=SimpleUploadedFile("agreement.txt", AGREEMENT.encode()),
            title="Signed agreement",
            actor=w.client_manager,
            extract=broken,
        )
    assert not ContractDocument.objects.exists()
    assert sorted(p for p in settings.EVIDENCE_ROOT.rglob("*") if p.is_file()) == files_before


def test_a_matched_proposal_reads_as_linked_to_its_milestone(w):
    foundations = w.deliverable("Foundations complete")
    proposal = by_key(upload(w))["p2"]

    proposal_match(proposal=proposal, milestone=foundations, actor=w.client_manager)

    event = Event.objects.get(action="proposal.applied")
    assert sentence(event) == (
        "Cora linked the proposal “Complete the foundations” from clause 1.2 of “Signed "
        "agreement” to the milestone "
        "“Foundations complete”: “The Contractor shall complete the foundations by 30 June 2027”."
    )


# --- applying: the edge cases -----------------------------------------------------------------


def _set(proposal: StoredProposal, **values) -> None:
    StoredProposal.objects.filter(pk=proposal.pk).update(values={**proposal.values, **values})


def test_an_edited_due_date_starts_a_recurring_proposal(w):
    # Given the monthly report accepted with its first one due on 3 Mar 2027
    document = upload(w)
    report = by_key(document)["p4"]
    proposal_decide(
        proposal=report,
        decision="accept",
        actor=w.client_manager,
        values={"owner": w.supplier_member.pk, "due_date": "2027-03-03"},
    )

    # When it is created
    proposals_apply(document=document, actor=w.client_manager)

    # Then the reports start on 3 Mar 2027 and follow monthly to the contract's end
    reports = list(
        Milestone.objects.filter(reference__startswith=f"DOC{document.pk}-4-").order_by("due_date")
    )
    assert [r.due_date for r in reports[:3]] == [
        dt.date(2027, 3, 3),
        dt.date(2027, 4, 3),
        dt.date(2027, 5, 3),
    ]
    assert reports[-1].due_date == dt.date(2027, 11, 3)
    # and the proposal names the last one, as links to it do
    report.refresh_from_db()
    assert report.milestone == reports[-1]


def test_a_recurrence_is_checked(w):
    report = by_key(upload(w))["p4"]

    with refused("invalid_recurrence", "recurring"):
        proposal_edit(proposal=report, values={"recurring": "fortnightly"}, actor=w.client_manager)


def test_delay_damages_on_a_milestone_that_is_gone_are_refused_naming_them(w):
    # Given the foundations created, then their milestone deleted, and the damages accepted
    document = upload(w)
    ready_to_apply(w, document, keys=("p2",))
    proposals_apply(document=document, actor=w.client_manager)
    Milestone.objects.filter(pk=by_key(document)["p2"].milestone_id).delete()
    proposal_decide(proposal=by_key(document)["damages"], decision="accept", actor=w.client_manager)

    # When they are created, then they are refused naming the damages and their milestone
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == [
        "the delay damages, damages run on: the milestone created from “Complete the "
        "foundations” no longer exists; choose another"
    ]


def test_a_link_to_an_unknown_proposal_is_refused_naming_the_proposal(w):
    # Given the Stage 1 report accepted, depending on a proposal the document does not have
    document = upload(w)
    ready_to_apply(w, document, keys=("p1",))
    _set(by_key(document)["p1"], depends_on="p42")

    # When it is created, then it is refused naming the report and the field
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == [
        "“Deliver the Stage 1 report”, depends on: choose another proposal or a milestone of "
        "this contract"
    ]


def test_damages_given_as_a_percentage_ask_for_the_rate_with_every_other_error(w):
    # Given the Stage 1 report accepted without an owner, and the damages accepted with the
    # contract's rate given as 0.5% of the value
    document = upload(w)
    proposal_decide(proposal=by_key(document)["p1"], decision="accept", actor=w.client_manager)
    damages = by_key(document)["damages"]
    proposal_decide(proposal=damages, decision="accept", actor=w.client_manager)
    damages.refresh_from_db()
    StoredProposal.objects.filter(pk=damages.pk).update(
        values={**damages.values, "rate": None, "milestone": "p1"},
        proposed={**damages.proposed, "rate_percent": "0.5"},
    )

    # When they are created, then nothing is, and both errors are listed, the rate's naming it
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == [
        "“Deliver the Stage 1 report”, owner: choose the owner",
        "the delay damages, rate: the contract gives the rate as 0.5% of the value; give it as "
        "an amount per day or week",
    ]
    assert not any("_" in error for error in caught.value.errors)


def test_a_blank_damages_rate_is_refused_naming_the_rate(w):
    # Given the foundations and the damages accepted, the contract leaving the rate blank
    document = upload(w)
    ready_to_apply(w, document, keys=("p2",))
    damages = by_key(document)["damages"]
    proposal_decide(proposal=damages, decision="accept", actor=w.client_manager)
    damages.refresh_from_db()
    _set(damages, rate=None)

    # When they are created, then nothing is, naming the rate
    with refused("proposals_have_errors", "proposals", error=ProposalsRefused) as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.errors == [
        "the delay damages, rate: the contract leaves the rate blank; give the rate"
    ]


def test_applying_twice_says_everything_was_created_already(w):
    # Given the accepted set created
    document = upload(w)
    ready_to_apply(w, document)
    proposals_apply(document=document, actor=w.client_manager)
    count = Milestone.objects.count()

    # When it is created again, then it is refused as a conflict and nothing doubles
    with refused("already_applied", "proposals") as caught:
        proposals_apply(document=document, actor=w.client_manager)
    assert caught.value.status == 409
    assert "created already" in caught.value.message
    assert Milestone.objects.count() == count


def test_a_long_file_name_keeps_its_extension(w):
    # When a file with a 250-character name is uploaded
    document = upload(w, name="a" * 250 + ".txt")

    # Then its name is cut to 200 characters but still ends in .txt
    assert len(document.original_name) == 200 and document.original_name.endswith(".txt")


def test_a_file_too_large_is_refused_as_a_contract_document(w, settings):
    settings.MILEPOST_EXTRACTION_MAX_BYTES = 100

    with refused("file_too_large", "file") as caught:
        upload(w, data=AGREEMENT.encode())
    assert "contract document" in caught.value.message and "import" not in caught.value.message


def test_a_blank_title_is_the_file_name(w):
    document = upload(w, name="Signed agreement v2.txt", title="  ")

    assert document.title == "Signed agreement v2"


def test_the_import_reads_as_created_from_the_contract_document(w):
    # Given the foundations and the delay damages on them, accepted
    document = upload(w)
    ready_to_apply(w, document, keys=("p1", "p2"))
    proposal_decide(proposal=by_key(document)["damages"], decision="accept", actor=w.client_manager)

    # When they are created
    proposals_apply(document=document, actor=w.client_manager)

    # Then the history names the document, not a file or a hash
    event = Event.objects.get(action="import.applied")
    assert sentence(event) == (
        "Cora created 2 milestones and delay damages from the contract document “Signed agreement”."
    )


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("99999999999999", None),
        ("100000000000000", "number_out_of_range"),
        ("99.12345", "too_many_decimals"),
    ],
)
def test_a_target_fits_the_measures_digits(w, target, code):
    from milepost.core.errors import DomainError
    from milepost.extraction.values import Setting, check

    setting = Setting.load(w.contract, w.client_manager)

    def run():
        return check(setting, "performance", {"target": target}, keys={}, own_key="p1")

    if code is None:
        assert run()["target"] == target
        return
    with pytest.raises(DomainError) as caught:
        run()
    assert (caught.value.code, caught.value.field) == (code, "target")


def test_a_link_read_to_no_proposal_of_the_document_starts_empty(w):
    from milepost.extraction.values import Setting, defaults

    # Given a proposal read as depending on a key the document does not have
    setting = Setting.load(w.contract, w.client_manager)
    proposed = {"key": "p1", "kind": "deliverable", "title": "Deliver", "depends_on": "p42"}

    # When its values start, then the link is left for the reviewer to choose
    values = defaults(setting, proposed, "deliverable", {}, [proposed])
    assert values["depends_on"] == ""
