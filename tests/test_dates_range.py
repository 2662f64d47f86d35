"""Dates out of range: refused on the way in, repairable when old rows hold them, and never a
500 page, a broken feed or a stopped worker because of one milestone."""

import datetime as dt
import html
from decimal import Decimal
from io import StringIO

import icalendar
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from milepost.alerts.feeds import feed_token_get_or_create
from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.contracts.services import contract_create
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.risks.recovery import recovery_action_add
from milepost.schedule.services import milestone_reschedule, milestone_set_status

from .helpers import refused, signed_in
from .test_api import bearer

API = "/api/v1"
FAR = dt.date(9999, 12, 31)
DAY = dt.timedelta(days=1)


def text(response) -> str:
    return html.unescape(response.content.decode())


def poison(milestone: Milestone, day: dt.date = FAR) -> None:
    """Force a date into the row as an old bad row holds it, past every check."""
    Milestone.objects.filter(pk=milestone.pk).update(due_date=day, baseline_due_date=day)


@pytest.fixture
def poisoned(world):
    """The world's contract with two good milestones in a chain and one due 9999-12-31."""
    foundation = world.deliverable("Foundation complete")
    structure = world.deliverable("Structure complete", due_date=world.today + 90 * DAY)
    dependency_add(predecessor=foundation, successor=structure, actor=world.supplier_manager)
    roof = world.deliverable("Roof complete", due_date=world.today + 120 * DAY)
    poison(roof)
    roof.refresh_from_db()
    return roof


# --- 1. Dates are checked on the way in ------------------------------------------------------


