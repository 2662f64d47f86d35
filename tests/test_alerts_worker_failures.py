"""One bad row never stops the worker: it is recorded, retried, then shown failed, and every
other organisation's reminders, updates and forecasts go on."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from milepost.alerts import engine
from milepost.alerts.choices import Channel, Kind, Status, WorkState, WorkUnit
from milepost.alerts.engine import (
    _forecast_check,
    events_fan_out,
    forecasts_refresh,
    tick,
    update_type,
)
from milepost.alerts.inbox import watch_add
from milepost.alerts.models import Notification, ReminderPlan, WorkerFailure
from milepost.alerts.plans import plans_sync_missing
from milepost.alerts.rules import reminder_rule_set
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Dependency, ForecastRun, Milestone
from milepost.schedule.records import status_update_post
from milepost.schedule.services import milestone_create

from .conftest import World, make_user

# A Monday in winter: London is on UTC, reminders come at 08:00 UTC.
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
FAR = dt.date(9999, 12, 31)


def run_until(clock: time_machine.Traveller, when: dt.datetime) -> None:
    clock.move_to(when)
    while tick(now=when).busy:
        pass


def other_contract(w: World) -> Milestone:
    """A second organisation's own contract with one deliverable due in eight days."""
    manager = make_user("olga", w.outsider_org, "manager")
    contract = contract_create(
        organisation=w.outsider_org,
        party_role=PartyRole.CLIENT,
        reference="UH-1",
        title="Office fit-out",
        value=Decimal("5000.00"),
        currency="GBP",
        start_date=START.date() - 30 * DAY,
        end_date=START.date() + 300 * DAY,
        actor=manager,
    )
    supplier = party_add(
        contract=contract, organisation=w.supplier_org, role=PartyRole.SUPPLIER, actor=manager
    )
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=manager)
    return milestone_create(
        contract=contract,
        kind=MilestoneKind.DELIVERABLE,
        title="Handover",
        owner=manager,
        responsible_party=contract.parties.get(organisation=w.outsider_org),
        accepting_party=supplier,
        due_date=START.date() + 8 * DAY,
        acceptance_criteria="Keys handed over.",
        actor=manager,
    )


def poison(milestone: Milestone) -> None:
    """An old bad row: a due date past every check, forced in as an old import would have."""
    Milestone.objects.filter(pk=milestone.pk).update(due_date=FAR, baseline_due_date=FAR)


def status_text() -> str:
    out = StringIO()
    call_command("status", stdout=out)
    return out.getvalue()


def test_a_poisoned_plan_is_skipped_and_everyone_elses_reminders_go_out(w: World, clock) -> None:
    # Given nine good milestones in two organisations and one that goes bad after it was planned
    good = [w.deliverable(f"Deliverable {i}", due_date=START.date() + 8 * DAY) for i in range(8)]
    good.append(other_contract(w))
    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    events_fan_out(now=START)
    poison(bad)

    # When the worker runs through the day of the 7-days-before reminder
    run_until(clock, START)
    run_until(clock, START + DAY)

    # Then every good milestone's owner is reminded, by email too, in both organisations
    reminded = set(
        Notification.objects.filter(
            kind=Kind.REMINDER, channel=Channel.EMAIL, status=Status.SENT
        ).values_list("milestone_id", flat=True)
    )
    assert reminded == {m.pk for m in good}
    assert {m.to[0] for m in mail.outbox} >= {"sid@example.test", "olga@example.test"}
    # and the bad one is recorded, to be tried again later, not every tick
    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    assert failure.state == WorkState.RETRYING and "OverflowError" in failure.last_error
    assert ReminderPlan.objects.get(pk=bad.pk).next_at == failure.retry_after


def refuse_notifications_for(milestone: Milestone, *, on: bool = True) -> None:
    """A database rule that refuses every notification of ``milestone``: a bad row that the
    scan meets only in SQL, where its rows are written for the whole batch at once."""
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if not on:
            cursor.execute("DROP TRIGGER refuse_one" + (" ON alerts_notification" if pg else ""))
        elif pg:
            cursor.execute(
                "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.milestone_id = {milestone.pk} THEN RAISE EXCEPTION 'refused by a "
                "check' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$; "
                "CREATE TRIGGER refuse_one BEFORE INSERT ON alerts_notification "
                "FOR EACH ROW EXECUTE FUNCTION refuse_one()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON alerts_notification "
                f"WHEN NEW.milestone_id = {milestone.pk} "
                "BEGIN SELECT RAISE(ABORT, 'refused by a check'); END"
            )


