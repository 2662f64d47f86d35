"""A supplier submits a deliverable for acceptance: who may, what it needs, one at a time."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden
from milepost.core.text import NOTE_MAX
from milepost.schedule.acceptance import (
    deliverable_accept,
    deliverable_may_decide,
    deliverable_may_submit,
    deliverable_pending_submission,
    deliverable_reject,
    deliverable_submit,
)
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.events import ScheduleEvent
from milepost.schedule.records import evidence_add
from milepost.schedule.services import milestone_create

from .conftest import World
from .helpers import refused, signed_in


def pdf(name: str = "drawings.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 drawings", "application/pdf")


def test_the_owner_submits_with_a_note_and_evidence_and_the_event_says_so(world: World) -> None:
    # given a deliverable with a file attached
    milestone = world.deliverable()
    evidence = evidence_add(milestone=milestone, upload=pdf(), actor=world.supplier_member)

    # when its owner submits it
    deliverable_submit(
        milestone=milestone,
        note="  Drawings issued in PDF and DWG.  ",
        evidence=[evidence.pk, evidence.pk],
        actor=world.supplier_member,
    )

    # then the event carries the note and the evidence ids, and the submission waits
    event = Event.objects.filter(action=ScheduleEvent.DELIVERABLE_SUBMITTED).get()
    assert event.after == {"note": "Drawings issued in PDF and DWG.", "evidence": [evidence.pk]}
    assert (event.object_type, event.object_id) == ("schedule.milestone", milestone.pk)
    assert event.milestone_id == milestone.pk and event.contract_id == world.contract.pk
    assert deliverable_pending_submission(milestone=milestone) == event


def test_a_manager_of_the_supplier_may_submit(world: World) -> None:
    milestone = world.deliverable()

    deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_manager)

    assert deliverable_pending_submission(milestone=milestone) is not None


def test_the_receiving_party_may_not_submit_and_is_told_who_may(world: World) -> None:
    milestone = world.deliverable()

    with refused("not_supplier", error=Forbidden) as caught:
        deliverable_submit(milestone=milestone, note="Handed over.", actor=world.client_manager)

    assert "Only the owner or a member of" in caught.value.message
    assert deliverable_may_submit(milestone=milestone, user=world.client_manager) == (
        caught.value.message
    )


def test_a_viewer_of_the_supplier_may_not_submit(world: World) -> None:
    milestone = world.deliverable()

    with refused("not_supplier", error=Forbidden):
        deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_viewer)


def test_a_submission_needs_a_note(world: World) -> None:
    milestone = world.deliverable()

    with refused("required", "note"):
        deliverable_submit(milestone=milestone, note="   ", actor=world.supplier_member)


def test_a_note_over_the_limit_is_refused(world: World) -> None:
    milestone = world.deliverable()

    with refused("too_long", "note"):
        deliverable_submit(
            milestone=milestone, note="x" * (NOTE_MAX + 1), actor=world.supplier_member
        )


def test_evidence_of_another_milestone_is_refused(world: World) -> None:
    milestone = world.deliverable()
    other = world.deliverable("Drainage complete")
    elsewhere = evidence_add(milestone=other, upload=pdf(), actor=world.supplier_member)

    with refused("evidence_not_on_milestone", "evidence"):
        deliverable_submit(
            milestone=milestone,
            note="Handed over.",
            evidence=[elsewhere.pk],
            actor=world.supplier_member,
        )


def test_only_deliverables_are_submitted(world: World) -> None:
    gate = milestone_create(
        contract=world.contract,
        kind=MilestoneKind.GATE,
        title="Fit-out gate",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=30),
        acceptance_criteria="Programme accepted.",
        actor=world.client_manager,
    )

    with refused("not_a_deliverable", "kind"):
        deliverable_submit(milestone=gate, note="Handed over.", actor=world.client_manager)


def test_a_suspended_contract_takes_no_submission(world: World) -> None:
    milestone = world.deliverable()
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )
    milestone.refresh_from_db()

    with refused("contract_not_active", "status"):
        deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_member)


def test_an_accepted_deliverable_is_not_submitted_again(world: World) -> None:
    milestone = world.deliverable()
    deliverable_accept(milestone=milestone, actor=world.client_manager)

    with refused("milestone_closed", "status"):
        deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_member)


def test_one_submission_waits_at_a_time(world: World) -> None:
    milestone = world.deliverable()
    deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_member)

    with refused("submission_pending", "status") as caught:
        deliverable_submit(milestone=milestone, note="Again.", actor=world.supplier_manager)

    assert "waiting for" in caught.value.message


def test_a_deliverable_sent_back_can_be_submitted_again(world: World) -> None:
    milestone = world.deliverable()
    deliverable_submit(milestone=milestone, note="Handed over.", actor=world.supplier_member)
    deliverable_reject(milestone=milestone, comment="DWG missing.", actor=world.client_manager)
    assert deliverable_pending_submission(milestone=milestone) is None

    deliverable_submit(milestone=milestone, note="DWG added.", actor=world.supplier_member)

    assert deliverable_pending_submission(milestone=milestone).after["note"] == "DWG added."


def test_only_the_receiving_party_may_decide_and_the_check_says_why(world: World) -> None:
    milestone = world.deliverable()

    assert deliverable_may_decide(milestone=milestone, user=world.client_manager) is None
    reason = deliverable_may_decide(milestone=milestone, user=world.supplier_manager)
    with refused("not_receiving_party", error=Forbidden) as caught:
        deliverable_accept(milestone=milestone, actor=world.supplier_manager)
    assert caught.value.message == reason


def test_api_the_supplier_submits_and_the_client_may_not(world: World) -> None:
    milestone = world.deliverable()
    url = f"/api/v1/milestones/{milestone.pk}/submission"

    refused_answer = signed_in(world.client_manager).post(
        url, {"note": "Handed over."}, content_type="application/json"
    )
    answer = signed_in(world.supplier_member).post(
        url, {"note": "Handed over."}, content_type="application/json"
    )

    assert refused_answer.status_code == 403
    assert refused_answer.json()["error"]["code"] == "not_supplier"
    assert answer.status_code == 200, answer.content
    assert deliverable_pending_submission(milestone=milestone) is not None


def test_evidence_ids_out_of_range_or_too_many_are_refused_on_the_field(world: World) -> None:
    milestone = world.deliverable()
    client = signed_in(world.supplier_member)
    url = reverse("milestones:milestone-submission", args=[milestone.pk])

    for evidence in (["99999999999999999999999"], ["0"], ["-3"], [str(n) for n in range(1, 52)]):
        response = client.post(url, {"note": "Drawings handed over", "evidence": evidence})

        page = response.content.decode()
        assert response.status_code == 422, evidence
        assert "Evidence: " in page and "Drawings handed over" in page
    assert deliverable_pending_submission(milestone=milestone) is None
