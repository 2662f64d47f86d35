"""The worker's engine: plans, reminders at a local hour, escalation, catch-up, updates, leases."""

import datetime as dt

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from milepost.alerts.choices import Channel, Digest, Kind, Status
from milepost.alerts.engine import (
    events_fan_out,
    notice_send,
    reminders_scan,
    sqlite_lease_release,
    sqlite_lease_take,
    tick,
)
from milepost.alerts.models import AlertPreference, Notification, ReminderPlan, Watch
from milepost.alerts.rules import reminder_rule_set
from milepost.schedule.choices import Criticality, MilestoneStatus
from milepost.schedule.records import status_update_post
from milepost.schedule.services import milestone_reschedule, milestone_set_status

from .conftest import World

# A Monday in winter, so London is on UTC; the reminder hour 08:00 London is 08:00 UTC.
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def run_until(clock: time_machine.Traveller, when: dt.datetime) -> None:
    """Move the clock and let the worker do everything that is due by then."""
    clock.move_to(when)
    while tick(now=when).busy:
        pass


def run_daily(clock: time_machine.Traveller, until: dt.datetime) -> None:
    """A worker that keeps running: tick every six hours from now until ``until``."""
    now = dt.datetime.now(tz=dt.UTC)
    while now <= until:
        run_until(clock, now)
        now += dt.timedelta(hours=6)


def rows(**filters: object) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("send_after", "pk"))


def test_reminder_fires_once_at_the_owners_local_hour(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 7 * DAY)
    run_until(clock, START)
    queued = rows(milestone=milestone, kind=Kind.REMINDER)
    # 7 days before is today: one in-app and one email row for the owner, at 08:00 London today,
    # which has passed, so they are already sent (within the catch-up window, so not late).
    assert {(r.user, r.channel) for r in queued} == {
        (w.supplier_member, Channel.INAPP),
        (w.supplier_member, Channel.EMAIL),
    }
    assert all(r.status == Status.SENT and not r.catch_up for r in queued)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [w.supplier_member.email]
    # The next reminder is 1 day before, at 08:00 on that day, and not a minute earlier.
    run_until(clock, at(START.date() + 6 * DAY, 7, 59))
    assert Notification.objects.filter(milestone=milestone, status=Status.SENT).count() == 2
    run_until(clock, at(START.date() + 6 * DAY, 8, 0))
    assert Notification.objects.filter(milestone=milestone, status=Status.SENT).count() == 4
    assert len(mail.outbox) == 2


def test_running_the_scan_again_queues_nothing_twice(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 7 * DAY)
    events_fan_out(now=START)
    reminders_scan(now=START)
    first = Notification.objects.count()
    plan = ReminderPlan.objects.get(milestone=milestone)
    # Pretend a second worker saw the same plan before this one's write landed.
    ReminderPlan.objects.filter(pk=plan.pk).update(
        next_at=START - DAY, done_through=START.date() - DAY
    )
    reminders_scan(now=START)
    assert Notification.objects.count() == first == 2


def test_a_milestone_met_before_its_reminder_is_not_reminded(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 7 * DAY)
    events_fan_out(now=START)
    clock.move_to(at(START.date(), 6))
    reminders_scan(now=at(START.date(), 6))  # queued for 08:00
    milestone_set_status(
        milestone=milestone,
        status=MilestoneStatus.CANCELLED,
        reason="Scope removed",
        actor=w.client_manager,
    )
    run_until(clock, at(START.date(), 9))
    assert {r.status for r in rows(milestone=milestone, kind=Kind.REMINDER)} == {Status.SKIPPED}
    assert not ReminderPlan.objects.filter(milestone=milestone).exists()
    assert mail.outbox == []