def test_a_plan_whose_rows_the_database_refuses_is_parked_and_the_rest_of_its_batch_goes_out(
    w: World, clock
) -> None:
    # Given three milestones due in eight days, one due tomorrow, and one more due in eight
    # days whose notifications the database refuses (so the batch's one INSERT fails)
    week = [w.deliverable(f"Deliverable {i}", due_date=START.date() + 8 * DAY) for i in range(3)]
    tomorrow = w.deliverable("Scaffold down", due_date=START.date() + DAY)
    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    events_fan_out(now=START)
    refuse_notifications_for(bad)

    # When the worker runs through the day of the 7-days-before reminder
    run_until(clock, START)
    run_until(clock, START + DAY)

    # Then every other milestone's owner is reminded, in its group and the other group
    reminded = set(
        Notification.objects.filter(kind=Kind.REMINDER).values_list("milestone_id", flat=True)
    )
    assert reminded == {m.pk for m in [*week, tomorrow]}
    # and only the refused plan is parked, with the database's reason, to be tried again later
    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN)
    assert failure.object_id == bad.pk and failure.state == WorkState.RETRYING
    assert "refused by a check" in failure.last_error
    assert ReminderPlan.objects.get(pk=bad.pk).next_at == failure.retry_after

    # When the rule is lifted and its retry comes, its reminder goes out too
    refuse_notifications_for(bad, on=False)
    run_until(clock, failure.retry_after)
    assert Notification.objects.filter(milestone=bad, kind=Kind.REMINDER).exists()


def test_a_plan_that_keeps_failing_shows_as_failed_in_status_and_stops_being_tried(
    w: World, clock
) -> None:
    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    events_fan_out(now=START)
    poison(bad)
    moment = START
    for _ in range(3):
        run_until(clock, moment)
        retry = WorkerFailure.objects.get(object_id=bad.pk).retry_after
        moment = retry or moment

    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    assert failure.state == WorkState.FAILED and failure.attempts == 3
    assert ReminderPlan.objects.get(pk=bad.pk).next_at is None
    text = status_text()
    assert "Milestone reminder plan" in text and str(bad.pk) in text and "failed" in text
    assert "OverflowError" in text


def test_the_worker_starts_and_plans_the_others_when_one_plan_cannot_be_made(
    w: World, clock
) -> None:
    # Given milestones with no plans yet (an upgrade), one of them an old bad row
    good = [w.deliverable(f"Deliverable {i}", due_date=START.date() + 8 * DAY) for i in range(3)]
    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    poison(bad)
    ReminderPlan.objects.all().delete()

    # When the worker starts (and runs until nothing is due)
    out = StringIO()
    call_command("worker", "--once", "--interval", "0", stdout=out)

    # Then it started, made every other plan, and recorded the bad one, to be tried again
    # (its creation event, fanned out by the first tick, was a second attempt)
    assert "started (3 reminder plans made)" in out.getvalue()
    assert "stopped" in out.getvalue()
    assert set(ReminderPlan.objects.values_list("pk", flat=True)) >= {m.pk for m in good}
    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    assert failure.state == WorkState.RETRYING and failure.attempts < 3
    assert ReminderPlan.objects.get(pk=bad.pk).next_at == failure.retry_after
    assert plans_sync_missing(now=START) == 0  # passed over, not looped on

    # and the scan tries it again after its wait, until it is failed
    while failure.retry_after is not None:
        run_until(clock, failure.retry_after)
        failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    assert (failure.state, failure.attempts) == (WorkState.FAILED, 3)


def break_events(milestone: Milestone, since: int) -> set[int]:
    """Make the milestone's events after ``since`` unreadable (their snapshot is not an object),
    as a bad import would; return the ids of those a fan-out cannot go on without reading: a
    status change, whose new status says what it is published as. (A sentence reads a broken
    snapshot as empty, so the text of the others still goes out.)"""
    events = Event.objects.filter(milestone_id=milestone.pk, pk__gt=since, after__isnull=False)
    ids = {e.pk for e in events if update_type(e) == "milestone.status_changed"}
    events.update(after=["broken"])
    return ids


