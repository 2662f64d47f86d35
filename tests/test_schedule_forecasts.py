"""Forecast runs end to end: the service, its signals, health, selectors, API, page and command."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.selectors import contract_calendar
from milepost.contracts.services import contract_set_status, contract_update
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.choices import Health, MilestoneKind, MilestoneStatus
from milepost.schedule.forecasts import (
    Row,
    _time_gone,
    forecast_latest,
    forecast_run,
    forecast_run_get_for_user,
    forecast_runs_for_contract,
    milestone_outlook,
)
from milepost.schedule.models import Dependency, ForecastResult, ForecastRun, Milestone
from milepost.schedule.records import status_update_post
from milepost.schedule.selectors import with_health
from milepost.schedule.services import milestone_reschedule

from .helpers import refused, signed_in

API = "/api/v1"


def working(world, days: int) -> dt.date:
    """Return the working day ``days`` working days after today on the contract's calendar."""
    calendar = contract_calendar(contract=world.contract)
    index = calendar.index(
        world.today - dt.timedelta(days=90), world.today + dt.timedelta(days=800)
    )
    return index.date(index.number(world.today) + days)


def estimate(milestone: Milestone, optimistic: int, likely: int, pessimistic: int) -> None:
    Milestone.objects.filter(pk=milestone.pk).update(
        estimate_optimistic=optimistic, estimate_likely=likely, estimate_pessimistic=pessimistic
    )


def run(world, actor=None, **options) -> ForecastRun:
    options = {"runs": 400, "seed": 42, "as_of": world.today, **options}
    return forecast_run(contract=world.contract, actor=actor, **options)


def certain(world, title: str, due_in: int, takes: int) -> Milestone:
    """A deliverable due ``due_in`` working days from today that takes exactly ``takes``."""
    milestone = world.deliverable(title, due_date=working(world, due_in))
    estimate(milestone, takes, takes, takes)
    return milestone


def health_of(milestone: Milestone) -> str:
    return with_health(Milestone.objects.filter(pk=milestone.pk)).get().health


# The service


def test_a_run_stores_itself_its_results_the_milestone_fields_and_one_event(world):
    on_time = certain(world, "Foundation", 40, 40)
    late = certain(world, "Frame", 40, 42)
    done = run(world, actor=world.supplier_member)
    assert (done.seed, done.runs, done.threshold, done.as_of) == (42, 400, 70, world.today)
    assert done.created_by == world.supplier_member and len(done.inputs_digest) == 64
    assert (done.finish_p50, done.finish_p80, done.on_time_probability) == (
        working(world, 42),
        working(world, 42),
        1.0,
    )
    results = {r.milestone_id: r for r in done.results.all()}
    assert (results[on_time.pk].on_time_probability, results[on_time.pk].p80) == (
        1.0,
        working(world, 40),
    )
    assert (results[late.pk].on_time_probability, results[late.pk].p50) == (0.0, working(world, 42))
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert (on_time.on_time_probability, on_time.forecast_date, on_time.signals) == (
        1.0,
        working(world, 40),
        "",
    )
    assert (late.forecast_p50, late.forecast_p80, late.forecast_date) == (working(world, 42),) * 3
    event = Event.objects.get(action="forecast.run")
    assert (event.contract_id, event.object_id, event.actor) == (
        world.contract.pk,
        done.pk,
        world.supplier_member,
    )
    assert event.after["seed"] == 42 and event.after["runs"] == 400
    assert (event.after["milestones"], event.after["at_risk"], event.after["signalled"]) == (
        2,
        1,
        0,
    )
    assert event.after["finish_p80"] == working(world, 42).isoformat()
    assert event.after["bases"] == {"estimate": 2}


def test_health_turns_at_risk_when_the_chance_falls_below_the_threshold(world):
    on_time = certain(world, "Foundation", 40, 40)
    late = certain(world, "Frame", 40, 42)
    run(world)
    assert health_of(on_time) == Health.ON_TRACK
    assert health_of(late) == Health.AT_RISK