def test_overdue_repeats_and_escalates_to_responsible_and_counterparty_managers(
    w: World, clock
) -> None:
    milestone = w.deliverable(
        due_date=START.date() - DAY, criticality=Criticality.CRITICAL, title="Structure"
    )
    # The default rule: repeat every 2 days overdue, escalate after 3; the worker runs all along.
    run_daily(clock, at(START.date() + 5 * DAY, 12))
    overdue = rows(milestone=milestone, kind=Kind.OVERDUE, channel=Channel.EMAIL)
    assert [r.fire_on for r in overdue] == [START.date() + d * DAY for d in (1, 3, 5)]
    escalated = {r.user.username for r in rows(milestone=milestone, kind=Kind.ESCALATION)}
    # Supplier managers (responsible) and, for a critical milestone, the other parties' managers.
    assert escalated == {"sam", "cora", "connor"}
    assert "Escalation" in rows(milestone=milestone, kind=Kind.ESCALATION)[0].payload["summary"]


def test_a_standard_milestone_escalates_only_to_the_responsible_party(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() - DAY)
    run_daily(clock, at(START.date() + 3 * DAY, 12))
    assert {r.user.username for r in rows(milestone=milestone, kind=Kind.ESCALATION)} == {"sam"}


def test_worker_down_for_weeks_sends_one_catch_up_email_per_recipient(w: World, clock) -> None:
    first = w.deliverable(title="Foundation", due_date=START.date() + 20 * DAY)
    second = w.deliverable(title="Frame", due_date=START.date() + 21 * DAY)
    events_fan_out(now=START)  # plans exist; then the worker is down for 17 days
    late = at(START.date() + 17 * DAY, 12)
    mail.outbox.clear()
    run_until(clock, late)
    # The reminders 14 and 7 days before passed for both; each milestone gets only the latest.
    reminders = rows(kind=Kind.REMINDER, channel=Channel.EMAIL)
    assert sorted((r.milestone_id, r.payload["days"]) for r in reminders) == [
        (first.pk, 7),
        (second.pk, 7),
    ]
    assert all(r.catch_up for r in reminders)
    # ... and the owner gets them in one message.
    assert len(mail.outbox) == 1
    assert len({r.batch for r in reminders}) == 1


def test_rescheduling_replaces_the_pending_reminder(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 8 * DAY)
    run_until(clock, START)
    clock.move_to(at(START.date() + DAY, 6))
    reminders_scan(now=at(START.date() + DAY, 6))  # 7 days before: queued for 08:00
    milestone_reschedule(
        milestone=milestone,
        due_date=START.date() + 15 * DAY,
        reason="Steel delivery late",
        actor=w.supplier_manager,
    )
    run_until(clock, at(START.date() + 8 * DAY, 9))
    by_due = {
        (r.payload["milestone"]["due_date"], r.status)
        for r in rows(milestone=milestone, kind=Kind.REMINDER, channel=Channel.EMAIL)
    }
    old = (START.date() + 8 * DAY).isoformat()
    new = (START.date() + 15 * DAY).isoformat()
    assert (old, Status.SKIPPED) in by_due
    assert (new, Status.SENT) in by_due  # 7 days before the new date


def test_watchers_hear_updates_but_not_their_own_or_after_losing_access(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 30 * DAY)
    clock.shift(dt.timedelta(minutes=1))
    Watch.objects.create(user=w.client_manager, milestone=milestone)
    Watch.objects.create(user=w.supplier_member, contract=w.contract)
    Watch.objects.create(user=w.outsider, contract=w.contract)  # never had access
    status_update_post(
        milestone=milestone, text="Pour complete.", progress=40, actor=w.supplier_member
    )
    run_until(clock, START)
    updates = rows(kind=Kind.UPDATE, channel=Channel.INAPP, event_type="milestone.status_update")
    assert [r.user.username for r in updates] == ["cora"]
    assert updates[0].payload["event"]["text"] == (
        "Sid posted an update on Foundation complete (40% done): Pour complete."
    )
    assert updates[0].payload["watch"] == f"m{milestone.pk}"
    assert updates[0].event_type == "milestone.status_update"
    # The milestone was created before anyone watched it: nobody hears of that.
    assert not rows(kind=Kind.UPDATE, event_type="milestone.created")


