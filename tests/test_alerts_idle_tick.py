"""The worker's idle tick: every job's "anything due?" asked in one query, and each job still
runs when only its own work is due."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from milepost.alerts import engine
from milepost.alerts.choices import Status
from milepost.alerts.engine import due, tick
from milepost.alerts.engine.actions import DAILY_CURSOR, measurements_pending
from milepost.alerts.engine.due import due_at, is_due
from milepost.alerts.engine.fanout import EVENTS_CURSOR
from milepost.alerts.models import Notification, ReminderPlan, WorkerCursor
from milepost.milestones.models import UpdateSchedule

from .conftest import World
from .test_alerts_engine import DAY, START, run_until

# The tick's jobs in the order it runs them, by the name of their idle check.
JOBS = {
    "rounds": "update_rounds_due",
    "events": "events_fan_out",
    "plans": "reminders_scan",
    "actions": "actions_due",
    "delivery": "deliver_due",
    "forecasts": "forecasts_refresh",
}


def settled(w: World, clock) -> None:
    """A world whose worker has done everything: a milestone with reminders queued and sent."""
    w.deliverable(due_date=START.date() + 7 * DAY)
    run_until(clock, START)
    assert Notification.objects.exists()


def spy_jobs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record which of the tick's jobs run and what each did (each still does its work)."""
    ran: list[tuple[str, int]] = []
    for name, attr in JOBS.items():
        job = getattr(engine, attr)

        def spy(*args: object, _job: Callable[..., int] = job, _name: str = name, **kw: object):
            done = _job(*args, **kw)
            ran.append((_name, done))
            return done

        spy.__name__ = attr
        monkeypatch.setattr(engine, attr, spy)
    return ran


def test_an_idle_tick_is_one_query_and_runs_no_job(w: World, clock, monkeypatch) -> None:
    settled(w, clock)
    ran = spy_jobs(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        result = tick(now=START)
    assert not result.busy
    work = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "sqlite":
        assert work[0].startswith("UPDATE"), work  # the lease comes first, unchanged
        work = work[1:]
    assert len(work) == 1, work
    assert work[0].startswith("SELECT EXISTS(")  # every job's check in one row
    assert ran == []


def make_due(name: str, w: World, monkeypatch, settings) -> None:
    """Give exactly one job something to do."""
    if name == "rounds":
        UpdateSchedule.objects.create(contract=w.contract, weekday=START.weekday())
    elif name == "events":
        WorkerCursor.objects.filter(name=EVENTS_CURSOR).update(position=F("position") - 1)
    elif name == "plans":
        plan = ReminderPlan.objects.filter(next_at__isnull=False).first()
        assert plan is not None
        ReminderPlan.objects.filter(pk=plan.pk).update(next_at=START - dt.timedelta(minutes=1))
    elif name == "actions":
        WorkerCursor.objects.filter(name=DAILY_CURSOR).update(position=0)
    elif name == "delivery":
        row = Notification.objects.first()
        assert row is not None
        Notification.objects.filter(pk=row.pk).update(status=Status.PENDING, send_after=START)
    elif name == "forecasts":
        settings.MILEPOST_FORECAST_REFRESH_HOURS = 24
        monkeypatch.setitem(engine._forecast_check, "next", START - dt.timedelta(minutes=1))


@pytest.mark.parametrize("name", list(JOBS))
def test_each_job_runs_when_only_its_own_work_is_due(
    name: str, w: World, clock, monkeypatch, settings
) -> None:
    settled(w, clock)
    make_due(name, w, monkeypatch, settings)
    # The one query answers yes for this job alone (the same condition the job asks itself).
    answers = engine._due(START)
    assert {job for job, yes in answers.items() if yes} == {name}
    ran = spy_jobs(monkeypatch)
    tick(now=START)
    # The jobs before it do not run; it does, and once a job has done something the ones
    # after it look for themselves (what it wrote may be theirs to do in the same tick); the
    # forecast refresh is off here unless it is the one due.
    order = [job for job in JOBS if job != "forecasts" or name == "forecasts"]
    names = [job for job, _ in ran]
    start = order.index(name)
    assert names == order[start : start + len(names)]
    for i in range(1, len(ran)):
        assert any(done for _, done in ran[:i]), ran  # woken by an earlier job's work
    if len(names) < len(order) - start:
        assert not any(done for _, done in ran), ran  # stopped only when nothing was done


def test_a_job_that_found_nothing_to_do_does_not_wake_the_next(
    w: World, clock, monkeypatch, settings
) -> None:
    # An update schedule is pending all day on its weekday, but sends its round only from its
    # hour: before then the tick runs it alone, and the jobs after it stay asleep.
    settled(w, clock)
    make_due("rounds", w, monkeypatch, settings)
    settings.MILEPOST_UPDATE_ROUND_HOUR = 23
    ran = spy_jobs(monkeypatch)

    tick(now=START)

    assert ran == [("rounds", 0)]


def test_the_forecast_check_is_not_asked_between_looks(w: World, clock, settings) -> None:
    settled(w, clock)
    settings.MILEPOST_FORECAST_REFRESH_HOURS = 24
    engine._forecast_check["next"] = START + dt.timedelta(minutes=5)
    try:
        assert "forecasts" not in engine._due(START)
    finally:
        engine._forecast_check["next"] = dt.datetime.min.replace(tzinfo=dt.UTC)


# Times the kept checks are asked at: the jobs' own moment, the clocks going forward in
# London, the last microsecond of a leap day and of a year.
ASKED_AT = [
    START,
    START - dt.timedelta(minutes=2),
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("name", list(JOBS))
def test_the_kept_idle_checks_answer_as_the_checks_built_afresh_at_any_time(
    name: str, w: World, clock, monkeypatch, settings
) -> None:
    # The tick compiles a check that depends on the time alone once, and puts each tick's time
    # in it: its answers must be the ones the check built at that time gives.
    settled(w, clock)
    make_due(name, w, monkeypatch, settings)
    checks = engine.idle_checks()
    for now in ASKED_AT:
        afresh = {
            job: any(is_due(at(now)) for at in (parts if isinstance(parts, tuple) else (parts,)))
            for job, parts in checks.items()
        }
        assert due_at(checks, now) == afresh, now
    kept = {at.__name__ for (_, at), template in due._templates.items() if template}
    assert {"events_due", "reminders_due", "requests_pending", "deliveries_due"} <= kept


def test_a_check_that_depends_on_the_local_day_is_built_each_tick(w: World, clock) -> None:
    # The day's measurements are asked for once a day: with the daily cursor at today's day the
    # check says no, and at the next day's first tick it says yes (a kept SQL would still
    # compare with today's day).
    settled(w, clock)
    today = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    tomorrow = today + dt.timedelta(hours=13)  # the next day where the day starts first
    WorkerCursor.objects.filter(name=DAILY_CURSOR).update(position=today.date().toordinal() + 1)
    checks = {"measurements": measurements_pending}
    assert due_at(checks, today) == {"measurements": False}
    assert due_at(checks, tomorrow) == {"measurements": True}
    assert due._template(measurements_pending, "default") is None