def test_the_contracts_threshold_decides_what_is_at_risk(world):
    # No estimate and no history: the prior keeps a plan about four times in five.
    milestone = world.deliverable("Roof", due_date=working(world, 40))
    run(world, runs=2000)
    milestone.refresh_from_db()
    assert 0.7 < milestone.on_time_probability < 0.9
    assert health_of(milestone) == Health.ON_TRACK
    contract_update(contract=world.contract, actor=world.client_manager, at_risk_threshold=95)
    run(world, runs=2000)
    milestone.refresh_from_db()
    assert milestone.forecast_date > milestone.due_date
    assert health_of(milestone) == Health.AT_RISK
    assert ForecastRun.objects.order_by("-id").first().threshold == 95


def test_the_same_seed_and_inputs_give_the_same_numbers(world):
    for days in (20, 30, 45):
        world.deliverable(f"Stage {days}", due_date=working(world, days))
    first = run(world, seed=7, runs=1000)
    second = run(world, seed=7, runs=1000)
    other = run(world, seed=8, runs=1000)

    def numbers(r: ForecastRun) -> list[tuple]:
        return sorted(r.results.values_list("milestone_id", "p50", "p80", "on_time_probability"))

    assert first.inputs_digest == second.inputs_digest == other.inputs_digest
    assert numbers(first) == numbers(second) and numbers(first) != numbers(other)


def test_a_run_without_a_seed_picks_and_stores_one(world):
    world.deliverable("Roof")
    first, second = run(world, seed=None), run(world, seed=None)
    assert first.seed != second.seed and 0 <= first.seed < 2**63


def test_the_organisations_own_history_replaces_the_prior_from_five_closed_milestones(world):
    # Five of the supplier's deliverables were each met three working days late.
    for n in range(5):
        past = world.deliverable(f"Past {n}", due_date=world.today - dt.timedelta(days=30 + n))
        baseline = working(world, -25 - n)
        Milestone.objects.filter(pk=past.pk).update(
            status=MilestoneStatus.MET,
            baseline_due_date=baseline,
            due_date=baseline,
            met_on=working(world, -22 - n),
        )
    open_one = world.deliverable("Roof", due_date=working(world, 40))
    run(world)
    open_one.refresh_from_db()
    assert (open_one.on_time_probability, open_one.forecast_p50) == (0.0, working(world, 43))
    assert Event.objects.get(action="forecast.run").after["bases"] == {"history": 1}


def test_four_closed_milestones_are_not_enough_history(world):
    for n in range(4):
        past = world.deliverable(f"Past {n}", due_date=world.today - dt.timedelta(days=30))
        Milestone.objects.filter(pk=past.pk).update(
            status=MilestoneStatus.MET, met_on=world.today - dt.timedelta(days=1)
        )
    world.deliverable("Roof", due_date=working(world, 40))
    run(world)
    assert Event.objects.get(action="forecast.run").after["bases"] == {"prior": 1}


def test_a_met_predecessor_holds_its_successor_from_its_met_date(world):
    before = world.deliverable("Survey", due_date=working(world, 1))
    Milestone.objects.filter(pk=before.pk).update(
        status=MilestoneStatus.MET, met_on=working(world, 5)
    )
    after = certain(world, "Design", 40, 3)
    Dependency.objects.create(predecessor=before, successor=after)
    done = run(world)
    assert list(done.results.values_list("milestone_id", "p50")) == [(after.pk, working(world, 8))]


def test_a_contract_with_nothing_open_gets_a_run_without_results_and_stale_fields_cleared(world):
    milestone = certain(world, "Foundation", 40, 42)
    run(world)
    Milestone.objects.filter(pk=milestone.pk).update(
        status=MilestoneStatus.MET, met_on=world.today, signals="Rescheduled later 2 times"
    )
    done = run(world)
    assert done.results.count() == 0
    assert (done.finish_p50, done.on_time_probability) == (world.today, 1.0)
    milestone.refresh_from_db()
    assert (milestone.on_time_probability, milestone.forecast_date, milestone.signals) == (
        None,
        None,
        "",
    )