def test_an_event_that_cannot_be_fanned_out_is_retried_after_a_wait_then_failed_and_the_others_still_notify(
    w: World, clock
) -> None:
    # Given a watcher of the contract, a good milestone and a bad one
    good = w.deliverable("Foundation complete", due_date=START.date() + 30 * DAY)
    bad = w.deliverable("Roof complete", due_date=START.date() + 30 * DAY)
    watch_add(user=w.client_manager, contract=w.contract)
    run_until(clock, START)

    # When both get a status update, and the bad one's events cannot be read
    since = Event.objects.latest("pk").pk
    status_update_post(milestone=bad, text="Half done", progress=50, actor=w.supplier_member)
    broken = break_events(bad, since)
    status_update_post(milestone=good, text="Poured", progress=80, actor=w.supplier_member)
    run_until(clock, START + dt.timedelta(minutes=1))

    # Then the watcher hears of the good one (the cursor went past the bad events)
    heard = Notification.objects.filter(
        user=w.client_manager, kind=Kind.UPDATE, event_type="milestone.status_update"
    )
    assert good.pk in set(heard.values_list("milestone_id", flat=True))
    # and the bad milestone's events are recorded, each once, to be tried again in 5 minutes
    failures = WorkerFailure.objects.filter(unit=WorkUnit.EVENT)
    assert set(failures.values_list("object_id", flat=True)) == broken
    assert {(f.state, f.attempts) for f in failures} == {(WorkState.RETRYING, 1)}
    assert {f.retry_after for f in failures} == {START + dt.timedelta(minutes=6)}
    assert "Event fan-out" in status_text()

    # When the worker runs at each retry: 5, then 30 minutes later
    run_until(clock, START + dt.timedelta(minutes=6))
    assert {(f.state, f.attempts) for f in failures.all()} == {(WorkState.RETRYING, 2)}
    run_until(clock, START + dt.timedelta(minutes=36))

    # Then they are failed, and tried no more
    assert {(f.state, f.attempts, f.retry_after) for f in failures.all()} == {
        (WorkState.FAILED, 3, None)
    }
    run_until(clock, START + dt.timedelta(days=2))
    assert {f.attempts for f in failures.all()} == {3}


def test_a_failed_event_that_goes_through_on_a_retry_is_cleared_and_notifies(
    w: World, clock
) -> None:
    bad = w.deliverable("Roof complete", due_date=START.date() + 30 * DAY)
    watch_add(user=w.client_manager, contract=w.contract)
    run_until(clock, START)
    since = Event.objects.latest("pk").pk
    status_update_post(milestone=bad, text="Half done", progress=50, actor=w.supplier_member)
    snapshots = dict(
        Event.objects.filter(milestone_id=bad.pk, pk__gt=since).values_list("pk", "after")
    )
    broken = break_events(bad, since)
    run_until(clock, START + dt.timedelta(minutes=1))
    assert (
        set(WorkerFailure.objects.filter(unit=WorkUnit.EVENT).values_list("object_id", flat=True))
        == broken
    )

    # When what was wrong is put right and the wait is over
    for pk, after in snapshots.items():
        Event.objects.filter(pk=pk).update(after=after)
    run_until(clock, START + dt.timedelta(minutes=6))

    # Then the events go through, their failures are cleared, and the watcher hears of it
    assert not WorkerFailure.objects.exists()
    assert Notification.objects.filter(
        user=w.client_manager, milestone=bad, event_type="milestone.status_update"
    ).exists()


def test_a_poisoned_milestone_does_not_keep_a_contract_rule_change_from_the_others(
    w: World, clock
) -> None:
    # Given three good milestones and one old bad row in the same contract, all planned
    good = [w.deliverable(f"Deliverable {i}", due_date=START.date() + 30 * DAY) for i in range(3)]
    bad = w.deliverable("Roof complete", due_date=START.date() + 30 * DAY)
    run_until(clock, START)
    poison(bad)

    # When the contract's rule changes to remind 29 days before (that is, tomorrow) and weekly
    # once overdue, which no arithmetic can do for a date of 9999-12-31
    reminder_rule_set(
        actor=w.client_manager,
        contract=w.contract,
        offsets=[29],
        working_days=False,
        overdue_every=7,
        escalate_after=None,
        escalate_critical_to_counterparty=False,
        channels=[Channel.INAPP],
    )
    run_until(clock, START + dt.timedelta(minutes=1))

    # Then the rule change went through (no failed event) and every good milestone gets the new
    # rule's reminder for tomorrow; the bad one is recorded and its plan parked for a retry
    assert not WorkerFailure.objects.filter(unit=WorkUnit.EVENT).exists()
    reminded = Notification.objects.filter(kind=Kind.REMINDER, fire_on=START.date() + DAY)
    assert set(reminded.values_list("milestone_id", flat=True)) == {m.pk for m in good}
    assert {r.payload["trigger"]["offset"] for r in reminded} == {-29}
    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    assert failure.state == WorkState.RETRYING and "OverflowError" in failure.last_error
    assert ReminderPlan.objects.get(pk=bad.pk).next_at == failure.retry_after


