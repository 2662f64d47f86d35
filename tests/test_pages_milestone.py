"""The milestone page offers only what the person may do, and says why in place of the rest.

Each form is drawn only when its service's own check (``*_refusal``) lets the person through;
otherwise the same sentence the service would refuse with takes its place. Each test shows one
person who may not (the reason, no form) and one who may (the form).
"""

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milepost.approvals.services import gate_create
from milepost.contracts.choices import ContractStatus
from milepost.contracts.services import contract_set_status
from milepost.payments.services import payment_milestone_create, payment_record_invoice
from milepost.performance.services import performance_milestone_create
from milepost.schedule.acceptance import deliverable_accept, deliverable_submit
from milepost.schedule.changes import change_request_submit
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.records import evidence_add

from .conftest import World
from .helpers import signed_in


def page(world: World, user, milestone: Milestone) -> str:
    response = signed_in(user).get(reverse("milestones:milestone-detail", args=[milestone.pk]))
    assert response.status_code == 200
    return response.content.decode()


def form_to(name: str, milestone: Milestone) -> str:
    return f'action="{reverse(name, args=[milestone.pk])}"'


def gate(world: World, *, after: Milestone | None = None, parties=None) -> Milestone:
    milestone = gate_create(
        contract=world.contract,
        title="Fit-out stage gate",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=40),
        required_parties=parties or [world.client],
        acceptance_criteria="Envelope weathertight.",
        actor=world.client_manager,
    )
    if after is not None:
        dependency_add(predecessor=after, successor=milestone, actor=world.client_manager)
    return milestone


def payment(world: World, trigger: Milestone) -> Milestone:
    return payment_milestone_create(
        contract=world.contract,
        title="Structure payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=40),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        percentage="40",
        actor=world.client_manager,
    )


def test_the_give_up_form_is_only_for_the_party_owed_the_milestone(world: World) -> None:
    # given a deliverable the supplier owes the client
    milestone = world.deliverable()

    # when the supplier's manager and the client's manager open it
    supplier = page(world, world.supplier_manager, milestone)
    client = page(world, world.client_manager, milestone)

    # then the supplier may only start it, and the client may give it up
    assert '<option value="waived">' not in supplier
    assert '<option value="in_progress">' in supplier
    assert '<option value="waived">' in client and '<option value="cancelled">' in client


def test_the_give_up_form_reads_why_for_someone_who_may_set_no_status(world: World) -> None:
    milestone = world.deliverable()
    status = form_to("milestones:milestone-status", milestone)

    member = page(world, world.client_member, milestone)
    manager = page(world, world.client_manager, milestone)

    assert status not in member
    assert "Only a manager of Harbour City Council, who would give it up" in member
    assert status in manager


def test_approve_waits_for_the_gates_predecessor_and_reject_stays(world: World) -> None:
    # given a gate after a structure milestone that is not met
    structure = world.deliverable("Structure topped out")
    fit_out = gate(world, after=structure)

    # when the client's manager opens the gate
    text = page(world, world.client_manager, fit_out)

    # then Approve is replaced by why, and Reject is still offered
    assert "Waiting for &#x27;Structure topped out&#x27; to be met" in text
    assert 'name="decision" value="approve"' not in text
    assert 'name="decision" value="reject"' in text


def test_approve_is_offered_once_the_predecessor_is_met(world: World) -> None:
    structure = world.deliverable("Structure topped out")
    fit_out = gate(world, after=structure)
    deliverable_accept(milestone=structure, actor=world.client_manager)

    text = page(world, world.client_manager, fit_out)

    assert 'name="decision" value="approve"' in text
    assert "to be met" not in text


def test_a_gate_says_who_decides_to_someone_who_does_not(world: World) -> None:
    fit_out = gate(world)
    decision = form_to("approvals:gate-decision", fit_out)

    supplier = page(world, world.supplier_manager, fit_out)
    client = page(world, world.client_manager, fit_out)

    assert decision not in supplier
    assert "Only a manager or admin of Harbour City Council may decide for it." in supplier
    assert decision in client