# The marker travels before the world is built, so that its contract's today is that Sunday.
@pytest.mark.time_machine(dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC), tick=False)
def test_a_contract_whose_milestones_were_all_met_on_a_sunday_finishes_that_sunday(world):
    # Given a contract whose only milestone was met today, Sunday 6 December 2026,
    sunday = dt.date(2026, 12, 6)
    assert world.today == sunday
    milestone = certain(world, "Foundation", 40, 42)
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.MET, met_on=sunday)
    # when it is forecast,
    done = run(world)
    # then it finished that Sunday, on time, not on Monday 7 December.
    assert (done.finish_p50, done.finish_p80, done.on_time_probability) == (sunday, sunday, 1.0)


def test_an_empty_contract_gets_a_run_with_no_finish(world):
    done = run(world)
    assert (done.results.count(), done.finish_p50, done.on_time_probability) == (0, None, None)


def test_a_second_identical_run_updates_no_milestone(world):
    certain(world, "Foundation", 40, 42)
    world.deliverable("Roof", due_date=working(world, 30))
    run(world)
    with CaptureQueriesContext(connection) as queries:
        run(world)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_the_number_of_queries_does_not_grow_with_the_milestones(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            run(world, actor=world.supplier_member)
        return len(queries.captured_queries)

    world.deliverable("One", due_date=working(world, 30))
    few = count()
    for n in range(12):
        world.deliverable(f"More {n}", due_date=working(world, 30 + n))
    # Savepoints and the audit chain included (PostgreSQL adds its advisory lock).
    assert count() == few <= 17


@pytest.mark.parametrize("runs", [99, 100_001, True, "1000"])
def test_refuses_runs_outside_100_to_100000(world, runs):
    with refused("invalid_runs", "runs"):
        run(world, runs=runs)
    assert not ForecastRun.objects.exists()


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5])
def test_refuses_a_seed_outside_a_signed_64_bit_column(world, seed):
    with refused("invalid_seed", "seed"):
        run(world, seed=seed)


def test_accepts_the_limits_of_runs_and_seed(world):
    world.deliverable("Roof")
    assert run(world, runs=100, seed=0).runs == 100
    assert run(world, runs=100_000, seed=2**63 - 1).seed == 2**63 - 1


def test_refuses_a_closed_contract(world):
    contract_set_status(
        contract=world.contract, status=ContractStatus.COMPLETED, actor=world.client_manager
    )
    with refused("contract_closed", "contract"):
        run(world)


def test_refuses_viewers_and_outsiders_but_lets_members_run_one(world):
    with refused("forbidden", error=Forbidden):
        run(world, actor=world.client_viewer)
    with refused("forbidden", error=Forbidden):
        run(world, actor=world.outsider)
    assert run(world, actor=world.client_member).created_by == world.client_member


def test_refuses_a_cycle_through_links(world):
    first, second = world.deliverable("A"), world.deliverable("B")
    Dependency.objects.create(predecessor=first, successor=second)
    Dependency.objects.create(predecessor=second, successor=first)
    with refused("schedule_cycle", "contract"):
        run(world)


def test_a_run_uses_the_contracts_local_today_when_not_told(world):
    world.deliverable("Roof")
    assert forecast_run(contract=world.contract, actor=None, runs=100).as_of == world.today


# Leading signals


def test_signals_fire_when_no_update_is_posted_for_the_contracts_stale_days(world):
    quiet = world.deliverable("Quiet", due_date=working(world, 60))
    updated = world.deliverable("Updated", due_date=working(world, 60))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=10)):
        status_update_post(milestone=updated, text="Steel on site.", actor=world.supplier_member)
    run(world, as_of=world.today + dt.timedelta(days=20))
    quiet.refresh_from_db()
    updated.refresh_from_db()
    assert quiet.signals == "No status update for 20 days"
    assert updated.signals == ""
    assert health_of(quiet) == Health.AT_RISK


def test_signals_fire_when_a_deliverables_progress_lags_the_time_gone(world):
    behind = world.deliverable("Behind", due_date=world.today + dt.timedelta(days=50))
    level = world.deliverable("Level", due_date=world.today + dt.timedelta(days=50))
    for milestone, progress in ((behind, 29), (level, 30)):
        Milestone.objects.filter(pk=milestone.pk).update(
            start_date=world.today - dt.timedelta(days=50), progress=progress
        )
    run(world)
    behind.refresh_from_db()
    level.refresh_from_db()
    assert behind.signals == "Progress 29% with 50% of the time gone"
    assert level.signals == ""