@override_settings(MILEPOST_FORECAST_REFRESH_HOURS=24)
def test_a_contract_whose_forecast_raises_is_skipped_and_the_next_one_is_forecast(
    w: World, clock
) -> None:
    # Given two active contracts, the world's with a link whose lag no calendar can hold
    first = w.deliverable("Foundation complete", due_date=START.date() + 30 * DAY)
    second = w.deliverable("Structure complete", due_date=START.date() + 60 * DAY)
    dependency_add(predecessor=first, successor=second, actor=w.supplier_manager)
    Dependency.objects.update(lag=10**9)
    other = other_contract(w)
    _forecast_check["next"] = dt.datetime.min.replace(tzinfo=dt.UTC)

    # When the worker refreshes stale forecasts
    assert forecasts_refresh(now=START) == 1

    # Then the other contract is forecast and the bad one is recorded with its error
    assert list(ForecastRun.objects.values_list("contract_id", flat=True)) == [other.contract_id]
    failure = WorkerFailure.objects.get(unit=WorkUnit.FORECAST)
    assert failure.object_id == w.contract.pk and failure.state == WorkState.RETRYING
    assert "Contract forecast refresh" in status_text()


def test_a_notification_that_raises_is_retried_then_failed_and_the_rest_are_sent(
    w: World, clock, monkeypatch
) -> None:
    first = w.deliverable("Foundation complete", due_date=START.date() + 7 * DAY)
    w.deliverable("Structure complete", due_date=START.date() + 7 * DAY)
    real = engine.delivery._still_true

    def broken(row: Notification) -> bool:
        if row.milestone_id == first.pk:
            raise RuntimeError("cannot read this row")
        return real(row)

    monkeypatch.setattr(engine.delivery, "_still_true", broken)
    moment = START
    for _ in range(3):
        run_until(clock, moment)
        pending = Notification.objects.filter(milestone=first, status=Status.PENDING).first()
        moment = pending.send_after if pending else moment

    bad = Notification.objects.filter(milestone=first)
    assert set(bad.values_list("status", flat=True)) == {Status.FAILED}
    assert "cannot read this row" in bad.first().last_error
    others = Notification.objects.exclude(milestone=first).filter(kind=Kind.REMINDER)
    assert set(others.values_list("status", flat=True)) == {Status.SENT}
    assert "Notification (" in status_text()


def test_the_worker_logs_an_unexpected_error_in_a_tick_and_goes_on(
    w: World, clock, monkeypatch
) -> None:
    calls = []

    def flaky(**kwargs: object) -> engine.TickResult:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in one tick")
        return engine.TickResult()

    monkeypatch.setattr("milepost.operations.management.commands.worker.tick", flaky)
    # The test database is one connection: the worker must not close it between ticks.
    monkeypatch.setattr(
        "milepost.operations.management.commands.worker.close_old_connections", lambda: None
    )
    out = StringIO()
    call_command("worker", "--once", "--interval", "0", stdout=out)
    assert len(calls) == 2
    assert "stopped" in out.getvalue()


def test_status_without_failures_says_so(db: None) -> None:
    assert "Worker: no failures." in status_text()


def test_an_operator_sees_the_failures_in_the_admin(w: World, clock) -> None:
    from django.test import Client

    from milepost.accounts.models import User

    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    events_fan_out(now=START)
    poison(bad)
    run_until(clock, START)
    operator = User.objects.create_superuser("root", "root@example.test", "pw-for-the-test")
    client = Client()
    client.force_login(operator)

    page = client.get("/admin/alerts/workerfailure/")

    assert page.status_code == 200
    assert "OverflowError" in page.content.decode()
    assert client.get("/admin/alerts/notification/?status__exact=failed").status_code == 200


def test_the_forecast_command_forecasts_the_others_when_one_contract_raises(
    w: World, clock
) -> None:
    from django.core.management.base import CommandError

    first = w.deliverable("Foundation complete", due_date=START.date() + 30 * DAY)
    second = w.deliverable("Structure complete", due_date=START.date() + 60 * DAY)
    dependency_add(predecessor=first, successor=second, actor=w.supplier_manager)
    Dependency.objects.update(lag=10**9)
    other = other_contract(w)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 contract not forecast"):
        call_command("forecast", "--runs", "200", stdout=out, stderr=err)

    assert "HCC-2026-001: not forecast: " in err.getvalue()
    assert "UH-1: 1 open milestone" in out.getvalue()
    assert list(ForecastRun.objects.values_list("contract_id", flat=True)) == [other.contract_id]


