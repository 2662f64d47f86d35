"""A milestone that is done reads as done: no forecast chance, no float, no pull on others."""

import datetime as dt

from django.urls import reverse

from milepost.core.workdays import Calendar
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.critical import contract_critical_path
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.graph import Graph, Link, Node
from milepost.schedule.graph.critical import critical_path
from milepost.schedule.models import Milestone

from .helpers import signed_in

API = "/api/v1"
D = dt.date
CAL = Calendar("GB", "ENG")


def test_a_met_milestone_shows_when_it_was_met_instead_of_a_chance(world):
    # Given a deliverable with a forecast chance of meeting its date from the latest run
    milestone = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    forecast_run(contract=world.contract, actor=None, runs=200, seed=7)
    milestone.refresh_from_db()
    assert milestone.on_time_probability is not None
    # When the client accepts it three days ago
    met_on = world.today - dt.timedelta(days=3)
    deliverable_accept(milestone=milestone, actor=world.client_manager, met_on=met_on)
    # Then its page says when it was met, and no chance of meeting a date already met
    page = signed_in(world.client_manager).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )
    text = page.content.decode()
    assert "chance of meeting the date" not in text
    assert f"met on {met_on:%-d %b %Y}" in text
    # and the milestone keeps no forecast that the contract page's timeline could show
    milestone.refresh_from_db()
    assert (milestone.on_time_probability, milestone.forecast_date, milestone.forecast_p50) == (
        None,
        None,
        None,
    )


def test_api_forecast_of_a_met_milestone_gives_the_date_met_and_no_chance(world):
    # Given a forecast deliverable that is then accepted
    milestone = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    forecast_run(contract=world.contract, actor=None, runs=200, seed=7)
    deliverable_accept(milestone=milestone, actor=world.client_manager)
    # When its forecast is read through the API
    body = signed_in(world.supplier_viewer).get(f"{API}/milestones/{milestone.pk}/forecast").json()
    # Then it has no chance or forecast dates, and says when it was met
    assert body["status"] == "met"
    assert body["met_on"] == world.today.isoformat()
    assert body["on_time_probability"] is None
    assert body["forecast_date"] is None and body["forecast_p50"] is None
    assert body["below_threshold"] is False


def test_met_milestones_have_no_float_even_when_their_history_is_out_of_order(world):
    # Given a gate met late, after the foundations that follow it were met
    gate = world.deliverable("Site access", due_date=world.today - dt.timedelta(days=60))
    foundations = world.deliverable("Foundations", due_date=world.today - dt.timedelta(days=45))
    structure = world.deliverable("Structure", due_date=world.today + dt.timedelta(days=30))
    dependency_add(predecessor=gate, successor=foundations, actor=world.supplier_manager)
    dependency_add(predecessor=foundations, successor=structure, actor=world.supplier_manager)
    deliverable_accept(
        milestone=gate, actor=world.client_manager, met_on=world.today - dt.timedelta(days=40)
    )
    deliverable_accept(
        milestone=foundations,
        actor=world.client_manager,
        met_on=world.today - dt.timedelta(days=40),
    )
    Milestone.objects.filter(pk=gate.pk).update(met_on=world.today - dt.timedelta(days=2))
    # When the critical path is worked out
    path = contract_critical_path(contract=world.contract)
    rows = {row.title: row for row in path.rows}
    # Then the met ones are done, with no float (not a negative number) and off the chain
    for title in ("Site access", "Foundations"):
        assert rows[title].done and rows[title].total_float is None
        assert rows[title].latest_finish is None
    assert [row.title for row in path.chain] == ["Structure"]
    # and the page shows "done" where the float would be, and no negative number
    page = signed_in(world.client_manager).get(
        reverse("contract-critical-path", args=[world.contract.pk])
    )
    text = page.content.decode()
    assert text.count('<td class="num">done</td>') == 2
    assert '<td class="num">-' not in text


def test_a_met_milestone_does_not_pull_the_float_of_an_open_one():
    # Given an open milestone linked (after the fact) before one met long ago, and a later one
    nodes = [
        Node(1, "Survey", D(2027, 3, 12)),
        Node(2, "Handover", D(2027, 1, 8), status="met", met_on=D(2027, 1, 8)),
        Node(3, "Final account", D(2027, 3, 19)),
    ]
    # When the critical path is worked out
    result = critical_path(Graph(nodes, [Link(1, 2)]), CAL)
    # Then the survey has the float the final account leaves it (a week), not one behind
    # a date already past, and only the final account is critical
    assert result.floats[1] == 5
    assert result.chain == [3]


def test_the_contract_page_shows_no_forecast_for_a_milestone_already_met(world):
    # Given a met deliverable still holding a forecast from before it was met (an older row)
    milestone = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    deliverable_accept(milestone=milestone, actor=world.client_manager)
    Milestone.objects.filter(pk=milestone.pk).update(
        on_time_probability=0.43, forecast_date=world.today + dt.timedelta(days=25)
    )
    # When the contract page is drawn
    page = signed_in(world.client_manager).get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    # Then its timeline says it is met, with no forecast date
    text = page.content.decode()
    start = text.index("<title>Foundations (Deliverable): due")
    tooltip = text[start : text.index("</title>", start)]
    assert "Met" in tooltip
    assert "forecast" not in tooltip