def test_the_progress_signal_reads_only_started_deliverables():
    base = {
        "id": 1,
        "kind": MilestoneKind.DELIVERABLE,
        "organisation_id": 1,
        "status": MilestoneStatus.IN_PROGRESS,
        "due_date": dt.date(2027, 3, 11),
        "baseline_due_date": dt.date(2027, 3, 11),
        "start_date": dt.date(2027, 3, 1),
        "met_on": None,
        "estimate_optimistic": None,
        "estimate_likely": None,
        "estimate_pessimistic": None,
        "anchor_id": None,
        "anchor_event": "",
        "anchor_offset": 0,
        "anchor_working_days": False,
        "progress": 0,
        "created_at": dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        "on_time_probability": None,
        "forecast_p50": None,
        "forecast_p80": None,
        "forecast_date": None,
        "signals": "",
    }
    today = dt.date(2027, 3, 6)
    assert _time_gone(Row(**base), today) == 50
    assert _time_gone(Row(**{**base, "kind": MilestoneKind.PAYMENT}), today) is None
    assert _time_gone(Row(**{**base, "start_date": today}), today) is None
    assert _time_gone(Row(**{**base, "start_date": None}), today) is None
    assert _time_gone(Row(**base), dt.date(2027, 4, 1)) == 100
    same_day = {**base, "start_date": dt.date(2027, 3, 11), "due_date": dt.date(2027, 3, 11)}
    assert _time_gone(Row(**same_day), dt.date(2027, 3, 12)) == 100


def test_signals_fire_after_two_reschedules_to_a_later_date(world):
    slipped = world.deliverable("Slipped", due_date=working(world, 60))
    once = world.deliverable("Once", due_date=working(world, 60))
    for days in (5, 10):
        milestone_reschedule(
            milestone=slipped,
            due_date=slipped.due_date + dt.timedelta(days=days),
            reason="Steel late",
            actor=world.supplier_manager,
        )
    milestone_reschedule(
        milestone=once,
        due_date=once.due_date + dt.timedelta(days=7),
        reason="Steel late",
        actor=world.supplier_manager,
    )
    # Brought forward: not a slip.
    milestone_reschedule(
        milestone=once,
        due_date=once.due_date - dt.timedelta(days=3),
        reason="Crane free early",
        actor=world.supplier_manager,
    )
    run(world)
    slipped.refresh_from_db()
    once.refresh_from_db()
    assert slipped.signals == "Rescheduled later 2 times"
    assert once.signals == ""
    assert Event.objects.get(action="forecast.run").after["signalled"] == 1


def test_signals_combine_and_count_in_the_runs_summary(world):
    milestone = world.deliverable("Everything", due_date=world.today + dt.timedelta(days=80))
    Milestone.objects.filter(pk=milestone.pk).update(
        start_date=world.today - dt.timedelta(days=20), progress=0
    )
    run(world, as_of=world.today + dt.timedelta(days=40))
    milestone.refresh_from_db()
    assert milestone.signals == (
        "No status update for 40 days; Progress 0% with 60% of the time gone"
    )
    assert milestone_outlook(milestone=milestone).signals == [
        "No status update for 40 days",
        "Progress 0% with 60% of the time gone",
    ]


# Selectors


def test_selectors_scope_runs_to_people_party_to_the_contract(world):
    world.deliverable("Roof")
    done = run(world)
    assert list(forecast_runs_for_contract(user=world.client_viewer, contract=world.contract)) == [
        done
    ]
    assert not forecast_runs_for_contract(user=world.outsider, contract=world.contract).exists()
    with refused("not_found", error=NotFound):
        forecast_run_get_for_user(user=world.outsider, pk=done.pk)
    assert forecast_latest(contract=world.contract) == done