def test_digest_preference_holds_email_for_one_message_at_the_hour(w: World, clock) -> None:
    AlertPreference.objects.create(user=w.supplier_member, digest=Digest.DAILY, hour=17)
    w.deliverable(title="A", due_date=START.date() + 7 * DAY)
    w.deliverable(title="B", due_date=START.date() + 14 * DAY)
    run_until(clock, at(START.date(), 16))
    digest = rows(channel=Channel.DIGEST)
    assert len(digest) == 2 and {r.status for r in digest} == {Status.PENDING}
    assert mail.outbox == []
    run_until(clock, at(START.date(), 17))
    assert len(mail.outbox) == 1
    assert {r.status for r in rows(channel=Channel.DIGEST)} == {Status.SENT}


def test_contract_override_replans_its_milestones(w: World, clock) -> None:
    milestone = w.deliverable(due_date=START.date() + 30 * DAY)
    run_until(clock, START)
    assert ReminderPlan.objects.get(milestone=milestone).next_on == START.date() + 16 * DAY
    reminder_rule_set(
        actor=w.client_manager,
        contract=w.contract,
        offsets=[3],
        working_days=True,
        overdue_every=0,
        escalate_after=None,
        escalate_critical_to_counterparty=False,
        channels=["inapp"],
    )
    run_until(clock, START)
    # Three working days before a Wednesday is the Friday before.
    due = START.date() + 30 * DAY
    assert due.weekday() == 2
    assert ReminderPlan.objects.get(milestone=milestone).next_on == due - 5 * DAY


def test_notice_goes_to_each_person_once(w: World, clock) -> None:
    for _ in range(2):
        notice_send(
            users=[w.client_manager],
            key="notice:test",
            event_type="notice.test",
            summary="Something to know",
            payload={"url": "http://example.test/"},
            now=START,
        )
    assert Notification.objects.filter(user=w.client_manager).count() == 2  # in-app + email


def test_only_one_worker_holds_the_sqlite_lease(db: None) -> None:
    assert sqlite_lease_take(holder="a", now=START)
    assert not sqlite_lease_take(holder="b", now=START)
    if connection.vendor == "sqlite":
        assert tick(now=START, holder="b").waiting
    sqlite_lease_release(holder="a")
    assert sqlite_lease_take(holder="b", now=START)
    # A lease that ran out (its worker died) is taken over.
    assert not sqlite_lease_take(holder="c", now=START + dt.timedelta(minutes=4))
    assert sqlite_lease_take(holder="c", now=START + dt.timedelta(minutes=6))


def test_an_idle_tick_costs_a_few_indexed_queries(w: World, clock) -> None:
    run_until(clock, START)
    with CaptureQueriesContext(connection) as queries:
        result = tick(now=START)
    assert not result.busy
    # The test's own transaction adds savepoints; the work itself is a few indexed reads.
    work = [q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # New events? Update rounds due? Plans due? Action requests due? Rows due or abandoned?
    # All asked in one SELECT (and on SQLite, renewing the lease first).
    assert len(work) == (2 if connection.vendor == "sqlite" else 1), [q["sql"] for q in work]


def test_a_failed_email_is_retried_with_the_same_message_id(w: World, clock, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    w.deliverable(due_date=START.date() + 7 * DAY)
    run_until(clock, START)
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == Status.PENDING and row.attempts == 1 and row.last_error
    assert row.send_after > START
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_until(clock, row.send_after)
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<msg_{row.pk}@")


def test_an_escalation_one_day_overdue_reaches_the_managers(w: World, clock) -> None:
    reminder_rule_set(
        actor=w.client_manager,
        contract=w.contract,
        offsets=[0],
        working_days=False,
        overdue_every=0,
        escalate_after=1,
        escalate_critical_to_counterparty=False,
        channels=["inapp"],
    )
    milestone = w.deliverable(due_date=START.date() + 2 * DAY)
    run_daily(clock, at(START.date() + 4 * DAY, 12))
    escalated = rows(milestone=milestone, kind=Kind.ESCALATION)
    assert [(r.user.username, r.fire_on) for r in escalated] == [("sam", START.date() + 3 * DAY)]
