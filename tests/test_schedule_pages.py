"""Planning and change-request pages: what a person sees and does in the browser's HTML."""

import datetime as dt

import pytest

from milepost.schedule.changes import change_request_submit
from milepost.schedule.choices import ChangeStatus, Criticality
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import ChangeRequest, Milestone

from .helpers import signed_in
from .test_web_forms import edit_post

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
D = dt.date


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def chain(world):
    structure = world.deliverable(
        "Structure", due_date=D(2027, 4, 1), criticality=Criticality.CRITICAL
    )
    roof = world.deliverable("Roof", due_date=D(2027, 4, 10))
    dependency_add(predecessor=structure, successor=roof, lag=5, actor=world.client_manager)
    return structure, roof


def test_planning_page_sets_a_relative_date_and_shows_how_it_was_worked_out(world, chain):
    structure, roof = chain
    page = signed_in(world.supplier_manager)

    response = page.post(
        f"/milestones/{roof.pk}/planning/",
        {"anchor_save": "1", "anchor": structure.pk, "event": "due", "offset": "12"},
    )

    assert response.status_code == 302
    shown = page.get(f"/milestones/{roof.pk}/planning/").content.decode()
    assert "12 days after Structure&#x27;s due date 1 April 2027" in shown
    assert Milestone.objects.get(pk=roof.pk).due_date == D(2027, 4, 13)


def test_planning_page_shows_a_refusal_on_the_field(world, chain):
    _structure, roof = chain

    response = signed_in(world.supplier_manager).post(
        f"/milestones/{roof.pk}/planning/",
        {"plan_save": "1", "start_date": "2027-05-01"},
    )

    assert response.status_code == 422
    assert "Work cannot start after the due date." in response.content.decode()


def test_planning_page_pins_a_date(world, chain):
    _, roof = chain

    signed_in(world.client_manager).post(f"/milestones/{roof.pk}/planning/", {"pin": "1"})

    assert Milestone.objects.get(pk=roof.pk).pinned


def test_planning_page_is_hidden_from_outsiders(world, chain):
    response = signed_in(world.outsider).get(f"/milestones/{chain[1].pk}/planning/")

    assert response.status_code == 404


def test_a_critical_milestone_page_offers_a_change_request_instead_of_rescheduling(world, chain):
    structure, _ = chain

    html = signed_in(world.supplier_manager).get(f"/milestones/{structure.pk}/").content.decode()

    assert "This date moves only by an approved change request" in html
    assert 'id="reschedule"' not in html


def test_change_request_page_previews_then_submits(world, chain):
    structure, _ = chain
    page = signed_in(world.supplier_manager)
    url = f"/milestones/{structure.pk}/change-requests/new/"

    preview = page.post(url, {"new_due_date": "2027-04-11", "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Dates that move" in html and "Roof" in html and "+6" in html
    assert ChangeRequest.objects.count() == 0

    submitted = page.post(
        url, {"new_due_date": "2027-04-11", "reason": "Steel late", "submit": "1"}
    )

    change = ChangeRequest.objects.get()
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/change-requests/{change.pk}/"


def test_change_request_page_names_a_missing_reason(world, chain):
    structure, _ = chain

    response = signed_in(world.supplier_manager).post(
        f"/milestones/{structure.pk}/change-requests/new/",
        {"new_due_date": "2027-04-11", "submit": "1"},
    )

    assert response.status_code == 422
    assert "Say why the change is needed." in response.content.decode()


def test_the_counterparty_approves_on_the_detail_page(world, chain):
    structure, _ = chain
    change = change_request_submit(
        milestone=structure,
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )
    supplier_view = signed_in(world.supplier_manager).get(f"/change-requests/{change.pk}/")
    assert 'name="approve"' not in supplier_view.content.decode()
    assert 'name="withdraw"' in supplier_view.content.decode()

    response = signed_in(world.client_manager).post(
        f"/change-requests/{change.pk}/", {"approve": "1", "note": "Fine"}
    )

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert Milestone.objects.get(pk=structure.pk).due_date == D(2027, 4, 11)


def test_rejecting_without_a_note_is_refused_on_the_page(world, chain):
    structure, _ = chain
    change = change_request_submit(
        milestone=structure,
        new_due_date=D(2027, 4, 11),
        reason="Steel late",
        actor=world.supplier_manager,
    )

    response = signed_in(world.client_manager).post(
        f"/change-requests/{change.pk}/", {"reject": "1"}
    )

    assert response.status_code == 422
    assert "Say why the change is rejected." in response.content.decode()


def test_contract_change_requests_list_filters_by_status(world, chain):
    structure, _roof = chain
    change_request_submit(
        milestone=structure, new_due_date=D(2027, 4, 11), reason="a", actor=world.supplier_manager
    )
    page = signed_in(world.client_viewer)

    pending = page.get(f"/contracts/{world.contract.pk}/change-requests/?status=pending")
    approved = page.get(f"/contracts/{world.contract.pk}/change-requests/?status=approved")

    assert "Structure" in pending.content.decode()
    assert "No change requests with that status" in approved.content.decode()
    assert (
        signed_in(world.outsider)
        .get(f"/contracts/{world.contract.pk}/change-requests/")
        .status_code
        == 404
    )


def test_the_contract_edit_form_sets_the_schedule_settings(world):
    page = signed_in(world.client_manager)
    url = f"/contracts/{world.contract.pk}/edit/"
    assert "At-risk threshold (%)" in page.get(url).content.decode()

    response = page.post(
        url,
        edit_post(
            world.contract, at_risk_threshold="80", self_reschedule="0", stale_update_days="7"
        ),
    )

    assert response.status_code == 302
    world.contract.refresh_from_db()
    assert (
        world.contract.at_risk_threshold,
        world.contract.self_reschedule,
        world.contract.stale_update_days,
    ) == (80, False, 7)


def test_the_contract_edit_form_keeps_the_settings_it_is_not_given_and_refuses_a_bad_one(world):
    page = signed_in(world.client_manager)
    url = f"/contracts/{world.contract.pk}/edit/"

    kept = page.post(url, edit_post(world.contract, title="Renamed"))
    refused = page.post(url, edit_post(world.contract, at_risk_threshold="150"))

    assert kept.status_code == 302
    assert refused.status_code == 422
    world.contract.refresh_from_db()
    assert (world.contract.title, world.contract.at_risk_threshold) == ("Renamed", 70)
    assert world.contract.self_reschedule is True