def test_reading_a_run_with_its_results_takes_two_queries(world, django_assert_num_queries):
    for n in range(5):
        world.deliverable(f"Stage {n}", due_date=working(world, 30 + n))
    done = run(world)
    with django_assert_num_queries(2):
        loaded = forecast_run_get_for_user(user=world.client_viewer, pk=done.pk)
        titles = [r.milestone.title for r in loaded.results.all()]
        thresholds = {r.run.threshold for r in loaded.results.all()}
    assert titles == [f"Stage {n}" for n in range(5)] and thresholds == {70}


def test_a_milestones_outlook_names_the_latest_run(world):
    milestone = certain(world, "Frame", 40, 42)
    assert milestone_outlook(milestone=milestone).run_id is None
    done = run(world)
    milestone.refresh_from_db()
    outlook = milestone_outlook(milestone=milestone)
    assert (outlook.run_id, outlook.as_of, outlook.below_threshold) == (done.pk, world.today, True)


# API


def test_api_runs_a_forecast_for_a_member(world):
    milestone = certain(world, "Frame", 40, 42)
    response = signed_in(world.supplier_member).post(
        f"{API}/contracts/{world.contract.pk}/forecasts",
        {"runs": 200, "seed": 9},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["seed"], body["runs"], body["created_by"], body["threshold"]) == (
        9,
        200,
        "sid",
        70,
    )
    assert body["results"] == [
        {
            "milestone_id": milestone.pk,
            "milestone_title": "Frame",
            "due_date": working(world, 40).isoformat(),
            "p50": working(world, 42).isoformat(),
            "p80": working(world, 42).isoformat(),
            "on_time_probability": 0.0,
            "below_threshold": True,
        }
    ]


def test_api_refuses_a_viewer_and_hides_the_contract_from_an_outsider(world):
    url = f"{API}/contracts/{world.contract.pk}/forecasts"
    viewer = signed_in(world.client_viewer).post(url, {}, content_type="application/json")
    outsider = signed_in(world.outsider).post(url, {}, content_type="application/json")
    assert (viewer.status_code, outsider.status_code) == (403, 404)
    assert not ForecastRun.objects.exists()


def test_api_names_the_field_when_runs_are_out_of_range(world):
    response = signed_in(world.supplier_member).post(
        f"{API}/contracts/{world.contract.pk}/forecasts",
        {"runs": 5},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"] | {"message": ""} == {
        "code": "invalid_runs",
        "field": "runs",
        "message": "",
    }