def test_a_notification_whose_email_cannot_be_made_fails_on_its_own_schedule_and_the_rest_go(
    w: World, clock
) -> None:
    # Given two reminders queued for today, one of them with a payload no email can be made of
    first = w.deliverable("Foundation complete", due_date=START.date() + 7 * DAY)
    w.deliverable("Structure complete", due_date=START.date() + 7 * DAY)
    events_fan_out(now=START)
    engine.reminders_scan(now=START)
    bad = Notification.objects.filter(milestone=first, channel=Channel.EMAIL)
    assert bad.count() == 1
    payload = bad.get().payload
    bad.update(payload={**payload, "event": "not an object"})

    # When the worker delivers them, and retries at each wait
    moment = START
    for _ in range(3):
        run_until(clock, moment)
        pending = bad.filter(status=Status.PENDING).first()
        moment = pending.send_after if pending else moment

    # Then the bad row is failed after three attempts with its error, and the rest are sent
    row = bad.get()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.last_error.startswith("AttributeError")
    others = Notification.objects.exclude(pk=row.pk).filter(kind=Kind.REMINDER)
    assert set(others.values_list("status", flat=True)) == {Status.SENT}


def test_a_webhook_message_that_cannot_be_made_does_not_count_against_its_endpoint(
    w: World, clock, monkeypatch
) -> None:
    from milepost.alerts.engine import webhook_delivery
    from milepost.alerts.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        organisation=w.client_org, url="https://hooks.example.test/in", secret="whsec_dGVzdA=="
    )
    rows = [
        Notification.objects.create(
            key=f"test:{i}",
            kind=Kind.UPDATE,
            channel=Channel.WEBHOOK,
            event_type="milestone.met",
            endpoint=endpoint,
            payload={"type": "milestone.met", "summary": f"Row {i}"},
            send_after=START,
        )
        for i in range(3)
    ]
    posted = []

    def post(row: Notification) -> None:
        # The body of the first row cannot be built; the endpoint takes the others.
        if row.pk == rows[0].pk:
            raise TypeError("Object of type bytes is not JSON serializable")
        posted.append(row.pk)

    monkeypatch.setattr(webhook_delivery, "webhook_post", post)
    moment = START
    for _ in range(3):
        run_until(clock, moment)
        pending = Notification.objects.filter(pk=rows[0].pk, status=Status.PENDING).first()
        moment = pending.send_after if pending else moment

    bad = Notification.objects.get(pk=rows[0].pk)
    assert (bad.status, bad.attempts) == (Status.FAILED, 3)
    assert bad.last_error.startswith("TypeError")
    assert sorted(posted) == [rows[1].pk, rows[2].pk]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.disabled_at is None


def test_an_operator_deletes_a_failure_in_the_admin_and_it_is_audited(w: World, clock) -> None:
    from django.test import Client

    from milepost.accounts.models import User

    bad = w.deliverable("Roof complete", due_date=START.date() + 8 * DAY)
    events_fan_out(now=START)
    poison(bad)
    run_until(clock, START)
    failure = WorkerFailure.objects.get(unit=WorkUnit.PLAN, object_id=bad.pk)
    operator = User.objects.create_superuser("root", "root@example.test", "pw-for-the-test")
    client = Client()
    client.force_login(operator)

    page = client.post(
        f"/admin/alerts/workerfailure/{failure.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert page.status_code == 200
    assert not WorkerFailure.objects.exists()
    event = Event.objects.get(action="workerfailure.deleted_by_operator")
    assert event.actor == operator and event.object_id == failure.pk
    assert event.before["unit"] == WorkUnit.PLAN and event.before["object_id"] == bad.pk


def test_an_operator_deletes_failures_in_bulk_in_the_admin_and_each_is_audited(
    w: World, clock
) -> None:
    from django.test import Client

    from milepost.accounts.models import User

    bad = [w.deliverable(f"Roof {i}", due_date=START.date() + 8 * DAY) for i in range(2)]
    events_fan_out(now=START)
    for m in bad:
        poison(m)
    run_until(clock, START)
    ids = list(WorkerFailure.objects.values_list("pk", flat=True))
    assert len(ids) == 2
    operator = User.objects.create_superuser("root", "root@example.test", "pw-for-the-test")
    client = Client()
    client.force_login(operator)

    client.post(
        "/admin/alerts/workerfailure/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert not WorkerFailure.objects.exists()
    audited = Event.objects.filter(action="workerfailure.deleted_by_operator")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(ids)