def test_the_invoice_form_waits_for_its_trigger(world: World) -> None:
    # given a payment whose trigger is not met
    trigger = world.deliverable("Structure topped out")
    stage = payment(world, trigger)
    invoice = form_to("payments:payment-invoice", stage)

    # when the payee's manager opens it, before and after the trigger is accepted
    before = page(world, world.supplier_manager, stage)
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    after = page(world, world.supplier_manager, stage)

    # then the form comes only once the trigger is met; until then the page says so
    assert invoice not in before
    assert "Waiting for &#x27;Structure topped out&#x27; to be met" in before
    assert invoice in after


def test_the_payment_form_is_for_the_parties_managers(world: World) -> None:
    trigger = world.deliverable("Structure topped out")
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    stage = payment(world, trigger)
    payment_record_invoice(
        milestone=stage, invoiced_on=world.today, amount="400000", actor=world.supplier_manager
    )
    paid = form_to("payments:payment-paid", stage)

    member = page(world, world.client_member, stage)
    manager = page(world, world.client_manager, stage)

    assert paid not in member
    assert "Only a manager of Harbour City Council or Northgate Construction may record this." in (
        member
    )
    assert paid in manager


def test_the_acceptance_form_is_for_the_receiving_party(world: World) -> None:
    milestone = world.deliverable()
    acceptance = form_to("milestones:milestone-acceptance", milestone)

    supplier = page(world, world.supplier_manager, milestone)
    client = page(world, world.client_manager, milestone)

    assert acceptance not in supplier
    assert "Only a manager of" in supplier and "the receiving party" in supplier
    assert acceptance in client


def test_accept_waits_for_a_predecessor_but_send_back_stays(world: World) -> None:
    first = world.deliverable("Drainage survey")
    second = world.deliverable("Drainage report")
    dependency_add(predecessor=first, successor=second, actor=world.client_manager)

    text = page(world, world.client_manager, second)

    assert 'name="outcome" value="accept"' not in text
    assert 'name="outcome" value="reject"' in text
    assert "Waiting for &#x27;Drainage survey&#x27; to be met" in text


def test_submit_for_acceptance_is_for_the_supplier(world: World) -> None:
    milestone = world.deliverable()
    submission = form_to("milestones:milestone-submission", milestone)

    client = page(world, world.client_manager, milestone)
    owner = page(world, world.supplier_member, milestone)

    assert submission not in client
    assert "can submit this deliverable for acceptance" in client
    assert submission in owner


def test_a_submission_shows_to_the_receiving_party_next_to_accept(world: World) -> None:
    # given a deliverable the owner submitted with a file
    milestone = world.deliverable()
    evidence = evidence_add(
        milestone=milestone,
        upload=SimpleUploadedFile("as-built.pdf", b"%PDF-1.4", "application/pdf"),
        actor=world.supplier_member,
    )
    deliverable_submit(
        milestone=milestone,
        note="As-built drawings issued.",
        evidence=[evidence.pk],
        actor=world.supplier_member,
    )

    # when the client's manager and the owner open it
    client = page(world, world.client_manager, milestone)
    owner = page(world, world.supplier_member, milestone)

    # then the client reads the note and file above the decision; the owner reads that it waits
    assert "Waiting for Harbour City Council to decide" in client
    assert "As-built drawings issued." in client
    assert client.index("As-built drawings issued.") < client.index('value="accept"')
    assert form_to("milestones:milestone-submission", milestone) not in owner
    assert "waiting for Harbour City Council to decide" in owner


def test_submitting_on_the_web_asks_and_a_refused_one_keeps_the_note(world: World) -> None:
    milestone = world.deliverable()
    url = reverse("milestones:milestone-submission", args=[milestone.pk])

    refused = signed_in(world.client_manager).post(url, {"note": "Handed over, see DWG."})
    done = signed_in(world.supplier_member).post(url, {"note": "Handed over."}, follow=True)

    assert refused.status_code == 422
    assert 'rows="3" required>Handed over, see DWG.</textarea>' in refused.content.decode()
    assert "Submitted for acceptance" in done.content.decode()


def test_the_update_form_is_for_the_owner_and_managers(world: World) -> None:
    milestone = world.deliverable()
    update = form_to("milestones:milestone-update", milestone)

    member = page(world, world.client_member, milestone)
    owner = page(world, world.supplier_member, milestone)

    assert update not in member
    assert "who owns this milestone, or a manager can post an update" in member
    assert update in owner


