"""Overdue repeats and escalations end to end: the worker's ticks deliver to a real SMTP server.

London is on UTC in winter, so each person's reminder hour, 08:00 London, is 08:00 UTC.
"""

import datetime as dt

import time_machine

from milepost.alerts.engine import tick
from milepost.alerts.rules import reminder_rule_set
from milepost.schedule.models import Milestone

from .conftest import World, build_world
from .peers import Inbox

HOUR = dt.timedelta(hours=1)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def run_hourly(clock: time_machine.Traveller, start: dt.datetime, until: dt.datetime) -> None:
    """A worker that keeps running: a tick every hour from ``start`` to ``until``."""
    now = start
    while now <= until:
        clock.move_to(now)
        while tick(now=now).busy:
            pass
        now += HOUR


def received(inbox: Inbox, milestone: Milestone) -> list[tuple[str, str, str]]:
    """(day received, recipient, subject) of every email about the milestone, in order."""
    return [
        (m["Date"].datetime.date().isoformat(), m["To"], m["Subject"].split(":")[0])
        for m in inbox.messages
        if milestone.title in m["Subject"]
    ]


def test_overdue_since_a_tuesday_repeats_every_two_days_and_escalates_on_the_third(
    db: None, inbox: Inbox
) -> None:
    # Given a standard deliverable due on Monday 2 March 2026, created the week before, and
    # the default rule (repeat every 2 days overdue, escalate after 3), the worker running
    start = at(dt.date(2026, 2, 23), 9)
    with time_machine.travel(start, tick=False) as clock:
        w: World = build_world()
        milestone = w.deliverable("Drainage survey report", due_date=dt.date(2026, 3, 2))
        # When the week after the due date passes
        run_hourly(clock, start, at(dt.date(2026, 3, 7), 9))
    # Then the owner hears on the due date, on Wednesday and Friday; the supplier's manager
    # hears the escalation on Thursday, the third day overdue
    late = [r for r in received(inbox, milestone) if r[0] >= "2026-03-02"]
    assert late == [
        ("2026-03-02", "sid@example.test", "Due today"),
        ("2026-03-04", "sid@example.test", "Overdue by 2 days"),
        ("2026-03-05", "sam@example.test", "Escalation"),
        ("2026-03-06", "sid@example.test", "Overdue by 4 days"),
    ]


def test_a_rule_set_after_the_hour_to_escalate_today_escalates_today(
    db: None, inbox: Inbox
) -> None:
    # Given a milestone due on Monday 2 March whose own rule never escalates
    start = at(dt.date(2026, 2, 27), 9)
    with time_machine.travel(start, tick=False) as clock:
        w: World = build_world()
        milestone = w.deliverable("Drainage survey report", due_date=dt.date(2026, 3, 2))
        rule = {
            "offsets": [0],
            "working_days": False,
            "overdue_every": 2,
            "escalate_critical_to_counterparty": False,
            "channels": ["email"],
        }
        reminder_rule_set(
            actor=w.supplier_manager, milestone=milestone, escalate_after=None, **rule
        )
        run_hourly(clock, start, at(dt.date(2026, 3, 6), 14))
        assert not [r for r in received(inbox, milestone) if r[2] == "Escalation"]
        # When, on Friday afternoon (past everyone's 08:00), its manager sets it to escalate
        # four days overdue, which is today
        reminder_rule_set(actor=w.supplier_manager, milestone=milestone, escalate_after=4, **rule)
        run_hourly(clock, at(dt.date(2026, 3, 6), 15), at(dt.date(2026, 3, 6), 16))
    # Then the escalation reaches the supplier's manager that same day
    assert ("2026-03-06", "sam@example.test", "Escalation") in received(inbox, milestone)


def test_a_milestone_first_seen_past_its_escalation_day_is_escalated_once(
    db: None, inbox: Inbox
) -> None:
    # Given a deliverable due Tuesday 1 December 2026 that the worker first sees on Sunday the
    # 6th (imported late, or loaded as a demo), past its escalation day, Friday the 4th
    start = at(dt.date(2026, 12, 6), 11)
    with time_machine.travel(start, tick=False) as clock:
        w: World = build_world()
        milestone = w.deliverable("Drainage survey report", due_date=dt.date(2026, 12, 1))
        # When the worker runs that day and the next morning
        run_hourly(clock, start, at(dt.date(2026, 12, 7), 9))
    # Then the manager hears of the escalation at once, once, and the owner's overdue reminder
    # comes on Monday at 08:00 as the rule says, with nothing older sent as a storm
    assert received(inbox, milestone) == [
        ("2026-12-06", "sam@example.test", "Escalation"),
        ("2026-12-07", "sid@example.test", "Overdue by 6 days"),
    ]