def test_api_refuses_a_deliverable_due_in_year_9999_naming_the_field(world):
    response = bearer(world.supplier_manager).post(
        f"{API}/contracts/{world.contract.pk}/deliverables",
        {
            "title": "Roof complete",
            "owner": world.supplier_member.username,
            "responsible_party": world.supplier.pk,
            "accepting_party": world.client.pk,
            "due_date": "9999-12-31",
            "acceptance_criteria": "Signed off.",
        },
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "date_out_of_range"
    assert error["field"] == "due_date"
    assert "9999-12-31" in error["message"]
    assert not Milestone.objects.filter(title="Roof complete").exists()


def test_a_milestone_due_decades_after_its_contract_ends_is_refused(world):
    beyond = world.contract.end_date.replace(year=world.contract.end_date.year + 11)
    with refused("date_out_of_range", "due_date") as caught:
        world.deliverable("Roof complete", due_date=beyond)
    assert "10 years either side" in caught.value.message


def test_a_milestone_due_a_few_years_after_its_contract_ends_is_accepted(world):
    later = world.contract.end_date.replace(year=world.contract.end_date.year + 3)
    assert world.deliverable("Defects period ends", due_date=later).due_date == later


def test_web_form_shows_the_out_of_range_due_date_on_the_field(world):
    client = signed_in(world.supplier_manager, raise_request_exception=False)
    response = client.post(
        reverse("milestones:milestone-new", args=[world.contract.pk, "deliverable"]),
        {
            "title": "Roof complete",
            "owner": world.supplier_member.pk,
            "responsible_party": world.supplier.pk,
            "accepting_party": world.client.pk,
            "criticality": "standard",
            "due_date": "9999-12-31",
            "acceptance_criteria": "Signed off.",
        },
    )
    assert response.status_code == 422
    assert "due_date" in response.context["form"].errors
    assert "out of range" in str(response.context["form"].errors["due_date"])
    assert not Milestone.objects.filter(title="Roof complete").exists()


def test_rescheduling_beyond_the_range_is_refused_naming_the_field(world):
    milestone = world.deliverable()
    response = bearer(world.supplier_manager).post(
        f"{API}/milestones/{milestone.pk}/reschedule",
        {"due_date": "2190-01-01", "reason": "Typo"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "date_out_of_range",
        "field": "due_date",
        "message": response.json()["error"]["message"],
    }
    milestone.refresh_from_db()
    assert milestone.due_date == world.today + 30 * DAY


def test_a_contract_ending_after_2199_is_refused(world):
    with refused("date_out_of_range", "end_date"):
        contract_create(
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            reference="HCC-LONG",
            title="A very long lease",
            value=Decimal("1.00"),
            currency="GBP",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2300, 1, 1),
            actor=world.client_manager,
        )


def test_a_calendar_query_for_year_9999_answers_422_not_500(world):
    response = bearer(world.client_manager).get(
        f"{API}/contracts/{world.contract.pk}/calendar?from=9999-01-01&to=9999-12-31"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "date_out_of_range"


def test_a_recovery_target_far_beyond_the_contract_is_refused(world):
    milestone = world.deliverable(due_date=world.today + DAY)
    Milestone.objects.filter(pk=milestone.pk).update(due_date=world.today - DAY)
    milestone.refresh_from_db()
    with refused("date_out_of_range", "new_target"):
        recovery_action_add(
            milestone=milestone,
            cause="Crane broke down",
            plan="Hire another",
            owner=world.supplier_member,
            new_target=dt.date(2150, 1, 1),
            actor=world.supplier_manager,
        )


# --- 4. One bad row never breaks a page, a feed or a forecast ---------------------------------


def test_contract_page_answers_200_for_every_party_and_notes_the_bad_milestone(world, poisoned):
    for user in (world.client_manager, world.supplier_viewer, world.consultant_manager):
        response = signed_in(user, raise_request_exception=False).get(
            reverse("reporting:contract-detail", args=[world.contract.pk])
        )
        assert response.status_code == 200
        assert "'Roof complete' is left out" in text(response)


def test_critical_path_page_and_api_answer_200_leaving_the_bad_milestone_out(world, poisoned):
    client = signed_in(world.client_manager, raise_request_exception=False)
    page = client.get(reverse("contract-critical-path", args=[world.contract.pk]))
    assert page.status_code == 200
    assert "'Roof complete' is left out" in text(page)
    api = client.get(f"{API}/contracts/{world.contract.pk}/critical-path")
    assert api.status_code == 200
    body = api.json()
    assert "Roof complete" in body["note"]
    assert {m["title"] for m in body["milestones"]} == {
        "Foundation complete",
        "Structure complete",
    }


def test_a_forecast_runs_and_its_page_notes_the_bad_milestone(world, poisoned):
    client = signed_in(world.supplier_manager, raise_request_exception=False)
    run = client.post(
        f"{API}/contracts/{world.contract.pk}/forecasts",
        {"runs": 500, "seed": 1},
        content_type="application/json",
    )
    assert run.status_code == 201, run.content
    assert poisoned.pk not in {r["milestone_id"] for r in run.json()["results"]}
    assert "'Roof complete' is left out" in run.json()["note"]
    page = client.get(reverse("contract-forecast", args=[world.contract.pk]))
    assert page.status_code == 200
    assert "'Roof complete' is left out" in text(page)


def test_both_calendar_feeds_answer_200_and_say_what_they_left_out(world, poisoned):
    for contract in (None, world.contract):
        token = feed_token_get_or_create(
            user=world.supplier_member, contract=contract, actor=world.supplier_member
        )
        response = Client().get(reverse("feed-ics", args=[token.token]))
        assert response.status_code == 200
        calendar = icalendar.Calendar.from_ical(response.content)
        titles = {str(e["summary"]) for e in calendar.walk("VEVENT")}
        assert "[HCC-2026-001] Foundation complete" in titles
        assert not any("Roof complete" in t for t in titles)
        assert "Roof complete" in str(calendar["x-wr-caldesc"])


def test_dashboard_and_milestone_pages_answer_200(world, poisoned):
    client = signed_in(world.supplier_manager, raise_request_exception=False)
    for url in (
        reverse("reporting:dashboard"),
        reverse("reporting:milestone-list"),
        reverse("milestones:milestone-detail", args=[poisoned.pk]),
        f"{API}/milestones",
        f"{API}/milestones/{poisoned.pk}",
    ):
        assert client.get(url).status_code == 200, url


# --- 2. A bad row can be repaired ---------------------------------------------------------------


def test_rescheduling_the_bad_milestone_resets_its_baseline_and_says_so(world, poisoned):
    new_due = world.today + 200 * DAY
    milestone_reschedule(
        milestone=poisoned,
        due_date=new_due,
        reason="Year typed wrong",
        actor=world.supplier_manager,
    )
    poisoned.refresh_from_db()
    assert (poisoned.due_date, poisoned.baseline_due_date) == (new_due, new_due)
    event = Event.objects.filter(milestone_id=poisoned.pk, action="milestone.rescheduled").last()
    assert event.before["baseline_due_date"] == "9999-12-31"
    assert "reset" in event.after["baseline_reset"]
    page = signed_in(world.client_manager, raise_request_exception=False).get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    assert "left out" not in text(page)


def test_rescheduling_the_bad_milestone_from_the_web_page_works(world, poisoned):
    response = signed_in(world.supplier_manager, raise_request_exception=False).post(
        reverse("milestones:milestone-reschedule", args=[poisoned.pk]),
        {"due_date": (world.today + 200 * DAY).isoformat(), "reason": "Year typed wrong"},
    )
    assert response.status_code == 302
    poisoned.refresh_from_db()
    assert poisoned.baseline_due_date == world.today + 200 * DAY


def test_cancelling_the_bad_milestone_works_and_its_pages_and_feed_answer(world, poisoned):
    milestone_set_status(
        milestone=poisoned,
        status=MilestoneStatus.CANCELLED,
        reason="Entered by mistake",
        actor=world.client_manager,
    )
    poisoned.refresh_from_db()
    assert poisoned.status == MilestoneStatus.CANCELLED
    # A cancelled milestone still belongs to the contract page and its feed: both answer.
    client = signed_in(world.client_manager, raise_request_exception=False)
    assert (
        client.get(reverse("reporting:contract-detail", args=[world.contract.pk])).status_code
        == 200
    )
    token = feed_token_get_or_create(
        user=world.client_manager, contract=world.contract, actor=world.client_manager
    )
    assert Client().get(reverse("feed-ics", args=[token.token])).status_code == 200


def test_repair_dates_lists_by_default_and_changes_nothing(world, poisoned):
    out = StringIO()
    call_command("repair_dates", stdout=out)
    assert "Roof complete" in out.getvalue()
    assert "9999-12-31" in out.getvalue()
    assert "1 row to repair" in out.getvalue()
    poisoned.refresh_from_db()
    assert poisoned.due_date == FAR


def test_repair_dates_apply_moves_the_date_to_the_nearest_valid_one_with_an_event(world, poisoned):
    out = StringIO()
    call_command("repair_dates", "--apply", stdout=out)
    assert "1 row repaired" in out.getvalue()
    poisoned.refresh_from_db()
    latest = world.contract.end_date.replace(year=world.contract.end_date.year + 10)
    assert (poisoned.due_date, poisoned.baseline_due_date) == (latest, latest)
    assert poisoned.status == MilestoneStatus.SCHEDULED
    event = Event.objects.get(milestone_id=poisoned.pk, action="dates.repaired")
    assert event.before["due_date"] == "9999-12-31"
    assert event.after["due_date"] == latest.isoformat()
    again = StringIO()
    call_command("repair_dates", stdout=again)
    assert "No dates out of range." in again.getvalue()


def test_repair_dates_can_cancel_instead(world, poisoned):
    call_command("repair_dates", "--apply", "--cancel", stdout=StringIO())
    poisoned.refresh_from_db()
    assert poisoned.status == MilestoneStatus.CANCELLED
    assert Event.objects.filter(milestone_id=poisoned.pk, action="dates.repaired").exists()


def test_repair_dates_cancel_goes_through_the_status_service_and_writes_its_event(world, poisoned):
    Milestone.objects.filter(pk=poisoned.pk).update(forecast_p50=world.today + 30 * DAY)
    call_command("repair_dates", "--apply", "--cancel", stdout=StringIO())
    event = Event.objects.get(milestone_id=poisoned.pk, action="milestone.status_changed")
    assert event.before["status"] == MilestoneStatus.SCHEDULED
    assert event.after["status"] == MilestoneStatus.CANCELLED
    assert "repair_dates" in event.after["reason"]
    poisoned.refresh_from_db()
    assert poisoned.forecast_p50 is None  # a closed milestone keeps no forecast


def test_repair_dates_cancel_leaves_the_status_of_a_milestone_of_a_closed_contract(world, poisoned):
    from milepost.contracts.choices import ContractStatus
    from milepost.contracts.models import Contract

    Contract.objects.filter(pk=world.contract.pk).update(status=ContractStatus.TERMINATED)
    call_command("repair_dates", "--apply", "--cancel", stdout=StringIO())
    poisoned.refresh_from_db()
    assert poisoned.status == MilestoneStatus.SCHEDULED
    assert poisoned.due_date != FAR


def test_an_invoice_dated_a_century_before_the_contract_is_refused(world):
    from milepost.payments.services import payment_record_invoice

    from .test_payments_services import triggered

    milestone = triggered(world)
    with refused("date_out_of_range", "invoiced_on"):
        payment_record_invoice(
            milestone=milestone,
            invoiced_on=dt.date(1905, 1, 1),
            amount="300000",
            actor=world.supplier_manager,
        )