def test_viewers_read_why_they_cannot_comment_or_attach(world: World) -> None:
    milestone = world.deliverable()

    viewer = page(world, world.client_viewer, milestone)
    member = page(world, world.client_member, milestone)

    assert form_to("milestones:milestone-comment", milestone) not in viewer
    assert form_to("milestones:milestone-evidence", milestone) not in viewer
    assert "Viewers and observers cannot change this contract." in viewer
    assert form_to("milestones:milestone-comment", milestone) in member
    assert form_to("milestones:milestone-evidence", milestone) in member


def test_the_measurement_form_is_for_the_responsible_party(world: World) -> None:
    target = performance_milestone_create(
        contract=world.contract,
        title="Availability",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + dt.timedelta(days=90),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="month",
        measurement_start=world.today.replace(day=1),
        actor=world.supplier_manager,
    )
    measurement = form_to("performance:measurement", target)

    client = page(world, world.client_member, target)
    owner = page(world, world.supplier_member, target)

    assert measurement not in client
    assert "Only the owner, the responsible party or a manager may record measurements." in client
    assert measurement in owner


def test_a_suspended_contract_offers_no_decision_and_says_why(world: World) -> None:
    milestone = world.deliverable()
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )

    text = page(world, world.client_manager, milestone)

    assert form_to("milestones:milestone-acceptance", milestone) not in text
    assert "The contract is suspended" in text


def test_what_you_can_do_comes_first_with_anchored_sections(world: World) -> None:
    milestone = world.deliverable()

    text = page(world, world.supplier_member, milestone)

    nav = re.search(r'<nav class="page-nav" aria-label="On this page">(.*?)</nav>', text, re.S)
    assert nav is not None
    for anchor in ("#summary", "#act", "#updates", "#schedule", "#evidence", "#history"):
        assert f'href="{anchor}"' in nav.group(1)
        assert f'id="{anchor[1:]}"' in text
    assert text.index("What you can do now") < text.index("Acceptance criteria")
    assert text.index("What you can do now") < text.index('id="history"')


def test_the_milestone_page_reads_in_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    milestone = world.deliverable()
    client = signed_in(world.client_manager)
    # 28, plus one for the delay damages panel (the milestone's damages terms, if any), and one
    # for the contract's words it was read from (its citation, if any).
    with django_assert_max_num_queries(30):
        client.get(reverse("milestones:milestone-detail", args=[milestone.pk]))


def test_a_change_request_tells_its_proposer_who_decides(world: World) -> None:
    # given the supplier asks to move its deliverable
    milestone = world.deliverable()
    change = change_request_submit(
        milestone=milestone,
        new_due_date=world.today + dt.timedelta(days=45),
        reason="Crane breakdown",
        actor=world.supplier_manager,
    )
    url = reverse("change-request-detail", args=[change.pk])

    # when the proposer and the client's manager open it
    proposer = signed_in(world.supplier_manager).get(url).content.decode()
    client = signed_in(world.client_manager).get(url).content.decode()

    # then the proposer reads who decides (and may withdraw), the client gets Approve
    assert 'name="approve"' not in proposer
    assert "Only a manager of the counterparty (Harbour City Council, Arden" in proposer
    assert 'name="withdraw"' in proposer
    assert 'name="approve"' in client


def test_links_are_offered_to_managers_and_the_rest_read_why(world: World) -> None:
    milestone = world.deliverable()
    url = reverse("milestone-dependencies", args=[milestone.pk])

    member = signed_in(world.client_member).get(url).content.decode()
    manager = signed_in(world.client_manager).get(url).content.decode()

    assert "Add link" not in member
    assert "Only a manager or admin of a party to this contract may do this." in member
    assert "Add link" in manager


def test_propose_a_change_is_offered_once_and_to_managers(world: World) -> None:
    # given a critical deliverable, which moves only by a change request
    milestone = world.deliverable(criticality="critical")
    new = f'href="{reverse("change-request-new", args=[milestone.pk])}"'

    member = page(world, world.client_member, milestone)
    manager = page(world, world.supplier_manager, milestone)
    change_request_submit(
        milestone=milestone,
        new_due_date=world.today + dt.timedelta(days=45),
        reason="Crane breakdown",
        actor=world.supplier_manager,
    )
    waiting = page(world, world.supplier_manager, milestone)

    assert new not in member
    assert "Only a manager or admin of a party to this contract may do this." in member
    assert new in manager
    assert new not in waiting
    assert "A change request for this milestone is already waiting for a decision." in waiting