@pytest.mark.parametrize("body", [{"seed": False}, {"runs": True}, {"runs": "1000"}])
def test_api_refuses_a_seed_or_runs_that_are_not_whole_numbers(world, body):
    response = signed_in(world.supplier_member).post(
        f"{API}/contracts/{world.contract.pk}/forecasts", body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["field"] in body
    assert not ForecastRun.objects.exists()


def test_api_lists_runs_for_anyone_who_sees_the_contract(world):
    world.deliverable("Roof")
    first, second = run(world, seed=1), run(world, seed=2)
    url = f"{API}/contracts/{world.contract.pk}/forecasts"
    listed = signed_in(world.client_viewer).get(url)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [second.pk, first.pk]
    assert listed.json()[0]["created_by"] is None
    assert signed_in(world.client_viewer).get(f"{url}?limit=1").json()[0]["id"] == second.pk
    assert signed_in(world.outsider).get(url).status_code == 404


def test_api_reads_one_run_for_a_party_and_hides_it_from_an_outsider(world):
    milestone = certain(world, "Foundation", 40, 40)
    done = run(world)
    url = f"{API}/forecasts/{done.pk}"
    body = signed_in(world.consultant_manager).get(url).json()
    assert body["id"] == done.pk and body["inputs_digest"] == done.inputs_digest
    assert [(r["milestone_id"], r["below_threshold"]) for r in body["results"]] == [
        (milestone.pk, False)
    ]
    assert signed_in(world.outsider).get(url).status_code == 404


def test_api_reads_a_milestones_forecast_and_hides_it_from_an_outsider(world):
    milestone = certain(world, "Frame", 40, 42)
    done = run(world)
    url = f"{API}/milestones/{milestone.pk}/forecast"
    body = signed_in(world.supplier_viewer).get(url).json()
    assert body == {
        "milestone_id": milestone.pk,
        "run_id": done.pk,
        "as_of": world.today.isoformat(),
        "threshold": 70,
        "due_date": working(world, 40).isoformat(),
        "on_time_probability": 0.0,
        "forecast_p50": working(world, 42).isoformat(),
        "forecast_p80": working(world, 42).isoformat(),
        "forecast_date": working(world, 42).isoformat(),
        "below_threshold": True,
        "signals": [],
        "status": "scheduled",
        "met_on": None,
    }
    assert signed_in(world.outsider).get(url).status_code == 404


# The page


def test_page_shows_the_latest_run_its_milestones_and_the_history(world):
    milestone = certain(world, "Frame", 40, 42)
    run(world, seed=31337)
    response = signed_in(world.client_viewer).get(
        reverse("contract-forecast", args=[world.contract.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("milestones:milestone-detail", args=[milestone.pk]) in body
    assert reverse("reporting:contract-detail", args=[world.contract.pk]) in body
    assert "31337" in body and "0%" in body and "below 70%" in body and "100%" in body
    # A viewer reads it but may not run one.
    assert "Run forecast" not in body


def test_page_before_any_run_offers_the_form_to_a_contributor(world):
    world.deliverable("Roof")
    body = (
        signed_in(world.supplier_member)
        .get(reverse("contract-forecast", args=[world.contract.pk]))
        .content.decode()
    )
    assert "No forecast has been run" in body and "Run forecast" in body
    assert 'name="runs"' in body and 'name="seed"' in body


def test_page_runs_a_forecast_from_the_form(world):
    world.deliverable("Roof")
    url = reverse("contract-forecast", args=[world.contract.pk])
    response = signed_in(world.supplier_member).post(url, {"runs": "300", "seed": "5"}, follow=True)
    assert response.status_code == 200
    assert "Forecast of 300 runs done (seed 5)." in response.content.decode()
    assert ForecastRun.objects.get().created_by == world.supplier_member


def test_page_shows_a_refused_run_on_the_form(world):
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )
    url = reverse("contract-forecast", args=[world.contract.pk])
    bad = signed_in(world.supplier_member).post(url, {"runs": "50"})
    assert bad.status_code == 422 and "100" in bad.content.decode()
    contract_set_status(
        contract=world.contract, status=ContractStatus.TERMINATED, actor=world.client_manager
    )
    closed = signed_in(world.supplier_member).post(url, {"runs": "300"})
    assert closed.status_code == 422 and "frozen" in closed.content.decode()
    assert not ForecastRun.objects.exists()


def test_page_refuses_a_viewers_run_and_hides_the_contract_from_an_outsider(world):
    url = reverse("contract-forecast", args=[world.contract.pk])
    assert signed_in(world.client_viewer).post(url, {"runs": "300"}).status_code == 403
    assert signed_in(world.outsider).get(url).status_code == 404


# The command


def test_command_forecasts_every_active_contract_one_line_each(world):
    certain(world, "Frame", 40, 42)
    out = io.StringIO()
    call_command("forecast", "--runs", "200", "--seed", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("HCC-2026-001: 1 open milestone, finish P50")
    assert "seed 3" in lines[0] and "100% by" in lines[0]
    made = ForecastRun.objects.get()
    assert (made.created_by, made.runs) == (None, 200)


def test_command_reports_a_contract_it_cannot_forecast(world):
    contract_set_status(
        contract=world.contract, status=ContractStatus.TERMINATED, actor=world.client_manager
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 contract not forecast"):
        call_command("forecast", "--contract", str(world.contract.pk), stderr=err)
    assert "HCC-2026-001: not forecast" in err.getvalue()
    with pytest.raises(CommandError, match="No contract 999999"):
        call_command("forecast", "--contract", "999999")


def test_command_skips_contracts_that_are_not_active(world):
    contract_set_status(
        contract=world.contract, status=ContractStatus.SUSPENDED, actor=world.client_manager
    )
    out = io.StringIO()
    call_command("forecast", stdout=out)
    assert out.getvalue() == "" and not ForecastRun.objects.exists()
    assert not ForecastResult.objects.exists()
