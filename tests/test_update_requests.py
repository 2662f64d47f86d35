"""Update requests: rounds, the signed link, answers as the person asked, schedules, pages."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership
from milepost.accounts.services import membership_set
from milepost.approvals.services import gate_create
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.selectors import contract_access
from milepost.contracts.services import contract_set_status, contract_update
from milepost.core.errors import Forbidden, NotFound
from milepost.milestones.events import UpdateRequestEvent
from milepost.milestones.links import SALT, update_request_for_link, update_request_path
from milepost.milestones.models import RoundScope, UpdateRequest, UpdateRound, UpdateSchedule
from milepost.milestones.updates import (
    update_request_answer,
    update_request_revoke,
    update_round_request,
    update_rounds_due,
    update_schedule_clear,
    update_schedule_set,
)
from milepost.schedule.choices import ChangeStatus, Criticality, MilestoneStatus
from milepost.schedule.models import ChangeRequest, Evidence, StatusUpdate
from milepost.schedule.services import milestone_set_status, milestone_update

from .conftest import World
from .helpers import refused, signed_in

# Friday 4 December 2026, 09:30 in London (and UTC).
START = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)
FRIDAY = 4

pytestmark = pytest.mark.usefixtures("clock")


def _asked(w: World, **overrides: object) -> UpdateRequest:
    """Ask sid, the supplier member, about one deliverable he owns; return his request."""
    milestone = w.deliverable(**overrides)
    round_ = update_round_request(contract=w.contract, milestone=milestone, actor=w.client_manager)
    return round_.requests.get()


def _token(request: UpdateRequest) -> str:
    return update_request_path(request.pk).rstrip("/").rsplit("/", 1)[1]


# Rounds on demand


def test_a_round_asks_the_owner_of_each_open_milestone_once(w: World) -> None:
    first = w.deliverable("Foundation complete")
    second = w.deliverable("Structure topped out", owner=w.supplier_manager)
    done = w.deliverable("Site cleared")
    milestone_set_status(
        milestone=done,
        status=MilestoneStatus.CANCELLED,
        reason="Not needed",
        actor=w.client_manager,
    )

    round_ = update_round_request(contract=w.contract, actor=w.client_manager)

    asked = {(r.milestone_id, r.owner_id) for r in round_.requests.all()}
    assert asked == {(first.pk, w.supplier_member.pk), (second.pk, w.supplier_manager.pk)}
    assert round_.scope == RoundScope.ON_DEMAND and round_.requested_by == w.client_manager
    request = round_.requests.get(milestone=first)
    assert request.expires_at == START + dt.timedelta(days=7)


def test_each_request_sent_is_an_event_for_the_alerts_worker(w: World) -> None:
    request = _asked(w)

    sent = Event.objects.get(action=UpdateRequestEvent.SENT)

    assert (sent.object_type, sent.object_id) == ("milestones.updaterequest", request.pk)
    assert (sent.milestone_id, sent.contract_id) == (request.milestone_id, w.contract.pk)
    assert sent.after == {
        "recipient": w.supplier_member.pk,
        "round": request.round_id,
        "expires_at": request.expires_at.isoformat(),
    }
    assert Event.objects.filter(action=UpdateRequestEvent.ROUND_REQUESTED).count() == 1


def test_the_link_lasts_as_many_days_as_the_setting_says(w: World, settings: object) -> None:
    settings.MILEPOST_UPDATE_LINK_DAYS = 3  # type: ignore[attr-defined]

    request = _asked(w)

    assert request.expires_at == START + dt.timedelta(days=3)


def test_a_member_may_not_ask_for_updates(w: World) -> None:
    w.deliverable()

    with refused("forbidden", error=Forbidden):
        update_round_request(contract=w.contract, actor=w.supplier_member)


def test_an_outsider_does_not_find_the_contract(w: World) -> None:
    w.deliverable()

    with refused("not_found", error=NotFound):
        update_round_request(contract=w.contract, actor=w.outsider)


def test_updates_are_asked_only_while_the_contract_is_active(w: World) -> None:
    w.deliverable()
    contract_set_status(
        contract=w.contract, status=ContractStatus.SUSPENDED, actor=w.client_manager
    )

    with refused("contract_not_active", "contract"):
        update_round_request(contract=w.contract, actor=w.client_manager)


def test_a_contract_without_open_milestones_has_nothing_to_ask(w: World) -> None:
    with refused("nothing_to_ask", "milestone"):
        update_round_request(contract=w.contract, actor=w.client_manager)


def test_a_closed_milestone_is_not_asked_about(w: World) -> None:
    milestone = w.deliverable()
    milestone_set_status(
        milestone=milestone,
        status=MilestoneStatus.CANCELLED,
        reason="Dropped",
        actor=w.client_manager,
    )

    with refused("milestone_closed", "milestone"):
        update_round_request(contract=w.contract, milestone=milestone, actor=w.client_manager)


def test_a_milestone_of_another_contract_is_refused(w: World) -> None:
    other = w.other_contract(active=True)
    milestone = w.deliverable(
        contract=other,
        responsible_party=other.parties.get(role="supplier"),
        accepting_party=other.parties.get(role="client"),
    )

    with refused("milestone_not_on_contract", "milestone"):
        update_round_request(contract=w.contract, milestone=milestone, actor=w.client_manager)


def test_nobody_is_sent_a_link_that_would_not_open(w: World) -> None:
    w.deliverable()
    membership_set(
        user=w.supplier_member, organisation=w.supplier_org, role=Role.VIEWER, actor=None
    )

    with refused("nobody_to_ask", "milestone"):
        update_round_request(contract=w.contract, actor=w.client_manager)


def test_a_new_request_replaces_the_persons_open_one(w: World) -> None:
    old = _asked(w)
    token = _token(old)

    update_round_request(contract=w.contract, milestone=old.milestone, actor=w.client_manager)

    old.refresh_from_db()
    assert old.revoked_at == START
    revoked = Event.objects.get(action=UpdateRequestEvent.REVOKED)
    assert revoked.object_id == old.pk and revoked.after["reason"] == "replaced"
    with pytest.raises(NotFound):
        update_request_for_link(token=token)


def _round_queries(w: World) -> tuple[int, int]:
    """Ask again about every open milestone; return (queries apart from events, events)."""
    before = Event.objects.count()
    with CaptureQueriesContext(connection) as captured:
        update_round_request(contract=w.contract, actor=w.client_manager)
    # Each event appends to the hash chain: it reads the last hash and inserts, in a savepoint.
    chain = ("audit_event", "SAVEPOINT", "pg_advisory_xact_lock")
    own = [q for q in captured.captured_queries if not any(c in q["sql"] for c in chain)]
    return len(own), Event.objects.count() - before


def test_a_round_costs_the_same_queries_over_3_milestones_as_over_12(w: World) -> None:
    people = [w.supplier_member, w.supplier_manager]
    for n in range(3):
        w.deliverable(f"Stage {n}", owner=people[n % 2])
    update_round_request(contract=w.contract, actor=w.client_manager)
    small, small_events = _round_queries(w)
    for n in range(3, 12):
        w.deliverable(f"Stage {n}", owner=people[n % 2])
    update_round_request(contract=w.contract, actor=w.client_manager)

    large, large_events = _round_queries(w)

    assert large == small
    # One event for the round, then one per request replaced and one per request sent.
    assert (small_events, large_events) == (1 + 2 * 3, 1 + 2 * 12)


def test_a_manager_withdraws_a_request(w: World) -> None:
    request = _asked(w)

    update_request_revoke(request=request, actor=w.supplier_manager)

    assert request.revoked_at == START
    with refused("already_revoked", "request"):
        update_request_revoke(request=request, actor=w.supplier_manager)


def test_a_member_may_not_withdraw_a_request(w: World) -> None:
    request = _asked(w)

    with refused("forbidden", error=Forbidden):
        update_request_revoke(request=request, actor=w.client_member)


# Answers


def test_an_answer_is_recorded_as_the_person_asked(w: World) -> None:
    request = _asked(w)

    update_request_answer(
        request=request, actor=w.supplier_member, note="Rebar in, pour Monday.", progress=60
    )

    update = StatusUpdate.objects.get()
    assert (update.author, update.text, update.progress) == (
        w.supplier_member,
        "Rebar in, pour Monday.",
        60,
    )
    request.refresh_from_db()
    assert (request.answers, request.answered_at) == (1, START)
    assert request.milestone.progress == 60
    assert request.milestone.status == MilestoneStatus.IN_PROGRESS
    answered = Event.objects.get(action=UpdateRequestEvent.ANSWERED)
    assert answered.actor == w.supplier_member and answered.object_id == request.pk
    # Every part of the answer is in the trail under the same person.
    assert set(
        Event.objects.filter(milestone_id=request.milestone_id, occurred_at=START)
        .exclude(
            action__in=[
                UpdateRequestEvent.SENT,
                UpdateRequestEvent.ROUND_REQUESTED,
                "milestone.created",
            ]
        )
        .values_list("actor__username", flat=True)
    ) == {"sid"}


def test_the_link_answers_more_than_once_until_it_expires(
    w: World, clock: time_machine.Traveller
) -> None:
    request = _asked(w)
    update_request_answer(request=request, actor=w.supplier_member, note="Started.")
    clock.shift(dt.timedelta(days=2))

    update_request_answer(request=request, actor=w.supplier_member, note="Halfway.", progress=50)

    request.refresh_from_db()
    assert (request.answers, request.answered_at) == (2, START)
    assert request.last_answered_at == START + dt.timedelta(days=2)


def test_an_answer_needs_a_note(w: World) -> None:
    request = _asked(w)

    with refused("required", "note"):
        update_request_answer(request=request, actor=w.supplier_member, note="  ", progress=10)


def test_a_progress_out_of_range_is_refused_on_its_field(w: World) -> None:
    request = _asked(w)

    with refused("invalid_progress", "progress"):
        update_request_answer(request=request, actor=w.supplier_member, note="Going", progress=120)


def test_a_gate_progress_is_not_given_by_hand(w: World) -> None:
    gate = gate_create(
        contract=w.contract,
        title="Design gate",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=w.today + dt.timedelta(days=20),
        required_parties=[w.client],
        acceptance_criteria="Both parties sign off.",
        actor=w.client_manager,
    )
    round_ = update_round_request(contract=w.contract, milestone=gate, actor=w.client_manager)

    with refused("progress_computed", "progress"):
        update_request_answer(
            request=round_.requests.get(), actor=w.supplier_member, note="Going", progress=10
        )


def test_only_the_person_asked_answers(w: World) -> None:
    request = _asked(w)

    with refused("not_found", error=NotFound):
        update_request_answer(request=request, actor=w.supplier_manager, note="I am not sid")


def test_a_member_may_not_move_the_date_and_is_told_why(w: World) -> None:
    request = _asked(w)

    with refused("date_not_movable", "expected_date") as caught:
        update_request_answer(
            request=request,
            actor=w.supplier_member,
            note="Late steel.",
            expected_date=request.milestone.due_date + dt.timedelta(days=7),
        )
    assert "manager" in caught.value.message


def test_a_managers_expected_date_moves_a_standard_milestone_directly(w: World) -> None:
    request = _asked(w, owner=w.supplier_manager)
    new = request.milestone.due_date + dt.timedelta(days=7)

    update_request_answer(
        request=request, actor=w.supplier_manager, note="Late steel.", expected_date=new
    )

    request.milestone.refresh_from_db()
    assert request.milestone.due_date == new
    assert not ChangeRequest.objects.exists()
    assert Event.objects.get(action=UpdateRequestEvent.ANSWERED).after["rescheduled"] is True


def test_an_expected_date_on_a_critical_milestone_becomes_a_change_request(w: World) -> None:
    request = _asked(w, owner=w.supplier_manager, criticality=Criticality.CRITICAL)
    due = request.milestone.due_date
    new = due + dt.timedelta(days=14)

    update_request_answer(
        request=request, actor=w.supplier_manager, note="Late steel.", expected_date=new
    )

    change = ChangeRequest.objects.get()
    assert (change.new_due_date, change.status, change.requested_by) == (
        new,
        ChangeStatus.PENDING,
        w.supplier_manager,
    )
    request.milestone.refresh_from_db()
    assert request.milestone.due_date == due
    assert (
        Event.objects.get(action=UpdateRequestEvent.ANSWERED).after["change_request"] == change.pk
    )


def test_an_expected_date_is_refused_on_its_own_field(w: World) -> None:
    request = _asked(w, owner=w.supplier_manager)

    with refused("due_before_start", "expected_date"):
        update_request_answer(
            request=request,
            actor=w.supplier_manager,
            note="Much earlier",
            expected_date=w.contract.start_date - dt.timedelta(days=1),
        )


def test_files_are_attached_as_evidence_by_the_person(w: World) -> None:
    request = _asked(w)
    photo = SimpleUploadedFile("pour.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")

    update_request_answer(request=request, actor=w.supplier_member, note="Poured.", files=[photo])

    evidence = Evidence.objects.get()
    assert (evidence.uploaded_by, evidence.original_name) == (w.supplier_member, "pour.jpg")
    assert Path(evidence.file.path).read_bytes() == b"\xff\xd8\xff photo"


def test_a_refused_file_writes_nothing(w: World) -> None:
    request = _asked(w)
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")

    with refused("file_type_not_allowed", "files"):
        update_request_answer(
            request=request, actor=w.supplier_member, note="See file.", files=[bad]
        )


def test_at_most_five_files_go_with_an_answer(w: World) -> None:
    request = _asked(w)
    files = [SimpleUploadedFile(f"p{i}.jpg", b"x") for i in range(6)]

    with refused("too_many_files", "files"):
        update_request_answer(request=request, actor=w.supplier_member, note="Photos.", files=files)


# The signed link


def test_a_tampered_link_answers_404(w: World) -> None:
    request = _asked(w)
    token = _token(request)

    assert update_request_for_link(token=token) == request
    for bad in (
        token[:-2] + "xx",
        token + "a",
        "nonsense",
        signing.dumps({"r": request.pk}, salt=SALT),
    ):
        with pytest.raises(NotFound):
            update_request_for_link(token=bad)


def test_a_token_made_for_another_milestone_answers_404(w: World) -> None:
    request = _asked(w)
    other = w.deliverable("Structure topped out")
    forged = signing.dumps({"r": request.pk, "m": other.pk, "u": request.owner_id}, salt=SALT)
    unsalted = signing.dumps({"r": request.pk, "m": request.milestone_id, "u": request.owner_id})

    for token in (forged, unsalted):
        with pytest.raises(NotFound):
            update_request_for_link(token=token)


def test_an_expired_link_answers_404(w: World, clock: time_machine.Traveller) -> None:
    request = _asked(w)
    token = _token(request)
    clock.shift(dt.timedelta(days=7))

    with pytest.raises(NotFound):
        update_request_for_link(token=token)
    with refused("not_found", error=NotFound):
        update_request_answer(request=request, actor=w.supplier_member, note="Late answer")


def test_a_revoked_membership_kills_the_link(w: World) -> None:
    request = _asked(w)
    token = _token(request)

    # Removed from the organisation (in the admin), the person's link no longer opens.
    Membership.objects.filter(user=w.supplier_member).delete()

    response = Client().get(reverse("milestones:update-answer", args=[token]))
    assert response.status_code == 404


def test_a_person_made_a_viewer_can_no_longer_answer(w: World) -> None:
    request = _asked(w)
    token = _token(request)

    membership_set(
        user=w.supplier_member, organisation=w.supplier_org, role=Role.VIEWER, actor=None
    )

    with pytest.raises(NotFound):
        update_request_for_link(token=token)


def test_ownership_moved_to_someone_else_kills_a_managers_link(w: World) -> None:
    request = _asked(w, owner=w.supplier_manager)
    token = _token(request)

    milestone_update(milestone=request.milestone, owner=w.supplier_member, actor=w.supplier_manager)

    with pytest.raises(NotFound):
        update_request_for_link(token=token)
    assert Client().get(reverse("milestones:update-answer", args=[token])).status_code == 404


def test_a_closed_milestone_kills_the_link(w: World) -> None:
    request = _asked(w)
    milestone_set_status(
        milestone=request.milestone,
        status=MilestoneStatus.CANCELLED,
        reason="Dropped",
        actor=w.client_manager,
    )

    with pytest.raises(NotFound):
        update_request_for_link(token=_token(request))


# The phone page


def test_the_link_opens_without_signing_in_and_shows_only_its_milestone(w: World) -> None:
    request = _asked(w)
    w.deliverable("Structure topped out")

    response = Client().get(update_request_path(request.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "How is Foundation complete going?" in page
    assert "Structure topped out" not in page
    assert 'name="progress"' in page and 'name="files"' in page
    assert "Only a manager may propose a new date" in page
    assert 'aria-label="Main"' not in page  # no navigation
    assert response["Referrer-Policy"] == "same-origin"


def test_a_refused_answer_keeps_what_was_typed_and_answers_422(w: World) -> None:
    request = _asked(w)

    response = Client().post(
        update_request_path(request.pk), {"note": "Pour Monday", "progress": "140"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Pour Monday" in page and 'value="140"' in page
    assert "Nothing was sent" in page
    assert not StatusUpdate.objects.exists()


def test_an_answer_from_the_page_is_recorded_and_thanked(w: World) -> None:
    request = _asked(w)
    path = update_request_path(request.pk)

    response = Client().post(path, {"note": "Pour Monday", "progress": "40"})

    assert response.status_code == 302 and response["Location"] == f"{path}?sent=1"
    assert StatusUpdate.objects.get().author == w.supplier_member
    assert "your update is recorded" in Client().get(response["Location"]).content.decode()


# The response table and the contract's rounds page


def test_the_response_table_says_who_answered_and_who_did_not(w: World) -> None:
    w.deliverable("Foundation complete")
    w.deliverable("Structure topped out", owner=w.supplier_manager)
    round_ = update_round_request(contract=w.contract, actor=w.client_manager)
    sid = round_.requests.get(owner=w.supplier_member)
    update_request_answer(request=sid, actor=w.supplier_member, note="Going well.")

    response = signed_in(w.client_manager).get(reverse("milestones:update-round", args=[round_.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 of 2 answered; 1 did not yet." in page
    rows = re.findall(r'<tr class="(\w+)">', page)
    assert sorted(rows) == ["answered", "waiting"]


def test_a_member_is_not_shown_the_response_table(w: World) -> None:
    request = _asked(w)

    response = signed_in(w.supplier_member).get(
        reverse("milestones:update-round", args=[request.round_id])
    )

    assert response.status_code == 403


def test_an_outsider_does_not_find_the_round(w: World) -> None:
    request = _asked(w)

    response = signed_in(w.outsider).get(
        reverse("milestones:update-round", args=[request.round_id])
    )

    assert response.status_code == 404


def test_a_manager_withdraws_a_live_link_from_the_response_table(w: World) -> None:
    w.deliverable("Foundation complete")
    w.deliverable("Structure topped out", owner=w.supplier_manager)
    round_ = update_round_request(contract=w.contract, actor=w.client_manager)
    sid = round_.requests.get(owner=w.supplier_member)
    sam = round_.requests.get(owner=w.supplier_manager)
    update_request_answer(request=sam, actor=w.supplier_manager, note="Going well.")
    client = signed_in(w.client_manager)
    table = reverse("milestones:update-round", args=[round_.pk])
    withdraw = reverse("milestones:update-request-withdraw", args=[sid.pk])

    page = client.get(table).content.decode()
    response = client.post(withdraw)

    # Both links still open, the answered one too (until it expires): both can be withdrawn.
    assert page.count("Withdraw link<") == 2 and f'action="{withdraw}"' in page
    assert response.status_code == 302 and response["Location"] == table
    assert Client().get(update_request_path(sid.pk)).status_code == 404
    revoked = Event.objects.get(action=UpdateRequestEvent.REVOKED)
    assert (revoked.object_id, revoked.actor, revoked.after["reason"]) == (
        sid.pk,
        w.client_manager,
        "withdrawn",
    )
    page = client.get(table).content.decode()
    assert "it no longer opens" in page and page.count("Withdraw link<") == 1
    assert "the link was withdrawn or replaced" in page
    assert (
        client.post(reverse("milestones:update-request-withdraw", args=[sam.pk])).status_code == 302
    )
    assert Client().get(update_request_path(sam.pk)).status_code == 404
    assert "Withdraw link<" not in client.get(table).content.decode()


def test_a_withdrawn_link_is_not_withdrawn_twice_and_the_page_says_why(w: World) -> None:
    request = _asked(w)
    client = signed_in(w.client_manager)
    withdraw = reverse("milestones:update-request-withdraw", args=[request.pk])
    client.post(withdraw)

    response = client.post(withdraw, follow=True)

    assert "The request is already withdrawn." in response.content.decode()
    assert Event.objects.filter(action=UpdateRequestEvent.REVOKED).count() == 1


def test_only_a_manager_withdraws_a_link_and_an_outsider_does_not_find_it(w: World) -> None:
    request = _asked(w)
    withdraw = reverse("milestones:update-request-withdraw", args=[request.pk])

    member = signed_in(w.supplier_member).post(withdraw)
    outsider = signed_in(w.outsider).post(withdraw)

    assert (member.status_code, outsider.status_code) == (403, 404)
    request.refresh_from_db()
    assert request.revoked_at is None
    assert Client().get(update_request_path(request.pk)).status_code == 200


def test_a_manager_requests_updates_from_the_contract_page(w: World) -> None:
    w.deliverable()

    response = signed_in(w.client_manager).post(
        reverse("milestones:update-rounds", args=[w.contract.pk]), {}
    )

    round_ = UpdateRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("milestones:update-round", args=[round_.pk])


def test_a_refused_request_shows_the_reason_with_422(w: World) -> None:
    response = signed_in(w.client_manager).post(
        reverse("milestones:update-rounds", args=[w.contract.pk]), {}
    )

    assert response.status_code == 422
    assert "no open milestones" in response.content.decode()


def test_a_member_is_not_offered_the_request_button(w: World) -> None:
    w.deliverable()

    page = (
        signed_in(w.supplier_member)
        .get(reverse("milestones:update-rounds", args=[w.contract.pk]))
        .content.decode()
    )

    assert "Request updates</button>" not in page
    assert "Only a manager of a party" in page


def test_the_panels_render_on_the_milestone_and_contract_pages(w: World) -> None:
    request = _asked(w)
    client = signed_in(w.client_manager)

    milestone_page = client.get(reverse("milestones:milestone-detail", args=[request.milestone_id]))
    contract_page = client.get(reverse("reporting:contract-detail", args=[w.contract.pk]))

    assert milestone_page.status_code == contract_page.status_code == 200
    page = milestone_page.content.decode()
    assert "Updates from the owner" in page and "Ask sid for an update</button>" in page
    assert "not answered yet" in page and "{#" not in page


# Schedules


def test_a_manager_sets_and_changes_the_contracts_weekly_schedule(w: World) -> None:
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)
    schedule = update_schedule_set(contract=w.contract, weekday=0, actor=w.supplier_manager)

    assert schedule.weekday == 0 and UpdateSchedule.objects.count() == 1
    with refused("unchanged", "weekday"):
        update_schedule_set(contract=w.contract, weekday=0, actor=w.client_manager)


def test_a_weekday_is_zero_to_six(w: World) -> None:
    with refused("invalid_weekday", "weekday"):
        update_schedule_set(contract=w.contract, weekday=7, actor=w.client_manager)


def test_a_member_may_not_set_a_schedule(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.supplier_member)


def test_clearing_a_schedule_that_is_not_there_is_refused(w: World) -> None:
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)
    update_schedule_clear(contract=w.contract, actor=w.client_manager)

    assert not UpdateSchedule.objects.exists()
    with refused("no_schedule", "weekday"):
        update_schedule_clear(contract=w.contract, actor=w.client_manager)


def test_a_scheduled_round_goes_out_once_on_its_friday(w: World) -> None:
    milestone = w.deliverable()
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)

    assert update_rounds_due(now=START) == 1
    assert update_rounds_due(now=START + dt.timedelta(hours=5)) == 0

    round_ = UpdateRound.objects.get()
    assert (round_.scope, round_.scheduled_for, round_.requested_by) == (
        RoundScope.CONTRACT_SCHEDULE,
        dt.date(2026, 12, 4),
        None,
    )
    assert round_.requests.get().milestone == milestone
    # The next Friday is another round.
    assert update_rounds_due(now=START + dt.timedelta(days=7)) == 1


def test_no_round_goes_out_before_the_hour_or_on_another_day(w: World) -> None:
    w.deliverable()
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)

    assert update_rounds_due(now=dt.datetime(2026, 12, 4, 7, 59, tzinfo=dt.UTC)) == 0
    assert update_rounds_due(now=dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)) == 0
    assert not UpdateRound.objects.exists()


def test_the_scheduled_day_is_the_contracts_own(w: World) -> None:
    w.deliverable()
    contract_update(contract=w.contract, time_zone="Pacific/Auckland", actor=w.client_manager)
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)

    # Thursday 20:00 UTC is Friday 09:00 in Auckland.
    assert update_rounds_due(now=dt.datetime(2026, 12, 3, 20, 0, tzinfo=dt.UTC)) == 1
    # Friday 09:30 UTC is already Friday evening there: the same day, no second round.
    assert update_rounds_due(now=START) == 0


def test_a_milestone_with_its_own_schedule_is_asked_on_its_own_day(w: World) -> None:
    own = w.deliverable("Foundation complete")
    other = w.deliverable("Structure topped out")
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)
    update_schedule_set(contract=w.contract, milestone=own, weekday=0, actor=w.client_manager)

    assert update_rounds_due(now=START) == 1
    assert set(UpdateRequest.objects.values_list("milestone_id", flat=True)) == {other.pk}
    monday = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    assert update_rounds_due(now=monday) == 1
    assert (
        UpdateRound.objects.get(scope=RoundScope.MILESTONE_SCHEDULE).requests.get().milestone == own
    )


def test_the_worker_tick_sends_the_rounds_due(w: World) -> None:
    from milepost.alerts.engine import tick

    w.deliverable()
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)

    tick(now=START)
    tick(now=START + dt.timedelta(minutes=1))

    assert UpdateRound.objects.filter(scope=RoundScope.CONTRACT_SCHEDULE).count() == 1


def test_the_schedule_form_sets_a_weekday(w: World) -> None:
    response = signed_in(w.client_manager).post(
        reverse("milestones:update-schedule", args=[w.contract.pk]), {"weekday": str(FRIDAY)}
    )

    assert response.status_code == 302
    assert UpdateSchedule.objects.get().weekday == FRIDAY


# The API


def test_the_api_answers_with_the_links_token_as_the_person_asked(w: World) -> None:
    request = _asked(w)

    response = Client().post(
        f"/api/v1/updates/{_token(request)}",
        {"note": "Piling done", "progress": 30},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["answers"] == 1
    assert StatusUpdate.objects.get().author == w.supplier_member


def test_the_api_refuses_a_tampered_token_with_404(w: World) -> None:
    request = _asked(w)

    response = Client().post(
        f"/api/v1/updates/{_token(request)}x", {"note": "Hi"}, content_type="application/json"
    )

    assert response.status_code == 404
    assert not StatusUpdate.objects.exists()


def test_the_api_withdraws_a_request_for_a_manager_only(w: World) -> None:
    request = _asked(w)
    url = f"/api/v1/update-requests/{request.pk}/withdraw"

    refused_answer = signed_in(w.supplier_member).post(url)
    answer = signed_in(w.supplier_manager).post(url)

    assert refused_answer.status_code == 403
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "withdrawn"
    assert Client().get(update_request_path(request.pk)).status_code == 404
    assert signed_in(w.outsider).post(url).status_code == 404


def test_the_api_lists_rounds_with_who_answered(w: World) -> None:
    request = _asked(w)
    update_request_answer(request=request, actor=w.supplier_member, note="Fine.")

    response = signed_in(w.client_manager).get(f"/api/v1/contracts/{w.contract.pk}/update-rounds")

    assert response.status_code == 200
    [round_] = response.json()
    assert [(r["owner"], r["state"]) for r in round_["responses"]] == [("sid", "answered")]


# The demo


def test_the_demo_has_an_answered_and_an_unanswered_update_request(db: None) -> None:
    from milepost.operations.demo import demo_load

    demo_load()

    requests = UpdateRequest.objects.filter(round__contract__reference="HCC-2026-014")
    assert requests.filter(answered_at__isnull=False, owner__username="sid").exists()
    assert requests.filter(answered_at__isnull=True).exists()
    assert UpdateSchedule.objects.filter(
        contract__reference="HCC-2026-014", weekday=FRIDAY
    ).exists()


def test_a_refused_second_file_leaves_no_stored_file_behind(w: World, settings: Any) -> None:
    request = _asked(w)
    good = SimpleUploadedFile("pour.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")

    def files() -> set[Path]:
        # Files only: the first file's folder may stay behind, empty, when it is new.
        return {p for p in Path(settings.EVIDENCE_ROOT).rglob("*") if p.is_file()}

    stored = files()

    with refused("file_type_not_allowed", "files"):
        update_request_answer(
            request=request, actor=w.supplier_member, note="See.", files=[good, bad]
        )
    assert files() == stored


def test_the_contract_panel_shows_the_latest_rounds_to_a_manager_only(w: World) -> None:
    request = _asked(w)
    update_schedule_set(contract=w.contract, weekday=FRIDAY, actor=w.client_manager)

    def panel(user: Any) -> str:
        access = contract_access(user=user, contract=w.contract)
        return render_to_string(
            "milestones/partials/contract_update_rounds.html",
            {"contract": w.contract, "access": access},
        )

    manager, member = panel(w.client_manager), panel(w.supplier_member)
    assert "every Friday" in manager and "every Friday" in member
    assert "Request updates</button>" in manager and "0 of 1" in manager
    assert reverse("milestones:update-round", args=[request.round_id]) in manager
    assert "Request updates</button>" not in member and "A manager of a party" in member
